"""Which MNIST ε-U-Net has exactly 776,929 parameters (testdata/REFERENCES.md, "Reference networks")?

Enumerates plausible variants of "base 32, levels 28²×32, 14²×64, 7²×64, one
GroupNorm(8)-SiLU-conv ResBlock per level with time projection, 2 middle
blocks, nearest-×2 up path with skip concatenation" and prints those whose
parameter count matches. Run: python3 nets/testdata/unet_variants.py
Result (31,104 variants): exactly one, the architecture of nets.UNetConfig:
E=32, time MLP 32→128→128, Dense(temb)→C_out in every block, two 3×3 convs per
ResBlock, 1×1 skip conv when channels change, a 3×3 input conv, skips from the
level outputs, channel changes inside the ResBlocks, 3×3 stride-2 conv down,
nearest ×2 + 3×3 conv up, GroupNorm-SiLU-conv3×3 head.
"""
import itertools

TARGET = 776929


def conv(ci, co, k=3): return k * k * ci * co + co
def lin(a, b): return a * b + b
def gn(c): return 2 * c


def resblock(ci, co, T, o):
    n = gn(ci) + conv(ci, co)
    n += {"cout": lin(T, co), "scale_shift": lin(T, 2 * co), "cin": lin(T, ci)}[o["tproj"]]
    if o["convs"] == 2:
        n += gn(co) + conv(co, co)
    if ci != co and o["skip1x1"]:
        n += conv(ci, co, 1)
    return n


def count(o):
    E, T, n = o["E"], o["T"], 0
    if o["tmlp"] == 0:
        T = E
    elif o["tmlp"] == 1:
        n += lin(E, T)
    else:
        n += lin(E, T) + lin(T, T)
    chs = [32, 64, 64]
    n += conv(1, 32) if o["inconv"] else 0
    h, skips = 32, []
    if o["skips"] == "ddpm":  # every block output, input conv and downsamples (Ho et al.)
        skips.append(h)
    for i, c in enumerate(chs):
        if o["chchange"] == "resblock":
            n += resblock(h, c, T, o)
            h = c
        else:
            n += resblock(h, h, T, o)
        skips.append(h)
        if i < len(chs) - 1:
            if o["down"] == "conv":
                nc = chs[i + 1] if o["chchange"] == "down" else h
                n += conv(h, nc)
                h = nc
            elif o["chchange"] == "down":
                return None  # pooling cannot change the channels
            if o["skips"] == "ddpm":
                skips.append(h)
    if h != 64:
        return None
    n += 2 * resblock(h, h, T, o)
    blocks = 1 if o["skips"] == "levels" else 2
    for i in reversed(range(len(chs))):
        for _ in range(blocks):
            n += resblock(h + skips.pop(), chs[i], T, o)
            h = chs[i]
        if i > 0 and o["up"] == "nearest+conv":
            n += conv(h, h)
    n += {"gn+conv3": gn(h) + conv(h, 1), "conv3": conv(h, 1),
          "gn+conv1": gn(h) + conv(h, 1, 1), "conv1": conv(h, 1, 1)}[o["head"]]
    return n


space = dict(E=[32, 64, 128], T=[32, 64, 128, 256], tmlp=[0, 1, 2], tproj=["cout", "scale_shift", "cin"],
             convs=[1, 2], skip1x1=[True, False], inconv=[True, False], skips=["levels", "ddpm"],
             chchange=["resblock", "down"], down=["conv", "pool"], up=["nearest+conv", "nearest"],
             head=["gn+conv3", "conv3", "gn+conv1", "conv1"])
evaluated = 0
for values in itertools.product(*space.values()):
    o = dict(zip(space, values))
    if o["tmlp"] == 0 and o["T"] != 32:
        continue
    c = count(o)
    if c is None:
        continue
    evaluated += 1
    if c == TARGET:
        print(o)
print("variants evaluated:", evaluated)

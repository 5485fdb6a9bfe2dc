#!/usr/bin/env python3
"""PyTorch peer of ddpm-go's benchmark (package bench, bench/peer.go): the same networks
and the same cases, timed on the CPU.

Networks (parameter counts must be exactly those of package nets):
  mlp      concat(x, sinusoidal(t, 32)) -> 256 -> 256 -> 256 -> 2, SiLU         141,058
  unet     nets.UNetConfig{} defaults (MNIST, base 32, 28/14/7)                776,929
  s2dunet  nets.S2DUNetConfig{}: pixel_unshuffle 2, the U-Net of base 32,
           mults (1, 2) on 14x14x4, pixel_shuffle 2                            494,820
  uvit     nets.UViTConfig{}: a U-ViT on 4x4 patches, width 128, 7 blocks,
           4 heads, time token, long skips                                    1,518,224

Cases (names shared with package bench):
  mlp_train     one step of Ho et al. Algorithm 1 (t ~ U{0..T-1}, eps ~ N(0, I),
                L_simple, Adam lr 2e-4, plus the global gradient norm as
                ddpm.Trainer computes it) on a fixed batch x0 [1024, 2]
  unet_train    the same on a fixed batch x0 [128, 1, 28, 28] (NCHW; Go is NHWC)
  unet_forward  eps_theta(x_t, t) on [128, 1, 28, 28], no grad
  mlp_chain     Ho et al. Algorithm 2 (ancestral, sigma_t^2 = beta_t) on 2,000
                2-D points, T = 1000 steps, with the MLP, no grad
  mlp_forward   one MLP forward on [2000, 2], no grad (for "chain vs T x forward")
  s2dunet_train, uvit_train      a training step as unet_train on x0 [32, 1, 28, 28]
  s2dunet_forward, uvit_forward  a forward on [32, 1, 28, 28], no grad

Each case: --warmup untimed runs, then --reps timed runs (time.perf_counter);
the JSON on stdout gives the median and the 10th/90th percentiles (linear
interpolation between order statistics, as numpy.percentile and package bench) in
ms. Progress goes to stderr.

With --serve the peer stays up and takes orders from package bench, one JSON line
each on stdin, answering one JSON line each on stdout, so that package bench can
alternate its own timings with the peer's, round after round, on the same
work (bench/peer.go):
  start                                   -> {"torch": ..., "params": ..., "blas": ..., ...}
  {"op": "prepare", "case": C, "warmup": W} -> {"ok": true}   (builds C once, W untimed runs)
  {"op": "time", "case": C, "reps": N, "min_ms": M}
                                          -> {"ms": [t1, ..., tK]}   (K >= N calls, and calls until
                                             their times add up to M ms; M default 0)
  end of stdin                            -> exit 0
An order that fails is answered {"error": "..."}.

Run with Debian's interpreter: /usr/bin/python3 bench/peer.py --threads 2
(bench/install-peer.sh installs python3-torch and points BLAS to OpenBLAS-openmp).
"""
import argparse
import json
import math
import os
import re
import sys
import time

CASES = ["mlp_train", "unet_train", "unet_forward", "mlp_chain", "mlp_forward",
         "s2dunet_train", "s2dunet_forward", "uvit_train", "uvit_forward"]
PARAMS = {"mlp": 141058, "unet": 776929, "s2dunet": 494820, "uvit": 1518224}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads and OMP_NUM_THREADS (default 2)")
    p.add_argument("--reps", type=int, default=5, help="timed repetitions per case (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs before timing (default 1)")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES))
    p.add_argument("--tiny", action="store_true", help="tiny sizes for a smoke test (batch 8/2/2, 50 points, T=10)")
    p.add_argument("--mlp-batch", type=int, help="MLP training batch (default 1024)")
    p.add_argument("--unet-batch", type=int, help="U-Net batch, training and forward (default 128)")
    p.add_argument("--chain-points", type=int, help="points of the sampling chain and mlp_forward (default 2000)")
    p.add_argument("--T", type=int, help="diffusion steps (default 1000)")
    p.add_argument("--cpu-batch", type=int, help="batch of the s2dunet and uvit cases (default 32)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--serve", action="store_true", help="take orders on stdin (see the module doc); package bench uses it")
    a = p.parse_args()
    tiny = dict(mlp_batch=8, unet_batch=2, chain_points=50, T=10, cpu_batch=2)
    full = dict(mlp_batch=1024, unet_batch=128, chain_points=2000, T=1000, cpu_batch=32)
    for k, v in (tiny if a.tiny else full).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    a.cases = [c for c in a.cases.split(",") if c]
    bad = [c for c in a.cases if c not in CASES]
    if bad:
        p.error("unknown case(s) %s: use %s" % (",".join(bad), ",".join(CASES)))
    if a.reps < 1 or a.warmup < 0 or a.threads < 1:
        p.error("want --reps >= 1, --warmup >= 0, --threads >= 1")
    return a


args = parse_args()
# OpenBLAS-openmp and torch share libgomp: fix the thread count before torch loads.
os.environ["OMP_NUM_THREADS"] = str(args.threads)
try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:
    sys.exit("peer.py: cannot import torch (%s): run bench/install-peer.sh and use /usr/bin/python3" % e)

torch.set_num_threads(args.threads)


def log(msg):
    print("peer: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- networks

def timestep_embedding(t, dim):
    """Ho et al.'s get_timestep_embedding (diffusion_tf/nn.py) as nets.TimestepEmbedding:
    f_i = exp(-ln(10000) i/(half-1)), [sin(t f), cos(t f)], computed in float64."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float64) / (half - 1))
    a = t.to(torch.float64)[:, None] * freqs[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1).to(torch.float32)


class MLP(nn.Module):
    """nets.MLPConfig{}: concat(x, emb(t, 32)) -> 256 -> 256 -> 256 -> 2 with SiLU."""

    def __init__(self, dim=2, hidden=256, layers=3, emb=32):
        super().__init__()
        self.emb = emb
        widths = [dim + emb] + [hidden] * layers
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.out = nn.Linear(hidden, dim)

    def forward(self, x, t):
        h = torch.cat([x, timestep_embedding(t, self.emb)], dim=1)
        for layer in self.hidden:
            h = F.silu(layer(h))
        return self.out(h)


def conv3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class ResBlock(nn.Module):
    """nets.ResBlock: GN-SiLU-Conv3x3, + Dense(SiLU(temb)), GN-SiLU-Conv3x3 (zero-init), + x or 1x1 conv(x)."""

    def __init__(self, cin, cout, tdim, groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = conv3(cin, cout)
        self.temb = nn.Linear(tdim, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = conv3(cout, cout)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.skip is None else self.skip(x)) + h


class UNet(nn.Module):
    """nets.UNetConfig{} defaults, layer by layer (see its doc comment):
    time MLP 32->128->128; in conv 1->32; down: Res 32->32 | down-conv | Res 32->64 | down-conv | Res 64->64;
    mid: 2 x Res 64->64; up: cat skip2, Res 128->64, up | cat skip1, Res 128->64, up | cat skip0, Res 96->32;
    out: GN(8)-SiLU-Conv3x3 32->1 (zero-init)."""

    def __init__(self, base=32, mults=(1, 2, 2), groups=8, in_ch=1, temb_dim=32):
        super().__init__()
        T = 4 * base
        self.temb_dim = temb_dim
        self.time0, self.time1 = nn.Linear(temb_dim, T), nn.Linear(T, T)
        self.inc = conv3(in_ch, base)
        self.down_res, self.down_conv = nn.ModuleList(), nn.ModuleList()
        h, skips = base, []
        for l, m in enumerate(mults):
            self.down_res.append(ResBlock(h, base * m, T, groups))
            h = base * m
            skips.append(h)
            if l < len(mults) - 1:
                self.down_conv.append(conv3(h, h, stride=2))
        self.mid = nn.ModuleList([ResBlock(h, h, T, groups), ResBlock(h, h, T, groups)])
        self.up_res, self.up_conv = nn.ModuleList(), nn.ModuleList()
        for l in reversed(range(len(mults))):
            self.up_res.append(ResBlock(h + skips[l], base * mults[l], T, groups))
            h = base * mults[l]
            if l > 0:
                self.up_conv.append(conv3(h, h))
        self.out_norm = nn.GroupNorm(groups, h, eps=1e-5)
        self.out_conv = conv3(h, in_ch)
        nn.init.zeros_(self.out_conv.weight)
        nn.init.zeros_(self.out_conv.bias)

    def forward(self, x, t):
        temb = self.time1(F.silu(self.time0(timestep_embedding(t, self.temb_dim))))
        h = self.inc(x)
        skips = []
        for l, res in enumerate(self.down_res):
            h = res(h, temb)
            skips.append(h)
            if l < len(self.down_conv):
                h = self.down_conv[l](h)
        for res in self.mid:
            h = res(h, temb)
        for i, res in enumerate(self.up_res):
            h = res(torch.cat([h, skips.pop()], dim=1), temb)
            if i < len(self.up_conv):
                h = self.up_conv[i](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.out_conv(F.silu(self.out_norm(h)))


class S2DUNet(nn.Module):
    """nets.S2DUNetConfig{}: x [B, C, S, S] -> pixel_unshuffle(p) [B, p^2 C, S/p, S/p] -> the U-Net
    above (base 32, mults (1, 2)) -> pixel_shuffle(p) [B, C, S, S]. (torch orders the p^2 C
    channels (c, dy, dx), nets (dy, dx, c): the same for C = 1, and the same count anyway.)"""

    def __init__(self, patch=2, base=32, mults=(1, 2), in_ch=1):
        super().__init__()
        self.p = patch
        self.unet = UNet(base=base, mults=mults, in_ch=patch * patch * in_ch)

    def forward(self, x, t):
        return F.pixel_shuffle(self.unet(F.pixel_unshuffle(x, self.p), t), self.p)


class UViTBlock(nn.Module):
    """nets.UViTConfig's block: pre-LayerNorm, multi-head self-attention (one qkv Linear with
    bias, one proj), MLP D -> 4D -> D with GELU; an out block first maps concat(h, skip) 2D -> D."""

    def __init__(self, dim, heads, ratio=4, skip=False):
        super().__init__()
        self.heads = heads
        self.skip = nn.Linear(2 * dim, dim) if skip else None
        self.norm1, self.qkv, self.proj = nn.LayerNorm(dim), nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.norm2, self.fc1, self.fc2 = nn.LayerNorm(dim), nn.Linear(dim, ratio * dim), nn.Linear(ratio * dim, dim)

    def forward(self, x, skip=None):
        if self.skip is not None:
            x = self.skip(torch.cat([x, skip], dim=-1))
        B, N, D = x.shape
        H = self.heads
        qkv = self.qkv(self.norm1(x)).reshape(B, N, 3, H, D // H).permute(2, 0, 3, 1, 4)  # [3, B, H, N, d]
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.softmax(q @ k.transpose(-2, -1) * (D // H) ** -0.5, dim=-1)  # [B, H, N, N]
        x = x + self.proj((attn @ v).transpose(1, 2).reshape(B, N, D))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class UViT(nn.Module):
    """nets.UViTConfig{} (see its doc comment): 4x4 patches -> Linear 16 -> 128; time token
    sinusoidal(t, 32) -> Linear 32->128 -> SiLU -> Linear 128->128; learned positions [1+49, 128];
    3 in blocks, 1 middle, 3 out blocks with long skips; LayerNorm -> Linear 128 -> 16 (zero-init)
    -> drop the time token -> pixel_shuffle(4). Weights N(0, 0.02^2), biases 0, as nets."""

    def __init__(self, patch=4, dim=128, depth=7, heads=4, ratio=4, in_ch=1, size=28, temb_dim=32):
        super().__init__()
        self.p, self.temb_dim, self.side = patch, temb_dim, size // patch
        self.patch = nn.Linear(patch * patch * in_ch, dim)
        self.time0, self.time1 = nn.Linear(temb_dim, dim), nn.Linear(dim, dim)
        self.pos = nn.Parameter(torch.zeros(1, 1 + self.side ** 2, dim))
        k = (depth - 1) // 2
        self.ins = nn.ModuleList(UViTBlock(dim, heads, ratio) for _ in range(k))
        self.mid = UViTBlock(dim, heads, ratio)
        self.outs = nn.ModuleList(UViTBlock(dim, heads, ratio, skip=True) for _ in range(k))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, patch * patch * in_ch)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.pos, std=0.02)
        nn.init.zeros_(self.head.weight)

    def forward(self, x, t):
        B = x.shape[0]
        h = F.pixel_unshuffle(x, self.p).flatten(2).transpose(1, 2)  # [B, N, p^2 C]
        h = self.patch(h)  # [B, N, D]
        temb = self.time1(F.silu(self.time0(timestep_embedding(t, self.temb_dim))))  # [B, D]
        h = torch.cat([temb[:, None, :], h], dim=1) + self.pos  # [B, 1+N, D]
        skips = []
        for blk in self.ins:
            h = blk(h)
            skips.append(h)
        h = self.mid(h)
        for blk in self.outs:
            h = blk(h, skips.pop())
        h = self.head(self.norm(h))[:, 1:]  # [B, N, p^2 C]
        h = h.transpose(1, 2).reshape(B, -1, self.side, self.side)
        return F.pixel_shuffle(h, self.p)  # [B, C, S, S]


def num_params(m):
    return sum(p.numel() for p in m.parameters())


# ---------------------------------------------------------------- DDPM work

def linear_schedule(T):
    """Ho et al. section 4: beta linear from 1e-4 to 0.02 (float64 tables)."""
    betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64) if T > 1 else torch.tensor([1e-4], dtype=torch.float64)
    alphas = 1 - betas
    abar = torch.cumprod(alphas, 0)
    return betas, alphas, abar


class TrainStep:
    """Algorithm 1 with Adam (lr 2e-4), L_simple = mean((eps - eps_theta)^2), and the global
    gradient norm (ddpm.Trainer.Step returns it)."""

    def __init__(self, net, x0, T):
        self.net, self.x0, self.T = net, x0, T
        _, _, abar = linear_schedule(T)
        self.sa, self.s1a = abar.sqrt().float(), (1 - abar).sqrt().float()
        self.opt = torch.optim.Adam(net.parameters(), lr=2e-4)
        self.bshape = (-1,) + (1,) * (x0.dim() - 1)

    def __call__(self):
        x0 = self.x0
        t = torch.randint(0, self.T, (x0.shape[0],))
        eps = torch.randn_like(x0)
        xt = self.sa[t].view(self.bshape) * x0 + self.s1a[t].view(self.bshape) * eps
        loss = F.mse_loss(self.net(xt, t), eps)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.sqrt(sum((p.grad * p.grad).sum() for p in self.net.parameters()))
        self.opt.step()
        return loss.item(), gnorm.item()


def ancestral_chain(net, n, T, dim=2):
    """Algorithm 2: x_T ~ N(0, I); x_{t-1} = 1/sqrt(alpha_t) (x_t - beta_t/sqrt(1-abar_t) eps) + sigma_t z,
    sigma_t^2 = beta_t (ddpm.FixedLarge), no noise at the last step (as ddpm: z drawn, times 0)."""
    betas, alphas, abar = linear_schedule(T)
    c1 = (1 / alphas.sqrt()).tolist()
    c2 = (betas / (1 - abar).sqrt()).tolist()
    sig = betas.sqrt().tolist()
    sig[0] = 0.0

    @torch.no_grad()
    def run():
        x = torch.randn(n, dim)
        for t in range(T - 1, -1, -1):
            eps = net(x, torch.full((n,), t, dtype=torch.long))
            z = torch.randn_like(x)
            x = c1[t] * (x - c2[t] * eps) + sig[t] * z
        return x

    return run


def percentile(sorted_xs, q):
    """Linear interpolation between order statistics (numpy's default; bench/stats.go's percentile)."""
    if len(sorted_xs) == 1:
        return sorted_xs[0]
    pos = (len(sorted_xs) - 1) * q / 100.0
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def time_case(name, fn, warmup, reps):
    for i in range(warmup):
        t0 = time.perf_counter()
        fn()
        log("%s warm-up %d/%d: %.1f ms" % (name, i + 1, warmup, (time.perf_counter() - t0) * 1e3))
    ms = []
    for i in range(reps):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
        log("%s rep %d/%d: %.1f ms" % (name, i + 1, reps, ms[-1]))
    s = sorted(ms)
    return {"median_ms": percentile(s, 50), "p10_ms": percentile(s, 10), "p90_ms": percentile(s, 90), "n": len(ms)}


def blas_info():
    cfg = torch.__config__.show()
    info = {"torch_config_blas": " ".join(re.findall(r"\b(?:BLAS|LAPACK)_INFO=\w+", cfg)),
            "mkldnn": bool(torch.backends.mkldnn.is_available()),
            "openmp": bool(torch.backends.openmp.is_available())}
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if "/" in line else ""
            if "blas" in path or "lapack" in path or "gomp" in path:
                libs.add(path)
    info["loaded"] = sorted(libs)
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    info["sgemm_2048_gflops"] = round(2 * 2048 ** 3 / best / 1e9, 1)
    return info


def setup():
    """The two networks, the fixed inputs and a builder per case."""
    torch.manual_seed(args.seed)
    mlp, unet, s2dunet, uvit = MLP(), UNet(), S2DUNet(), UViT()
    params = {"mlp": num_params(mlp), "unet": num_params(unet), "s2dunet": num_params(s2dunet), "uvit": num_params(uvit)}
    log("torch %s, %d threads; parameters: %s (want %s)"
        % (torch.__version__, torch.get_num_threads(), params, PARAMS))
    if params != PARAMS:
        sys.exit("peer.py: parameter counts %s differ from ddpm-go's %s" % (params, PARAMS))
    g = torch.Generator().manual_seed(args.seed + 1)
    x_mlp = torch.randn(args.mlp_batch, 2, generator=g)
    x_img = torch.rand(args.unet_batch, 1, 28, 28, generator=g) * 2 - 1
    t_img = torch.randint(0, args.T, (args.unet_batch,), generator=g)
    x_pts = torch.randn(args.chain_points, 2, generator=g)
    t_pts = torch.randint(0, args.T, (args.chain_points,), generator=g)
    x_cpu = torch.rand(args.cpu_batch, 1, 28, 28, generator=g) * 2 - 1
    t_cpu = torch.randint(0, args.T, (args.cpu_batch,), generator=g)

    def unet_forward():
        with torch.no_grad():
            return unet(x_img, t_img)

    def mlp_forward():
        with torch.no_grad():
            return mlp(x_pts, t_pts)

    def forward_of(net):
        def run():
            with torch.no_grad():
                return net(x_cpu, t_cpu)
        return run

    # Order: training first, so that the forward and the chain run on trained
    # weights, as package bench does (the speed does not depend on the values).
    builders = {
        "mlp_train": lambda: TrainStep(mlp, x_mlp, args.T),
        "unet_train": lambda: TrainStep(unet, x_img, args.T),
        "unet_forward": lambda: unet_forward,
        "mlp_chain": lambda: ancestral_chain(mlp, args.chain_points, args.T),
        "mlp_forward": lambda: mlp_forward,
        "s2dunet_train": lambda: TrainStep(s2dunet, x_cpu, args.T),
        "s2dunet_forward": lambda: forward_of(s2dunet),
        "uvit_train": lambda: TrainStep(uvit, x_cpu, args.T),
        "uvit_forward": lambda: forward_of(uvit),
    }
    return params, builders


def header(params, load_start):
    return {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        # OpenMP threads spin while waiting: on a loaded machine 2 threads can be
        # 10-20x slower than 1 (OMP_WAIT_POLICY=PASSIVE avoids it). Keep the load.
        "loadavg_start": load_start,
        "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "LD_LIBRARY_PATH") if k in os.environ},
        "blas": blas_info(),
        "params": params,
        "sizes": {"mlp_batch": args.mlp_batch, "unet_batch": args.unet_batch,
                  "chain_points": args.chain_points, "T": args.T, "cpu_batch": args.cpu_batch},
    }


def serve():
    """Answer package bench's orders (see the module doc) until stdin ends."""
    load_start = list(os.getloadavg())
    params, builders = setup()
    built = {}

    def reply(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    reply(header(params, load_start))
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            order = json.loads(line)
            name = order["case"]
            if name not in builders:
                raise ValueError("unknown case %r: use %s" % (name, ",".join(CASES)))
            if name not in built:
                built[name] = builders[name]()
            fn = built[name]
            if order["op"] == "prepare":
                for i in range(int(order.get("warmup", 0))):
                    t0 = time.perf_counter()
                    fn()
                    log("%s warm-up %d: %.1f ms" % (name, i + 1, (time.perf_counter() - t0) * 1e3))
                reply({"ok": True})
            elif order["op"] == "time":
                # At least reps calls, and calls until their times add up to
                # min_ms (package bench's Options.MinRound): a millisecond case
                # gets hundreds of calls per round.
                ms, reps, min_ms = [], int(order["reps"]), float(order.get("min_ms", 0))
                while len(ms) < reps or sum(ms) < min_ms:
                    t0 = time.perf_counter()
                    fn()
                    ms.append((time.perf_counter() - t0) * 1e3)
                log("%s: %d calls, median %.2f ms" % (name, len(ms), percentile(sorted(ms), 50)))
                reply({"ms": ms})
            else:
                raise ValueError("unknown op %r" % order["op"])
        except Exception as e:  # answer, and stay up for the next order
            reply({"error": "%s: %s" % (type(e).__name__, e)})


def main():
    load_start = list(os.getloadavg())
    params, builders = setup()
    cases = {}
    for name in CASES:
        if name in args.cases:
            cases[name] = time_case(name, builders[name](), args.warmup, args.reps)
    out = header(params, load_start)
    out.update({"loadavg_end": list(os.getloadavg()), "warmup": args.warmup, "reps": args.reps, "cases": cases})
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    serve() if args.serve else main()

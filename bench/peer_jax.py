#!/usr/bin/env python3
"""JAX peer of ddpm-go's U-Net cases (bench/peer.py has the PyTorch one): the
same MNIST ε-U-Net (nets.UNetConfig{} defaults, 776,929 parameters) in plain
JAX, NHWC like ours, compiled by XLA's CPU backend — the compiler behind our
XLA CPU plugin. Next to ddpm-go on XLA CPU and PyTorch it separates what is
XLA's (the compiler, its convolution and dot kernels) from what is our graph's.

Cases (names shared with bench.go):
  unet_train    one step of Ho et al. Algorithm 1 (t ~ U{0..T-1}, eps ~ N(0, I),
                L_simple, Adam lr 2e-4, plus the global gradient norm), one jit
  unet_forward  eps_theta(x_t, t) on [128, 28, 28, 1]

Convolutions are lax.conv_general_dilated (XLA's native convolution and its
autodiff); GroupNorm is mean/var over (H, W, C/G) as nets.GroupNorm.
Output: JSON on stdout like peer.py (median, 10th/90th percentiles in ms).
It is not part of `make bench` (one JAX U-Net step takes several seconds on
2 cores, see docs/speed.md); run it by hand on an idle machine:

  bash bench/install-jax-peer.sh          # .venv-jax with jax==0.10.2, jaxlib==0.10.2
  .venv-jax/bin/python bench/peer_jax.py --reps 5
"""
import argparse
import json
import math
import os
import sys
import time

CASES = ["unet_train", "unet_forward"]
UNET_PARAMS = 776929

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--reps", type=int, default=5)
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--cases", default=",".join(CASES))
p.add_argument("--unet-batch", type=int, default=128)
p.add_argument("--T", type=int, default=1000)
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()
args.cases = [c for c in args.cases.split(",") if c]
if any(c not in CASES for c in args.cases):
    p.error("unknown case in --cases: use %s" % ",".join(CASES))

try:
    import jax
    import jax.numpy as jnp
except ImportError as e:
    sys.exit("peer_jax.py: cannot import jax (%s): pip install jax==0.10.2 jaxlib==0.10.2" % e)

jax.config.update("jax_platforms", "cpu")


def log(msg):
    print("peer-jax: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- parameters

def dense_init(key, cin, cout):
    b = 1 / math.sqrt(cin)
    return {"w": jax.random.uniform(key, (cin, cout), minval=-b, maxval=b), "b": jnp.zeros((cout,))}


def conv_init(key, k, cin, cout, zero=False):
    if zero:
        return {"w": jnp.zeros((k, k, cin, cout)), "b": jnp.zeros((cout,))}
    return {"w": jax.random.normal(key, (k, k, cin, cout)) * math.sqrt(2 / (k * k * cin)), "b": jnp.zeros((cout,))}


def gn_init(c):
    return {"scale": jnp.ones((c,)), "offset": jnp.zeros((c,))}


def res_init(key, cin, cout, tdim):
    k = jax.random.split(key, 4)
    p = {"norm1": gn_init(cin), "conv1": conv_init(k[0], 3, cin, cout), "temb": dense_init(k[1], tdim, cout),
         "norm2": gn_init(cout), "conv2": conv_init(k[2], 3, cout, cout, zero=True)}
    if cin != cout:
        p["skip"] = conv_init(k[3], 1, cin, cout)
    return p


def unet_init(key, base=32, mults=(1, 2, 2), in_ch=1, temb_dim=32):
    T = 4 * base
    keys = iter(jax.random.split(key, 64))
    P = {"time0": dense_init(next(keys), temb_dim, T), "time1": dense_init(next(keys), T, T),
         "in": conv_init(next(keys), 3, in_ch, base), "down": [], "downconv": [], "up": [], "upconv": []}
    h, skips = base, []
    for l, m in enumerate(mults):
        P["down"].append(res_init(next(keys), h, base * m, T))
        h = base * m
        skips.append(h)
        if l < len(mults) - 1:
            P["downconv"].append(conv_init(next(keys), 3, h, h))
    P["mid"] = [res_init(next(keys), h, h, T), res_init(next(keys), h, h, T)]
    for l in reversed(range(len(mults))):
        P["up"].append(res_init(next(keys), h + skips[l], base * mults[l], T))
        h = base * mults[l]
        if l > 0:
            P["upconv"].append(conv_init(next(keys), 3, h, h))
    P["out_norm"] = gn_init(h)
    P["out_conv"] = conv_init(next(keys), 3, h, in_ch, zero=True)
    return P


# ---------------------------------------------------------------- network

def temb_sin(t, dim):
    half = dim // 2
    f = jnp.exp(-math.log(10000) * jnp.arange(half) / (half - 1))
    a = t.astype(jnp.float32)[:, None] * f[None, :]
    return jnp.concatenate([jnp.sin(a), jnp.cos(a)], axis=1)


def dense(p, x):
    return x @ p["w"] + p["b"]


def conv(p, x, stride=1):
    k = p["w"].shape[0]
    pad = (k - 1) // 2
    y = jax.lax.conv_general_dilated(x, p["w"], (stride, stride), [(pad, pad), (pad, pad)],
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y + p["b"]


def group_norm(p, x, groups=8, eps=1e-5):
    B, H, W, C = x.shape
    xg = x.reshape(B, H, W, groups, C // groups)
    mean = xg.mean(axis=(1, 2, 4), keepdims=True)
    var = ((xg - mean) ** 2).mean(axis=(1, 2, 4), keepdims=True)
    y = ((xg - mean) / jnp.sqrt(var + eps)).reshape(B, H, W, C)
    return y * p["scale"] + p["offset"]


def res(p, x, temb):
    h = conv(p["conv1"], jax.nn.silu(group_norm(p["norm1"], x)))
    h = h + dense(p["temb"], jax.nn.silu(temb))[:, None, None, :]
    h = conv(p["conv2"], jax.nn.silu(group_norm(p["norm2"], h)))
    return (conv(p["skip"], x) if "skip" in p else x) + h


def unet(P, x, t):
    temb = dense(P["time1"], jax.nn.silu(dense(P["time0"], temb_sin(t, 32))))
    h = conv(P["in"], x)
    skips = []
    for l, rp in enumerate(P["down"]):
        h = res(rp, h, temb)
        skips.append(h)
        if l < len(P["downconv"]):
            h = conv(P["downconv"][l], h, stride=2)
    for rp in P["mid"]:
        h = res(rp, h, temb)
    for i, rp in enumerate(P["up"]):
        h = res(rp, jnp.concatenate([h, skips.pop()], axis=-1), temb)
        if i < len(P["upconv"]):
            h = jnp.repeat(jnp.repeat(h, 2, axis=1), 2, axis=2)
            h = conv(P["upconv"][i], h)
    return conv(P["out_conv"], jax.nn.silu(group_norm(P["out_norm"], h)))


# ---------------------------------------------------------------- DDPM work

def main():
    load_start = list(os.getloadavg())
    key = jax.random.PRNGKey(args.seed)
    P = unet_init(key)
    n = sum(x.size for x in jax.tree_util.tree_leaves(P))
    log("jax %s, devices %s, %d CPUs allowed; unet parameters %d (want %d)"
        % (jax.__version__, jax.devices(), len(os.sched_getaffinity(0)), n, UNET_PARAMS))
    if n != UNET_PARAMS:
        sys.exit("peer_jax.py: the U-Net has %d parameters, want %d" % (n, UNET_PARAMS))
    T = args.T
    betas = jnp.linspace(1e-4, 0.02, T, dtype=jnp.float32)
    abar = jnp.cumprod(1 - betas)
    sa, s1a = jnp.sqrt(abar), jnp.sqrt(1 - abar)
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(args.seed + 1), 3)
    x0 = jax.random.uniform(k1, (args.unet_batch, 28, 28, 1), minval=-1, maxval=1)
    t_img = jax.random.randint(k2, (args.unet_batch,), 0, T)
    lr, b1, b2, eps_adam = 2e-4, 0.9, 0.999, 1e-8

    def loss_fn(P, x0, key):
        kt, ke = jax.random.split(key)
        t = jax.random.randint(kt, (x0.shape[0],), 0, T)
        eps = jax.random.normal(ke, x0.shape)
        xt = sa[t][:, None, None, None] * x0 + s1a[t][:, None, None, None] * eps
        return jnp.mean((unet(P, xt, t) - eps) ** 2)

    @jax.jit
    def train_step(state, x0):
        P, m, v, step, key = state
        key, sub = jax.random.split(key)
        loss, g = jax.value_and_grad(loss_fn)(P, x0, sub)
        gnorm = jnp.sqrt(sum(jnp.sum(x * x) for x in jax.tree_util.tree_leaves(g)))
        step = step + 1
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
        c1, c2 = 1 - b1 ** step, 1 - b2 ** step
        P = jax.tree_util.tree_map(lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + eps_adam), P, m, v)
        return (P, m, v, step, key), loss, gnorm

    forward = jax.jit(unet)
    zeros = jax.tree_util.tree_map(jnp.zeros_like, P)
    state = [(P, zeros, zeros, jnp.float32(0), k3)]

    def unet_train():
        state[0], loss, gnorm = train_step(state[0], x0)
        return float(loss), float(gnorm)

    def unet_forward():
        return forward(state[0][0], x0, t_img).block_until_ready()

    fns = {"unet_train": unet_train, "unet_forward": unet_forward}
    out = {"jax": jax.__version__, "load_start": load_start, "cases": {}}
    for c in args.cases:
        for i in range(args.warmup):
            fns[c]()
        ms = []
        for i in range(args.reps):
            t0 = time.perf_counter()
            fns[c]()
            ms.append((time.perf_counter() - t0) * 1e3)
            log("%s rep %d/%d: %.1f ms" % (c, i + 1, args.reps, ms[-1]))
        ms.sort()
        out["cases"][c] = {"median_ms": ms[len(ms) // 2], "min_ms": ms[0], "max_ms": ms[-1], "n": len(ms)}
    json.dump(out, sys.stdout, indent=1)
    print()


main()

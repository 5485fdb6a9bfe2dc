#!/usr/bin/env python3
"""Regenerates reference.json: float64 schedule tables computed independently
of the Go code, in plain Python (no numpy), following the formulas of

  - Ho et al. (2020), "Denoising Diffusion Probabilistic Models", Eqs. 4, 7, and
    their code diffusion_utils_2.py (get_beta_schedule: 'linear', 'quad');
  - Nichol & Dhariwal (2021), Eq. 17 (cosine, s = 0.008, β clipped at 0.999);
  - diffusers' 'sigmoid' schedule: sigmoid(linspace(-6, 6, T)) * (end - start) + start.

Index convention: array index i <-> paper step t = i + 1.
Run:  python3 ddpm/testdata/reference.py > ddpm/testdata/reference.json
"""
import json
import math


def linspace(a, b, n):
    if n == 1:
        return [a]
    return [a + (b - a) * i / (n - 1) for i in range(n)]


def betas_for(kind, T, start=1e-4, end=0.02, rescale=False):
    if rescale:
        start, end = start * 1000 / T, end * 1000 / T
    if kind == "linear":
        return linspace(start, end, T)
    if kind == "quadratic":
        return [x * x for x in linspace(math.sqrt(start), math.sqrt(end), T)]
    if kind == "sigmoid":
        return [1 / (1 + math.exp(-x)) * (end - start) + start for x in linspace(-6, 6, T)]
    if kind == "cosine":
        s = 0.008
        f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
        return [min(1 - f(i + 1) / f(i), 0.999) for i in range(T)]
    raise ValueError(kind)


def tables(betas):
    T = len(betas)
    ab, prev, p = [], [], 1.0
    for b in betas:
        prev.append(p)
        p *= 1 - b
        ab.append(p)
    post_var = [(1 - prev[i]) / (1 - ab[i]) * betas[i] for i in range(T)]
    coef1 = [math.sqrt(prev[i]) * betas[i] / (1 - ab[i]) for i in range(T)]
    coef2 = [math.sqrt(1 - betas[i]) * (1 - prev[i]) / (1 - ab[i]) for i in range(T)]
    return {
        "betas": betas,
        "alphas_cumprod": ab,
        "posterior_variance": post_var,
        "posterior_mean_coef1": coef1,
        "posterior_mean_coef2": coef2,
    }


def main():
    out = {}
    for kind in ["linear", "cosine", "quadratic", "sigmoid"]:
        out[f"{kind}_T1000"] = tables(betas_for(kind, 1000))
        out[f"{kind}_T50_rescaled"] = tables(betas_for(kind, 50, rescale=True))
    print(json.dumps(out, indent=None, separators=(",", ":")))


if __name__ == "__main__":
    main()

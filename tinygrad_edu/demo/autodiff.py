"""Walkthrough ``autodiff``: the chain rule by hand and by the engine, then gradient descent on a line."""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_edu as tg

SUMMARY = "the chain rule on a neuron a = σ(wx + b), by hand and by backward(); then fit a line"


def run(args: argparse.Namespace) -> int:
    tg.manual_seed(args.seed)
    print("== autodiff: one neuron, z = w·x + b, a = σ(z), loss L = (a − y)² ==")
    x, y = 1.5, 1.0
    w = tg.tensor(0.8, requires_grad=True, dtype="float64")
    b = tg.tensor(-0.5, requires_grad=True, dtype="float64")
    z = w * x + b
    a = z.sigmoid()
    loss = (a - y) ** 2
    print(f"forward : z = {z.item():.6f}   a = σ(z) = {a.item():.6f}   L = {loss.item():.6f}")
    loss.backward()
    s = 1 / (1 + np.exp(-z.item()))
    dl_da = 2 * (s - y)
    da_dz = s * (1 - s)
    print("by hand : ∂L/∂w = ∂L/∂a · ∂a/∂z · ∂z/∂w = "
          f"{dl_da:.6f} · {da_dz:.6f} · {x} = {dl_da * da_dz * x:.6f}")
    print(f"engine  : w.grad = {w.grad.item():.6f}   b.grad = {b.grad.item():.6f}")

    print("\n== gradient descent θ ← θ − α∇J(θ) on y = 3x − 2 + noise ==")
    n = 64
    xs = tg.randn(n, 1)
    ys = xs * 3.0 - 2.0 + tg.randn(n, 1) * 0.1
    weight = tg.zeros(1, requires_grad=True)
    bias = tg.zeros(1, requires_grad=True)
    steps = 50 if args.quick else 200
    for step in range(steps + 1):
        loss = ((xs * weight + bias - ys) ** 2).mean()
        weight.grad = bias.grad = None
        loss.backward()
        if step % (steps // 5) == 0:
            print(f"step {step:4d}  MSE {loss.item():.5f}  w {weight.item():+.4f}  b {bias.item():+.4f}")
        with tg.no_grad():
            weight.data -= 0.1 * weight.grad
            bias.data -= 0.1 * bias.grad
    print("learned w ≈ 3, b ≈ −2: the engine's gradients are right.")
    return 0

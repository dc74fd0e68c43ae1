"""Overhead of the engine: a 784-256-128-10 MLP, forward + backward on a batch of 128, against the same
computation written by hand in NumPy. Run ``python -m tests.nn.benchmark_mlp`` (not part of the test suite).

Both run in the same process on the same data, alternating step by step, after a warm-up. Printed: the ratio of
the median times, the median of the per-step ratios (robust to slow drifts in machine load) and the ratio of the
fastest times (robust to interference from other processes).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn


def numpy_step(x, labels, params):
    """Forward and backward by hand: the reference the engine is measured against."""
    w1, b1, w2, b2, w3, b3 = params
    n = x.shape[0]
    z1 = x @ w1.T + b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ w2.T + b2
    a2 = np.maximum(z2, 0)
    z3 = a2 @ w3.T + b3
    shifted = z3 - z3.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = -(shifted[rows, labels] - np.log(total[:, 0])).mean()
    delta3 = e / total  # δ = softmax − one-hot, averaged over the batch
    delta3[rows, labels] -= 1
    delta3 /= n
    grads = [None] * 6
    grads[4], grads[5] = delta3.T @ a2, delta3.sum(axis=0)
    delta2 = (delta3 @ w3) * (a2 > 0)
    grads[2], grads[3] = delta2.T @ a1, delta2.sum(axis=0)
    delta1 = (delta2 @ w2) * (a1 > 0)
    grads[0], grads[1] = delta1.T @ x, delta1.sum(axis=0)
    return loss, grads


def engine_step(model, x, labels):
    model.zero_grad()
    loss = F.cross_entropy(model(x), labels)
    loss.backward()
    return loss


def measure(repeats: int = 1000, warmup: int = 50) -> tuple[list[float], list[float]]:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    rng = np.random.default_rng(0)
    x_np = rng.normal(size=(128, 784)).astype(np.float32)
    labels_np = rng.integers(0, 10, size=128)
    x, labels = tg.tensor(x_np), tg.tensor(labels_np)
    params = [p.numpy() for p in model.parameters()]

    loss, grads = numpy_step(x_np, labels_np, params)  # the two compute the same thing
    ours = engine_step(model, x, labels)
    assert abs(ours.item() - loss) < 1e-5
    for p, g in zip(model.parameters(), grads, strict=True):
        np.testing.assert_allclose(p.grad, g, rtol=1e-3, atol=1e-6)

    engine_times, numpy_times = [], []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        engine_step(model, x, labels)
        middle = time.perf_counter()
        numpy_step(x_np, labels_np, params)
        end = time.perf_counter()
        if i >= warmup:
            engine_times.append(middle - start)
            numpy_times.append(end - middle)
    return engine_times, numpy_times


if __name__ == "__main__":
    engine, reference = measure()
    engine_median, reference_median = statistics.median(engine), statistics.median(reference)
    paired = statistics.median(e / r for e, r in zip(engine, reference, strict=True))
    print(f"median: engine {engine_median * 1e3:.3f} ms, numpy by hand {reference_median * 1e3:.3f} ms, "
          f"ratio {engine_median / reference_median:.3f} | median of paired ratios {paired:.3f} | "
          f"ratio of minimums {min(engine) / min(reference):.3f}")

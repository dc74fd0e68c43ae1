"""One comparison helper for the op tests: our forward and gradient against PyTorch's on the same inputs."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch


def grad_of(t: tg.Tensor) -> np.ndarray:
    grad = t.grad
    return np.asarray(grad.numpy() if hasattr(grad, "numpy") and not isinstance(grad, np.ndarray) else grad)


def compare_with_torch(ours, theirs, arrays, rtol: float = 1e-6, atol: float = 1e-8, seed: int = 0) -> None:
    """``ours(*tensors)`` and ``theirs(*torch_tensors)`` agree in value, shape and in the gradient of Σ out ⊙ w
    (w random) with respect to every float input."""
    torch = require_torch()
    ts = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    tt = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out, expected = ours(*ts), theirs(*tt)
    if isinstance(expected, tuple):
        out, expected = out[0], expected[0]
    assert tuple(out.shape) == tuple(expected.shape)
    assert_close(out, expected, rtol=rtol, atol=atol)
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=tuple(expected.shape))
    (out * tg.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(ts, tt, strict=True):
        if reference.requires_grad and reference.grad is None:  # PyTorch: no gradient flows (e.g. the 0-"norm")
            assert mine.grad is None or not grad_of(mine).any()
        elif reference.requires_grad:
            assert_close(grad_of(mine), reference.grad, rtol=rtol, atol=atol)

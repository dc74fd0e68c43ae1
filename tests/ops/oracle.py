"""Run one op in tinygrad_edu and in PyTorch on the same inputs; compare outputs and gradients.

``same_as_torch(ours, theirs, *inputs)``: every floating-point input requires grad in both engines; each
output (a tensor, or the fields of a tuple / named tuple) is compared, integer outputs exactly; then the
scalar Σₖ Σ outₖ ⊙ wₖ (fixed random weights) is differentiated in both, and the input gradients compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tests.helpers import require_torch


def _outputs(value: Any) -> list[Any]:
    return list(value) if isinstance(value, tuple | list) else [value]


def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        return value.detach().numpy()
    return tg.to_numpy(value)


def same_as_torch(ours: Callable[..., Any], theirs: Callable[..., Any], *inputs: Any, grad: bool = True,
                  rtol: float = 1e-7, atol: float = 1e-9, seed: int = 0) -> None:
    torch = require_torch()
    arrays = [np.asarray(a) for a in inputs]

    def differentiable(a: np.ndarray) -> bool:
        return grad and a.dtype.kind == "f"

    xs = [tg.tensor(a.copy(), requires_grad=differentiable(a)) for a in arrays]
    ts = [torch.tensor(a.copy(), requires_grad=differentiable(a)) for a in arrays]
    ours_out, theirs_out = _outputs(ours(*xs)), _outputs(theirs(*ts))
    assert len(ours_out) == len(theirs_out), f"{len(ours_out)} outputs, PyTorch gives {len(theirs_out)}"
    for mine, expected in zip(ours_out, theirs_out, strict=True):
        mine_np, expected_np = _numpy(mine), _numpy(expected)
        assert mine_np.shape == expected_np.shape, f"shape {mine_np.shape}, PyTorch {expected_np.shape}"
        if expected_np.dtype.kind in "iub":
            assert mine_np.dtype.kind == expected_np.dtype.kind, f"dtype {mine_np.dtype}, PyTorch {expected_np.dtype}"
            np.testing.assert_array_equal(mine_np, expected_np)
        else:
            np.testing.assert_allclose(mine_np, expected_np, rtol=rtol, atol=atol)
    if not any(differentiable(a) for a in arrays):
        return
    rng = np.random.default_rng(seed)
    loss_ours, loss_theirs = 0.0, 0.0
    for mine, expected in zip(ours_out, theirs_out, strict=True):
        if getattr(expected, "requires_grad", False):
            weights = rng.uniform(0.5, 1.5, size=tuple(expected.shape))
            loss_ours = loss_ours + (mine * tg.tensor(weights)).sum()
            loss_theirs = loss_theirs + (expected * torch.tensor(weights)).sum()
    if isinstance(loss_theirs, float):
        return
    loss_ours.backward()
    loss_theirs.backward()
    for x, t in zip(xs, ts, strict=True):
        if t.requires_grad:
            expected = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
            mine = np.zeros(x.shape) if x.grad is None else _numpy(x.grad)
            np.testing.assert_allclose(mine, expected, rtol=rtol, atol=atol)

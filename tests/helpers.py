"""Helpers shared by the tests: optional PyTorch, and comparisons."""

from __future__ import annotations

import numpy as np
import pytest


def require_torch():
    """Import PyTorch for a comparison test, or skip it with a printed reason (PyTorch is not a dependency)."""
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed: comparison against PyTorch skipped (pip install torch)"
    )


def to_torch(array, requires_grad: bool = False):
    torch = require_torch()
    t = torch.tensor(np.asarray(array))
    return t.requires_grad_(requires_grad)


def assert_close(actual, expected, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Compare a Tensor/array with an array (or a torch tensor) elementwise."""
    if hasattr(actual, "numpy") and not isinstance(actual, np.ndarray):
        actual = actual.detach().numpy() if hasattr(actual, "detach") else actual.numpy()
    if hasattr(expected, "detach"):
        expected = expected.detach().numpy()
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


def assert_fused_run_matches(layer, fused, plain, x, upstream, input_grad: bool, op_names: tuple[str, str]) -> None:
    """``fused`` (an nn.Sequential that runs its layers as one op) and ``plain`` (the same layers one by one) on
    input ``x`` with output gradient ``upstream``: the outputs were made by ``op_names`` (fused, plain), and the
    outputs and every gradient (``layer``'s parameters, and the input's when ``input_grad``) are equal bit for bit."""
    import tinygrad_edu as tg

    results = []
    for run in (fused, plain):
        layer.zero_grad()
        t = tg.Tensor(x, requires_grad=input_grad)
        y = run(t)
        y.backward(upstream)
        grads = [p.grad.numpy() for p in layer.parameters()] + ([t.grad.numpy()] if input_grad else [])
        results.append((type(y._ctx).__name__, y.numpy(), grads))
    (fused_op, fused_out, fused_grads), (plain_op, plain_out, plain_grads) = results
    assert (fused_op, plain_op) == op_names
    np.testing.assert_array_equal(fused_out, plain_out)
    for a, b in zip(fused_grads, plain_grads, strict=True):
        np.testing.assert_array_equal(a, b)


def parameters_after_steps(model, optimizer, x, kernels: str, steps: int = 5) -> list:
    """The model's parameters (copies) after ``steps`` steps of ``optimizer`` on the loss mean(model(x)²), the
    kernels chosen by ``kernels`` ("numba" or "numpy", kernels/dispatch.py)."""
    from tinygrad_edu.kernels import dispatch

    with dispatch.using(kernels):
        for _ in range(steps):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            optimizer.step()
    return [p.numpy().copy() for p in model.parameters()]

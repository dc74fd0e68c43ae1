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

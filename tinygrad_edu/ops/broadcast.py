"""The broadcast rule, backwards.

NumPy broadcasting stretches an input of shape (3, 1) to (4, 3, 5) by repeating it. Each repeated element
influenced several outputs, so its gradient is the *sum* of theirs: sum over the axes that were added in
front, and over the axes that were 1 and got stretched. Every op with broadcasting inputs sends its gradients
through this one function.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``: the adjoint of broadcasting an array of ``shape`` to ``grad.shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def normalize_dim(dim: Any, ndim: int, op: str = "") -> int:
    """One dimension argument as a non-negative axis: the one place every ``dim``/``axis`` is checked.

    A tensor with n axes accepts dims in [−n, n − 1] (a 0-d tensor: [−1, 0], as PyTorch); anything else raises
    PyTorch's ``IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 5)``.
    """
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer):
        raise TypeError(f"{op + ': ' if op else ''}a dimension must be an int, got {dim!r} ({type(dim).__name__})")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op + ': ' if op else ''}Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def normalize_axes(axis: Any, ndim: int, op: str = "") -> tuple[int, ...]:
    """Turn ``axis`` (None, an int or a sequence, negatives allowed) into a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    dims = {normalize_dim(a, ndim, op) for a in axes}
    return tuple(sorted(dims)) if ndim else ()  # a 0-d tensor accepts dim 0 / −1 and has nothing to reduce


def expand_reduced(grad: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Put back the reduced axes (as size 1) so ``grad`` broadcasts against the reduction's input."""
    if keepdims or not axes:
        return grad
    shape = list(grad.shape)
    for a in axes:
        shape.insert(a, 1)
    return grad.reshape(shape)

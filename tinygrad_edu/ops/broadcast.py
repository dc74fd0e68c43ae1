"""The broadcast rule, backwards.

NumPy broadcasting stretches an input of shape (3, 1) to (4, 3, 5) by repeating it. Each repeated element
influenced several outputs, so its gradient is the *sum* of theirs: sum over the axes that were added in
front, and over the axes that were 1 and got stretched. Every op with broadcasting inputs sends its gradients
through this one function.
"""

from __future__ import annotations

from typing import Any


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


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """Turn ``axis`` (None, an int or a sequence, negatives allowed) into a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise IndexError(f"axis {a} is out of range for a tensor with {ndim} axes")
        out.append(a % max(ndim, 1))
    return tuple(sorted(set(out)))


def expand_reduced(grad: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Put back the reduced axes (as size 1) so ``grad`` broadcasts against the reduction's input."""
    if keepdims or not axes:
        return grad
    shape = list(grad.shape)
    for a in axes:
        shape.insert(a, 1)
    return grad.reshape(shape)

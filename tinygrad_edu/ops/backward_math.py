"""Math for backward passes that works on arrays *and* on Tensors: one formula, two uses.

A plain ``loss.backward()`` hands every ``Function.backward`` backend arrays (NumPy or CuPy): fast, nothing
recorded. ``backward(create_graph=True)`` / ``autograd.grad(..., create_graph=True)`` hands the same method
Tensors instead — the incoming gradient, and every saved array that is an input or the output of the op,
replaced by that Tensor — so the backward computation is itself recorded and can be differentiated again
(second derivatives: Hessian-vector products, gradient penalties, Newton's method).

An op whose ``backward`` uses only what works on both — operators (``+ - * / ** @``, comparisons), methods
that arrays and Tensors share (``.sum(axis=, keepdims=)``, ``.reshape``, ``.transpose``, ``.shape``,
``.ndim``, ``.dtype``), ``unbroadcast`` and the functions below — declares ``differentiable_backward = True``
and gets second derivatives for free. Each function dispatches on its first Tensor argument.
"""

from __future__ import annotations

from typing import Any

from .. import autograd
from ..backend import get_array_module


def is_tensor(x: Any) -> bool:
    return autograd.Tensor is not None and isinstance(x, autograd.Tensor)


def _any_tensor(*values: Any) -> bool:
    return any(is_tensor(v) for v in values)


def _xp(*values: Any) -> Any:
    for v in values:
        if hasattr(v, "shape") and not isinstance(v, int | float):
            return get_array_module(v)
    return get_array_module(values[0])


def exp(x: Any) -> Any:
    return x.exp() if is_tensor(x) else get_array_module(x).exp(x)


def log(x: Any) -> Any:
    return x.log() if is_tensor(x) else get_array_module(x).log(x)


def sqrt(x: Any) -> Any:
    return x.sqrt() if is_tensor(x) else get_array_module(x).sqrt(x)


def sin(x: Any) -> Any:
    return x.sin() if is_tensor(x) else get_array_module(x).sin(x)


def cos(x: Any) -> Any:
    return x.cos() if is_tensor(x) else get_array_module(x).cos(x)


def tanh(x: Any) -> Any:
    return x.tanh() if is_tensor(x) else get_array_module(x).tanh(x)


def sigmoid(x: Any) -> Any:
    if is_tensor(x):
        return x.sigmoid()
    xp = get_array_module(x)
    return (1 + xp.tanh(x / 2)) / 2  # the overflow-free form of 1 / (1 + e⁻ˣ)


def abs(x: Any) -> Any:  # noqa: A001 (the name every reader expects)
    return x.abs() if is_tensor(x) else get_array_module(x).abs(x)


def sign(x: Any) -> Any:
    """sign(x) as a constant (its derivative is 0 wherever it exists)."""
    data = x.data if is_tensor(x) else x
    return get_array_module(data).sign(data)


def where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` else ``b``; differentiable in ``a`` and ``b`` when either is a Tensor."""
    if _any_tensor(a, b):
        from ..tensor import where as tensor_where  # tensor.py imports ops: a call-time import

        condition = condition.data if is_tensor(condition) else condition
        return tensor_where(condition, a, b)
    xp = _xp(a, b, condition)
    return xp.where(condition, a, b)


def maximum(a: Any, b: Any) -> Any:
    if _any_tensor(a, b):
        from ..tensor import maximum as tensor_maximum

        return tensor_maximum(a, b)
    return _xp(a, b).maximum(a, b)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """Repeat ``x`` to ``shape`` (the adjoint of ``unbroadcast``)."""
    if is_tensor(x):
        return x.broadcast_to(shape)
    return get_array_module(x).broadcast_to(x, shape)


def permute(x: Any, axes: Any) -> Any:
    """Reorder the axes (``ndarray.transpose(axes)`` / ``Tensor.permute(axes)``)."""
    return x.permute(*axes) if is_tensor(x) else x.transpose(axes)


def swap_last_two(x: Any) -> Any:
    """The matrix transpose of the last two axes (batched)."""
    return x.transpose(-1, -2) if is_tensor(x) else x.swapaxes(-1, -2)


def astype(x: Any, dtype: Any) -> Any:
    return x.astype(dtype)


def constant(x: Any) -> Any:
    """The value without history: a Tensor's data, or the array itself."""
    return x.data if is_tensor(x) else x

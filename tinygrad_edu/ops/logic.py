"""Masks and logic: comparisons, ``& | ^ ~`` and their named forms, NaN/∞ tests, closeness, and the ops that use a
mask on a differentiable tensor (``masked_fill``, ``masked_select``, ``tril``/``triu``).

Comparisons and logic give bool tensors, which carry no gradient. The masking ops are composed from the
differentiable ``Where``, ``BroadcastTo`` and ``GetItem`` ops (their gradients are the lesson: the gradient goes
back to the positions that were kept, and to nothing else).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor, where
from .math import _as_tensor as _tensor


def _result(array: Any) -> Tensor:
    return Tensor._from_op(array, None)


def _arrays(op: str, input: Any, other: Any) -> tuple[Any, Any, Any]:
    """Both operands as arrays, and their array module; a Python number takes the tensor's dtype where it fits
    (PyTorch's scalar rule)."""
    x, y = Tensor._wrap_inputs(op, (input, other))
    return x.data, y.data, x.xp


# ------------------------------------------------------------------------------------------------ comparisons


def _comparison(name: str, ufunc: str, symbol: str) -> Any:
    def compare(input: Tensor, other: Any) -> Tensor:
        x, y, xp = _arrays(name, input, other)
        return _result(getattr(xp, ufunc)(x, y))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"input {symbol} other elementwise, broadcasting: a bool tensor (no gradient)."
    return compare


eq = _comparison("eq", "equal", "=")
ne = not_equal = _comparison("ne", "not_equal", "≠")
lt = less = _comparison("lt", "less", "<")
le = less_equal = _comparison("le", "less_equal", "≤")
gt = greater = _comparison("gt", "greater", ">")
ge = greater_equal = _comparison("ge", "greater_equal", "≥")


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and the same elements (a Python bool; NaN ≠ NaN)."""
    input, other = _tensor("equal", input), _tensor("equal", other)
    return input.shape == other.shape and bool(input.xp.all(input.data == other.data))


def isclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|input − other| ≤ atol + rtol·|other| elementwise (bool); infinities are close only to themselves, NaN only
    to NaN with ``equal_nan=True``."""
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose(): rtol={rtol} and atol={atol} must be non-negative")
    x, y, xp = _arrays("isclose", input, other)
    return _result(xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True when ``isclose`` holds for every element (a Python bool)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def isnan(input: Tensor) -> Tensor:
    """x ≠ x: True at NaN."""
    input = _tensor("isnan", input)
    return _result(input.xp.isnan(input.data))


def isinf(input: Tensor) -> Tensor:
    """True at +∞ and −∞."""
    input = _tensor("isinf", input)
    return _result(input.xp.isinf(input.data))


def isposinf(input: Tensor) -> Tensor:
    """True at +∞."""
    input = _tensor("isposinf", input)
    return _result(input.xp.isposinf(input.data))


def isneginf(input: Tensor) -> Tensor:
    """True at −∞."""
    input = _tensor("isneginf", input)
    return _result(input.xp.isneginf(input.data))


def isfinite(input: Tensor) -> Tensor:
    """True where the value is neither NaN nor ±∞."""
    input = _tensor("isfinite", input)
    return _result(input.xp.isfinite(input.data))


# ------------------------------------------------------------------------------------------- logic and bitwise


def _logical(name: str, ufunc: str, formula: str) -> Any:
    def logical(input: Tensor, other: Any) -> Tensor:
        x, y, xp = _arrays(name, input, other)
        return _result(getattr(xp, ufunc)(x, y))

    logical.__name__ = logical.__qualname__ = name
    logical.__doc__ = f"{formula} elementwise on truth values (non-zero is True), broadcasting: a bool tensor."
    return logical


logical_and = _logical("logical_and", "logical_and", "a ∧ b")
logical_or = _logical("logical_or", "logical_or", "a ∨ b")
logical_xor = _logical("logical_xor", "logical_xor", "a ⊕ b")


def logical_not(input: Tensor) -> Tensor:
    """¬a elementwise (zero is False): a bool tensor."""
    input = _tensor("logical_not", input)
    return _result(input.xp.logical_not(input.data))


def _check_integral(op: str, *arrays: Any) -> None:
    for array in arrays:
        if array.dtype.kind not in "biu":
            raise TypeError(f"{op}: not implemented for dtype {array.dtype}: bitwise operations take bool or integer "
                            "tensors (for a mask from a float tensor compare first, e.g. (x > 0) & (x < 1))")


def _bitwise(name: str, ufunc: str, formula: str) -> Any:
    def bitwise(input: Any, other: Any) -> Tensor:
        x, y, xp = _arrays(name, input, other)
        _check_integral(name, x, y)
        return _result(getattr(xp, ufunc)(x, y))

    bitwise.__name__ = bitwise.__qualname__ = name
    bitwise.__doc__ = (f"{formula} elementwise on bool tensors (logic) or integer tensors (bit by bit), "
                       "broadcasting; float tensors are refused, as in PyTorch.")
    return bitwise


bitwise_and = _bitwise("bitwise_and", "bitwise_and", "a & b")
bitwise_or = _bitwise("bitwise_or", "bitwise_or", "a | b")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor", "a ^ b")


def bitwise_not(input: Tensor) -> Tensor:
    """~a: logical not on bool tensors, two's-complement bit flip on integers (~5 == −6)."""
    input = _tensor("bitwise_not", input)
    _check_integral("bitwise_not", input.data)
    return _result(input.xp.invert(input.data))


def _reflected(function: Any) -> Any:
    def reflected(self: Tensor, other: Any) -> Tensor:
        return function(other, self)

    reflected.__name__ = f"__r{function.__name__.removeprefix('bitwise_')}__"
    return reflected


rand_ = _reflected(bitwise_and)
ror_ = _reflected(bitwise_or)
rxor_ = _reflected(bitwise_xor)


# ----------------------------------------------------------------------------------------------- masking ops


def _mask(op: str, mask: Any, shape: tuple[int, ...]) -> Any:
    mask = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"{op}: the mask must be a bool tensor, got dtype {mask.dtype} (make one with a "
                        "comparison, e.g. x > 0, or .bool())")
    try:
        np.broadcast_shapes(mask.shape, shape)
    except ValueError:
        raise ValueError(f"{op}: the mask of shape {tuple(mask.shape)} does not broadcast with the input of shape "
                         f"{tuple(shape)}") from None
    return mask


def masked_fill(input: Tensor, mask: Tensor, value: Tensor | float) -> Tensor:
    """z = value where mask else input  (mask broadcasts to the input's shape; ``value`` a number or a 0-d tensor).

    Composed from ``Where``: ∂L/∂input = ∂L/∂z where the mask is False, 0 where it is True; a 0-d tensor
    ``value`` gets Σ ∂L/∂z over the masked positions.
    """
    input = _tensor("masked_fill", input)
    mask = _mask("masked_fill", mask, input.shape)
    if np.broadcast_shapes(mask.shape, input.shape) != input.shape:
        raise ValueError(f"masked_fill: the mask of shape {tuple(mask.shape)} would enlarge the input of shape "
                         f"{input.shape}: it must broadcast *to* the input's shape")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                             f"{value.ndim} dimension(s) (shape {value.shape}): pass value.item() or use where()")
        if value.dtype != input.dtype:
            value = value.astype(input.dtype)
    elif isinstance(value, bool | int | float | np.number):
        value = Tensor._from_op(input.xp.asarray(value).astype(input.dtype), None)
    else:
        raise TypeError(f"masked_fill: value={value!r} must be a number or a 0-d tensor")
    return where(mask, value, input)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (input and mask broadcast together).

    Composed from ``BroadcastTo`` and ``GetItem``: the gradient of each selected element goes back to its
    position (summed over broadcast copies); unselected positions get 0.
    """
    input = _tensor("masked_select", input)
    mask = _mask("masked_select", mask, input.shape)
    shape = np.broadcast_shapes(mask.shape, input.shape)
    if input.shape != shape:
        input = input.broadcast_to(shape)
    return input[input.xp.broadcast_to(mask, shape)]


def _triangle(op: str, input: Tensor, diagonal: int, lower: bool) -> Tensor:
    input = _tensor(op, input)
    if input.ndim < 2:
        raise ValueError(f"{op}: input tensor must have at least 2 dimensions, got shape {input.shape}")
    if isinstance(diagonal, bool) or not isinstance(diagonal, int | np.integer):
        raise TypeError(f"{op}(): diagonal={diagonal!r} must be an int")
    rows, cols = input.shape[-2:]
    xp = input.xp
    keep = xp.tri(rows, cols, k=diagonal, dtype=bool) if lower else ~xp.tri(rows, cols, k=diagonal - 1, dtype=bool)
    return where(keep, input, Tensor._from_op(xp.zeros((), dtype=input.dtype), None))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two axes: zᵢⱼ = xᵢⱼ where j − i ≤ diagonal, else 0 (batched).

    Composed from ``Where``: the gradient passes where the element is kept, 0 elsewhere.
    """
    return _triangle("tril", input, diagonal, lower=True)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle: zᵢⱼ = xᵢⱼ where j − i ≥ diagonal, else 0 (batched; gradient as ``tril``)."""
    return _triangle("triu", input, diagonal, lower=False)



__all__ = [
    "allclose", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "eq", "equal", "ge", "greater",
    "greater_equal", "gt", "isclose", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "le", "less",
    "less_equal", "logical_and", "logical_not", "logical_or", "logical_xor", "lt", "masked_fill", "masked_select",
    "ne", "not_equal", "tril", "triu",
]

"""Arithmetic under PyTorch's spellings: ``tg.add(x, y, alpha=2)``, ``x.sub(y)``, ``tg.exp(x)``, ``tg.sum(x, 1)``,
rounding division (``div(rounding_mode=…)``, ``//``), the two remainders (``%``/``remainder``, ``fmod``) and the
dtype casts (``.long()``, ``.half()``, ``.type(tg.int32)``).

Most functions here are thin wrappers over the Tensor methods (one op each, in ``ops/``), so ``tg.exp(x)`` and
``x.exp()`` are the same code; the Functions defined here are the rounding quotient and the remainders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .binary import Add, Div, Mul, Pow, Sub
from .broadcast import unbroadcast
from .math import _as_tensor as _tensor
from .math import _zeros_like

Scalar = int | float | bool


def _pair(op: str, input: Any, other: Any) -> tuple[Any, Any]:
    """The two operands for ``Op.apply``, which turns a Python number into a constant of the other operand's dtype
    (as the operators do: ``7 // x`` is ``floor_divide(7, x)``); two numbers make a tensor of the first."""
    for value in (input, other):
        if not isinstance(value, Tensor | int | float | bool | np.ndarray | np.generic | list | tuple):
            raise TypeError(f"{op}(): expected a Tensor or a number, got {type(value).__name__}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input)
    return input, other


def _check_integer_divisor(op: str, x: Any, y: Any) -> None:
    if x.dtype.kind in "iub" and y.dtype.kind in "iub" and bool(get_array_module(y).any(y == 0)):
        raise ZeroDivisionError(f"{op}: integer division by zero (a divisor of dtype {y.dtype} holds 0); "
                                "convert to float first to get ±inf/nan")


def _trunc_divide(x: Any, y: Any) -> Any:
    """x / y rounded toward zero; exact for integers (no detour through float)."""
    xp = get_array_module(x)
    if x.dtype.kind in "iub" and y.dtype.kind in "iub":
        quotient = xp.floor_divide(x, y)
        inexact = (xp.remainder(x, y) != 0) & ((x < 0) != (y < 0))
        return quotient + inexact
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.trunc(x / y)


def _floor_divide(x: Any, y: Any) -> Any:
    """x / y rounded down: NumPy's floor_divide, Python's ``//`` (exact for integers, fmod-based for floats)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return get_array_module(x).floor_divide(x, y)


class DivRounded(Function):
    """Rounded quotient  z = trunc(x / y)  (``rounding_mode="trunc"``) or  z = ⌊x / y⌋  (``"floor"``, Python's ``//``).

    Backward: the result is piecewise constant, so ∂L/∂x = ∂L/∂y = 0 (PyTorch's gradient too).
    """

    differentiable_backward = True

    def forward(self, x: Any, y: Any, rounding_mode: str) -> Any:
        _check_integer_divisor(f"div(rounding_mode={rounding_mode!r})", x, y)
        self.shapes = x.shape, y.shape
        return _trunc_divide(x, y) if rounding_mode == "trunc" else _floor_divide(x, y)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x_shape, y_shape = self.shapes
        return unbroadcast(_zeros_like(grad), x_shape), unbroadcast(_zeros_like(grad), y_shape)


class _Modulus(Function):
    """z = x − q(x, y) · y for a quotient rule q; subclasses name q and the ufunc.

    Backward:  ∂L/∂x = ∂L/∂z,   ∂L/∂y = −∂L/∂z · q(x, y)   (the quotient is locally constant).
    """

    differentiable_backward = True
    name = ""

    def quotient(self, x: Any, y: Any) -> Any:
        raise NotImplementedError

    def forward(self, x: Any, y: Any) -> Any:
        _check_integer_divisor(self.name, x, y)
        self.shapes = x.shape, y.shape
        xp = get_array_module(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.q = self.quotient(x, y)
            return getattr(xp, self.name)(x, y)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x_shape, y_shape = self.shapes
        return unbroadcast(grad, x_shape), unbroadcast(-grad * self.q, y_shape)


class Remainder(_Modulus):
    """Python's modulus  z = x − ⌊x / y⌋ · y: the result has the sign of the divisor y (``-3 % 2 == 1``).

    Backward:  ∂L/∂x = ∂L/∂z,   ∂L/∂y = −∂L/∂z · ⌊x / y⌋.
    """

    name = "remainder"

    def quotient(self, x: Any, y: Any) -> Any:
        return _floor_divide(x, y)


class Fmod(_Modulus):
    """C's remainder  z = x − trunc(x / y) · y: the result has the sign of the dividend x (``fmod(-3, 2) == -1``).

    Backward:  ∂L/∂x = ∂L/∂z,   ∂L/∂y = −∂L/∂z · trunc(x / y).
    """

    name = "fmod"

    def quotient(self, x: Any, y: Any) -> Any:
        return _trunc_divide(x, y)


# ------------------------------------------------------------------------------------------ + − × ÷ and powers


def _scaled(op: str, other: Any, alpha: Scalar) -> Any:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.number):
        raise TypeError(f"{op}(): alpha={alpha!r} must be a number")
    return other if alpha == 1 else other * alpha


def add(input: Tensor | Scalar, other: Tensor | Scalar, *, alpha: Scalar = 1) -> Tensor:
    """z = input + alpha · other  (broadcasting; ``Add``, and ``Mul`` when alpha ≠ 1)."""
    return Add.apply(*_pair("add", input, _scaled("add", other, alpha)))


def sub(input: Tensor | Scalar, other: Tensor | Scalar, *, alpha: Scalar = 1) -> Tensor:
    """z = input − alpha · other  (``Sub``)."""
    return Sub.apply(*_pair("sub", input, _scaled("sub", other, alpha)))


subtract = sub


def rsub(input: Tensor | Scalar, other: Tensor | Scalar, *, alpha: Scalar = 1) -> Tensor:
    """z = other − alpha · input  (the reversed subtraction)."""
    return Sub.apply(*_pair("rsub", other, _scaled("rsub", input, alpha)))


def mul(input: Tensor | Scalar, other: Tensor | Scalar) -> Tensor:
    """z = input ⊙ other  (``Mul``)."""
    return Mul.apply(*_pair("mul", input, other))


multiply = mul


def div(input: Tensor | Scalar, other: Tensor | Scalar, *, rounding_mode: str | None = None) -> Tensor:
    """z = input / other: true division (``Div``; integers give floats), or rounded with
    ``rounding_mode="trunc"`` (toward zero, C's ``/``) or ``"floor"`` (down, Python's ``//``) — ``DivRounded``,
    which keeps integer dtypes and has zero gradient."""
    if rounding_mode is None:
        return Div.apply(*_pair("div", input, other))
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                         f"{rounding_mode!r}")
    return DivRounded.apply(*_pair("div", input, other), rounding_mode=rounding_mode)


divide = div


def true_divide(input: Tensor | Scalar, other: Tensor | Scalar) -> Tensor:
    """z = input / other, always true division."""
    return div(input, other)


def floor_divide(input: Tensor | Scalar, other: Tensor | Scalar) -> Tensor:
    """z = ⌊input / other⌋  (Python's ``//``; ``div(rounding_mode="floor")``)."""
    return div(input, other, rounding_mode="floor")


def remainder(input: Tensor | Scalar, other: Tensor | Scalar) -> Tensor:
    """Python's ``%``: input − ⌊input/other⌋·other, the sign of ``other`` (``Remainder``)."""
    return Remainder.apply(*_pair("remainder", input, other))


def fmod(input: Tensor | Scalar, other: Tensor | Scalar) -> Tensor:
    """C's ``fmod``: input − trunc(input/other)·other, the sign of ``input`` (``Fmod``)."""
    return Fmod.apply(*_pair("fmod", input, other))


def pow(input: Tensor | Scalar, exponent: Tensor | Scalar) -> Tensor:  # noqa: A001 (PyTorch's name)
    """z = input ** exponent  (``Pow``; either may be a number)."""
    return Pow.apply(*_pair("pow", input, exponent))


def neg(input: Tensor) -> Tensor:
    """z = −input  (``Neg``)."""
    return -_tensor("neg", input)


negative = neg


def positive(input: Tensor) -> Tensor:
    """The input itself (``+x``)."""
    return _tensor("positive", input)


def _method(name: str, doc: str) -> Any:
    def function(input: Tensor) -> Tensor:
        return getattr(_tensor(name, input), name)()

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


abs = _method("abs", "z = |input|  (``Abs``).")  # noqa: A001
absolute = abs
exp = _method("exp", "z = e^input  (``Exp``).")
log = _method("log", "z = ln(input)  (``Log``).")
sqrt = _method("sqrt", "z = √input  (``Sqrt``).")
sin = _method("sin", "z = sin(input)  (``Sin``).")
cos = _method("cos", "z = cos(input)  (``Cos``).")
sigmoid = _method("sigmoid", "z = σ(input) = 1/(1 + e^−input)  (``Sigmoid``).")
tanh = _method("tanh", "z = tanh(input)  (``Tanh``).")
relu = _method("relu", "z = max(input, 0)  (``ReLU``).")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch broadcasting of batch axes (``MatMul``)."""
    return _tensor("matmul", input) @ other


# -------------------------------------------------------------------------------------------------- reductions


def _with_dtype(input: Tensor, dtype: Any) -> Tensor:
    return input if dtype is None else input.astype(dtype)


def sum(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,  # noqa: A001
        dtype: Any = None) -> Tensor:
    """Σ over ``dim`` (all axes when None), computed in ``dtype`` if given (``Sum``)."""
    return _with_dtype(_tensor("sum", input), dtype).sum(dim, keepdim)


def mean(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """(1/N) Σ over ``dim`` (``Mean``)."""
    return _with_dtype(_tensor("mean", input), dtype).mean(dim, keepdim)


def _extreme(name: str, input: Tensor, dim: Any, keepdim: bool) -> Any:
    input = _tensor(name, input)
    if isinstance(dim, Tensor):  # torch.max(a, b): the elementwise maximum
        return input.maximum(dim) if name == "max" else input.minimum(dim)
    if dim is None:
        return getattr(input, name)()
    return getattr(input, name)(dim, keepdim)


def max(input: Tensor, dim: int | Tensor | None = None, keepdim: bool = False) -> Any:  # noqa: A001
    """The largest element (a 0-d tensor); with ``dim``, the ``(values, indices)`` along it (``Tensor.max``); with a
    Tensor second argument, the elementwise maximum."""
    return _extreme("max", input, dim, keepdim)


def min(input: Tensor, dim: int | Tensor | None = None, keepdim: bool = False) -> Any:  # noqa: A001
    """The smallest element; with ``dim``, ``(values, indices)``; with a Tensor, the elementwise minimum."""
    return _extreme("min", input, dim, keepdim)


def _correction(op: str, dim: Any, unbiased: Any, correction: Any) -> tuple[Any, int]:
    if isinstance(dim, bool):  # torch.var(x, True): the old ``unbiased`` overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}(): pass either unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    return dim, correction


def var(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None) -> Tensor:
    """Σ (x − μ)² / (N − correction) over ``dim`` (``Var``); ``unbiased=False`` is ``correction=0``."""
    dim, correction = _correction("var", dim, unbiased, correction)
    return _tensor("var", input).var(dim, keepdim, correction=correction)


def std(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None) -> Tensor:
    """√var (same arguments as ``var``)."""
    dim, correction = _correction("std", dim, unbiased, correction)
    return _tensor("std", input).std(dim, keepdim, correction=correction)


def logsumexp(input: Tensor, dim: int | Sequence[int], keepdim: bool = False) -> Tensor:
    """ln Σ eˣ over ``dim``, computed stably (``LogSumExp``)."""
    return _tensor("logsumexp", input).logsumexp(dim, keepdim)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """e^{xᵢ} / Σⱼ e^{xⱼ} along ``dim`` (``Softmax``)."""
    return _with_dtype(_tensor("softmax", input), dtype).softmax(dim)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """xᵢ − ln Σⱼ e^{xⱼ} along ``dim`` (``LogSoftmax``)."""
    return _with_dtype(_tensor("log_softmax", input), dtype).log_softmax(dim)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The index (int64) of the largest element, of the flattened tensor when ``dim`` is None."""
    return _tensor("argmax", input).argmax(dim, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The index (int64) of the smallest element."""
    return _tensor("argmin", input).argmin(dim, keepdim)


# ------------------------------------------------------------------------------------------------------- shape


def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:
    """The same elements in a new shape (one size may be −1) (``Reshape``)."""
    return _tensor("reshape", input).reshape(shape)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two axes (``Permute``)."""
    return _tensor("transpose", input).transpose(dim0, dim1)


swapdims = transpose


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Reorder the axes: output axis i is input axis dims[i] (``Permute``)."""
    return _tensor("permute", input).permute(*dims)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim … end_dim into one."""
    return _tensor("flatten", input).flatten(start_dim, end_dim)


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Drop axes of length 1 (only ``dim`` when given)."""
    return _tensor("squeeze", input).squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert an axis of length 1 at ``dim``."""
    return _tensor("unsqueeze", input).unsqueeze(dim)


def numel(input: Tensor) -> int:
    """The number of elements, as a Python int."""
    return _tensor("numel", input).numel()


# -------------------------------------------------------------------------------------------------- dtype casts

_TENSOR_TYPE_NAMES = {
    "FloatTensor": np.float32, "DoubleTensor": np.float64, "HalfTensor": np.float16, "LongTensor": np.int64,
    "IntTensor": np.int32, "ShortTensor": np.int16, "CharTensor": np.int8, "ByteTensor": np.uint8,
    "BoolTensor": np.bool_,
}
_NAME_OF_DTYPE = {np.dtype(dtype): name for name, dtype in _TENSOR_TYPE_NAMES.items()}


def cast(input: Tensor, dtype: Any) -> Tensor:
    """The tensor in ``dtype`` (``Tensor.astype``: differentiable between float dtypes; itself when unchanged)."""
    return input if np.dtype(dtype) == input.dtype else input.astype(dtype)


def type_(input: Tensor, dtype: Any = None) -> Any:
    """``x.type()``: the tensor's type name (``"tinygrad_edu.FloatTensor"``, PyTorch's names under our package);
    ``x.type(dtype)``: the tensor cast to ``dtype`` (a dtype, or a name such as ``"torch.LongTensor"``)."""
    if dtype is None:
        name = _NAME_OF_DTYPE.get(input.dtype)
        return f"tinygrad_edu.{name}" if name else f"tinygrad_edu.Tensor[{input.dtype}]"
    if isinstance(dtype, str) and dtype.rsplit(".", 1)[-1] in _TENSOR_TYPE_NAMES:
        dtype = _TENSOR_TYPE_NAMES[dtype.rsplit(".", 1)[-1]]
    return cast(input, dtype)


def _caster(dtype: Any, name: str) -> Any:
    def method(self: Tensor) -> Tensor:
        return cast(self, dtype)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``self`` as {np.dtype(dtype).name} (``self.to({np.dtype(dtype).name})``)."
    return method


to_int = _caster(np.int32, "int")
to_long = _caster(np.int64, "long")
to_short = _caster(np.int16, "short")
to_char = _caster(np.int8, "char")
to_byte = _caster(np.uint8, "byte")
to_bool = _caster(np.bool_, "bool")
to_half = _caster(np.float16, "half")

__all__ = [
    "abs", "absolute", "add", "argmax", "argmin", "cos", "div", "divide", "exp", "flatten", "floor_divide", "fmod",
    "log", "log_softmax", "logsumexp", "matmul", "max", "mean", "min", "mul", "multiply", "neg", "negative",
    "numel", "permute", "positive", "pow", "relu", "remainder", "reshape", "rsub", "sigmoid", "sin", "softmax",
    "sqrt", "squeeze", "std", "sub", "subtract", "sum", "swapdims", "tanh", "transpose", "true_divide", "unsqueeze",
    "var",
]

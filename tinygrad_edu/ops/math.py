"""Elementwise math beyond the basics: rounding, powers and logarithms, trigonometric and hyperbolic functions,
the error function, and the two-input functions (atan2, hypot, logaddexp, lerp, xlogy, clamp with tensor bounds).

Every op is a ``Function`` whose ``backward`` is written with operators and ``backward_math`` helpers only, so it
works on arrays (a plain ``backward``) and on Tensors (``create_graph=True``: second derivatives); each declares
``differentiable_backward = True``. What ``backward`` needs from the forward pass is saved with
``save_for_backward`` (inputs or the output, by identity) or kept in an attribute when it is a constant (a mask,
a ratio of signs).

Integer inputs: the rounding family (floor, ceil, round, trunc, sign, square, clamp) keeps the integer dtype, as
PyTorch; every other function computes in the default float dtype (float32), as ``torch.sqrt(int_tensor)`` does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import autograd
from ..autograd import Function
from ..backend import get_array_module
from ..kernels import dispatch
from ..tensor import Tensor
from . import backward_math as bm
from .broadcast import unbroadcast

LN2 = math.log(2.0)
LN10 = math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _call(name: str, x: Any) -> Any:
    """``x.name()`` on a Tensor (recorded), ``xp.name(x)`` on an array."""
    return getattr(x, name)() if bm.is_tensor(x) else getattr(get_array_module(x), name)(x)


def _zeros_like(grad: Any) -> Any:
    """The zero gradient of a piecewise-constant function (floor, sign, …): a constant in both modes."""
    data = bm.constant(grad)
    zeros = get_array_module(data).zeros(data.shape, dtype=data.dtype)
    return autograd.Tensor._from_op(zeros, None) if bm.is_tensor(grad) else zeros


def _is_float(x: Tensor) -> bool:
    return x.dtype.kind in "fc"


def _as_tensor(op: str, value: Any) -> Tensor:
    """The argument of a module function (``tg.exp(x)``, ``tg.add(x, 2)``) as a Tensor: numbers, lists and arrays
    are wrapped (shared by ops/math.py, ops/arith.py and ops/logic.py)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, int | float | bool | np.ndarray | np.generic | list | tuple):
        return Tensor(value)
    raise TypeError(f"{op}(): expected a Tensor or a number, got {type(value).__name__}")


def _floating(op: str, input: Any) -> Tensor:
    """The input as a floating-point tensor: integers and bools go to float32 (PyTorch's default dtype)."""
    input = _as_tensor(op, input)
    return input if _is_float(input) else input.astype(np.float32)


# --------------------------------------------------------------------------------------------- rounding


class _PiecewiseConstant(Function):
    """A step function: its derivative is 0 wherever it exists (PyTorch's gradient for floor, ceil, round,
    trunc and sign is zero everywhere)."""

    differentiable_backward = True

    def backward(self, grad: Any) -> Any:
        return _zeros_like(grad)


class Floor(_PiecewiseConstant):
    """Round down  z = ⌊x⌋.    Backward:  ∂L/∂x = 0."""

    def forward(self, x: Any) -> Any:
        return get_array_module(x).floor(x) if x.dtype.kind == "f" else x.copy()


class Ceil(_PiecewiseConstant):
    """Round up  z = ⌈x⌉.    Backward:  ∂L/∂x = 0."""

    def forward(self, x: Any) -> Any:
        return get_array_module(x).ceil(x) if x.dtype.kind == "f" else x.copy()


class Trunc(_PiecewiseConstant):
    """Round toward zero  z = sign(x)·⌊|x|⌋.    Backward:  ∂L/∂x = 0."""

    def forward(self, x: Any) -> Any:
        return get_array_module(x).trunc(x) if x.dtype.kind == "f" else x.copy()


class Round(_PiecewiseConstant):
    """Round to ``decimals`` decimal places, halves to even  z = round(x·10ᵈ)/10ᵈ  (round(2.5) = 2, as PyTorch).

    Backward:  ∂L/∂x = 0.
    """

    def forward(self, x: Any, decimals: int = 0) -> Any:
        if x.dtype.kind != "f":
            return x.copy()
        return get_array_module(x).round(x, decimals).astype(x.dtype, copy=False)


class Sign(_PiecewiseConstant):
    """Sign  z = −1, 0 or 1 (and 0 for NaN, as PyTorch).    Backward:  ∂L/∂x = 0."""

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        if x.dtype == bool:
            return x.copy()
        return xp.sign(xp.nan_to_num(x, nan=0.0)) if x.dtype.kind == "f" else xp.sign(x)


class Frac(Function):
    """Fractional part  z = x − trunc(x)  (keeps the sign of x: frac(−1.5) = −0.5).

    Backward:  ∂L/∂x = ∂L/∂z  (trunc is piecewise constant).
    """

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        return x - get_array_module(x).trunc(x)

    def backward(self, grad: Any) -> Any:
        return grad


# ----------------------------------------------------------------------------------- powers and logarithms


class Rsqrt(Function):
    """Reciprocal square root  z = 1/√x.    Backward:  ∂L/∂x = −½ ∂L/∂z · z³."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1 / get_array_module(x).sqrt(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * out * out * out * -0.5


class Reciprocal(Function):
    """Reciprocal  z = 1/x.    Backward:  ∂L/∂x = −∂L/∂z · z²  (= −∂L/∂z / x²)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        with np.errstate(divide="ignore"):
            out = 1 / x
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return -grad * out * out


class Square(Function):
    """Square  z = x².    Backward:  ∂L/∂x = 2x · ∂L/∂z."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return x * x

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * x * 2


class Log2(Function):
    """Base-2 logarithm  z = log₂ x = ln x / ln 2.    Backward:  ∂L/∂x = ∂L/∂z / (x ln 2)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return get_array_module(x).log2(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / (x * LN2)


class Log10(Function):
    """Base-10 logarithm  z = log₁₀ x = ln x / ln 10.    Backward:  ∂L/∂x = ∂L/∂z / (x ln 10)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return get_array_module(x).log10(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / (x * LN10)


class Log1p(Function):
    """z = ln(1 + x), accurate for tiny x (where 1 + x would round to 1).    Backward:  ∂L/∂x = ∂L/∂z / (1 + x)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return get_array_module(x).log1p(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / (x + 1)


class Expm1(Function):
    """z = eˣ − 1, accurate for tiny x.    Backward:  ∂L/∂x = ∂L/∂z · eˣ = ∂L/∂z · (z + 1)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        out = get_array_module(x).expm1(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * (out + 1)


class Exp2(Function):
    """z = 2ˣ.    Backward:  ∂L/∂x = ∂L/∂z · 2ˣ ln 2 = ∂L/∂z · z ln 2."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        out = get_array_module(x).exp2(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * out * LN2


# ---------------------------------------------------------------------------- trigonometric and hyperbolic


class Tan(Function):
    """Tangent  z = tan x.    Backward:  ∂L/∂x = ∂L/∂z · (1 + tan² x) = ∂L/∂z · (1 + z²)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        out = get_array_module(x).tan(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * (out * out + 1)


class Asin(Function):
    """Inverse sine  z = arcsin x  (x ∈ [−1, 1]).    Backward:  ∂L/∂x = ∂L/∂z / √(1 − x²)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return get_array_module(x).arcsin(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / bm.sqrt(1 - x * x)


class Acos(Function):
    """Inverse cosine  z = arccos x  (x ∈ [−1, 1]).    Backward:  ∂L/∂x = −∂L/∂z / √(1 − x²)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return get_array_module(x).arccos(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return -grad / bm.sqrt(1 - x * x)


class Atan(Function):
    """Inverse tangent  z = arctan x.    Backward:  ∂L/∂x = ∂L/∂z / (1 + x²)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return get_array_module(x).arctan(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / (x * x + 1)


class Sinh(Function):
    """Hyperbolic sine  z = sinh x = (eˣ − e⁻ˣ)/2.    Backward:  ∂L/∂x = ∂L/∂z · cosh x."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return get_array_module(x).sinh(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * _call("cosh", x)


class Cosh(Function):
    """Hyperbolic cosine  z = cosh x = (eˣ + e⁻ˣ)/2.    Backward:  ∂L/∂x = ∂L/∂z · sinh x."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return get_array_module(x).cosh(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * _call("sinh", x)


class Asinh(Function):
    """Inverse hyperbolic sine  z = ln(x + √(x² + 1)).    Backward:  ∂L/∂x = ∂L/∂z / √(x² + 1)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return get_array_module(x).arcsinh(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / bm.sqrt(x * x + 1)


class Acosh(Function):
    """Inverse hyperbolic cosine  z = ln(x + √(x² − 1))  (x ≥ 1).    Backward:  ∂L/∂x = ∂L/∂z / √(x² − 1)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return get_array_module(x).arccosh(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / bm.sqrt(x * x - 1)


class Atanh(Function):
    """Inverse hyperbolic tangent  z = ½ ln((1 + x)/(1 − x))  (|x| < 1).    Backward:  ∂L/∂x = ∂L/∂z / (1 − x²)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return get_array_module(x).arctanh(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / (1 - x * x)


class Sinc(Function):
    """Normalised sinc  z = sin(πx)/(πx), with z = 1 at x = 0.

    Backward:  ∂L/∂x = ∂L/∂z · (cos(πx) − z)/x  for x ≠ 0, and 0 at x = 0 (the peak).
    """

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        self.nonzero = x != 0
        safe = xp.where(self.nonzero, x, 1)
        out = xp.where(self.nonzero, xp.sin(math.pi * safe) / (math.pi * safe), 1).astype(x.dtype, copy=False)
        self.save_for_backward(x, out)
        return out

    def backward(self, grad: Any) -> Any:
        x, out = self.saved
        safe = bm.where(self.nonzero, x, 1.0)
        slope = (bm.cos(safe * math.pi) - out) / safe
        return grad * bm.where(self.nonzero, slope, 0.0)


class Deg2Rad(Function):
    """Degrees to radians  z = x · π/180.    Backward:  ∂L/∂x = ∂L/∂z · π/180."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        return x * (math.pi / 180)

    def backward(self, grad: Any) -> Any:
        return grad * (math.pi / 180)


class Rad2Deg(Function):
    """Radians to degrees  z = x · 180/π.    Backward:  ∂L/∂x = ∂L/∂z · 180/π."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        return x * (180 / math.pi)

    def backward(self, grad: Any) -> Any:
        return grad * (180 / math.pi)


# ------------------------------------------------------------------------------------------ error function


class Erf(Function):
    """Error function  z = erf x = 2/√π ∫₀ˣ e^{−t²} dt.    Backward:  ∂L/∂x = ∂L/∂z · 2/√π · e^{−x²}."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return dispatch.erf(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * bm.exp(-(x * x)) * TWO_OVER_SQRT_PI


class Erfc(Function):
    """Complementary error function  z = erfc x = 1 − erf x  (computed directly: no cancellation for large x).

    Backward:  ∂L/∂x = −∂L/∂z · 2/√π · e^{−x²}.
    """

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return dispatch.erfc(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * bm.exp(-(x * x)) * -TWO_OVER_SQRT_PI


_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def erfinv_values(x: Any) -> Any:
    """erf⁻¹ elementwise, in float64: Giles' polynomial approximation (relative error ~1e−7) refined by two Newton
    steps on erf(y) − x = 0, y ← y − (erf(y) − x) / (2/√π · e^{−y²}), which bring it to float64 precision.
    erf⁻¹(±1) = ±∞; |x| > 1 gives NaN."""
    xp = get_array_module(x)
    x = x.astype(np.float64)
    inside = xp.abs(x) < 1
    safe = xp.where(inside, x, 0.0)
    w = -xp.log((1 - safe) * (1 + safe))
    central = w < 5
    wc, wt = w - 2.5, xp.sqrt(w) - 3
    pc, pt = xp.zeros_like(w), xp.zeros_like(w)
    for a, b in zip(_GILES_CENTRAL, _GILES_TAIL, strict=True):
        pc, pt = pc * wc + a, pt * wt + b
    y = xp.where(central, pc, pt) * safe
    for _ in range(2):
        y = y - (dispatch.erf(y) - safe) / (TWO_OVER_SQRT_PI * xp.exp(-y * y))
    with np.errstate(invalid="ignore"):
        edge = xp.where(xp.abs(x) == 1, xp.sign(x) * xp.inf, xp.nan)
    return xp.where(inside, y, edge)


class Erfinv(Function):
    """Inverse error function  z = erf⁻¹ x  (x ∈ (−1, 1); ±1 → ±∞), see ``erfinv_values``.

    Backward (inverse-function rule):  ∂L/∂x = ∂L/∂z / erf′(z) = ∂L/∂z · √π/2 · e^{z²}.
    """

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        out = erfinv_values(x).astype(x.dtype)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * bm.exp(out * out) * (1 / TWO_OVER_SQRT_PI)


# ----------------------------------------------------------------------------------- two-input functions


class Atan2(Function):
    """Angle of the point (other, input)  z = atan2(y, x)  with y = input, x = other, in (−π, π].

    Backward:  ∂L/∂y = ∂L/∂z · x/(x² + y²),   ∂L/∂x = −∂L/∂z · y/(x² + y²)   (then summed over broadcast axes).
    """

    differentiable_backward = True

    def forward(self, y: Any, x: Any) -> Any:
        self.save_for_backward(y, x)
        return get_array_module(y).arctan2(y, x)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        y, x = self.saved
        scaled = grad / (x * x + y * y)
        return unbroadcast(scaled * x, y.shape), unbroadcast(-scaled * y, x.shape)


class Hypot(Function):
    """Hypotenuse  z = √(x² + y²)  (without overflow for large x, y).

    Backward:  ∂L/∂x = ∂L/∂z · x/z,   ∂L/∂y = ∂L/∂z · y/z.
    """

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        out = get_array_module(x).hypot(x, y)
        self.save_for_backward(x, y, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y, out = self.saved
        scaled = grad / out
        return unbroadcast(scaled * x, x.shape), unbroadcast(scaled * y, y.shape)


class LogAddExp(Function):
    """z = ln(eˣ + eʸ), computed as max(x, y) + ln(1 + e^{−|x−y|}) so that neither exponential overflows.

    Backward:  ∂L/∂x = ∂L/∂z · eˣ⁻ᶻ,   ∂L/∂y = ∂L/∂z · eʸ⁻ᶻ   (a softmax over the two inputs).
    """

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        out = get_array_module(x).logaddexp(x, y)
        self.save_for_backward(x, y, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y, out = self.saved
        return unbroadcast(grad * bm.exp(x - out), x.shape), unbroadcast(grad * bm.exp(y - out), y.shape)


class LogAddExp2(Function):
    """z = log₂(2ˣ + 2ʸ).    Backward:  ∂L/∂x = ∂L/∂z · 2ˣ⁻ᶻ = ∂L/∂z · e^{(x−z) ln 2},  likewise for y."""

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        out = get_array_module(x).logaddexp2(x, y)
        self.save_for_backward(x, y, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y, out = self.saved
        return (unbroadcast(grad * bm.exp((x - out) * LN2), x.shape),
                unbroadcast(grad * bm.exp((y - out) * LN2), y.shape))


class CopySign(Function):
    """The magnitude of ``input`` with the sign of ``other``  z = |x| · sign(y)  (the sign bit: −0.0 counts as
    negative).

    Backward:  ∂L/∂x = ∂L/∂z · z/x  (±1; 0 where x = 0, as PyTorch),   ∂L/∂y = 0.
    """

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        xp = get_array_module(x)
        out = xp.copysign(x, y)
        self.input_shapes = x.shape, y.shape
        with np.errstate(invalid="ignore", divide="ignore"):
            self.ratio = xp.where(x == 0, 0, out / xp.where(x == 0, 1, x)).astype(out.dtype)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x_shape, y_shape = self.input_shapes
        return unbroadcast(grad * self.ratio, x_shape), unbroadcast(_zeros_like(grad), y_shape)


class Lerp(Function):
    """Linear interpolation  z = x + w·(e − x)  between ``input`` x and ``end`` e with ``weight`` w.

    Backward:  ∂L/∂x = ∂L/∂z · (1 − w),   ∂L/∂e = ∂L/∂z · w,   ∂L/∂w = ∂L/∂z · (e − x).
    """

    differentiable_backward = True

    def forward(self, x: Any, end: Any, weight: Any) -> Any:
        self.save_for_backward(x, end, weight)
        xp = get_array_module(x)
        # PyTorch's two-sided form: exact at both ends (w = 0 gives x, w = 1 gives e)
        return xp.where(weight < 0.5, x + weight * (end - x), end - (end - x) * (1 - weight)).astype(
            xp.result_type(x, end), copy=False)

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        x, end, weight = self.saved
        return (unbroadcast(grad * (1 - weight), x.shape), unbroadcast(grad * weight, end.shape),
                unbroadcast(grad * (end - x), weight.shape))


class XLogY(Function):
    """z = x · ln y, with z = 0 where x = 0 (even where ln y is −∞; NaN in y stays NaN).

    Backward:  ∂L/∂x = ∂L/∂z · ln y  (0 where x = 0 and y ≤ 0),   ∂L/∂y = ∂L/∂z · x / y.
    """

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        xp = get_array_module(x)
        self.save_for_backward(x, y)
        self.x_zero_y_nonpositive = (x == 0) & (y <= 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            product = x * xp.log(y)
        return xp.where((x == 0) & ~xp.isnan(y), 0, product).astype(product.dtype, copy=False)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        need_x, need_y = self.needs_input_grad
        grad_x = grad_y = None
        if need_x:
            safe_y = bm.where(self.x_zero_y_nonpositive, 1.0, y)
            grad_x = unbroadcast(bm.where(self.x_zero_y_nonpositive, 0.0, grad * bm.log(safe_y)), x.shape)
        if need_y:
            grad_y = unbroadcast(grad * x / y, y.shape)
        return grad_x, grad_y


class ClampTensor(Function):
    """Clamp between tensor bounds  z = min(max(x, low), high)  (bounds broadcast against x; either may be left
    out). Where low > high every element becomes high, as in PyTorch.

    Backward:  ∂L/∂x = ∂L/∂z where low ≤ x ≤ high, else 0;   ∂L/∂low = ∂L/∂z where x < low (and low ≤ high);
    ∂L/∂high = ∂L/∂z where z = high came from the bound (x > high, or low > high).
    """

    differentiable_backward = True

    def forward(self, x: Any, *bounds: Any, has_low: bool, has_high: bool) -> Any:
        xp = get_array_module(x)
        low = bounds[0] if has_low else None
        high = bounds[-1] if has_high else None
        self.shapes = (x.shape, *(b.shape for b in bounds))
        out = x
        x_mask = xp.ones(x.shape, dtype=bool)
        masks = []
        if low is not None:
            below = x < low
            x_mask = x_mask & ~below
            out = xp.maximum(out, low)
            masks.append(below)
        if high is not None:
            above = out > high
            x_mask = x_mask & ~above
            if low is not None:
                masks[0] = masks[0] & ~above  # low was replaced by high
            out = xp.minimum(out, high)
            masks.append(above)
        self.x_mask = xp.broadcast_to(x_mask, out.shape)
        self.bound_masks = [xp.broadcast_to(m, out.shape) for m in masks]
        return out.astype(xp.result_type(x, *bounds), copy=False)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        grads = [unbroadcast(bm.where(self.x_mask, grad, 0.0), self.shapes[0])]
        for mask, shape in zip(self.bound_masks, self.shapes[1:], strict=True):
            grads.append(unbroadcast(bm.where(mask, grad, 0.0), shape))
        return tuple(grads)


class NanToNum(Function):
    """Replace NaN by ``nan``, +∞ by ``posinf`` and −∞ by ``neginf`` (default: the dtype's largest and smallest
    finite values).    Backward:  ∂L/∂x = ∂L/∂z where x is finite, else 0."""

    differentiable_backward = True

    def forward(self, x: Any, nan: float, posinf: float | None, neginf: float | None) -> Any:
        xp = get_array_module(x)
        self.finite = xp.isfinite(x)
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad: Any) -> Any:
        return bm.where(self.finite, grad, 0.0)


# ------------------------------------------------------------------------------------------ public functions


def _unary(cls: type[Function], name: str, keep_integers: bool = False) -> Any:
    def op(input: Tensor) -> Tensor:
        input = _as_tensor(name, input) if keep_integers else _floating(name, input)
        return cls.apply(input)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``{name}(input)`` elementwise: the ``{cls.__name__}`` op (formula and gradient there).\n\n" + (
        cls.__doc__ or "")
    return op


floor = _unary(Floor, "floor", keep_integers=True)
ceil = _unary(Ceil, "ceil", keep_integers=True)
trunc = _unary(Trunc, "trunc", keep_integers=True)
fix = _unary(Trunc, "fix", keep_integers=True)
sign = _unary(Sign, "sign", keep_integers=True)
sgn = _unary(Sign, "sgn", keep_integers=True)
square = _unary(Square, "square", keep_integers=True)
frac = _unary(Frac, "frac")
rsqrt = _unary(Rsqrt, "rsqrt")
reciprocal = _unary(Reciprocal, "reciprocal")
log2 = _unary(Log2, "log2")
log10 = _unary(Log10, "log10")
log1p = _unary(Log1p, "log1p")
expm1 = _unary(Expm1, "expm1")
exp2 = _unary(Exp2, "exp2")
tan = _unary(Tan, "tan")
asin = arcsin = _unary(Asin, "asin")
acos = arccos = _unary(Acos, "acos")
atan = arctan = _unary(Atan, "atan")
sinh = _unary(Sinh, "sinh")
cosh = _unary(Cosh, "cosh")
asinh = arcsinh = _unary(Asinh, "asinh")
acosh = arccosh = _unary(Acosh, "acosh")
atanh = arctanh = _unary(Atanh, "atanh")
sinc = _unary(Sinc, "sinc")
deg2rad = _unary(Deg2Rad, "deg2rad")
rad2deg = _unary(Rad2Deg, "rad2deg")
erf = _unary(Erf, "erf")
erfc = _unary(Erfc, "erfc")
erfinv = _unary(Erfinv, "erfinv")


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 (PyTorch's name)
    """Round to ``decimals`` places, halves to even (``Round``): round(2.5) = 2, round(1.2345, decimals=2) = 1.23."""
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        raise TypeError(f"round(): decimals={decimals!r} must be an int")
    return Round.apply(_as_tensor("round", input), decimals=decimals)


def _binary(cls: type[Function], name: str, first: str = "input", second: str = "other") -> Any:
    def op(input: Any, other: Any) -> Tensor:
        input, other = _floating(name, input), _floating(name, other)
        return cls.apply(input, other)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``{name}({first}, {second})`` elementwise, broadcasting: the ``{cls.__name__}`` op.\n\n" + (
        cls.__doc__ or "")
    return op


atan2 = arctan2 = _binary(Atan2, "atan2")
hypot = _binary(Hypot, "hypot")
logaddexp = _binary(LogAddExp, "logaddexp")
logaddexp2 = _binary(LogAddExp2, "logaddexp2")
copysign = _binary(CopySign, "copysign")
xlogy = _binary(XLogY, "xlogy")


def lerp(input: Tensor, end: Tensor, weight: Tensor | float) -> Tensor:
    """``input + weight · (end − input)`` (``Lerp``); ``weight`` a number or a tensor broadcasting with both."""
    input, end = _floating("lerp", input), _floating("lerp", end)
    if isinstance(weight, Tensor):
        weight = _floating("lerp", weight)
    return Lerp.apply(input, end, weight)


def clamp(input: Tensor, min: Tensor | float | None = None, max: Tensor | float | None = None) -> Tensor:  # noqa: A002
    """Clamp every element into [min, max]: z = min(max(x, min), max).

    Number bounds use ``Clip`` (``ops/unary.py``); a Tensor bound uses ``ClampTensor``, which also sends
    gradients to the bounds (formulas there). At least one bound must be given (``Clip`` says so otherwise).
    """
    input = _as_tensor("clamp", input)
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int | float | np.number)):
                raise TypeError(f"clamp(): {name}={bound!r} must be a number, a Tensor or None")
        if not _is_float(input) and any(isinstance(b, float) for b in (min, max)):
            input = input.astype(np.float32)  # an int tensor clamped to a float bound gives floats (as PyTorch)
        return _clip(input, min, max)
    bounds = [b for b in (min, max) if b is not None]
    return ClampTensor.apply(input, *bounds, has_low=min is not None, has_high=max is not None)


def _clip(input: Tensor, low: Any, high: Any) -> Tensor:
    from . import Clip  # the package's existing op (ops/unary.py)

    return Clip.apply(input, low=low, high=high)


clip = clamp


def clamp_min(input: Tensor, min: Tensor | float) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``."""
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Tensor | float) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``."""
    return clamp(input, max=max)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """Replace NaN, +∞ and −∞ by finite numbers (``NanToNum``); integer tensors come back unchanged."""
    input = _as_tensor("nan_to_num", input)
    if not _is_float(input):
        return Tensor._from_op(input.data.copy(), None)
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


__all__ = [
    "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "asin", "asinh",
    "atan", "atan2", "atanh", "ceil", "clamp", "clamp_max", "clamp_min", "clip", "copysign", "cosh", "deg2rad",
    "erf", "erfc", "erfinv", "exp2", "expm1", "fix", "floor", "frac", "hypot", "lerp", "log1p", "log2", "log10",
    "logaddexp", "logaddexp2", "nan_to_num", "rad2deg", "reciprocal", "round", "rsqrt", "sgn", "sign", "sinc",
    "sinh", "square", "tan", "trunc", "xlogy",
]

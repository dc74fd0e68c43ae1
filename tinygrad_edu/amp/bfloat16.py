"""bfloat16 emulated in NumPy: float32 with the mantissa cut to 7 bits, rounded to nearest, ties to even.

bfloat16 ("brain float") is the upper half of a float32: 1 sign bit, the same 8 exponent bits, 7 mantissa bits.
NumPy has no bfloat16, so a bfloat16 value is kept here as the float32 it stands for (every bfloat16 is exactly
a float32), or, for storage, as the uint16 of its upper 16 bits. Rounding a float32 x with bit pattern u:

    bits(x) = ⌊(u + 0x7FFF + ((u >> 16) & 1)) / 2¹⁶⌋        (round to nearest, ties to even)

Adding 0x7FFF carries into bit 16 exactly when the 16 dropped bits are above one half (0x8000); at one half the
extra 1 is added only when the kept last bit is odd, so a tie goes to the even neighbour. The carry ripples into
the exponent when the mantissa is all ones (the value rounds up to the next power of two, and the largest
finite floats round to inf). ±inf come through unchanged (their dropped bits are 0) and NaN is kept a (quiet)
NaN by hand: the addition could carry a NaN's payload into the sign. Subnormals need nothing special.

Range against precision (the point of the format):

    format     mantissa bits   machine ε (2⁻ᵐ)   largest      smallest normal   smallest subnormal
    float32    23              1.2·10⁻⁷          3.4·10³⁸     1.2·10⁻³⁸          1.4·10⁻⁴⁵
    bfloat16   7               7.8·10⁻³          3.4·10³⁸     1.2·10⁻³⁸          9.2·10⁻⁴¹
    float16    10              9.8·10⁻⁴          65504        6.1·10⁻⁵           6.0·10⁻⁸

bfloat16 keeps float32's range and gives up precision; float16 keeps 3 more mantissa bits and gives up range. A
gradient of 10⁻⁹ underflows to 0 in float16 (hence ``GradScaler``) and survives in bfloat16 (no loss scaling).

Under ``autocast(dtype="bfloat16")`` the matrix products (``FLOAT16_OPS``) round their inputs and their output to
bfloat16 and accumulate in float32 in between — what bfloat16 tensor cores do. The rounding is an op,
``RoundToBFloat16``, whose backward rounds the gradient too (in PyTorch the gradient of a bfloat16 tensor is a
bfloat16 tensor), so the backward products also see bfloat16 operands. Tensors keep dtype float32 throughout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor

BFLOAT16 = "bfloat16"  # the name autocast accepts; NumPy has no such dtype, values are stored as float32

# (mantissa bits, largest finite, smallest normal, smallest subnormal)
FORMATS = {
    "float32": (23, float(np.finfo(np.float32).max), 2.0**-126, 2.0**-149),
    "bfloat16": (7, float((2 - 2.0**-7) * 2.0**127), 2.0**-126, 2.0**-133),
    "float16": (10, 65504.0, 2.0**-14, 2.0**-24),
}


def to_bfloat16_bits(x: Any) -> Any:
    """The uint16 bit patterns of ``x`` (float32, any shape) rounded to bfloat16, ties to even (formula above)."""
    xp = get_array_module(x)
    x = xp.ascontiguousarray(xp.asarray(x, dtype=xp.float32))
    u = x.view(xp.uint32)
    bias = xp.uint32(0x7FFF) + ((u >> 16) & xp.uint32(1))
    bits = ((u + bias) >> 16).astype(xp.uint16)
    nan = xp.isnan(x)
    if nan.any():  # a quiet NaN with the input's sign (the addition may have carried the payload anywhere)
        bits = xp.where(nan, ((u >> 16) | xp.uint32(0x0040)).astype(xp.uint16), bits)
    return bits


def from_bfloat16_bits(bits: Any) -> Any:
    """The float32 values of bfloat16 bit patterns (uint16): the bits become the upper half of a float32."""
    xp = get_array_module(bits)
    return (xp.asarray(bits, dtype=xp.uint16).astype(xp.uint32) << 16).view(xp.float32)


def round_to_bfloat16(x: Any) -> Any:
    """``x`` rounded to the nearest bfloat16 (ties to even), as a float32 array of the same shape."""
    return from_bfloat16_bits(to_bfloat16_bits(x))


class RoundToBFloat16(Function):
    """y = bf16(x): the nearest bfloat16 to x, stored as float32. Backward: x̄ = bf16(ȳ) — the straight-through
    derivative (∂y/∂x taken as 1), with the gradient itself rounded, as a bfloat16 gradient is in PyTorch."""

    def forward(self, x: Any) -> Any:
        return round_to_bfloat16(x)

    def backward(self, grad: Any) -> Any:
        return round_to_bfloat16(grad)


def bfloat16(x: Tensor) -> Tensor:
    """``x`` (a float32 Tensor) rounded to bfloat16, differentiable; other dtypes (float64, ints) unchanged,
    as autocast never casts float64."""
    if isinstance(x, Tensor) and x.dtype == np.float32:
        return RoundToBFloat16.apply(x)
    return x


def autocast_apply(proceed: Any, inputs: tuple, options: dict) -> Tensor:
    """Run a matrix-product op in emulated bfloat16: bf16 operands, float32 accumulation, bf16 result
    (``proceed`` runs the op: autocast's interceptor hands it over, see autograd.interceptors)."""
    return bfloat16(proceed(tuple(bfloat16(x) for x in inputs), options))

"""GELU, forward and backward, as one pass each over memory (Numba), for float32 activations: the exact form

    forward:   a = z·Φ(z),   Φ(z) = ½ (1 + erf(z/√2))
    backward:  ∂L/∂z = ∂L/∂a ⊙ (Φ(z) + z·φ(z)),   φ(z) = e^{−z²/2}/√(2π)

and the tanh form of GPT-2 (``approximate="tanh"``), whose formulas are in reference.py's twins: its tanh is the
rational one of lstm.py (``_tanh_inplace``), a block of values at a time.

The NumPy lines (``gelu_forward_reference``, ``gelu_backward_reference`` in reference.py, the readable version)
make five and seven passes, and their erf, a Numba ufunc calling the C library one value at a time, is most of
the time: on the GPT benchmark's (8, 128, 512) activation 2.3 ms forward and 3.0 ms backward, a quarter of the
training step. Here each pass is one loop the compiler vectorises, shared between the threads:

- erf(x) = x P(x²) / Q(x²) for float32, a rational function fitted for this project to erf on [0, 4]
  (iteratively reweighted least squares on the relative error, float64: 6·10⁻⁸; in float32 within 8 units in
  the last place, 4·10⁻⁷ at most), and ±1 from |x| = 3.92, where erf rounds to ±1 in float32 (a NaN passes).
  So Φ is within 3·10⁻⁷ of the reference's everywhere; in the far negative tail, where Φ(z) is itself that
  small, that is a larger relative error than the reference's (z·Φ(z) at z = −5: −1.4·10⁻⁶ ± 1·10⁻⁶), as
  1 + erf loses those digits in any float32 formula;
- e^{−z²/2} by attention.py's vectorised exponential (``_exp_scaled_sum``), a block of values at a time.

The tests check both against the references (float32 rounding) on hypothesis-drawn values, special ones included.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from .attention import _FASTMATH, _exp_scaled_sum
from .lstm import _tanh_inplace
from .reference import (  # noqa: F401  (the tests read them here)
    GELU_TANH_CUBIC,
    GELU_TANH_SCALE,
    gelu_backward_reference,
    gelu_forward_reference,
    gelu_tanh_backward_reference,
    gelu_tanh_forward_reference,
)
from .relu import flat_view

BLOCK = 4096  # values per parallel task (the backward's exponentials: a block of scratch in the L1 cache)


def gelu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z·Φ(z), Φ(z)) for a dense float32 array, in its layout (else the reference)."""
    return _forward_pass(x, _forward, gelu_forward_reference)


def gelu_backward(grad: np.ndarray, x: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """∂L/∂a ⊙ (Φ(z) + z·φ(z)) when the three share a dense float32 layout (else the reference)."""
    return _backward_pass(grad, x, cdf, _backward, gelu_backward_reference)


def gelu_tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(½ z (1 + t), t), t = tanh(√(2/π)(z + 0.044715 z³)), for a dense float32 array (else the reference)."""
    return _forward_pass(x, _forward_tanh, gelu_tanh_forward_reference, *_TANH_CONSTANTS)


def gelu_tanh_backward(grad: np.ndarray, x: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The tanh form's gradient from the forward pass's t, when the three share a dense float32 layout."""
    return _backward_pass(grad, x, inner, _backward_tanh, gelu_tanh_backward_reference, *_TANH_CONSTANTS)


_TANH_CONSTANTS = (np.float32(GELU_TANH_SCALE), np.float32(GELU_TANH_CUBIC))


def _forward_pass(x: np.ndarray, kernel: Any, reference: Any, *constants: Any) -> tuple[np.ndarray, np.ndarray]:
    """(GELU(x), what the backward pass keeps) by ``kernel`` over x's memory, both in x's layout."""
    source = flat_view(x)
    if source is None:
        return reference(x)
    out, kept = np.empty_like(x), np.empty_like(x)
    kernel(source, flat_view(out), flat_view(kept), *constants)
    return out, kept


def _backward_pass(grad: np.ndarray, x: np.ndarray, kept: np.ndarray, kernel: Any, reference: Any,
                   *constants: Any) -> np.ndarray:
    flats = [flat_view(a) for a in (grad, x, kept)]
    if any(f is None for f in flats) or not (grad.strides == x.strides == kept.strides) or grad.dtype != x.dtype:
        return reference(grad, x, kept)
    result = np.empty_like(grad)
    kernel(*flats, flat_view(result), *constants)
    return result


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _forward_tanh(x, out, inner, scale, cubic):  # pragma: no cover
    half, one = np.float32(0.5), np.float32(1)
    for block in numba.prange((x.shape[0] + BLOCK - 1) // BLOCK):
        start = block * BLOCK
        stop = min(start + BLOCK, x.shape[0])
        for j in range(start, stop):
            v = x[j]
            inner[j] = scale * (v + cubic * (v * v * v))
        _tanh_inplace(inner[start:stop], True)
        for j in range(start, stop):
            out[j] = half * x[j] * (one + inner[j])


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _backward_tanh(grad, x, inner, result, scale, cubic):  # pragma: no cover
    half, one, three = np.float32(0.5), np.float32(1), np.float32(3)
    for j in numba.prange(x.shape[0]):
        v, t = x[j], inner[j]
        result[j] = grad[j] * (half * (one + t) + half * v * (one - t * t) * scale * (one + three * cubic * v * v))


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH, error_model="numpy")
def _forward(x, out, cdf):  # pragma: no cover
    one, half, bound, ones_from = np.float32(1), np.float32(0.5), np.float32(4), np.float32(3.92)
    inv_sqrt2 = np.float32(1 / math.sqrt(2))
    for block in numba.prange((x.shape[0] + BLOCK - 1) // BLOCK):
        for j in range(block * BLOCK, min((block + 1) * BLOCK, x.shape[0])):
            v = x[j] * inv_sqrt2
            v = bound if v > bound else v
            v = -bound if v < -bound else v
            t = v * v
            p = np.float32(1.9111110948e-08) * t + np.float32(-1.9423210527e-06)  # Horner, highest power first
            p = p * t + np.float32(1.4728576875e-04)
            p = p * t + np.float32(3.9905229855e-03)
            p = p * t + np.float32(5.152470679e-02)
            p = p * t + np.float32(2.0712397412e-01)
            p = p * t + np.float32(1.128379094)
            q = np.float32(1.0211023811e-03) * t + np.float32(1.4957961278e-02)
            q = q * t + np.float32(1.179702142e-01)
            q = q * t + np.float32(5.1689009069e-01)
            q = q * t + one
            erf = v * p / q
            erf = one if (erf > one or v >= ones_from) else erf  # erf rounds to ±1 in float32 from |x| = 3.92
            erf = -one if (erf < -one or v <= -ones_from) else erf
            phi = half + half * erf
            cdf[j] = phi
            out[j] = x[j] * phi


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _backward(grad, x, cdf, result):  # pragma: no cover
    inv_sqrt_2pi = np.float32(1 / math.sqrt(2 * math.pi))
    for block in numba.prange((x.shape[0] + BLOCK - 1) // BLOCK):
        start = block * BLOCK
        stop = min(start + BLOCK, x.shape[0])
        density = np.empty(stop - start, dtype=np.float32)
        exponents = np.empty(stop - start, dtype=np.int32)
        for j in range(stop - start):
            density[j] = x[start + j] * x[start + j]
        _exp_scaled_sum(density, np.float32(0), np.float32(-0.5), exponents)  # e^{−z²/2}
        for j in range(stop - start):
            result[start + j] = grad[start + j] * (cdf[start + j] + x[start + j] * density[j] * inv_sqrt_2pi)

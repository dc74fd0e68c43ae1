"""Symmetric int8 quantisation: the arithmetic, on backend arrays.

A real number x is stored as an 8-bit integer q and a float scale s, x ≈ s · q:

    s = max|x| / 127                                   (symmetric: zero is exactly q = 0)
    q = clip(round(x / s), −127, 127)                  (round half to even, as NumPy; −128 is left unused)
    x̂ = s · q,      |x − x̂| ≤ s / 2  for |x| ≤ max|x|

A weight gets one scale per output channel (per row of a Linear weight, per filter of a Conv2d weight):
``quantize_per_channel``. One scale for the whole tensor would let the channel with the largest weights set
the step for all the others; per channel each filter uses its full 8 bits. Activations get one scale per tensor,
calibrated on a few batches (``modules.py``).

A layer's output from int8 input q_x (scale s_x) and int8 weight q_w (scales s_w[o]):

    acc[n, o] = Σ_k q_x[n, k] · q_w[o, k]              int8 × int8 products summed in int32 (kernels/int8.py)
    y[n, o]   = s_x · s_w[o] · acc[n, o] + b[o]        (the float the int32 stands for, plus the bias)

and the requantisation that a fully integer pipeline applies to hand y to the next layer as int8 with scale s_y:

    q_y = clip(round(M[o] · acc + b[o] / s_y), −127, 127),   M[o] = s_x · s_w[o] / s_y

``requantize`` computes that; the quantised modules do it in two steps — y in float32 here, quantised by the next
layer with its own calibrated scale — which gives the same integers whenever the ops in between (ReLU, max-pool,
flatten) commute with quantisation, as they do for any positive scale, and lets those ops run unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

QMAX = 127  # symmetric range [−127, 127]


def scale_for(max_abs: Any) -> Any:
    """s = max|x| / 127, with a tiny floor so that an all-zero channel does not divide by zero."""
    return np.maximum(np.asarray(max_abs, dtype=np.float32), np.float32(1e-12)) / np.float32(QMAX)


def quantize(x: Any, scale: Any) -> np.ndarray:
    """q = clip(round(x / s), −127, 127) as int8 (``scale`` broadcasts against ``x``)."""
    return np.clip(np.rint(np.asarray(x, dtype=np.float32) / scale), -QMAX, QMAX).astype(np.int8)


def dequantize(q: Any, scale: Any) -> np.ndarray:
    """x̂ = s · q in float32."""
    return np.asarray(q, dtype=np.float32) * np.asarray(scale, dtype=np.float32)


def quantize_per_channel(weight: Any, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(q, s): ``weight`` quantised with one scale per slice along ``axis`` (the output channels),
    s[c] = max|W[c]| / 127. ``s`` has shape (weight.shape[axis],)."""
    weight = np.asarray(weight, dtype=np.float32)
    axis = axis % weight.ndim
    others = tuple(a for a in range(weight.ndim) if a != axis)
    scale = scale_for(np.abs(weight).max(axis=others) if others else np.abs(weight))
    shape = [1] * weight.ndim
    shape[axis] = -1
    return quantize(weight, scale.reshape(shape)), scale


def requantize(acc: Any, input_scale: float, weight_scale: Any, output_scale: float,
               bias: Any = None) -> np.ndarray:
    """q_y = clip(round(M · acc + b / s_y), −127, 127) with M = s_x · s_w / s_y (per output channel, the last axis
    of ``acc``): the int32 accumulator handed on as int8 with the next layer's scale s_y."""
    multiplier = np.float32(input_scale) * np.asarray(weight_scale, dtype=np.float32) / np.float32(output_scale)
    value = np.asarray(acc, dtype=np.float32) * multiplier
    if bias is not None:
        value = value + np.asarray(bias, dtype=np.float32) / np.float32(output_scale)
    return np.clip(np.rint(value), -QMAX, QMAX).astype(np.int8)

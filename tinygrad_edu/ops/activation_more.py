"""More activation functions a = σ(z), elementwise, and the image resizing of ``F.interpolate``.

Each activation is one ``Function`` whose backward multiplies ∂L/∂a by σ'(z), written with the array/Tensor math of
``backward_math`` so that it is differentiable again (``create_graph``). Masks such as [z > 0] are constants (their
derivative is 0 wherever it exists).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Function, OpError
from ..backend import get_array_module
from . import backward_math as bm
from .activation import stable_sigmoid


def _softplus(x: Any) -> Any:
    """ln(1 + eᶻ) without overflow: max(z, 0) + ln(1 + e^{−|z|})."""
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def _mask(x: Any, condition: Any) -> Any:
    """A constant 0/1 array in x's dtype (a derivative's piecewise part)."""
    return condition.astype(bm.constant(x).dtype)


class SiLU(Function):
    """Sigmoid-weighted linear unit (swish)  a = z·σ(z).    Backward:  ∂L/∂z = ∂L/∂a ⊙ σ(z)(1 + z(1 − σ(z)))."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return x * stable_sigmoid(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        s = bm.sigmoid(x)
        return grad * (s * (1 + x * (1 - s)))


class ELU(Function):
    """Exponential linear unit, scaled (ELU, SELU and CELU are all this op):

        a = scale · z                          for z > 0
        a = scale · α (e^{z·input_scale} − 1)   for z ≤ 0

    ELU: scale = input_scale = 1. SELU: α ≈ 1.6733, scale ≈ 1.0507 (self-normalising). CELU: input_scale = 1/α.
    Backward:  ∂L/∂z = ∂L/∂a · scale  (z > 0),   ∂L/∂a · scale · α · input_scale · e^{z·input_scale}  (z ≤ 0).
    """

    differentiable_backward = True

    def forward(self, x: Any, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Any:
        xp = get_array_module(x)
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        self.save_for_backward(x)
        negative = alpha * xp.expm1(xp.minimum(x, 0) * input_scale)
        return (scale * xp.where(x > 0, x, negative)).astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        positive = _mask(x, bm.constant(x) > 0)
        not_positive = bm.where(bm.constant(x) > 0, 0.0, x)  # min(z, 0): e^{…} never overflows
        negative_slope = self.alpha * self.input_scale * bm.exp(not_positive * self.input_scale)
        return grad * (self.scale * (positive + (1 - positive) * negative_slope))


class Softplus(Function):
    """Softplus  a = (1/β) ln(1 + e^{βz}),  and a = z where βz > threshold (PyTorch's switch to the identity).

    Backward:  ∂L/∂z = ∂L/∂a ⊙ σ(βz)  (1 where βz > threshold).
    """

    differentiable_backward = True

    def forward(self, x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
        xp = get_array_module(x)
        self.beta, self.linear = beta, (x * beta) > threshold
        self.save_for_backward(x)
        return xp.where(self.linear, x, _softplus(x * beta) / beta).astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        linear = _mask(x, self.linear)
        return grad * (linear + (1 - linear) * bm.sigmoid(x * self.beta))


class Mish(Function):
    """Mish  a = z · tanh(softplus(z)).

    Backward:  ∂L/∂z = ∂L/∂a ⊙ (tanh(sp) + z · σ(z) · (1 − tanh²(sp))),  sp = softplus(z), since sp' = σ(z).
    """

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return x * get_array_module(x).tanh(_softplus(x))

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        if bm.is_tensor(x):  # create_graph: softplus from Tensor ops
            sp = x.relu() + (1 + (-x.abs()).exp()).log()
        else:
            sp = _softplus(x)
        t = bm.tanh(sp)
        return grad * (t + x * bm.sigmoid(x) * (1 - t * t))


class Softsign(Function):
    """Softsign  a = z / (1 + |z|).    Backward:  ∂L/∂z = ∂L/∂a / (1 + |z|)²."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return x / (1 + get_array_module(x).abs(x))

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        denominator = 1 + bm.abs(x)
        return grad / (denominator * denominator)


class Hardtanh(Function):
    """Hard tanh  a = clamp(z, min_val, max_val).    Backward:  ∂L/∂z = ∂L/∂a ⊙ [min_val < z < max_val]
    (0 at the corners, as PyTorch)."""

    differentiable_backward = True

    def forward(self, x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Any:
        if min_val > max_val:
            raise ValueError(f"hardtanh: min_val={min_val} must not be greater than max_val={max_val}")
        self.inside = (x > min_val) & (x < max_val)
        return get_array_module(x).clip(x, min_val, max_val).astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> Any:
        return grad * self.inside.astype(grad.dtype)


class Hardsigmoid(Function):
    """Hard sigmoid  a = clamp(z/6 + 1/2, 0, 1)  (0 for z ≤ −3, 1 for z ≥ 3).
    Backward:  ∂L/∂z = ∂L/∂a / 6 on −3 < z < 3, 0 elsewhere."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.inside = (x > -3) & (x < 3)
        return get_array_module(x).clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> Any:
        return grad * (self.inside.astype(grad.dtype) / 6)


class Hardswish(Function):
    """Hard swish (MobileNetV3)  a = z · clamp(z + 3, 0, 6) / 6  (0 for z ≤ −3, z for z ≥ 3).
    Backward:  ∂L/∂z = ∂L/∂a ⊙ (2z + 3)/6 on −3 < z < 3;  1 for z ≥ 3;  0 for z ≤ −3  (PyTorch's choice at
    z = 3 is 1, at z = −3 it is 0)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return (x * get_array_module(x).clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        value = bm.constant(x)
        middle = _mask(x, (value > -3) & (value < 3))
        high = _mask(x, value >= 3)
        return grad * (middle * (2 * x + 3) / 6 + high)


class LogSigmoid(Function):
    """Log-sigmoid  a = ln σ(z) = −softplus(−z)  (stable for any z).    Backward:  ∂L/∂z = ∂L/∂a ⊙ (1 − σ(z))
    = ∂L/∂a ⊙ σ(−z)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return -_softplus(-x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * bm.sigmoid(-x)


class Shrink(Function):
    """The shrinkage and threshold family, a = z · [kept] (+ shift):

        hardshrink:  a = z where |z| > λ, else 0                     ∂L/∂z = ∂L/∂a ⊙ [|z| > λ]
        softshrink:  a = z − λ·sign(z) where |z| > λ, else 0         ∂L/∂z = ∂L/∂a ⊙ [|z| > λ]
        threshold:   a = z where z > threshold, else value           ∂L/∂z = ∂L/∂a ⊙ [z > threshold]
    """

    differentiable_backward = True

    def forward(self, x: Any, kind: str = "hard", lambd: float = 0.5, value: float = 0.0) -> Any:
        xp = get_array_module(x)
        if kind == "threshold":
            self.kept = x > lambd
            return xp.where(self.kept, x, xp.asarray(value, dtype=x.dtype)).astype(x.dtype, copy=False)
        if lambd < 0:
            raise ValueError(f"{kind}shrink: lambd={lambd} must be non-negative")
        self.kept = xp.abs(x) > lambd
        shifted = x - lambd * xp.sign(x) if kind == "soft" else x
        return xp.where(self.kept, shifted, 0).astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> Any:
        return grad * self.kept.astype(grad.dtype)


# ------------------------------------------------------------------------------------------ interpolation


def _source_index(out_size: int, in_size: int, scale: float | None, align_corners: bool, xp: Any) -> Any:
    """Where output pixel i samples the input (continuous coordinate), PyTorch's rule:

        align_corners=True:   src = i · (in − 1)/(out − 1)            (the corner pixels' centres line up)
        align_corners=False:  src = (i + ½) / r − ½,  clamped at 0     (r = out/in, or the given scale_factor)
    """
    i = xp.arange(out_size, dtype=np.float64)
    if align_corners:
        return i * ((in_size - 1) / (out_size - 1)) if out_size > 1 else xp.zeros(out_size)
    ratio = 1 / scale if scale else in_size / out_size
    return xp.maximum((i + 0.5) * ratio - 0.5, 0)


class Interpolate(Function):
    """Resize the last one or two axes of (N, C, W) / (N, C, H, W) by sampling the input.

    nearest:   y[i] = x[⌊i · in/out⌋]  (or ⌊i / scale_factor⌋ when one is given, PyTorch's legacy rule)
    linear / bilinear (separably, one axis after the other):  with s the source coordinate of ``_source_index``,
        i₀ = ⌊s⌋, i₁ = min(i₀ + 1, in − 1), λ = s − i₀:   y[i] = (1 − λ) x[i₀] + λ x[i₁]

    Both are linear maps y = M x (each output a weighted sum of inputs), so the backward is Mᵀ:
        ∂L/∂x[j] = Σᵢ M[i, j] ∂L/∂y[i]   (a scatter-add of each output's gradient to the pixels it read).
    Here M is built per axis as a small dense (out × in) matrix and applied with one product per axis
    (y = M_H x M_Wᵀ for an image; backward ∂L/∂x = M_Hᵀ ∂L/∂y M_W).
    """

    differentiable_backward = True

    def forward(self, x: Any, size: tuple[int, ...] = (), scales: tuple[Any, ...] = (), mode: str = "nearest",
                align_corners: bool = False) -> Any:
        xp = get_array_module(x)
        spatial = x.ndim - 2
        self.matrices = []
        for axis in range(spatial):
            in_size, out_size = x.shape[2 + axis], size[axis]
            matrix = xp.zeros((out_size, in_size), dtype=x.dtype)
            rows = xp.arange(out_size)
            if mode == "nearest":
                scale = scales[axis]
                step = 1 / scale if scale else in_size / out_size
                source = xp.minimum(xp.floor(rows * step).astype(np.int64), in_size - 1)
                matrix[rows, source] = 1
            else:
                s = _source_index(out_size, in_size, scales[axis], align_corners, xp)
                low = xp.minimum(xp.floor(s).astype(np.int64), in_size - 1)
                high = xp.minimum(low + 1, in_size - 1)
                weight = (s - low).astype(x.dtype)
                matrix[rows, low] += 1 - weight
                matrix[rows, high] += weight
            self.matrices.append(matrix)
        out = x @ self.matrices[-1].T  # the last axis: y = x Mᵀ
        return self.matrices[0] @ out if spatial == 2 else out  # the height axis: y = M x

    def backward(self, grad: Any) -> Any:
        grad = grad @ self.matrices[-1]
        return self.matrices[0].T @ grad if len(self.matrices) == 2 else grad


def check_interpolate(shape: tuple[int, ...], size: Any, scale_factor: Any, mode: str,
                      align_corners: bool | None) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    """(output size, scale per axis) from ``size`` or ``scale_factor`` (exactly one), with PyTorch's errors."""
    modes = {"nearest": 1, "linear": 1, "bilinear": 2}
    spatial = len(shape) - 2
    if mode not in ("nearest", "linear", "bilinear"):
        raise NotImplementedError(f"interpolate(mode={mode!r}): supported modes are 'nearest', 'linear' and "
                                  "'bilinear'")
    if mode != "nearest" and modes[mode] != spatial:
        raise OpError(f"interpolate(mode={mode!r}) expects a {modes[mode] + 2}-D input, got shape {tuple(shape)}")
    if spatial not in (1, 2):
        raise OpError(f"interpolate: input must be 3-D (N, C, W) or 4-D (N, C, H, W), got shape {tuple(shape)}")
    if align_corners is not None and mode == "nearest":
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = (size,) * spatial if isinstance(size, int) else tuple(size)
        if len(sizes) != spatial:
            raise ValueError(f"interpolate: size {size!r} must have {spatial} entries for input {tuple(shape)}")
        return tuple(int(n) for n in sizes), (None,) * spatial
    scales = (scale_factor,) * spatial if isinstance(scale_factor, int | float) else tuple(scale_factor)
    if len(scales) != spatial:
        raise ValueError(f"interpolate: scale_factor {scale_factor!r} must have {spatial} entries for input of shape "
                         f"{tuple(shape)}")
    return tuple(int(math.floor(n * s)) for n, s in zip(shape[2:], scales, strict=True)), tuple(map(float, scales))

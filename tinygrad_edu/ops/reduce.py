"""Reductions along axes: sum, mean, variance, max/min and log-sum-exp."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from . import backward_math as bm
from .broadcast import expand_reduced, normalize_axes


class _Reduction(Function):
    """Shared set-up: normalise ``axis`` and remember how to broadcast the gradient back."""

    def setup(self, x: Any, axis: Any, keepdims: bool) -> tuple[int, ...]:
        self.axes = normalize_axes(axis, x.ndim)
        self.keepdims = keepdims
        self.input_shape = x.shape
        return self.axes

    def spread(self, grad: Any) -> Any:
        """∂L/∂out reshaped so it broadcasts over the reduced axes of the input."""
        return expand_reduced(grad, self.axes, self.keepdims)


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


class Sum(_Reduction):
    """Sum  s = Σᵢ xᵢ  over the given axes.    Backward:  ∂L/∂xᵢ = ∂L/∂s  (copied to every summed element)."""

    differentiable_backward = True

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        axes = self.setup(x, axis, keepdims)
        return x.sum(axis=axes, keepdims=keepdims)

    def backward(self, grad: Any) -> Any:
        return bm.broadcast_to(self.spread(grad), self.input_shape)


class Mean(_Reduction):
    """Mean  μ = (1/N) Σᵢ xᵢ  over the given axes.    Backward:  ∂L/∂xᵢ = ∂L/∂μ / N."""

    differentiable_backward = True

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        axes = self.setup(x, axis, keepdims)
        self.count = _count(x.shape, axes)
        return x.mean(axis=axes, keepdims=keepdims)

    def backward(self, grad: Any) -> Any:
        return bm.broadcast_to(self.spread(grad) / grad.dtype.type(self.count), self.input_shape)


class Var(_Reduction):
    """Variance  σ² = Σᵢ (xᵢ − μ)² / (N − c)  with c the ``correction`` (1: unbiased, PyTorch's default).

    Backward:  ∂L/∂xᵢ = ∂L/∂σ² · 2 (xᵢ − μ) / (N − c)   (the μ-dependence cancels because Σ(xᵢ − μ) = 0).
    """

    differentiable_backward = True

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False, correction: int = 1) -> Any:
        axes = self.setup(x, axis, keepdims)
        self.centered = x - x.mean(axis=axes, keepdims=True)
        self.save_for_backward(x)
        # N − c ≤ 0 (one element, unbiased): 0/0, NaN as in PyTorch, forward and backward
        self.divisor = x.dtype.type(max(_count(x.shape, axes) - correction, 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.centered**2).sum(axis=axes, keepdims=keepdims) / self.divisor

    def backward(self, grad: Any) -> Any:
        centered = self.centered
        if bm.is_tensor(grad):  # recorded: (x − μ) as a function of x (autograd.py, create_graph)
            (x,) = self.saved
            centered = x - x.mean(axis=self.axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.spread(grad) * centered * (2 / self.divisor)


class _Extreme(_Reduction):
    """Max or min; the gradient is shared evenly among all elements that attain it (PyTorch's ``amax``)."""

    pick = "max"

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        if x.size == 0:
            raise ValueError(f"{self.pick}() of an empty tensor has no value")
        axes = self.setup(x, axis, keepdims)
        out = getattr(x, self.pick)(axis=axes, keepdims=True)
        winners = x == out
        self.share = winners / winners.sum(axis=axes, keepdims=True).astype(x.dtype)
        return out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(self, grad: Any) -> Any:
        return self.spread(grad) * self.share


class Max(_Extreme):
    """Maximum  m = maxᵢ xᵢ.    Backward:  ∂L/∂xᵢ = ∂L/∂m / k  if xᵢ is one of the k maxima, else 0."""

    differentiable_backward = True

    pick = "max"


class Min(_Extreme):
    """Minimum  m = minᵢ xᵢ.    Backward:  ∂L/∂xᵢ = ∂L/∂m / k  if xᵢ is one of the k minima, else 0."""

    differentiable_backward = True

    pick = "min"


class LogSumExp(_Reduction):
    """Log-sum-exp  y = ln Σᵢ e^{xᵢ} = m + ln Σᵢ e^{xᵢ − m},  m = maxᵢ xᵢ  (no overflow for large x).

    Backward:  ∂L/∂xᵢ = ∂L/∂y · softmax(x)ᵢ = ∂L/∂y · e^{xᵢ − y}.
    """

    differentiable_backward = True

    def forward(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        xp = get_array_module(x)
        axes = self.setup(x, axis, keepdims)
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # all −inf (or +inf) along an axis: do not produce inf − inf
        out = m + xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True))
        self.save_for_backward(x, out)
        return out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(self, grad: Any) -> Any:
        x, out = self.saved
        if bm.is_tensor(x):  # recorded: y as a function of x (the saved y has kept axes, not the output's shape)
            out = x.logsumexp(axis=self.axes, keepdims=True)
        return self.spread(grad) * bm.exp(x - out)

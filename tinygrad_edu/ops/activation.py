"""Activation functions a = σ(z) and the softmax family."""

from __future__ import annotations

import math
from typing import Any

from ..autograd import Function
from ..backend import get_array_module
from ..kernels import dispatch
from . import backward_math as bm


class Tanh(Function):
    """Hyperbolic tangent  a = tanh z.    Backward:  ∂L/∂z = ∂L/∂a ⊙ (1 − a²)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        out = get_array_module(x).tanh(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * (1 - out * out)


class Sigmoid(Function):
    """Logistic sigmoid  a = σ(z) = 1 / (1 + e⁻ᶻ).    Backward:  ∂L/∂z = ∂L/∂a ⊙ a(1 − a).

    Computed without overflow for any z: with e = e^{−|z|} ≤ 1, σ(z) = 1/(1 + e) for z ≥ 0 and e/(1 + e)
    for z < 0 (the same value, but e^{−z} would overflow for large negative z).
    """

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        out = stable_sigmoid(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * out * (1 - out)


def stable_sigmoid(x: Any) -> Any:
    """σ(x) elementwise without overflow: with e = e^{−|x|} ≤ 1, σ = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0."""
    xp = get_array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)


class ReLU(Function):
    """Rectified linear unit  a = max(z, 0).    Backward:  ∂L/∂z = ∂L/∂a ⊙ [z > 0]  (0 at z = 0)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        out = dispatch.relu_forward(x)  # np.maximum(x, 0), or one Numba pass for a large activation
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return dispatch.relu_backward(grad, bm.constant(out))  # grad ⊙ [out > 0]; a Tensor grad when recorded


class ReLU6(Function):
    """ReLU capped at 6  a = min(max(z, 0), 6)  (MobileNet's activation: bounded, so low-precision arithmetic
    keeps its range).    Backward:  ∂L/∂z = ∂L/∂a ⊙ [0 < z < 6]  (0 at z = 0 and z = 6, as PyTorch)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        out = get_array_module(x).clip(x, 0, 6).astype(x.dtype, copy=False)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        out = bm.constant(out)
        return grad * ((out > 0) & (out < 6))


class LeakyReLU(Function):
    """Leaky ReLU  a = z for z > 0, α·z otherwise.    Backward:  ∂L/∂z = ∂L/∂a ⊙ (1 if z > 0 else α)."""

    differentiable_backward = True

    def forward(self, x: Any, negative_slope: float = 0.01) -> Any:
        xp = get_array_module(x)
        self.save_for_backward(x)
        self.slope = negative_slope
        return xp.where(x > 0, x, x * negative_slope)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        xp = get_array_module(x)
        return grad * xp.where(bm.constant(x) > 0, 1, self.slope).astype(grad.dtype)


class GELU(Function):
    """Gaussian error linear unit  a = z·Φ(z) = ½ z (1 + erf(z/√2)).

    Backward:  ∂L/∂z = ∂L/∂a ⊙ (Φ(z) + z·φ(z)),  with φ(z) = e^{−z²/2}/√(2π) the normal density.
    ``approximate="tanh"`` uses ½ z (1 + tanh(√(2/π)(z + 0.044715 z³))) and its exact derivative, as PyTorch.
    """

    def forward(self, x: Any, approximate: str = "none") -> Any:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu(approximate={approximate!r}): use 'none' or 'tanh'")
        self.save_for_backward(x)
        self.approximate = approximate
        out, self.kept = dispatch.gelu_forward(x, approximate)  # Φ(z), or the tanh of the tanh form
        return out

    differentiable_backward = True

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        if not bm.is_tensor(x):
            return dispatch.gelu_backward(grad, x, self.kept, self.approximate)  # kernels/gelu.py, reference.py
        # create_graph: Φ and the tanh as functions of x (recorded), not the saved constants
        if self.approximate == "tanh":
            inner = bm.tanh(dispatch.GELU_TANH_SCALE * (x + dispatch.GELU_TANH_CUBIC * (x * x * x)))
            return dispatch.gelu_backward(grad, x, inner, "tanh")
        from .math import Erf  # the differentiable erf (ops/math.py)

        cdf = 0.5 * (1 + Erf.apply(x * (1 / math.sqrt(2))))
        pdf = bm.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return grad * (cdf + x * pdf)


class Softmax(Function):
    """Softmax along an axis  sᵢ = e^{zᵢ − m} / Σⱼ e^{zⱼ − m},  m = maxⱼ zⱼ (subtracting m avoids overflow and
    leaves the value unchanged).

    Backward:  ∂L/∂zᵢ = sᵢ (∂L/∂sᵢ − Σⱼ ∂L/∂sⱼ sⱼ).
    """

    differentiable_backward = True

    def forward(self, x: Any, axis: int = -1) -> Any:
        xp = get_array_module(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        e = xp.exp(shifted)
        out = e / e.sum(axis=axis, keepdims=True)
        self.save_for_backward(out)
        self.axis = axis
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return out * (grad - (grad * out).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """Log-softmax  yᵢ = zᵢ − logsumexp(z) = (zᵢ − m) − ln Σⱼ e^{zⱼ − m}  (stable for any logits).

    Backward:  ∂L/∂zᵢ = ∂L/∂yᵢ − softmax(z)ᵢ · Σⱼ ∂L/∂yⱼ.
    """

    differentiable_backward = True

    def forward(self, x: Any, axis: int = -1) -> Any:
        xp = get_array_module(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.save_for_backward(out)
        self.axis = axis
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad - bm.exp(out) * grad.sum(axis=self.axis, keepdims=True)

"""Layer normalisation as one op, with its closed-form backward."""

from __future__ import annotations

from typing import Any

from .. import tensor
from ..autograd import Function
from ..backend import get_array_module
from ..kernels import dispatch


class LayerNorm(Function):
    """Layer normalisation over the last ``normalized_ndim`` axes (the features of one example):

        μ = mean(x),   σ² = mean((x − μ)²)  (biased, ÷N),   x̂ = (x − μ) / √(σ² + ε),   y = x̂ ⊙ γ + β

    with γ (``weight``) and β (``bias``) of the normalised shape, both optional: no γ is γ = 1, no β is β = 0
    (``LayerNorm.apply(x, None, None)``, ``LayerNorm.apply(x, γ)``, ``LayerNorm.apply(x, None, β)`` all work).

    Backward, with r = 1/√(σ² + ε), g = ∂L/∂y ⊙ γ and means over the normalised axes:

        ∂L/∂x = r · (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)),   ∂L/∂γ = Σ_batch ∂L/∂y ⊙ x̂,   ∂L/∂β = Σ_batch ∂L/∂y

    (x̂ has mean 0 and mean square ≈ 1 whatever x was: the two subtracted terms remove the parts of g that
    would change those.)
    """

    optional_inputs = 2  # γ and β

    @classmethod
    def apply(cls, x: Any, weight: Any = None, bias: Any = None, **options: Any) -> tensor.Tensor:
        if weight is None and bias is not None:  # only a shift: γ = 1, a constant (apply cannot pass None first)
            weight = tensor.Tensor(get_array_module(x.data).ones(bias.shape, dtype=x.dtype))
        return super().apply(x, weight, bias, **options)

    def forward(self, x: Any, weight: Any = None, bias: Any = None, normalized_ndim: int = 1,
                eps: float = 1e-5) -> Any:
        self.normalized_ndim = normalized_ndim
        out, normalized, inv_std = dispatch.layer_norm_forward(x, weight, bias, normalized_ndim, eps)
        self.save_for_backward(normalized, inv_std, weight)
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        normalized, inv_std, weight = self.saved
        needs = self.needs_input_grad
        grads = dispatch.layer_norm_backward(grad, normalized, inv_std, weight, self.normalized_ndim, needs)
        return grads[: len(needs)]

"""Penalties on the size of the weights, added to the loss: L1 (lasso) and L2 (ridge, "weight decay").

An over-parameterised model can fit the noise of its training set. Adding a penalty on the weights to the
loss prefers, among the models that fit about as well, the one with smaller weights:

    J(θ) = Σᵢ (yᵢ − ŷᵢ)² + λ Σⱼ |θⱼ|        (L1)   gradient of the penalty:  λ sign(θ)
    J(θ) = Σᵢ (yᵢ − ŷᵢ)² + λ Σⱼ θⱼ²         (L2)   gradient of the penalty:  2λθ

L2 pulls every weight towards 0 in proportion to its size (so weights shrink but rarely reach 0); L1 pulls
with the same force λ whatever the size, so weights whose gradient stays below λ are driven to 0 (a sparse
model). With plain SGD, the L2 term is the same as the optimizer's ``weight_decay=2λ``; with Adam it is not
AdamW's decoupled decay (``docs/optimizers.md`` shows both numerically).
"""

from __future__ import annotations

from collections.abc import Iterable

from ...tensor import Tensor


def l1_penalty(params: Iterable[Tensor] | Tensor, lam: float) -> Tensor:
    """λ Σⱼ |θⱼ| over all the given parameters: a differentiable scalar to add to the loss.

    ``loss = F.mse_loss(model(x), y) + l1_penalty(model.parameters(), 1e-3)``. Its gradient is λ sign(θ)
    (0 at θ = 0, as PyTorch's ``abs``).
    """
    return lam * _sum_over(params, "l1_penalty", lambda p: p.abs().sum())


def l2_penalty(params: Iterable[Tensor] | Tensor, lam: float) -> Tensor:
    """λ Σⱼ θⱼ² over all the given parameters: a differentiable scalar to add to the loss.

    Its gradient is 2λθ, so with SGD it equals ``weight_decay=2λ`` (note: no ½ in front, as in the documents'
    J(θ) = Σ(yᵢ − ŷᵢ)² + λΣθⱼ²).
    """
    return lam * _sum_over(params, "l2_penalty", lambda p: (p * p).sum())


def _sum_over(params: Iterable[Tensor] | Tensor, name: str, term) -> Tensor:
    params = [params] if isinstance(params, Tensor) else list(params)
    if len(params) == 0:
        raise ValueError(f"{name} got an empty parameter list: pass the parameters to penalise, e.g. "
                         "model.parameters()")
    total = None
    for position, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise TypeError(f"{name}: parameter {position} is a {type(param).__name__}, not a Tensor")
        value = term(param)
        total = value if total is None else total + value
    return total

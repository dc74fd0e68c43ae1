"""Adam and AdamW: adaptive moment estimation (Kingma & Ba, 2015) and its decoupled-weight-decay variant
(Loshchilov & Hutter, 2019), as PyTorch's ``torch.optim.Adam`` and ``torch.optim.AdamW``."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..kernels import dispatch as kernels
from .optimizer import Optimizer, ParamsLike, check_in_unit_interval, check_non_negative, lerp_


class Adam(Optimizer):
    """Adam: a step along the running mean of the gradients, scaled by their running root mean square.

    ``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, maximize=False,
    decoupled_weight_decay=False)``

    At step t = 1, 2, ... with gradient g (+ λθ when weight_decay = λ > 0, "coupled" decay):

        m ← β₁ m + (1 − β₁) g                 first moment: running mean of g         (m₀ = 0)
        v ← β₂ v + (1 − β₂) g²                second moment: running mean of g²      (v₀ = 0)
        m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)   bias correction: m and v start at 0, so early
                                              averages are too small by the factor (1 − βᵗ)
        θ ← θ − α m̂ / (√v̂ + ε)

    amsgrad:  v̂ uses v_max ← max(v_max, v) instead of v (the denominator never shrinks).

    Evaluated in PyTorch's order: m ← m + (1 − β₁)(g − m) (the same average), and
    θ ← θ + (−α/(1 − β₁ᵗ)) m / (√v / √(1 − β₂ᵗ) + ε), which equals the rule above.

    Note that ε is added to √v̂, after bias correction. With ``decoupled_weight_decay=True`` the decay is
    AdamW's θ ← θ − αλθ instead of g + λθ (see ``AdamW``).
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        check_non_negative(self._name, "eps", group["eps"], "epsilon")
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{self._name}: betas must be a pair (β₁, β₂), got {betas!r}")
        check_in_unit_interval(self._name, "betas[0] (β₁)", betas[0])
        check_in_unit_interval(self._name, "betas[1] (β₂)", betas[1])
        check_non_negative(self._name, "weight_decay", group["weight_decay"], "weight decay")

    def _update(self, theta: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = backend.get_array_module(theta)
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(theta)
            state["exp_avg_sq"] = xp.zeros_like(theta)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(theta)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if kernels.adam_step(theta, grad, m, v, state.get("max_exp_avg_sq"), lr=lr, beta1=beta1, beta2=beta2,
                             eps=eps, weight_decay=weight_decay, decoupled=group["decoupled_weight_decay"], step=t):
            return  # large arrays: the lines below in one pass over memory, the same numbers (kernels/adam.py)

        if weight_decay != 0:
            if group["decoupled_weight_decay"]:  # AdamW: θ ← θ − αλθ, before the Adam step
                theta *= 1.0 - lr * weight_decay
            else:  # g ← g + λθ, into a work array
                decayed = xp.multiply(theta, weight_decay, out=self._scratch(theta, 0))
                grad = xp.add(decayed, grad, out=decayed)

        lerp_(m, grad, 1.0 - beta1, self._scratch(theta, 1))  # m ← β₁ m + (1 − β₁) g
        v *= beta2  # v ← β₂ v + (1 − β₂) g²
        square = xp.multiply(grad, 1.0 - beta2, out=self._scratch(theta, 1))
        square *= grad
        v += square

        bias_correction1 = 1.0 - beta1**t
        bias_correction2 = 1.0 - beta2**t
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denominator = xp.sqrt(v, out=self._scratch(theta, 1))  # √v̂ + ε = √v / √(1 − β₂ᵗ) + ε
        denominator /= bias_correction2**0.5
        denominator += eps
        update = xp.multiply(m, -step_size, out=self._scratch(theta, 0))  # −α m̂ / (√v̂ + ε)
        update /= denominator
        theta += update


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    ``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *, maximize=False)``

    Each step first shrinks the weights, then takes the plain Adam step (the decay does not enter m or v):

        θ ← θ − α λ θ            (computed as θ ← θ (1 − αλ))
        θ ← θ − α m̂ / (√v̂ + ε)   (``Adam``'s rule with λ = 0)

    With Adam's coupled decay (g + λθ, or an L2 term in the loss) the decay gradient λθ is divided by √v̂ like
    any gradient, so weights with large gradients are barely decayed; the decoupled decay shrinks every weight
    by the same factor (1 − αλ). For plain SGD the two coincide; ``docs/optimizers.md`` shows both numerically.
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # an AdamW stays decoupled whatever the checkpoint says (as PyTorch)
            group["decoupled_weight_decay"] = True

"""Stochastic gradient descent, with momentum and Nesterov momentum (PyTorch's ``torch.optim.SGD``)."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..kernels import dispatch as kernels
from .optimizer import Optimizer, ParamsLike, check_non_negative


class SGD(Optimizer):
    """Gradient descent  θ ← θ − α g,  optionally with momentum, Nesterov momentum and weight decay.

    ``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False)``

    Per parameter θ, with learning rate α, gradient g = ∇J(θ) (−∇J(θ) when ``maximize``):

        weight decay λ:   g ← g + λθ                       (the gradient of J + (λ/2)‖θ‖²)
        plain:            θ ← θ − α g
        momentum μ:       b ← g                             on the first step,
                          b ← μ b + (1 − τ) g               afterwards (τ = dampening),
                          θ ← θ − α b
        Nesterov:         θ ← θ − α (g + μ b)               (b updated as above; needs μ > 0 and τ = 0)

    The velocity b starts as g itself, not as (1 − τ) g, exactly as PyTorch. "Stochastic" refers to how g is
    computed, not to the rule: g from the whole data set is batch gradient descent, from one example
    stochastic, from a mini-batch mini-batch gradient descent (see ``docs/optimizers.md``).
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False):
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        check_non_negative(self._name, "momentum", group["momentum"], "momentum")
        check_non_negative(self._name, "weight_decay", group["weight_decay"], "weight decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"{self._name}: Nesterov momentum needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _update(self, theta: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = backend.get_array_module(theta)
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay = group["weight_decay"]

        if weight_decay != 0:  # g ← g + λθ, into a work array (the parameter's .grad stays untouched)
            decayed = xp.multiply(theta, weight_decay, out=self._scratch(theta, 0))
            grad = xp.add(decayed, grad, out=decayed)

        direction = grad
        if momentum != 0:
            velocity = state.get("momentum_buffer")
            if velocity is None:  # b₁ = g
                velocity = state["momentum_buffer"] = grad.copy()
            elif (dampening == 0 and not group["nesterov"]
                  and kernels.sgd_momentum_step(theta, grad, velocity, lr, momentum)):
                return  # the usual case, large: b ← μ b + g and θ ← θ − α b in one pass (kernels/sgd.py)
            else:  # b ← μ b + (1 − τ) g
                velocity *= momentum
                if dampening != 0:
                    velocity += xp.multiply(grad, 1.0 - dampening, out=self._scratch(theta, 1))
                else:
                    velocity += grad
            if group["nesterov"]:  # g + μ b
                direction = xp.multiply(velocity, momentum, out=self._scratch(theta, 1))
                direction += grad
            else:
                direction = velocity

        theta += xp.multiply(direction, -lr, out=self._scratch(theta, 1))  # θ ← θ − α·direction

"""RMSprop: steps scaled by a running root mean square of the gradients (Hinton, Coursera lecture 6e, 2012), as
PyTorch's ``torch.optim.RMSprop``."""

from __future__ import annotations

from typing import Any

from .. import backend
from .optimizer import Optimizer, ParamsLike, check_non_negative, lerp_


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by the root of a running mean of its square.

    ``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
    maximize=False)``

    At each step with gradient g (+ λθ when weight_decay = λ > 0):

        s ← α s + (1 − α) g²                 running mean of g² (s₀ = 0; α is the smoothing constant)
        centered:  ḡ ← α ḡ + (1 − α) g        running mean of g (ḡ₀ = 0); the denominator becomes
                   d = √(s − ḡ²) + ε           an estimate of the standard deviation of g
        otherwise: d = √s + ε
        momentum μ > 0:  b ← μ b + g / d,  θ ← θ − α_lr b          (b₀ = 0)
        otherwise:       θ ← θ − α_lr g / d

    Here α_lr is the learning rate ``lr``. Unlike Adam there is no bias correction: s starts at 0, so the
    first steps are large (the first is α_lr g / (√(1 − α) |g| + ε) ≈ 10 α_lr sign(g) for α = 0.99).
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False):
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay, "momentum": momentum,
                    "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        check_non_negative(self._name, "alpha", group["alpha"], "smoothing constant")
        check_non_negative(self._name, "eps", group["eps"], "epsilon")
        check_non_negative(self._name, "momentum", group["momentum"], "momentum")
        check_non_negative(self._name, "weight_decay", group["weight_decay"], "weight decay")

    def _update(self, theta: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = backend.get_array_module(theta)
        lr, alpha, momentum = group["lr"], group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(theta)
            if momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(theta)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(theta)
        state["step"] += 1
        if group["weight_decay"] != 0:  # g ← g + λθ, into a work array
            decayed = xp.multiply(theta, group["weight_decay"], out=self._scratch(theta, 0))
            grad = xp.add(decayed, grad, out=decayed)

        square_avg = state["square_avg"]  # s ← α s + (1 − α) g²
        square_avg *= alpha
        square = xp.multiply(grad, 1.0 - alpha, out=self._scratch(theta, 1))
        square *= grad
        square_avg += square

        if group["centered"]:  # d = √(s − ḡ²) + ε
            grad_avg = lerp_(state["grad_avg"], grad, 1.0 - alpha, self._scratch(theta, 1))
            denominator = xp.multiply(grad_avg, grad_avg, out=self._scratch(theta, 1))
            xp.subtract(square_avg, denominator, out=denominator)
            xp.sqrt(denominator, out=denominator)
        else:  # d = √s + ε
            denominator = xp.sqrt(square_avg, out=self._scratch(theta, 1))
        denominator += group["eps"]

        if momentum > 0:  # b ← μ b + g / d,  θ ← θ − α_lr b
            velocity = state["momentum_buffer"]
            velocity *= momentum
            velocity += xp.divide(grad, denominator, out=denominator)
            theta += xp.multiply(velocity, -lr, out=self._scratch(theta, 1))
        else:  # θ ← θ − α_lr g / d
            update = xp.multiply(grad, -lr, out=self._scratch(theta, 0))
            update /= denominator
            theta += update

"""Adagrad: per-coordinate learning rates from the sum of squared gradients (Duchi, Hazan & Singer, 2011), as
PyTorch's ``torch.optim.Adagrad``."""

from __future__ import annotations

from typing import Any

from .. import backend
from .optimizer import Optimizer, ParamsLike, check_non_negative


class Adagrad(Optimizer):
    """Adagrad: divide each coordinate's step by the root of all its squared gradients so far.

    ``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
    maximize=False)``

    At step t = 1, 2, ... with gradient g (+ λθ when weight_decay = λ > 0):

        α̃ = α / (1 + (t − 1) η)            learning-rate decay η = lr_decay
        s ← s + g²                          s₀ = initial_accumulator_value
        θ ← θ − α̃ g / (√s + ε)

    Coordinates that had large gradients take small steps and rarely-updated ones large steps. Because s only
    grows, the steps shrink for ever; RMSprop and Adam replace the sum by a running average.
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False):
        defaults = {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        check_non_negative(self._name, "lr_decay", group["lr_decay"], "learning-rate decay")
        check_non_negative(self._name, "weight_decay", group["weight_decay"], "weight decay")
        check_non_negative(self._name, "initial_accumulator_value", group["initial_accumulator_value"],
                           "initial accumulator value")
        check_non_negative(self._name, "eps", group["eps"], "epsilon")

    def _update(self, theta: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = backend.get_array_module(theta)
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(theta, group["initial_accumulator_value"])
        state["step"] += 1
        t = state["step"]
        if group["weight_decay"] != 0:  # g ← g + λθ, into a work array
            decayed = xp.multiply(theta, group["weight_decay"], out=self._scratch(theta, 0))
            grad = xp.add(decayed, grad, out=decayed)

        decayed_lr = group["lr"] / (1 + (t - 1) * group["lr_decay"])  # α̃ = α / (1 + (t − 1) η)
        state["sum"] += xp.multiply(grad, grad, out=self._scratch(theta, 1))  # s ← s + g²
        denominator = xp.sqrt(state["sum"], out=self._scratch(theta, 1))  # √s + ε
        denominator += group["eps"]
        update = xp.multiply(grad, -decayed_lr, out=self._scratch(theta, 0))  # −α̃ g / (√s + ε)
        update /= denominator
        theta += update

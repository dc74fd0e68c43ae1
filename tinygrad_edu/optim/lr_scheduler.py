"""Learning-rate schedules: change each parameter group's ``lr`` from epoch to epoch (``torch.optim.lr_scheduler``).

A large learning rate early moves fast; a small one late settles into a minimum. A scheduler owns that
decision::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)      # optimizer.step() many times
        scheduler.step()                       # then move to the next epoch's learning rate

Writing e for ``last_epoch`` (0 at construction, +1 per ``step()``) and α₀ for a group's initial learning
rate, each schedule below states α_e in closed form. Like PyTorch, most of them compute α_e *recursively* from
the current ``group["lr"]`` (α_e = α_{e−1}·factor), so that the values agree with PyTorch's epoch by epoch to
the last bit and schedules can be chained; ``get_last_lr()`` returns the learning rates set by the last step.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .optimizer import Optimizer


class LRScheduler:
    """Base class: remembers each group's initial learning rate (``base_lrs``) and applies ``get_lr()``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}(last_epoch={last_epoch}): param_groups[{i}] has no 'initial_lr'. "
                        "Resuming a schedule needs the optimizer's state restored first (load_state_dict), or "
                        "use last_epoch=-1 for a fresh run"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._is_initial = True  # the first step, made here, sets epoch 0's learning rates
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of each group for epoch ``last_epoch`` (already incremented)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set every group's ``lr`` (call it after the epoch's ``optimizer.step()``)."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (which saves its own state)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the learning rate by γ every ``step_size`` epochs:  α_e = α₀ γ^⌊e / step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if not (isinstance(step_size, int) and step_size > 0):
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by γ at each milestone epoch:  α_e = α₀ γ^(number of milestones ≤ e)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = Counter(milestones)  # a milestone listed twice multiplies by γ²
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by γ every epoch:  α_e = α₀ γᵉ."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from α₀ down to η_min over ``T_max`` epochs (SGDR without restarts, Loshchilov & Hutter 2017):

        α_e = η_min + (α₀ − η_min) (1 + cos(π e / T_max)) / 2

    computed recursively, as PyTorch, from the previous epoch's learning rate:

        α_e = η_min + (α_{e−1} − η_min) (1 + cos(π e / T_max)) / (1 + cos(π (e − 1) / T_max))

    and past T_max it rises again (a period of 2 T_max); at the epochs where the recursion would divide by
    zero (e − 1 − T_max a multiple of 2 T_max) it adds (α₀ − η_min)(1 − cos(π / T_max)) / 2 instead.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        e, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if (e - 1 - period) % (2 * period) == 0:
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / period)) / 2
                    for lr, base in zip(self._current_lrs(), self.base_lrs, strict=True)]
        return [(1 + math.cos(math.pi * e / period)) / (1 + math.cos(math.pi * (e - 1) / period))
                * (lr - eta_min) + eta_min for lr in self._current_lrs()]


class LambdaLR(LRScheduler):
    """The learning rate is the initial one times a function of the epoch:  α_e = α₀ · f(e).

    ``lr_lambda`` is one function for all groups or a list with one per group. Not recursive: the value
    depends only on e.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1):
        if isinstance(lr_lambda, list | tuple):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(
                    f"LambdaLR: got {len(lr_lambda)} functions for {len(optimizer.param_groups)} parameter groups"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        """As the base class, without the functions (which cannot be saved as data)."""
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}


class LinearLR(LRScheduler):
    """Linear warm-up: the factor on α₀ goes linearly from ``start_factor`` to ``end_factor`` over ``total_iters``
    epochs, then stays (the warm-up Transformers are trained with):

        α_e = α₀ (s + (f − s) · min(e, T) / T)          s = start_factor, f = end_factor, T = total_iters

    computed recursively, as PyTorch:  α_e = α_{e−1} (1 + (f − s) / (T s + (e − 1)(f − s)))  for 0 < e ≤ T.
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must lie in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must lie in [0, 1], got {end_factor}")
        if not (isinstance(total_iters, int) and total_iters > 0):
            raise ValueError(f"LinearLR: total_iters must be a positive integer, got {total_iters!r}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        e, s, f, total = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if e == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or e > total:
            return self._current_lrs()
        return [lr * (1.0 + (f - s) / (total * s + (e - 1) * (f - s))) for lr in self._current_lrs()]


class ReduceLROnPlateau:
    """Divide the learning rate when a monitored metric (e.g. the validation loss) stops improving.

    ``ReduceLROnPlateau(optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
    cooldown=0, min_lr=0, eps=1e-8)``; call ``scheduler.step(metric)`` once per epoch.

    A value counts as an improvement over the best so far when (mode "min")
        rel:  value < best (1 − threshold)          abs:  value < best − threshold
    (for mode "max": value > best (1 + threshold), value > best + threshold). After more than ``patience``
    epochs in a row without improvement, every group's learning rate becomes max(α · factor, min_lr) (a change
    smaller than ``eps`` is skipped), and the next ``cooldown`` epochs are not counted as bad.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | list[float] = 0.0, eps: float = 1e-8):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau needs an Optimizer, got {type(optimizer).__name__}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1 (it multiplies the learning rate), got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer = optimizer
        self.factor = factor
        if isinstance(min_lr, list | tuple):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(
                    f"ReduceLROnPlateau: got {len(min_lr)} min_lr values for {len(optimizer.param_groups)} groups"
                )
            self.min_lrs = list(min_lr)
            self._default_min_lr = None
        else:
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
            self._default_min_lr = min_lr
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value: float, best: float) -> bool:
        """Whether ``value`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            return value < best * (1.0 - self.threshold) if self.threshold_mode == "rel" else \
                value < best - self.threshold
        return value > best * (1.0 + self.threshold) if self.threshold_mode == "rel" else \
            value > best + self.threshold

    def step(self, metrics: float) -> None:
        """Record this epoch's metric and reduce the learning rates if it has plateaued."""
        value = float(metrics)
        self.last_epoch += 1
        if self.is_better(value, self.best):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lrs()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lrs(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):  # a group was added since construction
            if self._default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer now has {len(groups)} parameter groups but min_lr gave "
                    f"{len(self.min_lrs)} values: set scheduler.min_lrs to one value per group"
                )
            self.min_lrs = [self._default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):  # α ← max(α · factor, min_lr)
            new_lr = max(group["lr"] * self.factor, min_lr)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)

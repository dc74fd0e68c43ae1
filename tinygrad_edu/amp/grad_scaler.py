"""``GradScaler``: dynamic loss scaling, so that small gradients survive float16.

A float16 number smaller than 2⁻²⁵ ≈ 3·10⁻⁸ (half the smallest subnormal 2⁻²⁴) rounds to zero, and below the
smallest normal number 2⁻¹⁴ ≈ 6·10⁻⁵ bits are lost. Gradients are often that small, and a gradient that flows
through a float16 op (the backward of a matrix product run under ``autocast``) is lost. Multiplying the loss by a
scale S multiplies every gradient by S (the chain rule is linear), lifting them into float16's range; the
float32 gradients of the weights are then divided by S again before the update:

    scaled loss     L_S = S · L                      scaler.scale(loss).backward()
    unscale         g = ĝ / S  (in float32)          scaler.unscale_(optimizer)   (or inside step)
    step            θ ← update(θ, g)  only if every g is finite; otherwise skip the step
    update S        after a skipped step:  S ← S · backoff_factor  (0.5)
                    after growth_interval (2000) finite steps in a row:  S ← S · growth_factor  (2.0)

S starts at 2¹⁶ = 65536. Too large a scale makes some gradient overflow to inf: that step is skipped and S
halved, so S settles just below the largest value that does not overflow — the smallest gradients keep as many
bits as possible. The defaults and the order of the checks are PyTorch's (``torch.amp.GradScaler``).

    scaler = GradScaler()
    for x, y in batches:
        optimizer.zero_grad()
        with autocast():
            loss = F.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)        # unscales, checks for inf/NaN, steps or skips
        scaler.update()               # adjusts S
"""

from __future__ import annotations

import math
from typing import Any

from ..backend import get_array_module
from ..tensor import Tensor

READY, UNSCALED, STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    """Dynamic loss scaling with PyTorch's defaults. ``enabled=False`` turns every method into a pass-through
    (``scale`` returns the loss unchanged, ``step`` just steps), so one training loop serves both precisions."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        if not growth_factor > 1.0:
            raise ValueError(f"GradScaler(growth_factor={growth_factor}): must be > 1")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError(f"GradScaler(backoff_factor={backoff_factor}): must be in (0, 1)")
        if not (isinstance(growth_interval, int) and growth_interval > 0):
            raise ValueError(f"GradScaler(growth_interval={growth_interval!r}): must be a positive integer")
        if not init_scale > 0:
            raise ValueError(f"GradScaler(init_scale={init_scale}): must be positive")
        self._scale = float(init_scale)
        self.growth_factor, self.backoff_factor = float(growth_factor), float(backoff_factor)
        self.growth_interval = growth_interval
        self._growth_tracker = 0  # finite steps in a row since the last change of scale
        self._enabled = bool(enabled)
        self._per_optimizer: dict[int, dict[str, Any]] = {}  # id(optimizer) → {"stage", "found_inf"}

    # ---------------------------------------------------------------------------------------------- scaling

    def scale(self, outputs: Any) -> Any:
        """``outputs · S`` (a Tensor, or a list/tuple of them): call ``.backward()`` on the result."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, list | tuple):
            return type(outputs)(self.scale(o) for o in outputs)
        raise TypeError(f"GradScaler.scale expects a Tensor (the loss) or a list/tuple of them, "
                        f"got {type(outputs).__name__}")

    def unscale_(self, optimizer: Any) -> None:
        """Divide every gradient the optimizer will use by S (in float32) and note whether any is inf or NaN.

        Call it before clipping gradients (clip_grad_norm_ must see the true gradients); ``step`` calls it when
        you have not. Once per optimizer between two ``update()`` calls."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == UNSCALED:
            raise RuntimeError("GradScaler.unscale_() has already been called on this optimizer since the last "
                               "update(): the gradients would be divided by the scale twice")
        if state["stage"] == STEPPED:
            raise RuntimeError("GradScaler.unscale_() is being called after step(): call it before step(), "
                               "then update()")
        inverse = 1.0 / self._scale  # exact: S is a power of two unless set otherwise
        found_inf = False
        for group in optimizer.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad.data * param.grad.dtype.type(inverse)  # a new array: the old one is not written
                xp = get_array_module(grad)
                found_inf = found_inf or not bool(xp.isfinite(grad).all())
                param.grad = Tensor._from_op(grad, None)
        state["stage"], state["found_inf"] = UNSCALED, found_inf

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscale (if not done yet) and call ``optimizer.step()`` — unless a gradient is inf or NaN, in which
        case the step is skipped (the weights stay as they were) and None is returned."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        state = self._state(optimizer)
        if state["stage"] == STEPPED:
            raise RuntimeError("GradScaler.step() has already been called on this optimizer since the last "
                               "update()")
        if state["stage"] == READY:
            self.unscale_(optimizer)
        state["stage"] = STEPPED
        if state["found_inf"]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: float | None = None) -> None:
        """Adjust S after the step(s) of one iteration: halve it if any optimizer found inf/NaN (and restart the
        count), else count a good step and double S after ``growth_interval`` good steps in a row.
        ``new_scale`` sets S directly instead."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale)
        else:
            checked = [s for s in self._per_optimizer.values() if s["stage"] != READY]
            if not checked:
                raise RuntimeError("GradScaler.update(): no inf checks were recorded since the last update — call "
                                   "scaler.step(optimizer) (or unscale_) first")
            if any(s["found_inf"] for s in checked):
                self._scale *= self.backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self.growth_interval:
                    grown = self._scale * self.growth_factor
                    if math.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
        self._per_optimizer.clear()

    def _state(self, optimizer: Any) -> dict[str, Any]:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": READY, "found_inf": False})

    # ------------------------------------------------------------------------------------------ inspection

    def get_scale(self) -> float:
        """The current scale S (1.0 when disabled)."""
        return self._scale if self._enabled else 1.0

    def is_enabled(self) -> bool:
        return self._enabled

    def found_inf(self, optimizer: Any) -> bool:
        """Whether the last unscale_ of this optimizer (since the last update) found inf or NaN."""
        return bool(self._per_optimizer.get(id(optimizer), {}).get("found_inf", False))

    def state_dict(self) -> dict[str, Any]:
        """S, the factors, the interval and the count of good steps: what a resumed run needs."""
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self.growth_factor, "backoff_factor": self.backoff_factor,
                "growth_interval": self.growth_interval, "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if not state:
            raise RuntimeError("GradScaler.load_state_dict: the state is empty (saved from a disabled scaler?)")
        self._scale = float(state["scale"])
        self.growth_factor, self.backoff_factor = float(state["growth_factor"]), float(state["backoff_factor"])
        self.growth_interval = int(state["growth_interval"])
        self._growth_tracker = int(state["_growth_tracker"])

    def __repr__(self) -> str:
        return (f"GradScaler(scale={self.get_scale():g}, growth_factor={self.growth_factor:g}, "
                f"backoff_factor={self.backoff_factor:g}, growth_interval={self.growth_interval}, "
                f"enabled={self._enabled})")

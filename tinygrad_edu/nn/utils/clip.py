"""Gradient clipping: bound the gradients before the optimizer step (against exploding gradients in deep or
recurrent networks). Both functions change the ``.grad`` tensors in place, as PyTorch's."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ... import backend
from ...tensor import Tensor


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Rescale all gradients together so that their joint norm is at most ``max_norm``; return that norm.

    With the gradients g⁽¹⁾, …, g⁽ᵏ⁾ of the parameters that have one, the total norm is the p-norm of all their
    elements together (p = ``norm_type``; ``float("inf")`` for the largest |gᵢ|):

        ‖g‖ₚ = (Σₖ ‖g⁽ᵏ⁾‖ₚᵖ)^(1/p)

    and every gradient is multiplied by  c = min(1, max_norm / (‖g‖ₚ + 10⁻⁶))  (in place). The direction of the
    joint gradient is kept; only its length is capped. Returns ‖g‖ₚ before clipping (a 0-d Tensor, as PyTorch).
    ``error_if_nonfinite=True`` raises an error when the norm is NaN or ±∞ instead of spreading the NaN.
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad.data for p in params if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive or inf, got {norm_type}")
    devices = {backend.device_of(g) for g in grads}
    if len(devices) > 1:
        raise TypeError(f"clip_grad_norm_: the gradients are on several devices ({sorted(devices)}): move the "
                        "model to one device")
    xp = backend.get_array_module(grads[0])
    norms = xp.stack([_vector_norm(g, norm_type) for g in grads])
    total_norm = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total_norm)):
        raise RuntimeError(
            f"clip_grad_norm_: the total {norm_type:g}-norm of the gradients is {float(total_norm)}: some "
            "gradient is NaN or infinite (look for a log of 0, a division by 0 or a too large learning rate); "
            "pass error_if_nonfinite=False to clip anyway"
        )
    clip_coef = xp.minimum(max_norm / (total_norm + 1e-6), 1.0)  # c = min(1, max_norm / (‖g‖ + 10⁻⁶))
    for p in params:
        if p.grad is not None:
            p.grad.data *= clip_coef.astype(p.grad.dtype)
            p.grad._version += 1
    return Tensor._from_op(xp.asarray(total_norm), None)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clip every gradient element into [−clip_value, clip_value] (in place):  gᵢ ← min(max(gᵢ, −c), c)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be ≥ 0, got {clip_value}")
    for p in params:
        if p.grad is not None:
            g = p.grad.data
            backend.get_array_module(g).clip(g, -clip_value, clip_value, out=g)
            p.grad._version += 1


def _vector_norm(array, norm_type: float):
    """‖x‖ₚ of all elements: (Σ|xᵢ|ᵖ)^(1/p), or max|xᵢ| for p = ∞ (a 0-d array of the input's dtype)."""
    xp = backend.get_array_module(array)
    magnitudes = xp.abs(array)
    if math.isinf(norm_type):
        return magnitudes.max() if magnitudes.size else xp.zeros((), dtype=array.dtype)
    if norm_type == 2.0:
        return xp.sqrt(xp.sum(magnitudes * magnitudes))
    if norm_type == 1.0:
        return xp.sum(magnitudes)
    return xp.sum(magnitudes**norm_type) ** (1.0 / norm_type)

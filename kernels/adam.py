"""Adam's update (and AdamW's) as one pass over memory (Numba), for large float32/float64 parameters.

optim/adam.py writes the rule as about a dozen NumPy passes over the parameter's size (the running averages, the
square root, the quotient, the step), each a trip through memory; the kernel makes one, value by value, with the
same operations in the same order and precision (the scalars rounded to the arrays' dtype as NumPy rounds a
Python float, no fused multiply-add), so it gives optim/adam.py's numbers bit for bit (tests/kernels/test_adam.py
checks it). Per value, with g the gradient (already negated for ``maximize``):

    coupled weight decay λ:     g ← θλ + g                      decoupled (AdamW):  θ ← θ (1 − αλ)
    m ← m + w (g − m)          (w = 1 − β₁ < ½; else m ← g − (1 − w)(g − m): PyTorch's lerp)
    v ← β₂ v + ((1 − β₂) g) g
    amsgrad:                    v̂ ← max(v̂_max, v), kept as v̂_max;  else v̂ = v
    θ ← θ + (−α/(1 − β₁ᵗ)) m / (√v̂ / √(1 − β₂ᵗ) + ε)

From sgd.py's ``PARALLEL_MIN_SIZE`` values the pass is shared out between the kernels' threads as there (each
value is updated alone, so the numbers cannot change). Measured in one process, alternating: the GPT benchmark's
AdamW step (1.04 M parameters in 64 tensors) 3.95 → 3.11 ms; the documents' CNN's Adam step (93 k parameters in
10 tensors, three of them large enough) 0.41 → 0.37 ms, where the small tensors' Python and NumPy calls are most
of the time.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .sgd import part_bounds, thread_parts  # the pass shared out between the threads as SGD's is


def adam_step(theta: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
              max_exp_avg_sq: np.ndarray | None, *, lr: float, beta1: float, beta2: float, eps: float,
              weight_decay: float, decoupled: bool, step: int) -> None:
    """One Adam step in place on C-contiguous arrays of one float dtype (``max_exp_avg_sq`` for amsgrad, else
    None), the scalars computed as optim/adam.py computes them (Python floats, then the arrays' dtype)."""
    scalar = theta.dtype.type
    average_weight = 1.0 - beta1
    low = abs(average_weight) < 0.5  # lerp's two forms, chosen as optim/optimizer.py's lerp_ chooses
    scalars = (
        scalar(weight_decay if (weight_decay != 0 and not decoupled) else 0.0),
        scalar(1.0 - lr * weight_decay if (weight_decay != 0 and decoupled) else 1.0),
        scalar(average_weight if low else 1.0 - average_weight),
        scalar(beta2), scalar(1.0 - beta2),
        scalar(-(lr / (1.0 - beta1**step))), scalar((1.0 - beta2**step) ** 0.5), scalar(eps),
    )
    flags = (weight_decay != 0 and not decoupled, weight_decay != 0 and decoupled, low, max_exp_avg_sq is not None)
    flat = [a.reshape(-1) for a in (theta, grad, exp_avg, exp_avg_sq)]
    maximum = flat[3] if max_exp_avg_sq is None else max_exp_avg_sq.reshape(-1)  # unused without amsgrad
    parts = thread_parts(theta.size)
    if parts > 1:
        _adam_parts(*flat, maximum, *scalars, *flags, parts)
    else:
        _adam(*flat, maximum, *scalars, *flags)


@numba.njit(cache=True, nogil=True)
def _adam(theta, grad, m, v, v_max, decay, shrink, weight, beta2, one_minus_beta2, minus_step, root_correction, eps,
          coupled, decoupled, low, amsgrad):  # pragma: no cover
    for i in range(theta.shape[0]):
        g = grad[i]
        if coupled:
            g = theta[i] * decay + g
        if decoupled:
            theta[i] = theta[i] * shrink
        difference = g - m[i]
        average = m[i] + difference * weight if low else g - difference * weight
        m[i] = average
        second = v[i] * beta2 + (g * one_minus_beta2) * g
        v[i] = second
        if amsgrad:  # np.maximum: a NaN on either side wins
            kept = v_max[i]
            second = kept if (kept > second or kept != kept) else second
            v_max[i] = second
        theta[i] = theta[i] + (average * minus_step) / (math.sqrt(second) / root_correction + eps)


@numba.njit(cache=True, parallel=True)
def _adam_parts(theta, grad, m, v, v_max, decay, shrink, weight, beta2, one_minus_beta2, minus_step,
                root_correction, eps, coupled, decoupled, low, amsgrad, parts):  # pragma: no cover
    for k in numba.prange(parts):
        start, stop = part_bounds(theta.shape[0], parts, k)
        _adam(theta[start:stop], grad[start:stop], m[start:stop], v[start:stop], v_max[start:stop], decay, shrink,
              weight, beta2, one_minus_beta2, minus_step, root_correction, eps, coupled, decoupled, low, amsgrad)


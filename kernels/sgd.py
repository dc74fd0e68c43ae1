"""SGD's momentum update as one pass over memory (Numba), for large float32/float64 parameters.

    b ← μ b + g          (the velocity; PyTorch's rule with dampening 0)
    θ ← θ − α b

NumPy writes it as four passes over the parameter's size (b *= μ, b += g, a temporary −α b, θ += it): at the MLP's
784 × 256 weight each pass is a trip through 800 kB. The kernel makes one, with the same operations in the same
order and precision (no fused multiply-add), so it gives the numbers of optim/sgd.py's NumPy lines (its readable
version) bit for bit (the tests check it). optim/sgd.py calls it through kernels/dispatch.py for large parameters;
the other cases of the rule (dampening, Nesterov, the first step) and small parameters stay in NumPy.
"""

from __future__ import annotations

import numba
import numpy as np


def momentum_step(theta: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, momentum: float) -> None:
    """The same in one pass: all three arrays C-contiguous, of one float dtype."""
    scalar = theta.dtype.type  # the scalars in the arrays' precision, as NumPy uses a Python float with them
    _momentum_step(theta.reshape(-1), grad.reshape(-1), velocity.reshape(-1), scalar(-lr), scalar(momentum))


@numba.njit(cache=True, nogil=True)
def _momentum_step(theta, grad, velocity, minus_lr, momentum):  # pragma: no cover
    for i in range(theta.shape[0]):
        b = velocity[i] * momentum + grad[i]
        velocity[i] = b
        theta[i] += b * minus_lr

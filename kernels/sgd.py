"""SGD's momentum update as one pass over memory (Numba), for large float32/float64 parameters.

    b ← μ b + g          (the velocity; PyTorch's rule with dampening 0)
    θ ← θ − α b

NumPy writes it as four passes over the parameter's size (b *= μ, b += g, a temporary −α b, θ += it): at the MLP's
784 × 256 weight each pass is a trip through 800 kB. The kernel makes one, with the same operations in the same
order and precision (no fused multiply-add), so it gives the numbers of optim/sgd.py's NumPy lines (its readable
version) bit for bit (the tests check it). optim/sgd.py calls it through kernels/dispatch.py for large parameters;
the other cases of the rule (dampening, Nesterov, the first step) and small parameters stay in NumPy.

From ``PARALLEL_MIN_SIZE`` values on, the pass is shared out between the kernels' threads, one contiguous part
each (the numbers cannot change: every value is updated alone). After the backward pass the gradient sits in
both cores' caches (the weight-gradient product wrote half of it on each) and the parameter and velocity were
last touched a step ago: one core alone waits on memory. In the MLP step (784-256-128-10, batch 128): 1333 →
1242 µs (alternating blocks of 40 steps in one process; 2¹⁷ instead of 2¹⁵ as the threshold, which leaves the
256 × 128 weight on one thread, gave back 30 µs of that); the 784 × 256 update alone, in the cache, 87 → 30 µs.
"""

from __future__ import annotations

import numba
import numpy as np

from . import threads

threads.configure()

PARALLEL_MIN_SIZE = 1 << 15  # values: below, starting the threads (5–8 µs) costs more than the second core saves


def thread_parts(size: int) -> int:
    """How many contiguous parts a one-pass update of ``size`` values is shared out in (adam.py's too): one per
    kernel thread from ``PARALLEL_MIN_SIZE`` values, else 1."""
    return threads.num_threads() if size >= PARALLEL_MIN_SIZE else 1


@numba.njit(cache=True, nogil=True)
def part_bounds(size, parts, k):  # pragma: no cover
    """(start, stop) of part k of ``parts``: a multiple of 16 values each, so that parts start on cache lines."""
    part = ((size + parts - 1) // parts + 15) // 16 * 16
    start = min(size, k * part)
    return start, min(size, start + part)


def momentum_step(theta: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, momentum: float) -> None:
    """The same in one pass: all three arrays C-contiguous, of one float dtype."""
    scalar = theta.dtype.type  # the scalars in the arrays' precision, as NumPy uses a Python float with them
    arguments = (theta.reshape(-1), grad.reshape(-1), velocity.reshape(-1), scalar(-lr), scalar(momentum))
    parts = thread_parts(theta.size)
    if parts > 1:
        _momentum_step_parts(*arguments, parts)
    else:
        _momentum_step(*arguments)


@numba.njit(cache=True, parallel=True)
def _momentum_step_parts(theta, grad, velocity, minus_lr, momentum, parts):  # pragma: no cover
    for k in numba.prange(parts):
        start, stop = part_bounds(theta.shape[0], parts, k)
        _momentum_step(theta[start:stop], grad[start:stop], velocity[start:stop], minus_lr, momentum)


@numba.njit(cache=True, nogil=True)
def _momentum_step(theta, grad, velocity, minus_lr, momentum):  # pragma: no cover
    for i in range(theta.shape[0]):
        b = velocity[i] * momentum + grad[i]
        velocity[i] = b
        theta[i] += b * minus_lr

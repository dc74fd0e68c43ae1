"""The linear learning-rate scaling rule with warm-up (Goyal et al., 2017), for a global batch p times larger.

When the global batch grows from b to k·b (p ranks, each keeping its batch), one step now averages k times as
many gradients, and k small steps of lr ≈ one step of k·lr (formula F96):

    lr(k·b) = k · lr(b),   reached by a linear warm-up over the first w steps:
    lr_t = lr(k·b) · (1/k + (1 − 1/k) · t / w)   for t < w,   then lr(k·b)

The warm-up starts at the small-batch rate: the large rate at the very first steps, while the weights are still
far from anything sensible, can diverge.
"""

from __future__ import annotations

from collections.abc import Callable


def scaled_lr(base_lr: float, base_batch: int, global_batch: int) -> float:
    """lr(k·b) = k · lr(b) with k = global_batch / base_batch."""
    if base_batch < 1 or global_batch < 1:
        raise ValueError(f"scaled_lr: batch sizes must be positive, got base {base_batch} and global {global_batch}")
    return base_lr * global_batch / base_batch


def warmup_factor(base_batch: int, global_batch: int, warmup_steps: int) -> Callable[[int], float]:
    """The factor f(t) to give ``LambdaLR`` on an optimizer whose lr is already ``scaled_lr(...)``:
    f(t) = 1/k + (1 − 1/k) · t / w for t < w, then 1 (k = global_batch / base_batch, w = ``warmup_steps``)."""
    k = global_batch / base_batch
    if warmup_steps < 1:
        return lambda step: 1.0

    def factor(step: int) -> float:
        return 1.0 / k + (1.0 - 1.0 / k) * step / warmup_steps if step < warmup_steps else 1.0

    return factor


def zero_memory_bytes(parameters: int, ranks: int, stage: int = 1, bytes_per_value: int = 4,
                      moments: int = 2) -> float:
    """Bytes per rank for parameters, gradients and Adam's moments (formula F98):
    stage 0 (plain data parallelism) 4N + 4N + 8N; stage 1: 4N + 4N + 8N/p; stage 2: 4N + 4N/p + 8N/p;
    stage 3: (4N + 4N + 8N)/p (with 4-byte values and two moments)."""
    n, s, m = parameters, bytes_per_value, moments
    weights, grads, state = n * s, n * s, m * n * s
    if stage == 0:
        return weights + grads + state
    if stage == 1:
        return weights + grads + state / ranks
    if stage == 2:
        return weights + (grads + state) / ranks
    if stage == 3:
        return (weights + grads + state) / ranks
    raise ValueError(f"zero_memory_bytes(stage={stage}): ZeRO has stages 0 (none) to 3")

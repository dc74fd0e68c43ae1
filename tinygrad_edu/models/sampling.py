"""Choosing the next token from a language model's logits: greedy, temperature, top-k, top-p (nucleus).

For logits z (one row per sequence) and temperature τ > 0:

    p_i = exp(z_i / τ) / Σ_j exp(z_j / τ)

τ < 1 sharpens the distribution (τ → 0 is the argmax, "greedy"), τ > 1 flattens it. Before sampling:

- **top-k** keeps the k largest p_i and renormalises (the others become 0);
- **top-p** (nucleus, Holtzman et al. 2020) sorts p descending and keeps the smallest prefix whose mass reaches
  p: token i (in sorted order) is kept when Σ_{j<i} p_(j) < p — the most likely token is always kept.

The draw itself is ``tg.multinomial`` on the remaining probabilities, from the project's seeded generator.
"""

from __future__ import annotations

import numpy as np

from ..creation import multinomial


def filter_probabilities(logits: np.ndarray, temperature: float = 1.0, top_k: int | None = None,
                         top_p: float | None = None) -> np.ndarray:
    """The renormalised distribution (float64, rows sum to 1) after temperature, top-k and top-p."""
    if temperature <= 0:
        raise ValueError(f"sampling: temperature={temperature} must be > 0 to sample (use 0 for greedy)")
    z = np.asarray(logits, dtype=np.float64) / temperature
    vocab = z.shape[-1]
    if top_k is not None:
        if not 1 <= top_k:
            raise ValueError(f"sampling: top_k={top_k} must be at least 1")
        if top_k < vocab:
            kth = np.partition(z, vocab - top_k, axis=-1)[..., vocab - top_k:vocab - top_k + 1]
            z = np.where(z < kth, -np.inf, z)
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=-1, keepdims=True)
    if top_p is not None:
        if not 0.0 < top_p <= 1.0:
            raise ValueError(f"sampling: top_p={top_p} must be in (0, 1]")
        order = np.argsort(-p, axis=-1, kind="stable")
        sorted_p = np.take_along_axis(p, order, axis=-1)
        mass_before = np.cumsum(sorted_p, axis=-1) - sorted_p
        keep_sorted = mass_before < top_p
        keep = np.zeros_like(keep_sorted)
        np.put_along_axis(keep, order, keep_sorted, axis=-1)
        p = np.where(keep, p, 0.0)
        p /= p.sum(axis=-1, keepdims=True)
    return p


def sample_next(logits: np.ndarray, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None) -> np.ndarray:
    """One token id per row of ``logits`` (B, V): the argmax when ``temperature == 0``, else a seeded draw."""
    logits = np.atleast_2d(np.asarray(logits))
    if temperature == 0:
        return logits.argmax(axis=-1).astype(np.int64)
    probs = filter_probabilities(logits, temperature, top_k, top_p)
    return multinomial(probs, 1, replacement=True).numpy()[:, 0]

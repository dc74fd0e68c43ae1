"""SHAP values for one prediction of a tabular model: exact Shapley values by enumeration, and Kernel SHAP.

A game: the players are the M features, a coalition S ⊆ {1, …, M} the features that are "present". Its value is
the model's expected output when the features in S take x's values and the others come from background data
(rows bₖ of e.g. the training set) — the interventional value function

    v(S) = (1/K) Σₖ f(x_S, bₖ,S̄),     v(∅) = E[f] (the average prediction),  v({1, …, M}) = f(x).

* **Shapley value** (Shapley, 1953): feature i's average marginal contribution over all orders of joining,

      φᵢ = Σ_{S ⊆ M∖{i}} |S|! (M − |S| − 1)! / M! · (v(S ∪ {i}) − v(S)),

  the only attribution with efficiency (Σᵢ φᵢ = f(x) − E[f]), symmetry, dummy (a feature that never changes v
  gets 0) and additivity. ``exact_shapley`` evaluates v on all 2^M coalitions.
* **Kernel SHAP** (Lundberg & Lee, 2017): the same numbers as the solution of a weighted linear regression over
  coalitions z ∈ {0, 1}^M (zᵢ = 1: feature i present),

      min_φ Σ_z π(z) (v(z) − φ₀ − Σᵢ φᵢ zᵢ)²,     π(z) = (M − 1) / (C(M, |z|) · |z| · (M − |z|)),

  with φ₀ = v(∅) and the efficiency constraint Σᵢ φᵢ = f(x) − E[f] enforced (the empty and full coalitions have
  infinite weight). Eliminating φ_M = Δ − Σ_{i<M} φᵢ (Δ = f(x) − E[f]) leaves an unconstrained least-squares
  problem in φ₁ … φ_{M−1}:  v(z) − φ₀ − z_M Δ ≈ Σ_{i<M} φᵢ (zᵢ − z_M). With all 2^M − 2 coalitions the solution
  is exactly the Shapley value; with fewer (large M) coalitions are sampled with probability ∝ π(z) — sizes s
  with weight (M − 1)/(s (M − s)), each with its complement — and weighted equally.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .attribution import _as_batch
from .tabular import _predict, _rng


@dataclass
class ShapExplanation:
    """``values`` φ (one per feature), ``base_value`` E[f] = v(∅), ``prediction`` f(x) = v(all); efficiency:
    ``values.sum() == prediction − base_value``. ``coalitions`` (rows of 0/1) and their regression ``weights``
    are the ones used (``exact``: all 2^M − 2 were enumerated)."""

    values: np.ndarray
    base_value: float
    prediction: float
    coalitions: np.ndarray
    weights: np.ndarray
    exact: bool

    def ranking(self) -> np.ndarray:
        """Feature indices by |φᵢ|, largest first."""
        return np.argsort(-np.abs(self.values), kind="stable")


def shapley_kernel_weight(num_features: int, size: int) -> float:
    """π(z) = (M − 1) / (C(M, |z|) · |z| · (M − |z|)) for a coalition of ``size`` = |z| present features out of
    M = ``num_features``; infinite for the empty and the full coalition (they are constraints, not samples)."""
    if not 0 <= size <= num_features:
        raise ValueError(f"a coalition of {size} features out of {num_features}")
    if size in (0, num_features):
        return math.inf
    return (num_features - 1) / (math.comb(num_features, size) * size * (num_features - size))


class _Game:
    """v(S) for coalitions of the features of ``x`` against ``background``: f on x with the absent features
    replaced by each background row, averaged over the rows."""

    def __init__(self, model: Any, x: Any, background: Any, target: int | None, probability: bool,
                 batch_size: int) -> None:
        self.x = _as_batch(x).reshape(-1)
        self.background = _as_batch(background)
        if self.background.ndim == 1:
            self.background = self.background[None]
        if self.background.ndim != 2 or self.background.shape[1] != self.x.size:
            raise ValueError(f"SHAP: x has {self.x.size} features, so background must be (rows, {self.x.size}); got "
                             f"shape {self.background.shape}")
        self.model, self.target, self.probability, self.batch_size = model, target, probability, batch_size

    @property
    def num_features(self) -> int:
        return self.x.size

    def values(self, coalitions: np.ndarray) -> np.ndarray:
        """v(z) for each row z of ``coalitions`` (0/1, shape (C, M)), in float64."""
        rows = len(self.background)
        present = coalitions.astype(bool)[:, None, :]  # (C, 1, M)
        inputs = np.where(present, self.x[None, None, :], self.background[None, :, :])  # (C, rows, M)
        output = _predict(self.model, inputs.reshape(-1, self.num_features).astype(self.x.dtype), self.batch_size)
        output = output.astype(np.float64).reshape(len(coalitions) * rows, -1)
        if self.target is None:
            if output.shape[1] != 1:
                raise ValueError(f"the model gives {output.shape[1]} outputs per sample: pass target= (a class index)")
            scores = output[:, 0]
        else:
            if self.probability:
                shifted = output - output.max(axis=1, keepdims=True)
                output = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            scores = output[:, self.target]
        return scores.reshape(len(coalitions), rows).mean(axis=1)


def _all_coalitions(num_features: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=num_features)), dtype=np.int8)


def exact_shapley(model: Any, x: Any, background: Any, target: int | None = None, probability: bool = True,
                  batch_size: int = 4096, max_features: int = 16) -> ShapExplanation:
    """Shapley values of the features of one sample ``x`` by enumerating all 2^M coalitions:
    φᵢ = Σ_{S ∌ i} |S|!(M − |S| − 1)!/M! · (v(S ∪ {i}) − v(S)), v averaged over the ``background`` rows.

    ``target``: the class whose softmax probability (``probability=False``: raw score) is explained; None for a
    model with one output. Costs 2^M · rows forward passes, so M ≤ ``max_features``.
    """
    game = _Game(model, x, background, target, probability, batch_size)
    m = game.num_features
    if m > max_features:
        raise ValueError(f"exact_shapley enumerates 2^{m} coalitions; use kernel_shap for {m} features (or raise "
                         f"max_features)")
    coalitions = _all_coalitions(m)
    value = game.values(coalitions)
    index = {tuple(z): k for k, z in enumerate(coalitions)}
    sizes = coalitions.sum(axis=1)
    phi = np.zeros(m)
    for k, z in enumerate(coalitions):
        s = int(sizes[k])
        for i in np.flatnonzero(z == 0):  # S = z without i; add i
            joined = z.copy()
            joined[i] = 1
            phi[i] += math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) * (value[index[tuple(joined)]]
                                                                                          - value[k])
    middle = (sizes > 0) & (sizes < m)
    weights = np.array([shapley_kernel_weight(m, int(s)) for s in sizes[middle]])
    return ShapExplanation(phi, float(value[0]), float(value[-1]), coalitions[middle], weights, exact=True)


def _sampled_coalitions(num_features: int, n_samples: int, seed: int | None) -> np.ndarray:
    """``n_samples`` coalitions drawn with probability ∝ π(z): a size s with weight (M − 1)/(s (M − s)) (the kernel
    summed over the C(M, s) coalitions of that size), then s features uniformly; each with its complement."""
    m, generator = num_features, _rng(seed)
    sizes = np.arange(1, m)
    size_probability = (m - 1) / (sizes * (m - sizes))
    size_probability /= size_probability.sum()
    coalitions = np.zeros((n_samples, m), dtype=np.int8)
    for row in range(0, n_samples, 2):
        size = generator.choice(sizes, p=size_probability)
        coalitions[row, generator.choice(m, size=size, replace=False)] = 1
        if row + 1 < n_samples:
            coalitions[row + 1] = 1 - coalitions[row]  # paired sampling: the complement, of size M − s
    return coalitions


def kernel_shap(model: Any, x: Any, background: Any, target: int | None = None, probability: bool = True,
                n_samples: int | None = None, seed: int | None = None, batch_size: int = 4096) -> ShapExplanation:
    """Kernel SHAP: Shapley values of one sample ``x`` (M features) as the weighted least-squares fit of v over
    coalitions with the Shapley kernel π(z), the efficiency constraint Σφ = f(x) − E[f] enforced exactly.

    ``background`` (rows, M): the data that absent features are drawn from (a few dozen rows of the training
    set, or its k-means centres). ``n_samples``: how many coalitions; None (or ≥ 2^M − 2) enumerates all of them,
    which makes the result exact. ``target``/``probability`` as in ``exact_shapley``.
    """
    game = _Game(model, x, background, target, probability, batch_size)
    m = game.num_features
    if m < 2:
        raise ValueError("kernel_shap needs at least 2 features (with one, φ₁ = f(x) − E[f])")
    ends = np.array([np.zeros(m, np.int8), np.ones(m, np.int8)])
    base, prediction = game.values(ends)
    everything = 2**m - 2
    exact = n_samples is None or n_samples >= everything
    if not exact and n_samples < 2 * m:
        raise ValueError(f"kernel_shap: n_samples={n_samples} coalitions cannot pin down {m} values; use at least "
                         f"2·M = {2 * m} (a few hundred for a stable estimate), or None for all {everything}")
    if exact:
        if m > 20:
            raise ValueError(f"enumerating 2^{m} coalitions is too many: pass n_samples= (e.g. 2048)")
        coalitions = _all_coalitions(m)[1:-1]
        weights = np.array([shapley_kernel_weight(m, int(s)) for s in coalitions.sum(axis=1)])
    else:
        coalitions = _sampled_coalitions(m, n_samples, seed)
        weights = np.ones(len(coalitions))  # drawn ∝ π(z) already
    value = game.values(coalitions)
    phi = _constrained_weighted_least_squares(coalitions.astype(np.float64), value - base, weights,
                                              prediction - base)
    return ShapExplanation(phi, float(base), float(prediction), coalitions, weights, exact)


def _constrained_weighted_least_squares(z: np.ndarray, y: np.ndarray, weights: np.ndarray,
                                        total: float) -> np.ndarray:
    """argmin_φ Σ_k w_k (y_k − z_k·φ)² subject to Σφ = total: substitute φ_M = total − Σ_{i<M} φᵢ, so that
    y − z_M·total ≈ Σ_{i<M} φᵢ (zᵢ − z_M), and solve that by least squares on rows scaled by √w."""
    design = z[:, :-1] - z[:, -1:]
    target = y - z[:, -1] * total
    root = np.sqrt(weights)
    head, *_ = np.linalg.lstsq(design * root[:, None], target * root, rcond=None)
    return np.append(head, total - head.sum())

"""Explanations for tabular data (one row of features per sample): permutation importance and a LIME-style
local linear surrogate.

* ``permutation_importance`` — how much the model's score drops when one feature's column is shuffled, which
  breaks its link with the target while keeping its distribution (Breiman, 2001):

      I_j = s(model, X, y) − s(model, X with column j permuted, y)      (averaged over ``n_repeats`` shuffles)

  Global (over a whole data set) and model-agnostic: no gradients, one pass over the data per feature and repeat.
* ``local_surrogate`` — explain one prediction with a linear model that imitates the network near x (LIME,
  Ribeiro et al., 2016): sample points zᵢ around x, weight them by closeness
  πᵢ = exp(−‖(zᵢ − x)/σ_feature‖² / kernel_width²), and fit by weighted ridge regression

      f(zᵢ) ≈ b + Σⱼ wⱼ (zᵢⱼ − xⱼ)/σⱼ      minimising  Σᵢ πᵢ (f(zᵢ) − b − wᵀuᵢ)² + λ‖w‖²

  wⱼ is the local effect of moving feature j by one σⱼ; the weighted R² says how faithful the surrogate is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import backend
from ..grad_mode import no_grad
from ..tensor import Tensor
from .attribution import _as_batch, _device_like, _EvalMode

LOWER_IS_BETTER = ("mse", "mae", "loss", "cross_entropy", "error")


def _rng(seed: int | None) -> np.random.Generator:
    return backend.generator("numpy") if seed is None else np.random.default_rng(seed)


def _predict(model: Any, values: np.ndarray, batch_size: int) -> np.ndarray:
    outputs = []
    with _EvalMode(model), no_grad():
        for start in range(0, len(values), batch_size):
            outputs.append(model(_device_like(model, values[start : start + batch_size])).numpy())
    return np.concatenate(outputs)


@dataclass
class PermutationImportance:
    """``importances`` (features, repeats); their ``mean`` and ``std`` per feature; the unshuffled ``baseline``
    score; ``greater_is_better`` tells the direction of the metric (the importance is always "drop in quality")."""

    importances: np.ndarray
    baseline: float
    metric: str
    greater_is_better: bool

    @property
    def mean(self) -> np.ndarray:
        return self.importances.mean(axis=1)

    @property
    def std(self) -> np.ndarray:
        return self.importances.std(axis=1)

    def ranking(self) -> np.ndarray:
        """Feature indices, most important first."""
        return np.argsort(-self.mean, kind="stable")


def permutation_importance(model: Any, X: Any, y: Any, metric: str | Callable[[Any, Any], float] = "accuracy",  # noqa: N803
                           n_repeats: int = 5, seed: int | None = None, greater_is_better: bool | None = None,
                           batch_size: int = 1024) -> PermutationImportance:
    """Importance of each column of ``X`` (N, features): the drop of ``metric`` when that column is shuffled,
    for ``n_repeats`` different shuffles (drawn from the project's seeded generator, or ``seed``).

    ``metric``: a name known to ``fit`` ("accuracy", "mse", "mae", …) or ``metric(output, target) -> float``.
    Whether higher is better is guessed from the name (mse, mae, loss, error: lower) unless given.
    """
    from ..train.metrics import resolve_metrics

    values = _as_batch(X)
    if values.ndim != 2:
        raise ValueError(f"permutation_importance needs tabular X of shape (N, features), got {values.shape}")
    target = y.numpy() if isinstance(y, Tensor) else np.asarray(y)
    ((name, score_fn),) = resolve_metrics([metric]).items()
    if greater_is_better is None:
        greater_is_better = not any(word in name.lower() for word in LOWER_IS_BETTER)
    sign = 1.0 if greater_is_better else -1.0
    baseline = float(score_fn(_predict(model, values, batch_size), target))
    generator = _rng(seed)
    importances = np.empty((values.shape[1], n_repeats))
    shuffled = values.copy()
    for feature in range(values.shape[1]):
        for repeat in range(n_repeats):
            shuffled[:, feature] = values[generator.permutation(len(values)), feature]
            score = float(score_fn(_predict(model, shuffled, batch_size), target))
            importances[feature, repeat] = sign * (baseline - score)
        shuffled[:, feature] = values[:, feature]
    return PermutationImportance(importances, baseline, name, greater_is_better)


@dataclass
class LocalSurrogate:
    """The linear model fitted around ``x``: ``coefficients`` wⱼ (effect of +1 σⱼ of feature j), ``intercept`` b
    (the surrogate's value at x), ``score`` (weighted R², 1 = perfect imitation), the model's own ``prediction``
    f(x), the ``kernel_width`` and ``scale`` σ used, and the ``samples`` / ``weights`` it was fitted on."""

    coefficients: np.ndarray
    intercept: float
    score: float
    prediction: float
    kernel_width: float
    scale: np.ndarray
    samples: np.ndarray
    weights: np.ndarray

    def ranking(self) -> np.ndarray:
        """Feature indices by the size of their local effect |wⱼ|, largest first."""
        return np.argsort(-np.abs(self.coefficients), kind="stable")


def local_surrogate(model: Any, x: Any, n_samples: int = 1000, kernel_width: float | None = None,
                    target: int | None = None, scale: Any = None, probability: bool = True, ridge: float = 1e-3,
                    seed: int | None = None, batch_size: int = 1024) -> LocalSurrogate:
    """Fit a weighted linear model to the network around one sample ``x`` (features, or (1, features)).

    * ``n_samples`` points zᵢ = x + σ ⊙ εᵢ, εᵢ ~ N(0, I), with σ = ``scale`` (per-feature standard deviations,
      e.g. ``X_train.std(axis=0)``; 1 by default);
    * weights πᵢ = exp(−‖εᵢ‖² / kernel_width²); ``kernel_width`` defaults to 0.75·√features (LIME's choice);
    * f = the ``target`` class's softmax probability (``probability=False``: its raw score), or the model's
      single output when ``target`` is None.
    """
    values = _as_batch(x).reshape(-1)
    features = values.size
    sigma = np.ones(features) if scale is None else np.broadcast_to(np.asarray(scale, dtype=np.float64), (features,))
    sigma = np.where(sigma > 0, sigma, 1.0)
    width = 0.75 * np.sqrt(features) if kernel_width is None else float(kernel_width)
    noise = _rng(seed).standard_normal((n_samples, features))
    noise[0] = 0.0  # x itself is one of the samples
    samples = values[None] + noise * sigma[None]

    output = _predict(model, samples.astype(values.dtype), batch_size).astype(np.float64)
    if target is None:
        if output.size != n_samples:
            raise ValueError(f"the model's output has shape {output.shape[1:]} per sample: pass target=")
        f = output.reshape(-1)
    else:
        if probability:
            shifted = output - output.max(axis=1, keepdims=True)
            output = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        f = output[:, target]
    weights = np.exp(-(noise**2).sum(axis=1) / width**2)

    # weighted ridge regression on [1, u] with u = (z − x)/σ = ε: scale rows by √π, no penalty on the intercept
    design = np.concatenate([np.ones((n_samples, 1)), noise], axis=1)
    root = np.sqrt(weights)[:, None]
    penalty = np.sqrt(ridge) * np.eye(features + 1)[1:]
    solution, *_ = np.linalg.lstsq(np.concatenate([design * root, penalty]),
                                   np.concatenate([f * root[:, 0], np.zeros(features)]), rcond=None)
    fitted = design @ solution
    mean = np.average(f, weights=weights)
    total = np.sum(weights * (f - mean) ** 2)
    score = 1.0 - np.sum(weights * (f - fitted) ** 2) / total if total > 0 else 1.0
    return LocalSurrogate(solution[1:], float(solution[0]), float(score), float(f[0]), width, sigma, samples, weights)


def feature_names(count: int, names: Sequence[str] | None = None) -> list[str]:
    """``names`` checked against ``count``, or x0, x1, …"""
    if names is None:
        return [f"x{i}" for i in range(count)]
    if len(names) != count:
        raise ValueError(f"{len(names)} feature names for {count} features")
    return list(names)

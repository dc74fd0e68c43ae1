"""k-fold cross-validation: every sample is used for validation exactly once.

The n samples are cut into k folds of nearly equal size (the first n mod k folds get one sample more, as in
scikit-learn's ``KFold``). Fold i trains a fresh model on the other k − 1 folds and validates on fold i; the
k validation scores, and their mean and spread, estimate how well the model generalises — more reliably than
one train/validation split when data is scarce.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend
from .dataset import Dataset, Subset, as_dataset


def kfold(n: int, k: int = 5, shuffle: bool = False, seed: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Index pairs ``(train_indices, val_indices)`` for k folds of ``range(n)``.

    With ``shuffle`` the samples are permuted first (by ``seed``'s generator, or the project's); without, the
    folds are consecutive blocks.
    """
    if not 2 <= k <= n:
        raise ValueError(f"kfold(n={n}, k={k}): k must be between 2 and the number of samples")
    order = np.arange(n)
    if shuffle:
        rng = backend.generator("numpy") if seed is None else np.random.default_rng(seed)
        order = rng.permutation(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    bounds = np.cumsum([0, *sizes])
    folds = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        val = order[start:stop]
        train = np.concatenate([order[:start], order[stop:]])
        folds.append((train, val))
    return folds


@dataclass
class CrossValidationResult:
    """The validation metrics of each fold (``folds``), with their mean and standard deviation per metric."""

    folds: list[dict[str, float]] = field(default_factory=list)

    @property
    def mean(self) -> dict[str, float]:
        return {key: float(np.mean([f[key] for f in self.folds])) for key in self.folds[0]}

    @property
    def std(self) -> dict[str, float]:
        return {key: float(np.std([f[key] for f in self.folds])) for key in self.folds[0]}

    def __repr__(self) -> str:
        summary = ", ".join(f"{key} {self.mean[key]:.4f} ± {self.std[key]:.4f}" for key in self.mean)
        return f"CrossValidationResult({len(self.folds)} folds: {summary})"


def cross_validate(make_model: Callable[[], Any], make_optimizer: Callable[[Any], Any], dataset: Dataset | tuple,
                   k: int = 5, loss_fn: Callable | None = None, epochs: int = 1, batch_size: int = 32,
                   metrics: Sequence[str | Callable] = ("accuracy",), shuffle: bool = True,
                   seed: int | None = None, **fit_options: Any) -> CrossValidationResult:
    """Train a fresh model per fold and return every fold's validation loss and metrics.

    ``make_model()`` builds a new, untrained model; ``make_optimizer(model)`` its optimizer. Each fold calls
    ``train.fit`` on the other folds (``epochs``, ``batch_size``, shuffled) and ``train.evaluate`` on its own;
    further keyword arguments go to ``fit``. ``loss_fn`` defaults to cross-entropy.
    """
    from ..train import evaluate, fit  # train builds on data: imported here to keep the packages acyclic

    if loss_fn is None:
        from ..nn import functional as F

        loss_fn = F.cross_entropy
    dataset = as_dataset(dataset)
    fit_options.setdefault("progress", False)
    result = CrossValidationResult()
    for train_indices, val_indices in kfold(len(dataset), k, shuffle=shuffle, seed=seed):
        model = make_model()
        optimizer = make_optimizer(model)
        fit(model, loss_fn, optimizer, Subset(dataset, train_indices), epochs=epochs, batch_size=batch_size,
            metrics=metrics, **fit_options)
        result.folds.append(evaluate(model, Subset(dataset, val_indices), loss_fn, metrics,
                                     batch_size=max(batch_size, 256)))
    return result

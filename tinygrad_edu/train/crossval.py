"""k-fold cross-validation: fold i trains a fresh model on the other k − 1 folds and validates on fold i; the k
validation scores, their mean and their spread estimate how well the model generalises. The folds themselves come
from ``data.kfold``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data import Dataset, Subset, kfold
from ..data.dataset import as_dataset
from ..nn import functional as F
from .fit import evaluate, fit


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
    if loss_fn is None:
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

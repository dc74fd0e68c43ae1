"""k-fold splits for cross-validation: every sample is used for validation exactly once.

The n samples are cut into k folds of nearly equal size (the first n mod k folds get one sample more, as in
scikit-learn's ``KFold``). Fold i trains a fresh model on the other k − 1 folds and validates on fold i; the
k validation scores, and their mean and spread, estimate how well the model generalises — more reliably than
one train/validation split when data is scarce.

The training loop over the folds, ``cross_validate``, lives in ``train.crossval`` (data never imports train).
"""

from __future__ import annotations

import numpy as np

from .. import backend


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

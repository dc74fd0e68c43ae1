"""k-fold splits and cross-validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import nn, optim
from tinygrad_edu.data import kfold, moons
from tinygrad_edu.train import cross_validate


@given(n=st.integers(2, 60), k=st.integers(2, 10), shuffle=st.booleans())
def test_every_sample_is_validated_exactly_once(n, k, shuffle):
    if k > n:
        with pytest.raises(ValueError, match="between 2 and the number of samples"):
            kfold(n, k)
        return
    folds = kfold(n, k, shuffle=shuffle, seed=0)
    assert len(folds) == k
    validated = np.concatenate([val for _, val in folds])
    assert sorted(validated.tolist()) == list(range(n))
    for train, val in folds:
        assert len(train) + len(val) == n and not set(train.tolist()) & set(val.tolist())
    sizes = [len(val) for _, val in folds]
    assert sizes == [n // k + 1] * (n % k) + [n // k] * (k - n % k)  # scikit-learn's KFold sizes


def test_unshuffled_folds_are_consecutive_and_shuffled_ones_seeded():
    assert [val.tolist() for _, val in kfold(7, 3)] == [[0, 1, 2], [3, 4], [5, 6]]
    a = [val.tolist() for _, val in kfold(20, 4, shuffle=True, seed=1)]
    b = [val.tolist() for _, val in kfold(20, 4, shuffle=True, seed=1)]
    assert a == b and a != [val.tolist() for _, val in kfold(20, 4)]


def test_cross_validate_trains_a_fresh_model_per_fold():
    x, y = moons(200, noise=0.1, seed=0)
    built = []

    def make_model():
        model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
        built.append(model)
        return model

    result = cross_validate(make_model, lambda m: optim.Adam(m.parameters(), lr=0.05), (x, y), k=4, epochs=15,
                            batch_size=32, seed=0)
    assert len(built) == 4 and len(result.folds) == 4
    assert set(result.folds[0]) == {"loss", "accuracy"}
    assert result.mean["accuracy"] > 0.85
    assert result.std["accuracy"] >= 0.0
    assert "4 folds" in repr(result)

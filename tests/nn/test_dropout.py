"""Dropout: inverted scaling, training-only, the seeded generator, and the gradient through the same mask."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest():
    tg.manual_seed(0)
    x = tg.ones(200, 500)
    out = nn.Dropout(0.3)(x).numpy()
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.7)}
    assert abs((out == 0).mean() - 0.3) < 0.01
    assert abs(out.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


def test_dropout_is_identity_in_evaluation_and_for_p_zero():
    x = tg.randn(4, 5)
    layer = nn.Dropout(0.5).eval()
    assert layer(x) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((4, 5)))


def test_dropout_is_reproducible_with_the_seed_and_uses_the_same_mask_backwards():
    x = tg.randn(6, 7, requires_grad=True)
    tg.manual_seed(11)
    first = F.dropout(x, 0.4)
    tg.manual_seed(11)
    second = F.dropout(x, 0.4)
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    first.sum().backward()
    expected = np.where(first.numpy() != 0, 1 / 0.6, 0.0)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-6)


@given(shape=st.sampled_from([(3,), (2, 4), (2, 2, 3)]), p=st.sampled_from([0.2, 0.5, 0.9]))
def test_dropout_gradcheck(shape, p):
    x = tg.randn(*shape, dtype="float64", requires_grad=True)

    def fn(x):
        tg.manual_seed(5)  # the same mask at every evaluation
        return F.dropout(x, p)

    tg.gradcheck(fn, x)


def test_dropout_rejects_bad_probabilities():
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(tg.randn(2), -0.1)

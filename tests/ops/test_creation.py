"""creation.py (issue #18 group 6): like-functions, ranges, random draws — PyTorch's shapes, dtypes, values and
errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch


@pytest.mark.torch
@settings(max_examples=25)
@given(start=st.one_of(st.integers(-5, 5), st.floats(-5, 5)), length=st.floats(0.1, 10),
       step=st.one_of(st.integers(1, 3), st.sampled_from([0.1, 0.25, 0.3, 0.7, 1.5])), sign=st.sampled_from([1, -1]))
def test_arange_length_values_and_dtype_match_pytorch(start, length, step, sign):
    torch = require_torch()
    end = start + sign * length
    end = int(end) if isinstance(start, int) and isinstance(step, int) and end == int(end) else end
    step = sign * step
    ours, theirs = tg.arange(start, end, step), torch.arange(start, end, step)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    assert_close(ours, theirs, rtol=1e-6, atol=1e-5)


@pytest.mark.torch
def test_ranges_match_pytorch():
    torch = require_torch()
    for args in ((0, 1, 5), (-3.0, 7.5, 11), (2, 2, 1), (0, 1, 0), (1.0, -1.0, 4)):
        assert_close(tg.linspace(*args), torch.linspace(*args), rtol=1e-6, atol=1e-6)  # PyTorch steps in float32
        assert tg.linspace(*args).dtype == np.float32
    assert_close(tg.logspace(0, 3, 4), torch.logspace(0, 3, 4))
    assert_close(tg.logspace(-1, 1, 5, base=2.0), torch.logspace(-1, 1, 5, base=2.0))
    assert tg.linspace(0, 10, 5, dtype=tg.int64).tolist() == torch.linspace(0, 10, 5, dtype=torch.int64).tolist()
    assert tg.arange(5).dtype == np.int64 and tg.arange(end=3).tolist() == [0, 1, 2]
    assert tg.arange(0, 1, 0.1).shape == (10,) and tg.arange(0.0, 3).dtype == np.float32


@pytest.mark.torch
def test_like_functions_and_full_match_pytorch_dtypes():
    torch = require_torch()
    for data in ([[1.0, 2.0]], [[1, 2]], [[True, False]]):
        ours, theirs = tg.tensor(data), torch.tensor(data)
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))  # tensor() dtype inference
        for name in ("zeros_like", "ones_like", "empty_like"):
            out, expected = getattr(tg, name)(ours), getattr(torch, name)(theirs)
            assert out.shape == tuple(expected.shape) and out.dtype == ours.dtype
            if name != "empty_like":
                assert out.tolist() == expected.tolist()
        assert tg.full_like(ours, 7).tolist() == torch.full_like(theirs, 7).tolist()
        assert tg.full_like(ours, 2.7, dtype=tg.float64).dtype == np.float64
    for fill in (3, 2.5, True):
        assert tg.full((2,), fill).dtype == np.dtype(str(torch.full((2,), fill).dtype).removeprefix("torch."))
    x = tg.zeros(2, 3)
    assert tg.rand_like(x).shape == (2, 3) and tg.randn_like(x, dtype=tg.float64).dtype == np.float64
    drawn = tg.randint_like(x, 10)
    assert drawn.dtype == np.float32 and drawn.numpy().min() >= 0 and drawn.numpy().max() < 10
    drawn = tg.randint_like(tg.zeros(1000, dtype=tg.int64), 3, 5)
    assert set(np.unique(drawn.numpy())) == {3, 4}
    assert tg.empty(2, 3).shape == (2, 3) and tg.empty((4,), dtype=tg.int32).dtype == np.int32


def test_random_draws_have_the_right_statistics():
    probabilities = tg.full((20000,), 0.3)
    flips = tg.bernoulli(probabilities)
    assert flips.dtype == np.float32 and set(np.unique(flips.numpy())) <= {0.0, 1.0}
    assert abs(flips.numpy().mean() - 0.3) < 0.02
    assert abs(tg.zeros(20000).bernoulli(0.8).numpy().mean() - 0.8) < 0.02
    mean, std = tg.full((20000,), 2.0), tg.full((20000,), 0.5)
    for draw in (tg.normal(mean, std), tg.normal(mean, 0.5), tg.normal(2.0, std), tg.normal(2.0, 0.5, (20000,))):
        assert draw.shape == (20000,)
        assert abs(draw.numpy().mean() - 2.0) < 0.02 and abs(draw.numpy().std() - 0.5) < 0.02
    samples = tg.multinomial(tg.tensor([0.0, 1.0, 3.0]), num_samples=4000, replacement=True)
    assert samples.dtype == np.int64 and abs((samples.numpy() == 2).mean() - 0.75) < 0.03
    assert sorted(tg.multinomial(tg.tensor([1.0, 1.0, 1.0]), 3).tolist()) == [0, 1, 2]


def test_errors_name_the_op_and_the_fix():
    with pytest.raises(ValueError, match=r"bernoulli\(\): probabilities of shape \(2,\) must be in \[0, 1\]"):
        tg.bernoulli(tg.tensor([0.5, 1.5]))
    with pytest.raises(TypeError, match="needs a size"):
        tg.normal(0.0, 1.0)
    with pytest.raises(ValueError, match="normal expects std >= 0.0"):
        tg.normal(tg.zeros(2), -1.0)
    with pytest.raises(ValueError, match=r"linspace\(\): steps=-1 must be a non-negative int"):
        tg.linspace(0, 1, -1)
    with pytest.raises(ValueError, match="the step must not be zero"):
        tg.arange(0, 1, 0)
    with pytest.raises(ValueError, match="upper bound and lower bound inconsistent with the step sign"):
        tg.arange(0, 1, -0.5)
    with pytest.raises(TypeError, match=r"randn_like\(\): random floats need a floating-point dtype"):
        tg.randn_like(tg.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"full_like\(\): the fill value 'a' is a str"):
        tg.full_like(tg.zeros(2), "a")

"""ReLU6 (MobileNet's activation): finite-difference gradients away from its two kinks, and PyTorch's values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests.helpers import assert_close, require_torch
from tinygrad_edu import nn


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16))
def test_relu6_gradcheck(shape, seed):
    values = np.random.default_rng(seed).uniform(-3, 9, size=shape)
    for kink in (0.0, 6.0):  # a central difference across a kink measures the mean of two slopes
        near = np.abs(values - kink) < 1e-3
        values[near] = kink + 0.5
    x = tg.tensor(values, requires_grad=True)
    tg.gradcheck(F.relu6, x)
    tg.gradcheck(nn.ReLU6(), x)


def test_relu6_values_and_gradient_at_the_kinks():
    x = tg.tensor([-1.0, 0.0, 3.0, 6.0, 7.0], requires_grad=True)
    out = F.relu6(x)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [0, 0, 3, 6, 6])
    np.testing.assert_array_equal(x.grad, [0, 0, 1, 0, 0])  # 0 at z = 0 and z = 6, as PyTorch's hardtanh


@pytest.mark.torch
def test_relu6_matches_pytorch():
    torch = require_torch()
    values = np.random.default_rng(0).normal(size=(4, 5)) * 5
    values[0, :3] = [0.0, 6.0, -0.0]
    ours, theirs = tg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    grad = np.random.default_rng(1).normal(size=(4, 5))
    nn.ReLU6()(ours).backward(grad)
    out_theirs = torch.nn.ReLU6()(theirs)
    out_theirs.backward(torch.tensor(grad))
    assert_close(F.relu6(tg.tensor(values)), out_theirs, rtol=0, atol=0)
    assert_close(ours.grad, theirs.grad, rtol=0, atol=0)

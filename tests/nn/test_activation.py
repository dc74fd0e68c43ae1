"""Activation layers and functions: finite-difference gradients and PyTorch's outputs and gradients."""

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

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)

# (our layer, our function, the PyTorch layer's name and arguments)
CASES = {
    "relu": (nn.ReLU(), F.relu, ("ReLU",)),
    "leaky_relu": (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2), ("LeakyReLU", 0.2)),
    "sigmoid": (nn.Sigmoid(), F.sigmoid, ("Sigmoid",)),
    "tanh": (nn.Tanh(), F.tanh, ("Tanh",)),
    "gelu": (nn.GELU(), F.gelu, ("GELU",)),
    "gelu_tanh": (nn.GELU("tanh"), lambda x: F.gelu(x, approximate="tanh"), ("GELU", "tanh")),
    "softmax": (nn.Softmax(dim=-1), lambda x: F.softmax(x, dim=-1), ("Softmax", -1)),
    "softmax0": (nn.Softmax(dim=0), lambda x: F.softmax(x, dim=0), ("Softmax", 0)),
    "log_softmax": (nn.LogSoftmax(dim=-1), lambda x: F.log_softmax(x, dim=-1), ("LogSoftmax", -1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_activation_gradcheck(name, shape, seed):
    layer, function, _ = CASES[name]
    values = np.random.default_rng(seed).normal(size=shape) * 2
    values[np.abs(values) < 1e-3] = 0.5  # keep away from the kink of relu-like functions
    x = tg.tensor(values, requires_grad=True)
    tg.gradcheck(function, x)
    tg.gradcheck(layer, x)


@pytest.mark.parametrize("name", sorted(CASES))
def test_activation_matches_pytorch(name):
    torch = require_torch()
    layer, _, (torch_name, *args) = CASES[name]
    theirs = getattr(torch.nn, torch_name)(*args)
    values = np.random.default_rng(0).normal(size=(4, 5)) * 3
    x_ours, x_theirs = tg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out_ours, out_theirs = layer(x_ours), theirs(x_theirs)
    grad = np.random.default_rng(1).normal(size=(4, 5))
    out_ours.backward(grad)
    out_theirs.backward(torch.tensor(grad))
    assert_close(out_ours, out_theirs, rtol=1e-12, atol=1e-12)
    assert_close(x_ours.grad, x_theirs.grad, rtol=1e-10, atol=1e-12)
    assert repr(layer).startswith(torch_name + "(")


def test_softmax_needs_a_dim():
    with pytest.raises(TypeError, match="dim"):
        F.softmax(tg.randn(2, 3))
    with pytest.raises(TypeError, match="dim"):
        nn.LogSoftmax()(tg.randn(2, 3))


def test_pad_takes_pytorchs_last_axis_first_tuple():
    torch = require_torch()
    values = np.random.default_rng(0).normal(size=(2, 3, 4))
    for pad in [(1, 2), (1, 0, 0, 2), (0, 1, 2, 0, 1, 1)]:
        x = tg.tensor(values, requires_grad=True)
        out = F.pad(x, pad, value=0.5)
        assert_close(out, torch.nn.functional.pad(torch.tensor(values), pad, value=0.5))
        tg.gradcheck(lambda x, pad=pad: F.pad(x, pad), x)
    with pytest.raises(ValueError, match="pairs"):
        F.pad(tg.randn(2, 2), (1, 2, 3))

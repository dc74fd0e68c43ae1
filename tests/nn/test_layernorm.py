"""LayerNorm: the fused op's closed-form backward against finite differences, and PyTorch's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch
from tinygrad_edu import nn
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F


@given(batch=st.sampled_from([(), (2,), (2, 3)]), normalized=st.sampled_from([(3,), (4,), (2, 3)]),
       affine=st.sampled_from(["both", "weight only", "none"]), seed=st.integers(0, 1000))
def test_layer_norm_gradcheck(batch, normalized, affine, seed):
    layer = nn.LayerNorm(normalized, elementwise_affine=affine != "none", bias=affine == "both")
    rng = np.random.default_rng(seed)
    for param in layer.parameters():  # away from the initial ones/zeros, so every term of the backward counts
        param.data[...] = rng.normal(size=param.shape)
    gradcheck(layer, tg.tensor(rng.normal(size=batch + normalized) * 3 + 1, requires_grad=True), params=True)


def test_functional_layer_norm_gradcheck_with_bias_only():
    x = tg.randn(2, 4, dtype="float64", requires_grad=True)
    bias = tg.randn(4, dtype="float64", requires_grad=True)
    tg.gradcheck(lambda x, b: F.layer_norm(x, 4, bias=b), x, bias)


@pytest.mark.parametrize("normalized", [(5,), (3, 5)])
def test_matches_pytorch(normalized):
    torch = require_torch()
    theirs = torch.nn.LayerNorm(normalized, eps=1e-3)
    ours = nn.LayerNorm(normalized, eps=1e-3)
    rng = np.random.default_rng(0)
    state = {k: rng.normal(size=v.shape).astype(np.float32) for k, v in theirs.state_dict().items()}
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    ours.load_state_dict(state)
    x = (rng.normal(size=(4, 3, 5)) * 10 + 5).astype(np.float32)
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    assert_close(out_ours, out_theirs, rtol=1e-5, atol=1e-5)
    grad = rng.normal(size=x.shape).astype(np.float32)
    out_ours.backward(grad)
    out_theirs.backward(torch.tensor(grad))
    assert_close(x_ours.grad, x_theirs.grad, rtol=1e-4, atol=1e-5)
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-4, atol=1e-5)
    assert_close(ours.bias.grad, theirs.bias.grad, rtol=1e-4, atol=1e-5)


def test_output_is_normalised_and_parameters_start_at_identity():
    layer = nn.LayerNorm(8)
    np.testing.assert_array_equal(layer.weight.numpy(), np.ones(8))
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(8))
    out = layer(tg.tensor(np.random.default_rng(0).normal(size=(5, 8)) * 100, dtype="float32")).numpy()
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(-1), 1, rtol=1e-3)
    assert nn.LayerNorm(8, elementwise_affine=False).weight is None


def test_wrong_feature_shape_is_refused():
    with pytest.raises(ValueError, match=r"its last 1 axes must be \(8,\)"):
        nn.LayerNorm(8)(tg.randn(2, 7))

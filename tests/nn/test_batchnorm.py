"""BatchNorm1d/2d: gradients by finite differences, and PyTorch's train/eval behaviour step by step."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests.helpers import assert_close, require_torch
from tinygrad_edu import nn

shapes = st.sampled_from([(4, 3), (3, 2, 5), (2, 3, 2, 2)])


@given(shape=shapes, training=st.booleans(), seed=st.integers(0, 2**16))
def test_batch_norm_gradcheck(shape, training, seed):
    rng = np.random.default_rng(seed)
    x = tg.tensor(rng.normal(size=shape) * 2 + 1, requires_grad=True)
    channels = shape[1]
    weight = tg.tensor(rng.normal(size=channels), requires_grad=True)
    bias = tg.tensor(rng.normal(size=channels), requires_grad=True)
    running_mean = tg.tensor(rng.normal(size=channels))
    running_var = tg.tensor(rng.uniform(0.5, 2, size=channels))

    def fn(x, weight, bias):
        # fresh copies: the running statistics must not drift while gradcheck perturbs the input
        mean, var = tg.tensor(running_mean.numpy().copy()), tg.tensor(running_var.numpy().copy())
        return F.batch_norm(x, mean, var, weight, bias, training=training)

    tg.gradcheck(fn, x, weight, bias)


@pytest.mark.parametrize("cls_name,shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (6, 3, 4)),
                                            ("BatchNorm2d", (4, 3, 5, 5))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_matches_pytorch_in_train_and_eval(cls_name, shape, momentum):
    torch = require_torch()
    rng = np.random.default_rng(1)
    ours = getattr(nn, cls_name)(3, momentum=momentum).double()
    theirs = getattr(torch.nn, cls_name)(3, momentum=momentum).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.normal(size=3)))
        theirs.bias.copy_(torch.tensor(rng.normal(size=3)))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for step in range(3):  # three training steps: running statistics accumulate identically
        x = rng.normal(size=shape) * 3 + step
        x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
        grad = rng.normal(size=shape)
        out_ours.backward(grad)
        out_theirs.backward(torch.tensor(grad))
        assert_close(out_ours, out_theirs, rtol=1e-10, atol=1e-10)
        assert_close(x_ours.grad, x_theirs.grad, rtol=1e-9, atol=1e-10)
        assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-9, atol=1e-10)
        assert_close(ours.bias.grad, theirs.bias.grad, rtol=1e-9, atol=1e-10)
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value.numpy(), rtol=1e-12, atol=1e-12)
    ours.eval()
    theirs.eval()
    x = rng.normal(size=shape)
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours(x_ours).sum().backward()
    theirs(x_theirs).sum().backward()
    assert_close(ours(tg.tensor(x)), theirs(torch.tensor(x)), rtol=1e-10, atol=1e-10)
    assert_close(x_ours.grad, x_theirs.grad, rtol=1e-10, atol=1e-10)
    assert int(ours.num_batches_tracked.item()) == 3


def test_no_affine_and_no_running_stats_match_pytorch():
    torch = require_torch()
    x = np.random.default_rng(2).normal(size=(5, 4))
    for kwargs in ({"affine": False}, {"track_running_stats": False}):
        ours, theirs = nn.BatchNorm1d(4, **kwargs).double(), torch.nn.BatchNorm1d(4, **kwargs).double()
        assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
        for mode in (True, False):
            ours.train(mode)
            theirs.train(mode)
            assert_close(ours(tg.tensor(x)), theirs(torch.tensor(x)), rtol=1e-10, atol=1e-10)


def test_errors_name_the_problem():
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        layer(tg.randn(1, 3))
    with pytest.raises(ValueError, match="axis 1"):
        layer(tg.randn(4, 5))
    with pytest.raises(ValueError, match="4"):
        nn.BatchNorm2d(3)(tg.randn(4, 3))
    layer.eval()
    assert layer(tg.randn(1, 3)).shape == (1, 3)  # evaluation needs no batch statistics

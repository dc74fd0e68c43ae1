"""autocast: matrix products and convolutions in float16, reductions, softmax, normalisation and losses in
float32, gradients of float32 weights in float32, and everything back to normal outside the block."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, ops
from tinygrad_edu.amp import FLOAT16_OPS, FLOAT32_OPS, autocast, is_autocast_enabled
from tinygrad_edu.nn import functional as F

from ..helpers import assert_close


def test_products_run_in_float16_and_sensitive_ops_in_float32():
    x = tg.randn(4, 3, requires_grad=True)
    w = tg.randn(3, 5, requires_grad=True)
    layer = nn.Linear(3, 2)
    conv = nn.Conv2d(1, 2, 3)
    with autocast():
        assert (x @ w).dtype == np.float16
        hidden = layer(x)
        assert hidden.dtype == np.float16
        assert conv(tg.randn(2, 1, 5, 5)).dtype == np.float16
        assert hidden.relu().dtype == np.float16  # other ops keep their input's type
        assert hidden.softmax(axis=1).dtype == np.float32
        assert hidden.log_softmax(axis=1).dtype == np.float32
        assert hidden.sum().dtype == np.float32 and hidden.mean().dtype == np.float32
        assert hidden.exp().dtype == np.float32
        loss = F.cross_entropy(hidden, tg.tensor([0, 1, 0, 1]))
        assert loss.dtype == np.float32
        assert F.mse_loss(hidden, tg.zeros(4, 2)).dtype == np.float32
    loss.backward()
    assert layer.weight.grad.dtype == np.float32 and layer.bias.grad.dtype == np.float32
    assert x.grad.dtype == np.float32


def test_the_float16_result_is_close_to_float32():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    x = tg.randn(32, 8)
    target = tg.tensor(np.arange(32) % 4)
    reference = F.cross_entropy(model(x), target)
    reference.backward()
    expected = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    with autocast():
        loss = F.cross_entropy(model(x), target)
    loss.backward()
    assert abs(loss.item() - reference.item()) < 5e-3 * abs(reference.item())
    for param, grad in zip(model.parameters(), expected, strict=True):
        assert_close(param.grad, grad, rtol=2e-2, atol=2e-3)


def test_outside_the_block_nothing_is_cast_and_nesting_works():
    x = tg.randn(2, 2)
    own_apply = {op: op.__dict__.get("apply") for op in (*FLOAT16_OPS, *FLOAT32_OPS)}  # ops.Linear has its own
    with autocast():
        assert is_autocast_enabled()
        with autocast(enabled=False):
            assert not is_autocast_enabled()
            assert (x @ x).dtype == np.float32
        assert (x @ x).dtype == np.float16
    assert not is_autocast_enabled()
    assert (x @ x).dtype == np.float32
    for op in (*FLOAT16_OPS, *FLOAT32_OPS):
        assert op.__dict__.get("apply") is own_apply[op], f"{op.__name__}.apply was not restored"


def test_float64_is_never_cast_and_decorator_form():
    x = tg.randn(3, 3, dtype="float64")

    @autocast()
    def product(a):
        return a @ a

    assert product(x).dtype == np.float64
    assert product(x.float()).dtype == np.float16


def test_unsupported_dtype_is_a_clear_error():
    with pytest.raises(ValueError, match="bfloat16"):
        autocast("float64")


def test_autocast_and_anomaly_mode_work_together():
    layer = nn.Linear(2, 2)
    with autocast(), tg.detect_anomaly():
        out = layer(tg.randn(3, 2))
        assert out.dtype == np.float16
        with pytest.raises(tg.AnomalyError, match="Cast"), np.errstate(over="ignore"):
            tg.tensor([1e6]) @ tg.tensor([[1.0]])  # 1e6 does not fit float16 (max 65504)
    assert ops.MatMul.apply(tg.ones(1, 1), tg.ones(1, 1)).dtype == np.float32

"""GradScaler: float16 gradients that underflow to zero without scaling survive with it; skipped steps on inf/NaN,
backoff and growth of the scale exactly as PyTorch's GradScaler; errors for misuse; state_dict round trip."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.amp import GradScaler, autocast
from tinygrad_edu.nn import functional as F

from ..helpers import assert_close, require_torch


def tiny_loss(layer, x):
    """A loss term weighted by 10⁻⁵ (one small term of a multi-task loss) over 100 × 40 outputs of size about 1:
    ∂L/∂out = 10⁻⁵ · 2·out / 4000 ≈ 5·10⁻⁹, far below float16's smallest number 2⁻²⁴ ≈ 6·10⁻⁸."""
    return F.mse_loss(layer(x), tg.zeros(100, 40)) * 1e-5


def test_unscaled_float16_gradients_underflow_and_scaled_ones_do_not():
    layer = nn.Linear(4, 40)
    x = tg.randn(100, 4)
    tiny_loss(layer, x).backward()
    reference = layer.weight.grad.numpy().copy()
    assert np.abs(reference).min() > 0

    layer.zero_grad()
    with autocast():
        loss = tiny_loss(layer, x)
    loss.backward()
    assert np.count_nonzero(layer.weight.grad) == 0, "without scaling the float16 gradients all underflow to 0"

    layer.zero_grad()
    scaler = GradScaler()
    optimizer = optim.SGD(layer.parameters(), lr=0.0)
    with autocast():
        loss = tiny_loss(layer, x)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    assert np.count_nonzero(layer.weight.grad) == layer.weight.size
    assert_close(layer.weight.grad, reference, rtol=0.02, atol=1e-3 * np.abs(reference).max())


def test_step_is_skipped_on_inf_and_the_scale_backs_off():
    param = tg.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([param], lr=0.1)
    scaler = GradScaler(init_scale=8.0)
    scaler.scale((param * tg.tensor([np.inf, 1.0])).sum()).backward()
    assert scaler.step(optimizer) is None
    assert scaler.found_inf(optimizer)
    assert_close(param, [1.0, 2.0])  # unchanged
    scaler.update()
    assert scaler.get_scale() == 4.0

    optimizer.zero_grad()
    scaler.scale((param * 3.0).sum()).backward()
    assert_close(param.grad, [12.0, 12.0])  # scaled by S = 4
    scaler.step(optimizer)
    assert_close(param.grad, [3.0, 3.0])  # unscaled before the update
    assert_close(param, [0.7, 1.7])
    scaler.update()
    assert scaler.get_scale() == 4.0


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_scale_grows_after_growth_interval_good_steps_as_pytorch():
    torch = require_torch()
    pattern = [False, False, False, True, False, False, False, False, True, True, False, False, False, False]
    ours = GradScaler(init_scale=2.0**10, growth_interval=3)
    theirs = torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=3)
    p = tg.tensor([1.0], requires_grad=True)
    tp = torch.tensor([1.0], requires_grad=True)
    opt, topt = optim.SGD([p], lr=0.01), torch.optim.SGD([tp], lr=0.01)
    for bad in pattern:
        factor = np.inf if bad else 1.0
        opt.zero_grad()
        topt.zero_grad()
        ours.scale((p * factor).sum()).backward()
        theirs.scale((tp * factor).sum()).backward()
        ours.step(opt)
        theirs.step(topt)
        ours.update()
        theirs.update()
        assert ours.get_scale() == theirs.get_scale()
        assert_close(p, tp.detach(), rtol=1e-6)


def test_training_with_autocast_and_scaler_learns():
    tg.manual_seed(0)
    x = tg.randn(64, 2)
    y = tg.tensor((x.numpy()[:, 0] > 0).astype(np.int64))
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    scaler = GradScaler()
    first = None
    for _ in range(30):
        optimizer.zero_grad()
        with autocast():
            loss = F.cross_entropy(model(x), y)
        first = loss.item() if first is None else first
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    assert loss.item() < 0.3 * first
    assert model[0].weight.dtype == np.float32


def test_misuse_is_reported():
    param = tg.tensor([1.0], requires_grad=True)
    optimizer = optim.SGD([param], lr=0.1)
    scaler = GradScaler()
    with pytest.raises(RuntimeError, match="no inf checks"):
        scaler.update()
    scaler.scale(param.sum()).backward()
    scaler.unscale_(optimizer)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(optimizer)
    scaler.step(optimizer)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(optimizer)
    with pytest.raises(TypeError, match="Tensor"):
        scaler.scale(3.0)
    with pytest.raises(ValueError, match="backoff_factor"):
        GradScaler(backoff_factor=2.0)


def test_disabled_scaler_passes_through_and_state_round_trips():
    off = GradScaler(enabled=False)
    loss = tg.tensor(2.0, requires_grad=True)
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    on = GradScaler(init_scale=256.0, growth_interval=7)
    on._growth_tracker = 3
    copy = GradScaler()
    copy.load_state_dict(on.state_dict())
    assert copy.state_dict() == on.state_dict() and copy.get_scale() == 256.0
    assert "scale=256" in repr(copy)

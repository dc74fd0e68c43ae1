"""Weight penalties (L1, L2), gradient clipping, and what regularisation does to over-fitting.

- ``l1_penalty`` / ``l2_penalty``: values, gradients (gradcheck, float64), and how L2 relates to the
  optimizers' weight decay (equal for SGD, different for Adam's coupled vs AdamW's decoupled decay).
- ``clip_grad_norm_`` / ``clip_grad_value_`` against PyTorch, and their errors.
- A small over-parameterised MLP on a small noisy data set, trained with no regulariser, L2, L1 and dropout.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests import strategies as tst
from tests.helpers import require_torch
from tinygrad_edu import nn, optim
from tinygrad_edu.nn.utils import clip_grad_norm_, clip_grad_value_, l1_penalty, l2_penalty
from tinygrad_edu.optim.lr_scheduler import CosineAnnealingLR

# ------------------------------------------------------------------------------------------ penalties


@given(tst.shapes(min_dims=1).flatmap(tst.values), st.floats(0.0, 2.0))
def test_penalty_values(theta, lam):
    p = tg.Tensor(theta, requires_grad=True)
    q = tg.Tensor(np.arange(3.0), requires_grad=True)
    np.testing.assert_allclose(l1_penalty([p, q], lam).item(), lam * (np.abs(theta).sum() + 3.0), rtol=1e-12)
    np.testing.assert_allclose(l2_penalty([p, q], lam).item(), lam * ((theta**2).sum() + 5.0), rtol=1e-12)


@given(tst.shapes(min_dims=1).flatmap(lambda s: tst.away_from(s, kinks=(0.0,))))
def test_penalty_gradients(theta):
    p = tg.Tensor(theta, requires_grad=True)
    tg.gradcheck(lambda w: l1_penalty([w], 0.3), p)
    tg.gradcheck(lambda w: l2_penalty([w], 0.3), p)
    l1_penalty([p], 0.3).backward()
    np.testing.assert_allclose(p.grad, 0.3 * np.sign(theta), rtol=1e-15)  # λ sign(θ)
    p.grad = None
    l2_penalty([p], 0.3).backward()
    np.testing.assert_allclose(p.grad, 0.6 * theta, rtol=1e-15)  # 2λθ


def test_penalty_errors():
    with pytest.raises(ValueError, match="l1_penalty got an empty parameter list"):
        l1_penalty([], 0.1)
    with pytest.raises(TypeError, match="l2_penalty: parameter 0 is a ndarray, not a Tensor"):
        l2_penalty([np.ones(2)], 0.1)


def _train(optimizer_class, options, lam_in_loss=0.0, steps=5):
    """A few steps of a least-squares fit, optionally with λΣθ² added to the loss; returns θ."""
    rng = np.random.default_rng(3)
    x, y = tg.Tensor(rng.standard_normal((8, 3))), tg.Tensor(rng.standard_normal((8, 1)))
    w = tg.Tensor(rng.standard_normal((3, 1)), requires_grad=True)
    opt = optimizer_class([w], **options)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        if lam_in_loss:
            loss = loss + l2_penalty([w], lam_in_loss)
        loss.backward()
        opt.step()
    return w.data


def test_l2_in_the_loss_versus_weight_decay():
    """SGD: λΣθ² in the loss ≡ weight_decay = 2λ ≡ decoupled decay. Adam: the loss term ≡ coupled weight_decay,
    but AdamW's decoupled decay gives different weights (docs/optimizers.md prints the numbers)."""
    lam = 0.05
    sgd_loss = _train(optim.SGD, {"lr": 0.1}, lam_in_loss=lam)
    sgd_decay = _train(optim.SGD, {"lr": 0.1, "weight_decay": 2 * lam})
    np.testing.assert_allclose(sgd_loss, sgd_decay, rtol=1e-12)

    adam_loss = _train(optim.Adam, {"lr": 0.1}, lam_in_loss=lam)
    adam_coupled = _train(optim.Adam, {"lr": 0.1, "weight_decay": 2 * lam})
    adamw = _train(optim.AdamW, {"lr": 0.1, "weight_decay": 2 * lam})
    np.testing.assert_allclose(adam_loss, adam_coupled, rtol=1e-12)
    assert np.max(np.abs(adamw - adam_coupled)) > 1e-3


# ------------------------------------------------------------------------------------------- clipping


def _params_with_grads(rng, dtype, scale=1.0):
    shapes = [(3, 4), (5,), (2, 2, 2)]
    params = [tg.Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]
    for p in params:
        p.grad = tg.tensor((scale * rng.standard_normal(p.shape)).astype(dtype))
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    torch = require_torch()
    params = _params_with_grads(np.random.default_rng(0), np.float64)
    torch_params = [torch.tensor(p.data, requires_grad=True) for p in params]
    for p, tp in zip(params, torch_params, strict=True):
        tp.grad = torch.tensor(p.grad.numpy().copy())
    total = clip_grad_norm_(params, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(torch_params, max_norm, norm_type, foreach=False)
    assert isinstance(total, tg.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-13)
    for p, tp in zip(params, torch_params, strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-13)


def test_clip_grad_norm_by_hand():
    """Gradients (3, 4) and (0,): total 2-norm 5; clipped to max_norm 1 they become (3, 4)·1/(5 + 10⁻⁶)."""
    a, b = tg.Tensor(np.zeros(2), requires_grad=True), tg.Tensor(np.zeros(1), requires_grad=True)
    a.grad, b.grad = tg.tensor(np.array([3.0, 4.0])), tg.tensor(np.array([0.0]))
    grad_array = a.grad
    total = clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == 5.0
    assert a.grad is grad_array  # in place, as PyTorch
    np.testing.assert_allclose(a.grad, np.array([3.0, 4.0]) / (5.0 + 1e-6), rtol=1e-15)
    no_grads = clip_grad_norm_([tg.Tensor(np.ones(2), requires_grad=True)], 1.0)
    assert no_grads.item() == 0.0


def test_clip_grad_norm_nonfinite():
    params = _params_with_grads(np.random.default_rng(0), np.float32)
    params[1].grad[2] = np.nan
    with pytest.raises(RuntimeError, match="total 2-norm of the gradients is nan.*error_if_nonfinite=False"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    params[1].grad[2] = np.inf
    with pytest.raises(RuntimeError, match="is inf"):
        clip_grad_norm_(params, 1.0, norm_type=math.inf, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):  # 0 · ∞ = NaN in the clipped gradients, as in PyTorch
        total = clip_grad_norm_(params, 1.0)  # without the check: the norm is returned, as PyTorch
    assert math.isinf(total.item())
    with pytest.raises(ValueError, match="norm_type must be positive"):
        clip_grad_norm_(params, 1.0, norm_type=-1)


def test_clip_grad_value_matches_pytorch():
    torch = require_torch()
    params = _params_with_grads(np.random.default_rng(1), np.float32, scale=2.0)
    torch_params = [torch.tensor(p.data, requires_grad=True) for p in params]
    for p, tp in zip(params, torch_params, strict=True):
        tp.grad = torch.tensor(p.grad.numpy().copy())
    clip_grad_value_(params, 0.7)
    torch.nn.utils.clip_grad_value_(torch_params, 0.7, foreach=False)
    for p, tp in zip(params, torch_params, strict=True):
        np.testing.assert_array_equal(p.grad, tp.grad.numpy())
        assert np.abs(p.grad).max() <= np.float32(0.7)
    with pytest.raises(ValueError, match="clip_value must be ≥ 0"):
        clip_grad_value_(params, -1.0)


# ------------------------------------------------------------------------------ over-fitting and its cures


def _noisy_sine(rng, n):
    x = rng.uniform(-1.0, 1.0, (n, 1))
    return x, np.sin(np.pi * x) + 0.3 * rng.standard_normal((n, 1))


def _fit(regulariser: str, steps: int = 1000):
    """A 1-64-64-1 tanh MLP (4,353 parameters) fitted to 24 noisy points; returns train and test MSE and the
    fraction of weights with |w| < 10⁻³. Adam with a cosine-annealed learning rate, so that L1's weights can
    settle at 0 instead of oscillating around it."""
    rng = np.random.default_rng(0)
    (x_train, y_train), (x_test, y_test) = _noisy_sine(rng, 24), _noisy_sine(rng, 400)
    tg.manual_seed(0)
    dropout = [nn.Dropout(0.3)] if regulariser == "dropout" else []
    model = nn.Sequential(nn.Linear(1, 64, dtype="float64"), nn.Tanh(), *dropout,
                          nn.Linear(64, 64, dtype="float64"), nn.Tanh(), *dropout,
                          nn.Linear(64, 1, dtype="float64"))
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    schedule = CosineAnnealingLR(optimizer, T_max=steps)
    x, y = tg.Tensor(x_train), tg.Tensor(y_train)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        if regulariser == "l2":
            loss = loss + l2_penalty(weights, 1e-3)
        elif regulariser == "l1":
            loss = loss + l1_penalty(weights, 1e-3)
        loss.backward()
        optimizer.step()
        schedule.step()
    model.eval()
    with tg.no_grad():
        train_mse = F.mse_loss(model(x), y).item()
        test_mse = F.mse_loss(model(tg.Tensor(x_test)), tg.Tensor(y_test)).item()
    all_weights = np.concatenate([w.data.ravel() for w in weights])
    return train_mse, test_mse, float(np.mean(np.abs(all_weights) < 1e-3))


@pytest.mark.slow
def test_regularisation_narrows_the_train_test_gap():
    results = {name: _fit(name) for name in ("none", "l2", "l1", "dropout")}
    gap = {name: test - train for name, (train, test, _) in results.items()}
    table = "\n".join(f"{name:8s} train {r[0]:.4f}  test {r[1]:.4f}  gap {gap[name]:.4f}  |w|<1e-3: {r[2]:.1%}"
                      for name, r in results.items())
    unregularised_train = results["none"][0]
    assert unregularised_train < 0.05, table  # the noise variance is 0.09: the plain model fits the noise
    for name in ("l2", "l1", "dropout"):
        assert gap[name] < 0.8 * gap["none"], table
        assert results[name][0] > unregularised_train, table  # ... by fitting the training noise less
    assert results["l1"][2] > 0.5, table  # L1 sets most weights of this over-sized model to (near) zero
    assert results["none"][2] < 0.02 and results["l2"][2] < 0.1, table

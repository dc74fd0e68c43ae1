"""Each optimizer's first three steps against values computed by hand from its formula (float64, to 1e-12).

The references below are written straight from the textbook formulas, not in the optimizers' (PyTorch's)
order of operations, so agreement to 1e-12 checks the rule and not a copy of the code. The gradient changes
with θ (g = θ³ − c + 0.1 t), so a wrong use of the state (step count, buffers) shows up at step 2 or 3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim

TOL = 1e-12


def gradient(theta: np.ndarray, t: int) -> np.ndarray:
    """A made-up gradient field: depends on θ and on the step t."""
    return theta**3 - np.linspace(-1.0, 1.0, theta.size).reshape(theta.shape) + 0.1 * t


def run(optimizer_class, theta0: np.ndarray, steps: int = 3, **options) -> list[np.ndarray]:
    """θ after each of ``steps`` steps, the gradient set by hand before each step."""
    param = tg.Tensor(theta0.copy(), requires_grad=True)
    optimizer = optimizer_class([param], **options)
    trajectory = []
    for t in range(1, steps + 1):
        param.grad = tg.tensor(gradient(param.data, t))
        optimizer.step()
        trajectory.append(param.data.copy())
    return trajectory


# ----------------------------------------------------------------------- references from the formulas


def sgd_reference(theta, steps=3, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  maximize=False):
    theta, b, out = theta.copy(), None, []
    for t in range(1, steps + 1):
        g = gradient(theta, t)
        g = -g if maximize else g
        g = g + weight_decay * theta
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g   # b₁ = g
            direction = g + momentum * b if nesterov else b
        else:
            direction = g
        theta = theta - lr * direction
        out.append(theta)
    return out


def adam_reference(theta, steps=3, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                   decoupled=False):
    beta1, beta2 = betas
    theta = theta.copy()
    m, v, v_max, out = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta), []
    for t in range(1, steps + 1):
        g = gradient(theta, t)
        if decoupled:
            theta = theta - lr * weight_decay * theta
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - beta1**t)
        v_hat = (v_max if amsgrad else v) / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


def adamw_reference(theta, weight_decay=1e-2, **options):
    return adam_reference(theta, weight_decay=weight_decay, decoupled=True, **options)


def adagrad_reference(theta, steps=3, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                      eps=1e-10):
    theta = theta.copy()
    s, out = np.full_like(theta, initial_accumulator_value), []
    for t in range(1, steps + 1):
        g = gradient(theta, t) + weight_decay * theta
        s = s + g**2
        theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
        out.append(theta)
    return out


def rmsprop_reference(theta, steps=3, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                      centered=False):
    theta = theta.copy()
    s, g_mean, b, out = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta), []
    for t in range(1, steps + 1):
        g = gradient(theta, t) + weight_decay * theta
        s = alpha * s + (1 - alpha) * g**2
        g_mean = alpha * g_mean + (1 - alpha) * g
        d = (np.sqrt(s - g_mean**2) if centered else np.sqrt(s)) + eps
        if momentum > 0:
            b = momentum * b + g / d
            theta = theta - lr * b
        else:
            theta = theta - lr * g / d
        out.append(theta)
    return out


THETA0 = np.array([[0.5, -1.25, 2.0], [0.0, 0.75, -0.3]], dtype=np.float64)

CASES = [
    (optim.SGD, sgd_reference, {"lr": 0.1}),
    (optim.SGD, sgd_reference, {"lr": 0.1, "momentum": 0.9}),
    (optim.SGD, sgd_reference, {"lr": 0.1, "momentum": 0.9, "dampening": 0.25}),
    (optim.SGD, sgd_reference, {"lr": 0.1, "momentum": 0.8, "nesterov": True}),
    (optim.SGD, sgd_reference, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1, "nesterov": True}),
    (optim.SGD, sgd_reference, {"lr": 0.05, "weight_decay": 0.3, "maximize": True}),
    (optim.Adam, adam_reference, {"lr": 0.1}),
    (optim.Adam, adam_reference, {"lr": 0.1, "betas": (0.5, 0.75), "eps": 1e-3}),
    (optim.Adam, adam_reference, {"lr": 0.1, "betas": (0.3, 0.6)}),  # β₁ < 0.5: lerp's other branch
    (optim.Adam, adam_reference, {"lr": 0.1, "weight_decay": 0.2}),
    (optim.Adam, adam_reference, {"lr": 0.1, "amsgrad": True}),
    (optim.Adam, adam_reference, {"lr": 0.1, "amsgrad": True, "weight_decay": 0.2}),
    (optim.AdamW, adamw_reference, {"lr": 0.1}),
    (optim.AdamW, adamw_reference, {"lr": 0.1, "weight_decay": 0.5}),
    (optim.AdamW, adamw_reference,
     {"lr": 0.1, "weight_decay": 0.5, "amsgrad": True}),
    (optim.Adagrad, adagrad_reference, {"lr": 0.5}),
    (optim.Adagrad, adagrad_reference,
     {"lr": 0.5, "lr_decay": 0.2, "weight_decay": 0.1, "initial_accumulator_value": 0.3}),
    (optim.RMSprop, rmsprop_reference, {"lr": 0.01}),
    (optim.RMSprop, rmsprop_reference, {"lr": 0.01, "alpha": 0.9, "centered": True}),
    (optim.RMSprop, rmsprop_reference, {"lr": 0.01, "momentum": 0.9}),
    (optim.RMSprop, rmsprop_reference,
     {"lr": 0.01, "alpha": 0.8, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("optimizer_class", "reference", "options"), CASES,
                         ids=[f"{c.__name__}-{o}" for c, _, o in CASES])
def test_three_steps_match_the_formula(optimizer_class, reference, options):
    expected = reference(THETA0, **options)
    actual = run(optimizer_class, THETA0, **options)
    for step, (a, e) in enumerate(zip(actual, expected, strict=True), start=1):
        np.testing.assert_allclose(a, e, rtol=TOL, atol=TOL, err_msg=f"after step {step}")
    assert not np.allclose(actual[-1], THETA0)  # the parameters did move


def test_defaults_are_pytorchs():
    p = tg.Tensor(np.ones(2), requires_grad=True)
    assert optim.SGD([p]).defaults["lr"] == 1e-3
    adam = optim.Adam([p]).defaults
    assert (adam["lr"], adam["betas"], adam["eps"], adam["weight_decay"], adam["amsgrad"]) == (
        1e-3, (0.9, 0.999), 1e-8, 0.0, False)
    assert optim.AdamW([p]).defaults["weight_decay"] == 1e-2
    adagrad = optim.Adagrad([p]).defaults
    assert (adagrad["lr"], adagrad["lr_decay"], adagrad["eps"], adagrad["initial_accumulator_value"]) == (
        1e-2, 0.0, 1e-10, 0.0)
    rms = optim.RMSprop([p]).defaults
    assert (rms["lr"], rms["alpha"], rms["eps"], rms["momentum"], rms["centered"]) == (1e-2, 0.99, 1e-8, 0.0, False)


# ------------------------------------------------------------------------------- literal numbers by hand


def test_sgd_momentum_by_hand():
    """θ₀ = 1, g = 1 always, α = 0.1, μ = 0.9:  b = 1, 1.9, 2.71;  θ = 0.9, 0.71, 0.439."""
    p = tg.Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    values = []
    for _ in range(3):
        p.grad = tg.tensor(np.array([1.0]))
        opt.step()
        values.append(p.data[0])
    np.testing.assert_allclose(values, [0.9, 0.71, 0.439], rtol=0, atol=TOL)


def test_adam_first_steps_by_hand():
    """With a constant gradient g, m̂ = g and v̂ = g² at every step (bias correction exactly undoes the zero
    start), so each Adam step is θ ← θ − α g/(|g| + ε): a step of α against the sign of g."""
    p = tg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.Adam([p], lr=0.01)
    g = np.array([4.0, -0.5])
    for t in range(1, 4):
        p.grad = tg.tensor(g.copy())
        opt.step()
        expected = np.array([1.0, -2.0]) - t * 0.01 * g / (np.abs(g) + 1e-8)
        np.testing.assert_allclose(p.data, expected, rtol=0, atol=TOL)


def test_rmsprop_first_step_is_ten_learning_rates():
    """s₁ = (1 − α) g², so the first step is α_lr g / (√(1 − α)|g| + ε) = 10 α_lr sign(g) for α = 0.99."""
    p = tg.Tensor(np.array([0.0, 0.0]), requires_grad=True)
    opt = optim.RMSprop([p], lr=0.01, eps=0.0)
    p.grad = tg.tensor(np.array([3.0, -0.2]))
    opt.step()
    np.testing.assert_allclose(p.data, [-0.01 / math.sqrt(0.01), 0.01 / math.sqrt(0.01)], rtol=TOL)


def test_adagrad_lr_decay_by_hand():
    """g = 1 always, s₀ = 0, α = 1, η = 1:  steps of 1/1·1/√1, 1/2·1/√2, 1/3·1/√3."""
    p = tg.Tensor(np.array([0.0]), requires_grad=True)
    opt = optim.Adagrad([p], lr=1.0, lr_decay=1.0, eps=0.0)
    for _ in range(3):
        p.grad = tg.tensor(np.array([1.0]))
        opt.step()
    expected = -(1.0 + 1 / (2 * math.sqrt(2)) + 1 / (3 * math.sqrt(3)))
    np.testing.assert_allclose(p.data, [expected], rtol=TOL)


def test_adamw_decay_shrinks_by_one_minus_lr_lambda():
    """With a zero gradient Adam's step is 0, so AdamW's only change is θ ← θ(1 − αλ) each step."""
    p = tg.Tensor(np.array([2.0, -3.0]), requires_grad=True)
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        p.grad = tg.tensor(np.zeros(2))
        opt.step()
    np.testing.assert_allclose(p.data, np.array([2.0, -3.0]) * 0.95**3, rtol=TOL)

"""F.kl_div (PyTorch's semantics) and F.distillation_loss: gradchecks in float64, PyTorch's values and gradients,
zero targets, and the T² scaling of the soft term."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests.helpers import assert_close, require_torch

KL_REDUCTIONS = ["batchmean", "sum", "none", "mean"]
shapes = st.sampled_from([(1, 2), (3, 4), (5, 3), (2, 3, 2)])


def _log_q_and_p(shape, seed, zeros=False):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=shape) * 2
    log_q = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    p = rng.random(shape) + 0.05
    if zeros:
        p.flat[:: 3] = 0.0  # some classes with probability exactly 0
    p /= p.sum(axis=1, keepdims=True)
    return log_q, p


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # reduction="mean" warns, as in PyTorch
        return function(*args, **kwargs)


@given(shape=shapes, reduction=st.sampled_from(KL_REDUCTIONS), log_target=st.booleans(),
       seed=st.integers(0, 2**16))
def test_kl_div_gradcheck_in_both_arguments(shape, reduction, log_target, seed):
    log_q, p = _log_q_and_p(shape, seed)
    target = np.log(p) if log_target else p
    tg.gradcheck(lambda x, t: _quiet(F.kl_div, x, t, reduction=reduction, log_target=log_target),
                 tg.tensor(log_q, requires_grad=True), tg.tensor(target, requires_grad=True))


@given(shape=shapes, reduction=st.sampled_from(KL_REDUCTIONS), zeros=st.booleans(), seed=st.integers(0, 2**16))
def test_kl_div_gradcheck_in_the_input_with_zero_targets(shape, reduction, zeros, seed):
    log_q, p = _log_q_and_p(shape, seed, zeros=zeros)
    tg.gradcheck(lambda x: _quiet(F.kl_div, x, tg.tensor(p), reduction=reduction), tg.tensor(log_q, requires_grad=True))


@pytest.mark.torch
@given(shape=shapes, reduction=st.sampled_from(KL_REDUCTIONS), log_target=st.booleans(), zeros=st.booleans(),
       seed=st.integers(0, 2**16))
def test_kl_div_matches_pytorch(shape, reduction, log_target, zeros, seed):
    torch = require_torch()
    log_q, p = _log_q_and_p(shape, seed, zeros=zeros and not log_target)
    target = np.log(p) if log_target else p
    ours_x, ours_t = tg.tensor(log_q, requires_grad=True), tg.tensor(target, requires_grad=True)
    theirs_x, theirs_t = torch.tensor(log_q, requires_grad=True), torch.tensor(target, requires_grad=True)
    ours = _quiet(F.kl_div, ours_x, ours_t, reduction=reduction, log_target=log_target)
    theirs = _quiet(torch.nn.functional.kl_div, theirs_x, theirs_t, reduction=reduction, log_target=log_target)
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(seed).normal(size=np.shape(theirs.detach().numpy()))
    (ours * tg.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    assert_close(ours_x.grad, theirs_x.grad, rtol=1e-10, atol=1e-12)
    if not zeros:  # at p = 0 the derivative in p (log p + 1 − x) is −inf in PyTorch and finite here: not compared
        assert_close(ours_t.grad, theirs_t.grad, rtol=1e-10, atol=1e-12)


def test_kl_div_is_zero_for_equal_distributions_and_warns_for_mean():
    log_q, p = _log_q_and_p((4, 5), 0)
    assert abs(F.kl_div(tg.tensor(log_q), tg.tensor(np.exp(log_q)), reduction="batchmean").item()) < 1e-12
    assert F.kl_div(tg.tensor(log_q), tg.tensor(p), reduction="batchmean").item() > 0  # Gibbs' inequality
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(tg.tensor(log_q), tg.tensor(p))
    with pytest.raises(ValueError, match="batchmean"):
        F.kl_div(tg.tensor(log_q), tg.tensor(p), reduction="average")


# ------------------------------------------------------------------------------------------- distillation


@given(n=st.integers(1, 4), classes=st.integers(2, 5), temperature=st.sampled_from([1.0, 2.0, 4.0]),
       alpha=st.sampled_from([0.0, 0.5, 0.9, 1.0]), seed=st.integers(0, 2**16))
def test_distillation_loss_gradcheck(n, classes, temperature, alpha, seed):
    rng = np.random.default_rng(seed)
    teacher = rng.normal(size=(n, classes)) * 3
    labels = tg.tensor(rng.integers(0, classes, size=n))
    tg.gradcheck(lambda z: F.distillation_loss(z, teacher, labels, temperature=temperature, alpha=alpha),
                 tg.tensor(rng.normal(size=(n, classes)), requires_grad=True))


@pytest.mark.torch
def test_distillation_loss_is_the_formula_and_matches_pytorch():
    torch = require_torch()
    rng = np.random.default_rng(3)
    student, teacher = rng.normal(size=(6, 10)), rng.normal(size=(6, 10)) * 3
    labels = rng.integers(0, 10, size=6)
    T, alpha = 4.0, 0.7
    ours = F.distillation_loss(tg.tensor(student), tg.tensor(teacher), tg.tensor(labels), temperature=T, alpha=alpha)
    tf = torch.nn.functional
    s, t = torch.tensor(student), torch.tensor(teacher)
    soft = tf.kl_div(tf.log_softmax(s / T, dim=1), tf.softmax(t / T, dim=1), reduction="batchmean")
    expected = alpha * T**2 * soft + (1 - alpha) * tf.cross_entropy(s, torch.tensor(labels))
    assert_close(ours, expected, rtol=1e-12, atol=1e-12)


def test_the_soft_gradient_is_the_difference_of_softened_outputs_over_t():
    """α = 1: ∂L/∂z_s = T² · (softmax(z_s/T) − softmax(z_t/T)) / (T · N) — the T² keeps it of order 1/T·T²/T = 1."""
    rng = np.random.default_rng(4)
    student = tg.tensor(rng.normal(size=(3, 5)), requires_grad=True)
    teacher = rng.normal(size=(3, 5))
    T = 3.0
    F.distillation_loss(student, teacher, tg.tensor([0, 1, 2]), temperature=T, alpha=1.0).backward()

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    expected = T * (softmax(student.data / T) - softmax(teacher / T)) / 3
    assert_close(student.grad, expected, rtol=1e-10, atol=1e-12)


def test_distillation_loss_checks_its_arguments():
    z = tg.randn(2, 3)
    with pytest.raises(ValueError, match="temperature"):
        F.distillation_loss(z, z, tg.tensor([0, 1]), temperature=0.0)
    with pytest.raises(ValueError, match="alpha"):
        F.distillation_loss(z, z, tg.tensor([0, 1]), alpha=1.5)
    with pytest.raises(ValueError, match="same shape"):
        F.distillation_loss(z, tg.randn(2, 4), tg.tensor([0, 1]))

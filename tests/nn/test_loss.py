"""Losses: finite-difference gradients, PyTorch's values and gradients for every option, and stability."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests.helpers import assert_close, require_torch
from tinygrad_edu import nn

REDUCTIONS = ["mean", "sum", "none"]
loss_shapes = st.sampled_from([(1, 2), (4, 3), (3, 5), (2, 3, 2), (2, 2, 2, 2)])


def _logits_and_targets(shape, seed, ignore=False):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=shape) * 2
    indices = rng.integers(0, shape[1], size=(shape[0], *shape[2:]))
    if ignore:
        indices.flat[0] = -100
    probabilities = rng.random(shape) + 0.1
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    weight = rng.uniform(0.5, 2, size=shape[1])
    return logits, indices, probabilities, weight


# ------------------------------------------------------------------------------------------- gradcheck


@given(shape=loss_shapes, reduction=st.sampled_from(REDUCTIONS), smoothing=st.sampled_from([0.0, 0.3]),
       weighted=st.booleans(), ignore=st.booleans(), seed=st.integers(0, 2**16))
def test_cross_entropy_gradcheck_class_indices(shape, reduction, smoothing, weighted, ignore, seed):
    logits, indices, _, weight = _logits_and_targets(shape, seed, ignore=ignore and shape[0] > 1)
    tg.gradcheck(lambda z: F.cross_entropy(z, tg.tensor(indices), weight=weight if weighted else None,
                                           reduction=reduction, label_smoothing=smoothing),
                 tg.tensor(logits, requires_grad=True))


@given(shape=loss_shapes, reduction=st.sampled_from(REDUCTIONS), smoothing=st.sampled_from([0.0, 0.3]),
       weighted=st.booleans(), seed=st.integers(0, 2**16))
def test_cross_entropy_gradcheck_class_probabilities(shape, reduction, smoothing, weighted, seed):
    logits, _, probabilities, weight = _logits_and_targets(shape, seed)
    tg.gradcheck(lambda z, y: F.cross_entropy(z, y, weight=weight if weighted else None, reduction=reduction,
                                              label_smoothing=smoothing),
                 tg.tensor(logits, requires_grad=True), tg.tensor(probabilities, requires_grad=True))


@given(shape=loss_shapes, reduction=st.sampled_from(REDUCTIONS), weighted=st.booleans(), seed=st.integers(0, 2**16))
def test_nll_loss_gradcheck(shape, reduction, weighted, seed):
    _, indices, probabilities, weight = _logits_and_targets(shape, seed, ignore=shape[0] > 1)
    tg.gradcheck(lambda x: F.nll_loss(x, tg.tensor(indices), weight=weight if weighted else None,
                                      reduction=reduction),
                 tg.tensor(np.log(probabilities), requires_grad=True))


elementwise_shapes = st.sampled_from([(1,), (5,), (3, 4), (2, 3, 2)])


@given(shape=elementwise_shapes, reduction=st.sampled_from(REDUCTIONS), seed=st.integers(0, 2**16))
def test_regression_losses_gradcheck(shape, reduction, seed):
    rng = np.random.default_rng(seed)
    prediction = tg.tensor(rng.normal(size=shape), requires_grad=True)
    target = tg.tensor(prediction.numpy() + rng.choice([-1, 1], size=shape) * rng.uniform(0.1, 1, size=shape),
                       requires_grad=True)  # |ŷ − y| ≥ 0.1: away from the kink of |·|
    tg.gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), prediction, target)
    tg.gradcheck(lambda a, b: F.l1_loss(a, b, reduction=reduction), prediction, target)


@given(shape=elementwise_shapes, reduction=st.sampled_from(REDUCTIONS), weighted=st.booleans(),
       seed=st.integers(0, 2**16))
def test_binary_cross_entropy_gradcheck(shape, reduction, weighted, seed):
    rng = np.random.default_rng(seed)
    weight = rng.uniform(0.5, 2, size=shape[-1]) if weighted else None
    pos_weight = rng.uniform(0.5, 2, size=shape[-1]) if weighted else None
    probabilities = tg.tensor(rng.uniform(0.05, 0.95, size=shape), requires_grad=True)
    logits = tg.tensor(rng.normal(size=shape) * 3, requires_grad=True)
    target = tg.tensor(rng.random(shape), requires_grad=True)
    tg.gradcheck(lambda x, y: F.binary_cross_entropy(x, y, weight=weight, reduction=reduction), probabilities, target)
    tg.gradcheck(lambda z, y: F.binary_cross_entropy_with_logits(z, y, weight=weight, reduction=reduction,
                                                                 pos_weight=pos_weight), logits, target)


# ------------------------------------------------------------------------------------------- PyTorch


def _compare(ours_fn, theirs_fn, inputs, grad_inputs, torch):
    """Run both on float64 copies of ``inputs``; compare outputs and the gradients of ``grad_inputs``."""
    ours = [tg.tensor(x, requires_grad=i in grad_inputs) if isinstance(x, np.ndarray) and x.dtype.kind == "f"
            else (tg.tensor(x) if isinstance(x, np.ndarray) else x) for i, x in enumerate(inputs)]
    theirs = [torch.tensor(x, requires_grad=i in grad_inputs) if isinstance(x, np.ndarray) else x
              for i, x in enumerate(inputs)]
    out_ours, out_theirs = ours_fn(*ours), theirs_fn(*theirs)
    assert_close(out_ours, out_theirs, rtol=1e-10, atol=1e-12)
    assert out_ours.shape == tuple(out_theirs.shape)
    grad = np.random.default_rng(0).uniform(0.5, 1.5, size=out_ours.shape)
    out_ours.backward(grad)
    out_theirs.backward(torch.tensor(grad))
    for i in grad_inputs:
        assert_close(ours[i].grad, theirs[i].grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_matches_pytorch(shape, reduction, smoothing, weighted, ignore):
    torch = require_torch()
    logits, indices, probabilities, weight = _logits_and_targets(shape, 0, ignore=ignore)
    options = dict(reduction=reduction, label_smoothing=smoothing)
    ours_weight = weight if weighted else None
    theirs_weight = torch.tensor(weight) if weighted else None
    _compare(lambda z, t: F.cross_entropy(z, t, weight=ours_weight, **options),
             lambda z, t: torch.nn.functional.cross_entropy(z, t, weight=theirs_weight, **options),
             [logits, indices], [0], torch)
    _compare(lambda z, y: F.cross_entropy(z, y, weight=ours_weight, **options),
             lambda z, y: torch.nn.functional.cross_entropy(z, y, weight=theirs_weight, **options),
             [logits, probabilities], [0, 1], torch)
    _compare(lambda z, t: nn.CrossEntropyLoss(weight=ours_weight, **options)(z, t),
             lambda z, t: torch.nn.CrossEntropyLoss(weight=theirs_weight, **options)(z, t),
             [logits, indices], [0], torch)


def test_cross_entropy_of_one_sample_and_custom_ignore_index_match_pytorch():
    torch = require_torch()
    z = np.random.default_rng(0).normal(size=5)
    for reduction in REDUCTIONS:
        _compare(lambda z, r=reduction: F.cross_entropy(z, tg.tensor(3), reduction=r),
                 lambda z, r=reduction: torch.nn.functional.cross_entropy(z, torch.tensor(3), reduction=r),
                 [z], [0], torch)
    logits, indices, _, _ = _logits_and_targets((6, 3), 1)
    indices[:2] = 1
    _compare(lambda z, t: F.cross_entropy(z, t, ignore_index=1),
             lambda z, t: torch.nn.functional.cross_entropy(z, t, ignore_index=1), [logits, indices], [0], torch)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_matches_pytorch(reduction, weighted):
    torch = require_torch()
    _, indices, probabilities, weight = _logits_and_targets((3, 4, 2), 2, ignore=True)
    _compare(lambda x, t: F.nll_loss(x, t, weight=weight if weighted else None, reduction=reduction),
             lambda x, t: torch.nn.functional.nll_loss(x, t, weight=torch.tensor(weight) if weighted else None,
                                                       reduction=reduction),
             [np.log(probabilities), indices], [0], torch)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_and_binary_losses_match_pytorch(reduction):
    torch = require_torch()
    tf = torch.nn.functional
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    probabilities, target = rng.uniform(0.02, 0.98, size=(4, 3)), rng.random((4, 3))
    weight, pos_weight = rng.uniform(0.5, 2, size=3), rng.uniform(0.5, 2, size=3)
    _compare(lambda x, y: F.mse_loss(x, y, reduction=reduction), lambda x, y: tf.mse_loss(x, y, reduction=reduction),
             [a, b], [0, 1], torch)
    _compare(lambda x, y: F.l1_loss(x, y, reduction=reduction), lambda x, y: tf.l1_loss(x, y, reduction=reduction),
             [a, b], [0, 1], torch)
    _compare(lambda x, y: nn.MSELoss(reduction)(x, y), lambda x, y: torch.nn.MSELoss(reduction=reduction)(x, y),
             [a, b], [0], torch)
    _compare(lambda x, y: F.binary_cross_entropy(x, y, weight=weight, reduction=reduction),
             lambda x, y: tf.binary_cross_entropy(x, y, weight=torch.tensor(weight), reduction=reduction),
             [probabilities, target], [0, 1], torch)
    _compare(lambda x, y: F.binary_cross_entropy_with_logits(x, y, weight=weight, reduction=reduction,
                                                             pos_weight=pos_weight),
             lambda x, y: tf.binary_cross_entropy_with_logits(x, y, weight=torch.tensor(weight), reduction=reduction,
                                                              pos_weight=torch.tensor(pos_weight)),
             [a * 30, target], [0, 1], torch)
    _compare(lambda x, y: nn.BCEWithLogitsLoss(reduction=reduction)(x, y),
             lambda x, y: torch.nn.BCEWithLogitsLoss(reduction=reduction)(x, y), [a, target], [0], torch)


def test_binary_cross_entropy_clamps_the_log_like_pytorch():
    torch = require_torch()
    x, y = np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 1.0])
    assert_close(F.binary_cross_entropy(tg.tensor(x), tg.tensor(y), reduction="none"),
                 torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(y), reduction="none"))
    with pytest.raises(ValueError, match="sigmoid"):
        F.binary_cross_entropy(tg.tensor([1.5]), tg.tensor([1.0]))


# ------------------------------------------------------------------------------------------- stability


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    logits, indices, _, _ = _logits_and_targets((6, 4), 4)
    z = tg.tensor(logits, requires_grad=True)
    F.cross_entropy(z, tg.tensor(indices), reduction="sum").backward()
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(z.grad, softmax - np.eye(4)[indices], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_huge_logits_give_a_finite_loss_and_gradient(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [3.0, 1.0, 2.0]], dtype=dtype)
    for target in (tg.tensor([0, 0, 2]), tg.tensor(np.eye(3, dtype=dtype)[[0, 0, 2]])):
        for smoothing in (0.0, 0.1):
            z = tg.tensor(logits, requires_grad=True)
            loss = F.cross_entropy(z, target, label_smoothing=smoothing)
            loss.backward()
            assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad))
    z = tg.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, tg.tensor([0, 0, 2]), reduction="none")
    np.testing.assert_allclose(loss.numpy()[:2], [0.0, 2e4], rtol=1e-6)
    z = tg.tensor(logits[:, :1] * 10, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(z, tg.tensor(np.array([[0.0], [1.0], [1.0]], dtype=dtype)))
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad))


def test_simple_and_fused_cross_entropy_agree_on_moderate_logits():
    logits, indices, _, _ = _logits_and_targets((8, 5), 5)
    simple_z, fused_z = tg.tensor(logits, requires_grad=True), tg.tensor(logits, requires_grad=True)
    simple = F.softmax_cross_entropy_simple(simple_z, tg.tensor(indices))
    fused = F.cross_entropy(fused_z, tg.tensor(indices))
    assert len(_graph_nodes(simple)) > len(_graph_nodes(fused)) == 1  # one fused node against a chain of ops
    simple.backward()
    fused.backward()
    np.testing.assert_allclose(simple.item(), fused.item(), rtol=1e-12)
    np.testing.assert_allclose(simple_z.grad, fused_z.grad, rtol=1e-10, atol=1e-14)


def test_only_the_fused_cross_entropy_survives_large_logits():
    logits = tg.tensor(np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]], dtype=np.float32), requires_grad=True)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        simple = F.softmax_cross_entropy_simple(logits, tg.tensor([0, 2]))
    assert not np.isfinite(simple.item())
    fused = F.cross_entropy(logits, tg.tensor([0, 2]))
    fused.backward()
    np.testing.assert_allclose(fused.item(), 500.0, rtol=1e-6)
    assert np.all(np.isfinite(logits.grad))


def _graph_nodes(tensor):
    nodes, stack = set(), [tensor]
    while stack:
        fn = stack.pop().grad_fn
        if fn is not None and id(fn) not in nodes:
            nodes.add(id(fn))
            stack.extend(fn.parents)
    return nodes


# ------------------------------------------------------------------------------------------- errors


def test_loss_errors_say_what_is_wrong():
    z = tg.randn(3, 4)
    with pytest.raises(IndexError, match="class 7.*0..3"):
        F.cross_entropy(z, tg.tensor([0, 7, 1]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(z, tg.tensor([0, 1, 1]), reduction="avg")
    with pytest.raises(ValueError, match="one class index per sample"):
        F.cross_entropy(z, tg.tensor([0, 1]))
    with pytest.raises(ValueError, match="must match"):
        F.cross_entropy(z, tg.randn(3, 5))
    with pytest.raises(TypeError, match="neither class indices"):
        F.cross_entropy(z, np.array([0.5, 1.0, 2.0], dtype=np.float32))
    with pytest.warns(UserWarning, match="broadcast"):
        F.mse_loss(tg.randn(4, 1), tg.randn(4))


@given(shape=st.sampled_from([(1, 2), (4, 3), (3, 5)]), seed=st.integers(0, 2**16))
def test_simple_cross_entropy_gradcheck(shape, seed):
    logits, indices, _, _ = _logits_and_targets(shape, seed)
    tg.gradcheck(lambda z: F.softmax_cross_entropy_simple(z, tg.tensor(indices)), tg.tensor(logits, requires_grad=True))


def test_loss_modules_equal_their_functions():
    logits, indices, probabilities, weight = _logits_and_targets((4, 3), 6, ignore=True)
    z, t, p = tg.tensor(logits), tg.tensor(indices), tg.tensor(probabilities)
    log_p, y = F.log_softmax(z, dim=1), tg.tensor(probabilities.round())
    pairs = [
        (nn.MSELoss("sum")(z, p), F.mse_loss(z, p, reduction="sum")),
        (nn.L1Loss()(z, p), F.l1_loss(z, p)),
        (nn.CrossEntropyLoss(weight=weight, label_smoothing=0.1)(z, t),
         F.cross_entropy(z, t, weight=weight, label_smoothing=0.1)),
        (nn.NLLLoss(weight=weight, reduction="none")(log_p, t), F.nll_loss(log_p, t, weight=weight, reduction="none")),
        (nn.BCELoss(weight=weight)(p, y), F.binary_cross_entropy(p, y, weight=weight)),
        (nn.BCEWithLogitsLoss(pos_weight=weight)(z, y), F.binary_cross_entropy_with_logits(z, y, pos_weight=weight)),
    ]
    for module_value, function_value in pairs:
        np.testing.assert_array_equal(module_value.numpy(), function_value.numpy())


def test_cross_entropy_float_labels_say_to_convert_them_to_integers():
    logits = tg.randn(5, 3)
    with pytest.raises(ValueError, match=r"class labels must be integers.*astype\('int64'\)"):
        F.cross_entropy(logits, tg.tensor([0.0, 1.0, 2.0, 1.0, 0.0]))


def test_cross_entropy_refuses_an_n_by_1_target_as_pytorch_does():
    logits = tg.randn(5, 3)
    with pytest.raises(ValueError, match=r"target has shape \(5, 1\).*y.reshape\(-1\)"):
        F.cross_entropy(logits, tg.tensor([[0], [1], [2], [1], [0]]))

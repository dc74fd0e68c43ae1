"""Linear, DropConnect and Flatten: PyTorch's layout and initialisation, gradients, and PyTorch's outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_close, assert_fused_run_matches, require_torch
from tinygrad_edu import nn
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F


@given(batch=st.sampled_from([(1,), (4,), (2, 3)]), in_features=st.integers(1, 5), out_features=st.integers(1, 4),
       bias=st.booleans())
def test_linear_gradcheck(batch, in_features, out_features, bias):
    x = tg.randn(*batch, in_features, requires_grad=True)
    gradcheck(nn.Linear(in_features, out_features, bias=bias), x, params=True)


@given(batch=st.sampled_from([(3,), (2, 2)]), bias=st.booleans())
def test_functional_linear_gradcheck(batch, bias):
    x = tg.randn(*batch, 4, dtype="float64", requires_grad=True)
    weight = tg.randn(3, 4, dtype="float64", requires_grad=True)
    if bias:
        tg.gradcheck(F.linear, x, weight, tg.randn(3, dtype="float64", requires_grad=True))
    else:
        tg.gradcheck(F.linear, x, weight)


def test_linear_matches_pytorch_with_its_state_dict():
    torch = require_torch()
    theirs = torch.nn.Linear(5, 3).double()
    ours = nn.Linear(5, 3).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(4, 2, 5))
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    assert_close(out_ours, out_theirs, rtol=1e-12, atol=1e-12)
    grad = np.random.default_rng(1).normal(size=out_ours.shape)
    out_ours.backward(grad)
    out_theirs.backward(torch.tensor(grad))
    assert_close(x_ours.grad, x_theirs.grad, rtol=1e-12, atol=1e-12)
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-12, atol=1e-12)
    assert_close(ours.bias.grad, theirs.bias.grad, rtol=1e-12, atol=1e-12)


def test_default_initialisation_is_pytorchs_formula_from_the_seeded_generator():
    tg.manual_seed(3)
    layer = nn.Linear(300, 200)
    bound = 1 / math.sqrt(300)  # kaiming_uniform_(a=√5): gain √(2/(1+5)), bound gain·√3/√fan_in = 1/√fan_in
    tg.manual_seed(3)
    rng = tg.backend.generator()
    np.testing.assert_array_equal(layer.weight.numpy(), rng.uniform(-bound, bound, (200, 300)).astype(np.float32))
    np.testing.assert_array_equal(layer.bias.numpy(), rng.uniform(-bound, bound, 200).astype(np.float32))
    assert layer.weight.dtype == np.float32 and layer.weight.shape == (200, 300) and layer.bias.shape == (200,)
    assert abs(layer.weight.numpy().std() - bound / math.sqrt(3)) < 0.01 * bound
    tg.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(300, 200).weight.numpy(), layer.weight.numpy())  # reproducible
    assert nn.Linear(2, 3, dtype="float64").weight.dtype == np.float64


def test_linear_needs_no_gradient_for_the_input():
    layer = nn.Linear(3, 2)
    x = tg.randn(4, 3)  # does not require grad
    out = layer(x)
    assert out.grad_fn.needs_input_grad[0] is False
    out.sum().backward()
    assert x.grad is None and layer.weight.grad.shape == (2, 3)


def test_linear_errors_name_the_shapes():
    with pytest.raises(ValueError, match="in_features=3.*last axis must be 3"):
        nn.Linear(3, 2)(tg.randn(2, 5))
    with pytest.raises(ValueError, match="positive"):
        nn.Linear(0, 2)


def test_dropconnect_masks_weights_in_training_only():
    tg.manual_seed(0)
    layer = nn.Linear(50, 40, dropconnect=0.5)
    x = tg.randn(3, 50)
    tg.manual_seed(7)
    out = layer(x)
    tg.manual_seed(7)
    keep = tg.backend.generator().random((40, 50), dtype=np.float32) >= 0.5
    dropped = layer.weight.numpy() * keep * 2
    np.testing.assert_allclose(out.numpy(), x.numpy() @ dropped.T + layer.bias.numpy(), rtol=1e-5, atol=1e-5)
    out.sum().backward()
    assert np.all(layer.weight.grad[~keep] == 0) and np.all(layer.weight.grad[keep] != 0)
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), x.numpy() @ layer.weight.numpy().T + layer.bias.numpy(),
                               rtol=1e-5, atol=1e-6)


def test_dropconnect_wrapper_matches_the_option():
    tg.manual_seed(0)
    inner = nn.Linear(6, 4)
    wrapped = nn.DropConnect(inner, p=0.3)
    option = nn.Linear(6, 4, dropconnect=0.3)
    option.load_state_dict(inner.state_dict())
    assert [n for n, _ in wrapped.named_parameters()] == ["linear.weight", "linear.bias"]
    x = tg.randn(2, 6)
    tg.manual_seed(5)
    a = wrapped(x)
    tg.manual_seed(5)
    b = option(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    wrapped.eval()
    np.testing.assert_array_equal(wrapped(x).numpy(), inner(x).numpy())
    with pytest.raises(TypeError, match="Linear"):
        nn.DropConnect(nn.ReLU())


def test_flatten_matches_pytorch():
    torch = require_torch()
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    for args in [(), (0,), (1, 2), (2, -1)]:
        assert_close(nn.Flatten(*args)(tg.tensor(x)), torch.nn.Flatten(*args)(torch.tensor(x)))


def test_a_pytorch_network_state_dict_loads_unchanged_and_computes_the_same():
    torch = require_torch()
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                 torch.nn.Dropout(0.5), torch.nn.Linear(8, 3)).double()
    ours = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(8, 3)).double()
    with torch.no_grad():  # move the running statistics away from their initial values
        theirs.train()(torch.randn(16, 3, 4, dtype=torch.float64) * 2 + 1)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(0).normal(size=(5, 3, 4))
    labels = np.array([0, 2, 1, 1, 0])
    loss_ours = F.cross_entropy(ours(tg.tensor(x)), tg.tensor(labels))
    loss_theirs = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(labels))
    loss_ours.backward()
    loss_theirs.backward()
    assert_close(loss_ours, loss_theirs, rtol=1e-12, atol=1e-12)
    for p_ours, p_theirs in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert_close(p_ours.grad, p_theirs.grad, rtol=1e-9, atol=1e-12)


class _Reseeded(nn.Module):
    """Runs a random layer with the same mask on every call, so that finite differences see one function."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        tg.manual_seed(1)
        return self.inner(x)


@given(batch=st.integers(1, 4), in_features=st.integers(1, 5), out_features=st.integers(1, 4),
       p=st.sampled_from([0.25, 0.5]))
def test_dropconnect_gradcheck(batch, in_features, out_features, p):
    x = tg.randn(batch, in_features, requires_grad=True)
    gradcheck(_Reseeded(nn.Linear(in_features, out_features, dropconnect=p)), x, params=True)
    gradcheck(_Reseeded(nn.DropConnect(nn.Linear(in_features, out_features), p)), x, params=True)


@given(shape=st.sampled_from([(2, 3), (3, 2, 2), (2, 2, 2, 3)]), training=st.booleans())
def test_flatten_and_batchnorm_modules_gradcheck(shape, training):
    x = tg.randn(*shape, requires_grad=True)
    gradcheck(nn.Flatten(), x, params=True)
    norm = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(shape[1])
    norm.train(training)
    gradcheck(norm, x, params=True)


@given(batch=st.sampled_from([(1,), (5,), (2, 3)]), in_features=st.integers(1, 6), out_features=st.integers(1, 5),
       bias=st.booleans(), input_grad=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]),
       values=st.sampled_from(["normal", "zeros", "nan"]))
def test_sequential_linear_relu_is_one_op_with_the_same_numbers(batch, in_features, out_features, bias, input_grad,
                                                                dtype, values):
    """nn.Sequential runs Linear → ReLU as ops.LinearReLU (nn/fusion.py): output and every gradient equal to the
    two layers run one by one, bit for bit (exact zeros and NaNs included: max(z, 0) keeps NaN, grad 0 at z = 0)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(batch + (in_features,))
    if values == "zeros":
        x[..., 0] = 0
    elif values == "nan":
        x[rng.random(x.shape) < 0.2] = np.nan
    layer = nn.Linear(in_features, out_features, bias=bias)
    for parameter in layer.parameters():
        parameter.data = parameter.data.astype(dtype)
    if values == "zeros":
        layer.weight.data[:, 1:] = 0
    relu = nn.ReLU()
    upstream = rng.standard_normal(batch + (out_features,)).astype(dtype)
    assert_fused_run_matches(layer, nn.Sequential(layer, nn.ReLU()), lambda t: relu(layer(t)), x.astype(dtype),
                             upstream, input_grad, ("LinearReLU", "ReLU"))


def test_linear_relu_is_not_fused_where_something_must_see_each_layer():
    """A hook on either layer, DropConnect, anomaly detection: the layers run one by one."""
    x = tg.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    hooked = nn.Linear(3, 2)
    hooked.register_forward_hook(lambda module, args, out: None)
    relu_hooked = nn.ReLU()
    relu_hooked.register_forward_hook(lambda module, args, out: None)
    for model in (nn.Sequential(hooked, nn.ReLU()), nn.Sequential(nn.Linear(3, 2), relu_hooked),
                  nn.Sequential(nn.Linear(3, 2, dropconnect=0.5), nn.ReLU())):
        assert type(model(x)._ctx).__name__ == "ReLU"
    with tg.detect_anomaly():
        assert type(nn.Sequential(nn.Linear(3, 2), nn.ReLU())(x)._ctx).__name__ == "ReLU"


def test_linear_relu_second_derivatives():
    """create_graph through the fused op: its backward runs on Tensors, as Linear's and ReLU's do."""
    x = tg.Tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1)).double()
    assert type(model[1](model[0](x))._ctx).__name__ == "ReLU"
    assert type(model(x)._ctx.parents[0]._ctx).__name__ == "LinearReLU"
    tg.gradcheck(lambda t: model(t).sum(), x)
    tg.gradgradcheck(lambda t: model(t), x)
    (g,) = tg.autograd.grad(model(x).sum(), [x], create_graph=True)
    (g_plain,) = tg.autograd.grad(model[2](nn.ReLU()(model[0](x))).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.numpy(), g_plain.numpy())
    assert g.requires_grad

"""RNN and GRU (and what all recurrent layers share): BPTT against finite differences, PyTorch's numbers with
PyTorch's weights, the per-step graph, a 1,000-step backward pass and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch
from tinygrad_edu import nn, ops
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn.rnn import rnn_cell_composed


def normal(rng, *shape):
    return tg.tensor(rng.normal(size=shape), requires_grad=True)


def flatten_outputs(result) -> list:
    """(output, h_n) or (output, (h_n, c_n)) or a cell's h or (h, c) as a flat list of tensors."""
    if isinstance(result, tuple | list):
        return [t for part in result for t in flatten_outputs(part)]
    return [result]


class AllOutputs(nn.Module):
    """A recurrent layer whose outputs are concatenated into one tensor, for ``gradcheck(..., params=True)``."""

    def __init__(self, layer: nn.Module, hx=None):
        super().__init__()
        self.layer, self.hx = layer, hx

    def forward(self, x):
        result = self.layer(x) if self.hx is None else self.layer(x, self.hx)
        return tg.cat([t.reshape(-1) for t in flatten_outputs(result)])


def compare_with_torch(ours: nn.Module, theirs, x: np.ndarray, hx=None, rtol: float = 1e-5, atol: float = 1e-5):
    """Load PyTorch's weights into ours, run both on x (and initial states hx, a tensor or a tuple of arrays),
    compare every output and the gradients of the input, the initial states and every parameter."""
    torch = require_torch()
    ours.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    if hx is None:
        result_ours, result_theirs = ours(x_ours), theirs(x_theirs)
        states_ours = states_theirs = []
    else:
        states = hx if isinstance(hx, tuple) else (hx,)
        states_ours = [tg.tensor(s, requires_grad=True) for s in states]
        states_theirs = [torch.tensor(s, requires_grad=True) for s in states]
        pick = tuple if isinstance(hx, tuple) else (lambda s: s[0])
        result_ours, result_theirs = ours(x_ours, pick(states_ours)), theirs(x_theirs, pick(states_theirs))
    outs_ours, outs_theirs = flatten_outputs(result_ours), flatten_outputs(result_theirs)
    assert len(outs_ours) == len(outs_theirs)
    rng = np.random.default_rng(7)
    total_ours = total_theirs = 0
    for a, b in zip(outs_ours, outs_theirs, strict=True):
        assert tuple(a.shape) == tuple(b.shape)
        assert_close(a, b, rtol=rtol, atol=atol)
        weights = rng.normal(size=a.shape).astype(x.dtype)
        total_ours = total_ours + (a * tg.tensor(weights)).sum()
        total_theirs = total_theirs + (b * torch.tensor(weights)).sum()
    total_ours.backward()
    total_theirs.backward()
    assert_close(x_ours.grad, x_theirs.grad, rtol=10 * rtol, atol=10 * atol)
    for a, b in zip(states_ours, states_theirs, strict=True):
        assert_close(a.grad, b.grad, rtol=10 * rtol, atol=10 * atol)
    ours_params = dict(ours.named_parameters())
    for name, param in theirs.named_parameters():
        assert_close(ours_params[name].grad, param.grad, rtol=10 * rtol, atol=10 * atol)


# ---------------------------------------------------------------------------------------- gradchecks


@given(steps=st.integers(1, 4), batch=st.integers(1, 2), features=st.integers(1, 3), hidden=st.integers(1, 3),
       nonlinearity=st.sampled_from(["tanh", "relu"]), bias=st.booleans(), seed=st.integers(0, 999))
def test_rnn_sequence_op_gradcheck(steps, batch, features, hidden, nonlinearity, bias, seed):
    rng = np.random.default_rng(seed)
    x, h0 = normal(rng, steps, batch, features), normal(rng, batch, hidden)
    params = [normal(rng, hidden, features), normal(rng, hidden, hidden)]
    if bias:
        params += [normal(rng, hidden), normal(rng, hidden)]
    tg.gradcheck(lambda *args: ops.RNNSequence.apply(*args, nonlinearity=nonlinearity), x, h0, *params)


@given(steps=st.integers(1, 4), batch=st.integers(1, 2), features=st.integers(1, 3), hidden=st.integers(1, 3),
       bias=st.booleans(), seed=st.integers(0, 999))
def test_gru_sequence_op_gradcheck(steps, batch, features, hidden, bias, seed):
    rng = np.random.default_rng(seed)
    x, h0 = normal(rng, steps, batch, features), normal(rng, batch, hidden)
    params = [normal(rng, 3 * hidden, features), normal(rng, 3 * hidden, hidden)]
    if bias:
        params += [normal(rng, 3 * hidden), normal(rng, 3 * hidden)]
    tg.gradcheck(ops.GRUSequence.apply, x, h0, *params)


@pytest.mark.slow
@given(kind=st.sampled_from(["RNN", "GRU"]), layers=st.integers(1, 2), bidirectional=st.booleans(),
       batch_first=st.booleans(), seed=st.integers(0, 99))
def test_recurrent_layers_gradcheck(kind, layers, bidirectional, batch_first, seed):
    tg.manual_seed(seed)
    layer = getattr(nn, kind)(2, 3, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    x = tg.tensor(np.random.default_rng(seed).normal(size=(2, 3, 2)), requires_grad=True)
    gradcheck(AllOutputs(layer), x, params=True)


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell"])
def test_cells_gradcheck(kind):
    tg.manual_seed(1)
    hx = tg.tensor(np.random.default_rng(2).normal(size=(2, 3)), requires_grad=True)
    gradcheck(AllOutputs(getattr(nn, kind)(4, 3), hx.double()), tg.randn(2, 4, requires_grad=True), params=True)


# ------------------------------------------------------------------------------------------ vs PyTorch


@pytest.mark.parametrize("options", [
    dict(num_layers=2),
    dict(num_layers=2, nonlinearity="relu", batch_first=True),
    dict(bidirectional=True, num_layers=2),
    dict(bias=False),
])
def test_rnn_matches_pytorch(options):
    torch = require_torch()
    x = np.random.default_rng(0).normal(size=(6, 3, 4)).astype(np.float32)
    compare_with_torch(nn.RNN(4, 5, **options), torch.nn.RNN(4, 5, **options), x)


def test_rnn_with_initial_state_and_unbatched_input_matches_pytorch():
    torch = require_torch()
    rng = np.random.default_rng(1)
    x, h0 = rng.normal(size=(6, 3, 4)).astype(np.float32), rng.normal(size=(2, 3, 5)).astype(np.float32)
    compare_with_torch(nn.RNN(4, 5, num_layers=2), torch.nn.RNN(4, 5, num_layers=2), x, h0)
    compare_with_torch(nn.RNN(4, 5), torch.nn.RNN(4, 5), x[:, 0])


@pytest.mark.parametrize("options", [dict(num_layers=2, batch_first=True), dict(bidirectional=True)])
def test_gru_matches_pytorch(options):
    torch = require_torch()
    x = np.random.default_rng(2).normal(size=(5, 3, 4)).astype(np.float32)
    compare_with_torch(nn.GRU(4, 5, **options), torch.nn.GRU(4, 5, **options), x)


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell"])
def test_cells_match_pytorch(kind):
    torch = require_torch()
    rng = np.random.default_rng(3)
    x, h = rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(3, 5)).astype(np.float32)
    compare_with_torch(getattr(nn, kind)(4, 5), getattr(torch.nn, kind)(4, 5), x, h)
    compare_with_torch(getattr(nn, kind)(4, 5), getattr(torch.nn, kind)(4, 5), x[0])


def test_initialisation_is_uniform_within_one_over_sqrt_hidden():
    layer = nn.RNN(10, 400, num_layers=2)
    names = [name for name, _ in layer.named_parameters()]
    assert names == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                     "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"]
    values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
    assert np.abs(values).max() <= 1 / 20 and np.abs(values).max() > 0.99 / 20
    assert layer.weight_ih_l1.shape == (400, 400)


# ------------------------------------------------------------------------------------ the per-step graph


def test_sequence_op_equals_the_composed_per_step_graph():
    """The fused op (one node per layer) and the textbook graph (a few nodes per step) give the same numbers."""
    tg.manual_seed(3)
    layer = nn.RNN(3, 4).double()
    x = tg.tensor(np.random.default_rng(4).normal(size=(7, 2, 3)), requires_grad=True)
    fused, _ = layer(x)
    fused.sum().backward()
    grads_fused = [x.grad] + [p.grad for p in layer.parameters()]
    x.grad = None
    layer.zero_grad()
    h = tg.zeros(2, 4, dtype="float64")
    steps = []
    for t in range(7):
        h = rnn_cell_composed(x[t], h, *layer.parameters())
        steps.append(h)
    composed = tg.stack(steps)
    composed.sum().backward()
    np.testing.assert_allclose(fused.numpy(), composed.numpy(), rtol=1e-12, atol=1e-12)
    for a, b in zip(grads_fused, [x.grad] + [p.grad for p in layer.parameters()], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_thousand_step_unrolled_graph_backpropagates():
    """1,000 steps of an RNNCell in a Python loop: a graph thousands of nodes deep, walked without recursion."""
    tg.manual_seed(0)
    cell = nn.RNNCell(2, 8)
    x = tg.randn(1000, 4, 2)
    h = None
    for t in range(1000):
        h = cell(x[t], h)
    h.sum().backward()
    assert cell.weight_hh.grad is not None and np.isfinite(cell.weight_hh.grad).all()
    layer = nn.RNN(2, 8)
    output, _ = layer(x)
    output.sum().backward()
    assert np.isfinite(layer.weight_hh_l0.grad).all()


# ------------------------------------------------------------------------------------------------ errors


def test_errors_name_the_layer_and_the_fix():
    layer = nn.RNN(4, 5, num_layers=2)
    with pytest.raises(ValueError, match=r"got input of shape \(6, 3, 3\): the last axis \(features per step\) "
                                         r"must be 4"):
        layer(tg.randn(6, 3, 3))
    with pytest.raises(ValueError, match=r"hx has shape \(1, 3, 5\), expected .* \(2, 3, 5\)"):
        layer(tg.randn(6, 3, 4), tg.randn(1, 3, 5))
    with pytest.raises(ValueError, match="expects a 3-D input"):
        layer(tg.randn(2, 6, 3, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(4, 5, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"RNNCell\(4, 5\) got input of shape \(3, 2\)"):
        nn.RNNCell(4, 5)(tg.randn(3, 2))
    with pytest.raises(ValueError, match=r"\(2, 0, 4\): a sequence needs at least one time step \(axis 1 is 0\)"):
        nn.LSTM(4, 5, batch_first=True)(tg.randn(2, 0, 4))


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_float32_input_meets_float64_weights_at_float64(kind):
    """Mixed dtypes meet at the promoted dtype, as in ``nn.Linear``: the output equals the all-float64 run, and the
    float32 input's gradient comes back in float32. (The LSTM's float32 kernels once read the float64 weights as
    float32 words: the output was off by up to 0.6.)"""
    rng = np.random.default_rng(0)
    layer = getattr(nn, kind)(4, 5).double()
    x = rng.standard_normal((3, 2, 4))
    x32 = tg.tensor(x.astype(np.float32), requires_grad=True)
    mixed = layer(x32)[0]
    assert mixed.dtype == np.float64
    exact = layer(tg.tensor(x.astype(np.float32).astype(np.float64)))[0]
    np.testing.assert_allclose(mixed.numpy(), exact.numpy(), rtol=0, atol=1e-12)
    mixed.sum().backward()
    assert x32.grad.dtype == np.float32 and np.isfinite(x32.grad.numpy()).all()

"""LSTM and LSTMCell: BPTT against finite differences, PyTorch's numbers with PyTorch's weights (several layers,
batch_first, initial states, both directions), the per-step graph, and two learning tasks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import require_torch
from tests.nn.test_rnn import AllOutputs, compare_with_torch, normal
from tinygrad_edu import nn, ops, optim
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.rnn import lstm_cell_composed


@given(steps=st.integers(1, 4), batch=st.integers(1, 2), features=st.integers(1, 3), hidden=st.integers(1, 3),
       bias=st.booleans(), seed=st.integers(0, 999))
def test_lstm_sequence_op_gradcheck(steps, batch, features, hidden, bias, seed):
    """Every output of the op ([h_t, c_t] for all t) against every input, the initial states included."""
    rng = np.random.default_rng(seed)
    x, h0, c0 = normal(rng, steps, batch, features), normal(rng, batch, hidden), normal(rng, batch, hidden)
    params = [normal(rng, 4 * hidden, features), normal(rng, 4 * hidden, hidden)]
    if bias:
        params += [normal(rng, 4 * hidden), normal(rng, 4 * hidden)]
    tg.gradcheck(ops.LSTMSequence.apply, x, h0, c0, *params)


@pytest.mark.slow
@given(layers=st.integers(1, 2), bidirectional=st.booleans(), batch_first=st.booleans(), seed=st.integers(0, 99))
def test_lstm_layer_gradcheck(layers, bidirectional, batch_first, seed):
    tg.manual_seed(seed)
    layer = nn.LSTM(2, 3, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    x = tg.tensor(np.random.default_rng(seed).normal(size=(2, 3, 2)), requires_grad=True)
    gradcheck(AllOutputs(layer), x, params=True)


def test_lstm_cell_gradcheck():
    tg.manual_seed(1)
    rng = np.random.default_rng(2)
    states = (tg.tensor(rng.normal(size=(2, 3))), tg.tensor(rng.normal(size=(2, 3))))
    gradcheck(AllOutputs(nn.LSTMCell(4, 3), states), tg.randn(2, 4, requires_grad=True), params=True)


@pytest.mark.parametrize("options", [
    dict(num_layers=2),
    dict(num_layers=3, batch_first=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(bias=False),
    dict(num_layers=2, dropout=0.5),  # dropout between layers is off in evaluation mode
])
def test_lstm_matches_pytorch(options):
    torch = require_torch()
    x = np.random.default_rng(0).normal(size=(7, 3, 4)).astype(np.float32)
    ours, theirs = nn.LSTM(4, 5, **options), torch.nn.LSTM(4, 5, **options)
    if options.get("dropout"):
        ours.eval()
        theirs.eval()
    compare_with_torch(ours, theirs, x)


def test_lstm_with_initial_states_and_unbatched_input_matches_pytorch():
    torch = require_torch()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 6, 4)).astype(np.float32)
    states = (rng.normal(size=(2, 3, 5)).astype(np.float32), rng.normal(size=(2, 3, 5)).astype(np.float32))
    compare_with_torch(nn.LSTM(4, 5, num_layers=2, batch_first=True),
                       torch.nn.LSTM(4, 5, num_layers=2, batch_first=True), x, states)
    compare_with_torch(nn.LSTM(4, 5), torch.nn.LSTM(4, 5), x[0])


def test_lstm_cell_matches_pytorch():
    torch = require_torch()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    states = (rng.normal(size=(3, 5)).astype(np.float32), rng.normal(size=(3, 5)).astype(np.float32))
    compare_with_torch(nn.LSTMCell(4, 5), torch.nn.LSTMCell(4, 5), x, states)
    compare_with_torch(nn.LSTMCell(4, 5), torch.nn.LSTMCell(4, 5), x)


def test_lstm_dropout_between_layers_in_training():
    tg.manual_seed(0)
    layer = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = tg.randn(5, 2, 3)
    first, second = layer(x)[0].numpy(), layer(x)[0].numpy()
    assert not np.allclose(first, second)  # a fresh mask per call
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].numpy(), layer(x)[0].numpy())


def test_sequence_op_equals_the_composed_per_step_graph():
    tg.manual_seed(3)
    layer = nn.LSTM(3, 4).double()
    x = tg.tensor(np.random.default_rng(4).normal(size=(6, 2, 3)), requires_grad=True)
    output, (h_n, c_n) = layer(x)
    (output.sum() + c_n.sum()).backward()
    grads_fused = [x.grad] + [p.grad for p in layer.parameters()]
    x.grad = None
    layer.zero_grad()
    h = c = tg.zeros(2, 4, dtype="float64")
    steps = []
    for t in range(6):
        h, c = lstm_cell_composed(x[t], h, c, *layer.parameters())
        steps.append(h)
    composed = tg.stack(steps)
    (composed.sum() + c.sum()).backward()
    np.testing.assert_allclose(output.numpy(), composed.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_n.numpy()[0], c.numpy(), rtol=1e-12, atol=1e-12)
    for a, b in zip(grads_fused, [x.grad] + [p.grad for p in layer.parameters()], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_wrong_states_are_refused():
    layer = nn.LSTM(4, 5)
    with pytest.raises(ValueError, match=r"c_0 has shape \(1, 2, 4\), expected"):
        layer(tg.randn(3, 2, 4), (tg.zeros(1, 2, 5), tg.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match=r"pair \(h_0, c_0\)"):
        layer(tg.randn(3, 2, 4), tg.zeros(1, 2, 5))
    with pytest.raises(ValueError, match="must be 4"):
        layer(tg.randn(3, 2, 5))


# -------------------------------------------------------------------------------------------- learning


def adding_problem(rng: np.random.Generator, batch: int, length: int = 50) -> tuple[tg.Tensor, tg.Tensor]:
    """Hochreiter & Schmidhuber's adding problem: a sequence of (value, marker) pairs, values uniform in [0, 1],
    one marker in each half; the target is the sum of the two marked values. Predicting the mean scores an MSE
    of about 0.167: going below needs memory across up to 49 steps."""
    values = rng.random((batch, length)).astype(np.float32)
    markers = np.zeros((batch, length), dtype=np.float32)
    rows = np.arange(batch)
    markers[rows, rng.integers(0, length // 2, batch)] = 1
    markers[rows, rng.integers(length // 2, length, batch)] = 1
    target = (values * markers).sum(axis=1, keepdims=True)
    return tg.tensor(np.stack([values, markers], axis=-1)), tg.tensor(target)


@pytest.mark.slow
def test_lstm_solves_the_adding_problem_with_length_50():
    tg.manual_seed(0)
    rng = np.random.default_rng(0)

    class Adder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(2, 16, batch_first=True)
            self.head = nn.Linear(16, 1)

        def forward(self, x):
            _, (h_n, _) = self.lstm(x)
            return self.head(h_n[-1])

    model = Adder()
    optimizer = optim.Adam(model.parameters(), lr=0.04)
    x_test, y_test = adding_problem(rng, 500)
    test_mse = float("inf")
    for step in range(2000):
        x, y = adding_problem(rng, 64)
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 49:
            with tg.no_grad():
                test_mse = F.mse_loss(model(x_test), y_test).item()
            if test_mse < 0.005:
                break
    assert test_mse < 0.01, f"test MSE {test_mse:.4f} after {step + 1} steps (the mean predictor scores ≈ 0.167)"


def keyword_sequences(rng: np.random.Generator, batch: int, vocab: int = 30, length: int = 20,
                      classes: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Token sequences of noise words (ids ≥ classes) with one keyword (id = the class) at a random place."""
    tokens = rng.integers(classes, vocab, (batch, length))
    labels = rng.integers(0, classes, batch)
    tokens[np.arange(batch), rng.integers(0, length, batch)] = labels
    return tokens, labels


@pytest.mark.slow
def test_documents_text_classifier_learns_keyword_classification():
    """The documents' Keras model, Embedding → LSTM(64, return_sequences=True) → LSTM(64) → Dense(softmax), in
    our layers: return_sequences is LSTM's ``output``, the plain LSTM(64) its last hidden state ``h_n[-1]``, and
    the softmax sits inside the cross-entropy loss."""
    tg.manual_seed(0)
    rng = np.random.default_rng(0)

    class TextClassifier(nn.Module):
        def __init__(self, vocab: int = 30, classes: int = 4):
            super().__init__()
            self.embedding = nn.Embedding(vocab, 16)
            self.lstm1 = nn.LSTM(16, 64, batch_first=True)
            self.lstm2 = nn.LSTM(64, 64, batch_first=True)
            self.dense = nn.Linear(64, classes)

        def forward(self, tokens):
            sequence, _ = self.lstm1(self.embedding(tokens))
            _, (h_n, _) = self.lstm2(sequence)
            return self.dense(h_n[-1])

    model = TextClassifier()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    tokens_test, labels_test = keyword_sequences(rng, 1000)
    accuracy = 0.0
    for step in range(600):
        tokens, labels = keyword_sequences(rng, 32)
        loss = F.cross_entropy(model(tokens), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 25 == 24:
            with tg.no_grad():
                accuracy = float((model(tokens_test).numpy().argmax(axis=1) == labels_test).mean())
            if accuracy >= 0.98:
                break
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f} after {step + 1} steps"

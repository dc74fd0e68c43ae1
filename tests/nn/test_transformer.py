"""Positional encoding, the Transformer encoder (PyTorch's numbers with PyTorch's weights), the causal language
model, and a learning task: reversing sequences of digits."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch
from tinygrad_edu import models, nn, optim
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.transformer import positional_encoding_table

# ------------------------------------------------------------------------------------- positional encoding


@given(max_len=st.integers(1, 30), d_model=st.integers(1, 12))
def test_positional_encoding_table_is_the_formula(max_len, d_model):
    table = positional_encoding_table(max_len, d_model)
    for pos in range(max_len):
        for k in range(d_model):
            angle = pos / 10000 ** ((k - k % 2) / d_model)  # column 2i and 2i + 1 share the exponent 2i/d
            assert table[pos, k] == pytest.approx(np.sin(angle) if k % 2 == 0 else np.cos(angle), abs=1e-12)


def test_positional_encoding_is_added_and_passes_gradients():
    layer = nn.PositionalEncoding(6, max_len=10)
    x = tg.randn(2, 4, 6, requires_grad=True)
    out = layer(x)
    np.testing.assert_allclose(out.numpy() - x.numpy(), np.broadcast_to(positional_encoding_table(4, 6), (2, 4, 6)),
                               atol=1e-6)
    gradcheck(layer, tg.randn(3, 6, requires_grad=True), params=True)
    assert "pe" not in layer.state_dict() and list(layer.parameters()) == []


def test_positional_encoding_errors():
    layer = nn.PositionalEncoding(8, max_len=5)
    with pytest.raises(ValueError, match="length 6 is longer than max_len=5"):
        layer(tg.randn(1, 6, 8))
    with pytest.raises(ValueError, match=r"expected \(batch, seq, 8\)"):
        layer(tg.randn(1, 5, 7))


# ------------------------------------------------------------------------------------------ the encoder


def load_torch_weights(torch, ours: nn.Module, theirs) -> None:
    """Copy a PyTorch encoder's weights into ours: its in_proj_weight/bias are our q/k/v_proj stacked."""
    state = {}
    for name, value in theirs.state_dict().items():
        value = value.detach().numpy()
        if name.endswith("in_proj_weight") or name.endswith("in_proj_bias"):
            prefix, kind = name.rsplit(".", 1)[0], name.rsplit("_", 1)[1]
            for piece, proj in zip(np.split(value, 3), ("q_proj", "k_proj", "v_proj"), strict=True):
                state[f"{prefix}.{proj}.{kind}"] = piece
        else:
            state[name] = value
    ours.load_state_dict(state)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_matches_pytorch_in_eval_mode(norm_first, activation):
    torch = require_torch()
    layer_theirs = torch.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.1, activation=activation,
                                                    batch_first=True, norm_first=norm_first)
    theirs = torch.nn.TransformerEncoder(layer_theirs, 2, norm=torch.nn.LayerNorm(16), enable_nested_tensor=False)
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 32, dropout=0.1, activation=activation,
                                                            norm_first=norm_first), 2, norm=nn.LayerNorm(16))
    load_torch_weights(torch, ours, theirs)
    ours.eval()
    theirs.eval()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 7, 16)).astype(np.float32)
    padding = np.zeros((3, 7), dtype=bool)
    padding[1, 5:] = True
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(7)
    out_ours = ours(x_ours, src_key_padding_mask=padding, is_causal=True)
    out_theirs = theirs(x_theirs, mask=causal, src_key_padding_mask=torch.tensor(padding).float()
                        .masked_fill(torch.tensor(padding), float("-inf")), is_causal=True)
    assert_close(out_ours, out_theirs, rtol=1e-4, atol=1e-5)
    grad = rng.normal(size=x.shape).astype(np.float32)
    out_ours.backward(grad)
    out_theirs.backward(torch.tensor(grad))
    assert_close(x_ours.grad, x_theirs.grad, rtol=1e-4, atol=1e-4)
    ours_params = dict(ours.named_parameters())
    for name in ("layers.0.linear1.weight", "layers.1.norm2.weight", "layers.0.self_attn.out_proj.weight"):
        assert_close(ours_params[name].grad, dict(theirs.named_parameters())[name].grad, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
@given(norm_first=st.booleans(), activation=st.sampled_from(["relu", "gelu"]), seed=st.integers(0, 99))
def test_encoder_layer_gradcheck(norm_first, activation, seed):
    tg.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation=activation, norm_first=norm_first)
    gradcheck(layer, tg.tensor(np.random.default_rng(seed).normal(size=(2, 3, 4)), requires_grad=True), params=True)


def test_encoder_copies_are_independent_and_dropout_only_trains():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    encoder = nn.TransformerEncoder(layer, 3)
    assert [name for name, _ in encoder.named_children()] == ["layers"] and len(encoder.layers) == 3
    first, second = encoder.layers[0], encoder.layers[1]
    np.testing.assert_array_equal(first.linear1.weight.numpy(), second.linear1.weight.numpy())
    first.linear1.weight.data += 1
    assert not np.allclose(first.linear1.weight.numpy(), second.linear1.weight.numpy())
    x = tg.randn(2, 5, 8)
    assert not np.allclose(encoder(x).numpy(), encoder(x).numpy())  # dropout 0.1 by default
    encoder.eval()
    np.testing.assert_array_equal(encoder(x).numpy(), encoder(x).numpy())
    assert copy.deepcopy(encoder).layers[2].self_attn.num_heads == 2


def test_encoder_layer_errors():
    with pytest.raises(ValueError, match="not divisible"):
        nn.TransformerEncoderLayer(10, 3)
    with pytest.raises(ValueError, match=r"expected \(batch, seq, 8\)"):
        nn.TransformerEncoderLayer(8, 2)(tg.randn(2, 3, 6))
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


# ------------------------------------------------------------------------------------ causal language model


def test_causal_lm_sees_only_the_past():
    tg.manual_seed(0)
    model = models.CausalLM(vocab_size=11, d_model=16, nhead=2, num_layers=2, dim_feedforward=32, max_len=12)
    model.eval()
    tokens = np.random.default_rng(0).integers(0, 11, (2, 8))
    logits = model(tokens).numpy()
    assert logits.shape == (2, 8, 11)
    changed = tokens.copy()
    changed[:, 5:] = (changed[:, 5:] + 1) % 11  # change the future of position 4
    np.testing.assert_allclose(model(changed).numpy()[:, :5], logits[:, :5], rtol=1e-5, atol=1e-5)
    assert not np.allclose(model(changed).numpy()[:, 5:], logits[:, 5:])
    continued = model.generate(tokens[:, :3], max_new_tokens=4, greedy=True)
    assert continued.shape == (2, 7) and np.array_equal(continued.numpy()[:, :3], tokens[:, :3])
    assert model.training is False


def test_causal_lm_learns_a_repeating_pattern():
    tg.manual_seed(0)
    model = models.CausalLM(vocab_size=5, d_model=16, nhead=2, num_layers=1, dim_feedforward=32, max_len=16,
                        dropout=0.0)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    sequence = np.tile(np.arange(5), 4)[None, :13]  # 0 1 2 3 4 0 1 …
    for _ in range(60):
        loss = F.cross_entropy(model(sequence[:, :-1]).reshape(-1, 5), sequence[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.1
    np.testing.assert_array_equal(model.generate(sequence[:, :2], 6, greedy=True).numpy()[0], np.arange(8) % 5)


# -------------------------------------------------------------------------------------------- learning


@pytest.mark.slow
def test_two_layer_encoder_learns_to_reverse_ten_digits():
    """Output position i must name input digit 9 − i: only attention to the mirrored position, found through the
    positional encoding, can do it (each position's own embedding carries no information about the answer)."""
    tg.manual_seed(0)
    rng = np.random.default_rng(0)

    class Reverser(nn.Module):
        def __init__(self, d_model: int = 32):
            super().__init__()
            self.embedding = nn.Embedding(10, d_model)
            self.positional = nn.PositionalEncoding(d_model, max_len=10)
            self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model, 4, 64, dropout=0.0), 2)
            self.head = nn.Linear(d_model, 10)

        def forward(self, digits):
            return self.head(self.encoder(self.positional(self.embedding(digits))))

    model = Reverser()
    optimizer = optim.Adam(model.parameters(), lr=0.003)
    test_digits = rng.integers(0, 10, (1000, 10))
    accuracy = 0.0
    for step in range(1000):
        digits = rng.integers(0, 10, (64, 10))
        loss = F.cross_entropy(model(digits).reshape(-1, 10), digits[:, ::-1].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 25 == 24:
            with tg.no_grad():
                accuracy = float((model(test_digits).numpy().argmax(-1) == test_digits[:, ::-1]).mean())
            if accuracy >= 0.995:
                break
    assert accuracy >= 0.99, f"token accuracy {accuracy:.4f} after {step + 1} steps"

"""GPT: shapes, causality, weight tying, GPT-2 init, gradients (float64), the KV cache, PyTorch agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import require_torch
from tinygrad_edu.models import GPT, GPTConfig, GPTError, next_token_loss


def tiny(positions: str = "learned", **overrides) -> GPT:
    config = dict(vocab_size=11, block_size=6, n_layer=2, n_head=2, n_embd=8, positions=positions)
    return GPT(GPTConfig(**{**config, **overrides}))


def randomise(model: GPT, seed: int, scale: float = 0.5) -> GPT:
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data[...] = rng.normal(size=p.shape) * scale
    return model


def test_shapes_and_weight_tying():
    model = tiny()
    logits = model(np.zeros((3, 5), dtype=np.int64))
    assert logits.shape == (3, 5, 11)
    assert model.lm_head.weight is model.wte.weight
    names = [name for name, _ in model.named_parameters()]
    assert "wte.weight" in names and "lm_head.weight" not in names  # one matrix, listed and updated once
    assert "lm_head.weight" in model.state_dict()  # saved under both names, as PyTorch


def test_parameter_count_matches_the_formula():
    c = GPTConfig(vocab_size=261, block_size=128, n_layer=5, n_head=4, n_embd=128)
    d, layers, v = c.n_embd, c.n_layer, c.vocab_size
    per_block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (4 * d * d + 4 * d) + (4 * d * d + d)
    assert GPT(c).num_parameters() == v * d + c.block_size * d + layers * per_block + 2 * d
    assert GPT(c).num_parameters(non_embedding=True) == layers * per_block + 2 * d
    sinusoidal = GPT(GPTConfig(**{**c.__dict__, "positions": "sinusoidal"}))
    assert sinusoidal.num_parameters() == GPT(c).num_parameters() - c.block_size * d


def test_gpt2_initialisation():
    tg.manual_seed(1)
    model = GPT(GPTConfig(vocab_size=300, block_size=64, n_layer=8, n_head=4, n_embd=64))
    assert abs(model.wte.weight.numpy().std() - 0.02) < 0.002
    assert abs(model.h[0].mlp.c_fc.weight.numpy().std() - 0.02) < 0.002
    residual = np.concatenate([b.attn.c_proj.weight.numpy().ravel() for b in model.h]
                              + [b.mlp.c_proj.weight.numpy().ravel() for b in model.h])
    assert abs(residual.std() - 0.02 / math.sqrt(2 * 8)) < 0.0005
    assert np.all(model.h[3].attn.c_attn.bias.numpy() == 0)


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
def test_position_t_never_sees_later_tokens(positions):
    model = randomise(tiny(positions), 0)
    a = np.array([[1, 2, 3, 4, 5, 6]])
    b = a.copy()
    b[0, 4:] = [9, 0]
    la, lb = model(a).numpy(), model(b).numpy()
    np.testing.assert_allclose(la[:, :4], lb[:, :4], rtol=1e-5, atol=1e-6)
    assert not np.allclose(la[:, 4:], lb[:, 4:])


@pytest.mark.slow
@given(seed=st.integers(0, 1000), positions=st.sampled_from(["learned", "sinusoidal"]))
def test_gradcheck_every_parameter_float64(seed, positions):
    """Every parameter — the tied embedding/head matrix included — against central differences."""
    model = randomise(tiny(positions, n_layer=1, n_embd=4, vocab_size=7, block_size=4), seed)
    ids = np.random.default_rng(seed).integers(0, 7, size=(2, 4))

    class Logits(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.gpt = model

        def forward(self, dummy):
            return self.gpt(ids) + dummy

    tg.gradcheck(Logits(), tg.zeros(1, dtype=np.float64, requires_grad=True), params=True)


def test_next_token_loss_is_mean_cross_entropy_over_positions():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 5))
    targets = rng.integers(0, 5, size=(2, 3))
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_p, targets[..., None], -1).mean()
    assert next_token_loss(tg.tensor(logits), targets).item() == pytest.approx(expected, rel=1e-12)


def test_kv_cache_gives_the_uncached_logits():
    model = randomise(tiny(block_size=12), 3).double()
    ids = np.random.default_rng(0).integers(0, 11, size=(2, 10))
    full = model(ids).numpy()
    cache = model.new_cache(batch=2)
    parts = [model(ids[:, :4], cache).numpy()]  # prompt of 4 at once, then a chunk of 3, then one by one
    parts.append(model(ids[:, 4:7], cache).numpy())
    parts += [model(ids[:, t:t + 1], cache).numpy() for t in range(7, 10)]
    np.testing.assert_allclose(np.concatenate(parts, axis=1), full, rtol=1e-10, atol=1e-12)
    assert cache.length == 10


@pytest.mark.parametrize("temperature, top_k, top_p", [(0.0, None, None), (1.0, None, None), (0.8, 5, None),
                                                       (1.2, None, 0.9)])
def test_generate_gives_identical_tokens_with_and_without_the_cache(temperature, top_k, top_p):
    model = randomise(tiny(block_size=40, n_embd=16), 5, scale=0.3)
    prompt = np.array([[1, 2, 3, 4]])
    tg.manual_seed(42)
    cached = model.generate(prompt, 30, temperature=temperature, top_k=top_k, top_p=top_p).numpy()
    tg.manual_seed(42)
    uncached = model.generate(prompt, 30, temperature=temperature, top_k=top_k, top_p=top_p,
                              use_cache=False).numpy()
    np.testing.assert_array_equal(cached, uncached)
    assert cached.shape == (1, 34) and np.array_equal(cached[:, :4], prompt)
    if temperature > 0:
        assert len(set(cached[0, 4:].tolist())) > 2  # sampling really samples


def test_generate_beyond_block_size_keeps_going():
    model = randomise(tiny(block_size=6), 2)
    for use_cache in (True, False):
        out = model.generate([[1, 2]], 15, temperature=1.0, use_cache=use_cache)
        assert out.shape == (1, 17)


def test_generate_stops_at_eos_and_restores_training_mode():
    model = randomise(tiny(), 4)
    model.train()
    greedy = model.generate([[1, 2]], 3, temperature=0).numpy()
    stop_at = int(greedy[0, 2])
    out = model.generate([[1, 2]], 3, temperature=0, eos_id=stop_at).numpy()
    assert out.shape == (1, 3) and model.training


def test_clear_errors():
    model = tiny()
    with pytest.raises(GPTError, match="block_size=6"):
        model(np.zeros((1, 7), dtype=np.int64))
    with pytest.raises(GPTError, match=r"\[0, 11\)"):
        model(np.array([[3, 11]]))
    with pytest.raises(GPTError, match=r"\(batch, seq\)"):
        model(np.array([1, 2]))
    with pytest.raises(GPTError, match="not divisible"):
        GPTConfig(n_embd=10, n_head=3)
    with pytest.raises(GPTError, match="at least one token"):
        model.generate(np.zeros((1, 0), dtype=np.int64), 2)


@pytest.mark.torch
def test_matches_the_same_model_in_pytorch():
    """Logits, loss and every gradient equal a PyTorch GPT written with torch's own layers and weights copied."""
    torch = require_torch()
    model = randomise(tiny(n_embd=8, n_head=2, n_layer=2), 7, scale=0.3)
    ids = np.random.default_rng(1).integers(0, 11, size=(3, 6))
    targets = np.random.default_rng(2).integers(0, 11, size=(3, 6))
    weights = {name: torch.tensor(p.numpy(), dtype=torch.float64, requires_grad=True)
               for name, p in model.named_parameters()}
    tids = torch.tensor(ids)

    def ln(x, prefix):
        return torch.nn.functional.layer_norm(x, (8,), weights[prefix + ".weight"], weights[prefix + ".bias"])

    def lin(x, prefix):
        return torch.nn.functional.linear(x, weights[prefix + ".weight"], weights[prefix + ".bias"])

    x = weights["wte.weight"][tids] + weights["wpe.weight"][torch.arange(6)]
    for layer in range(2):
        p = f"h.{layer}"
        q, k, v = lin(ln(x, p + ".ln_1"), p + ".attn.c_attn").split(8, dim=-1)
        q, k, v = (t.reshape(3, 6, 2, 4).transpose(1, 2) for t in (q, k, v))
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + lin(y.transpose(1, 2).reshape(3, 6, 8), p + ".attn.c_proj")
        h = torch.nn.functional.gelu(lin(ln(x, p + ".ln_2"), p + ".mlp.c_fc"), approximate="tanh")
        x = x + lin(h, p + ".mlp.c_proj")
    logits = ln(x, "ln_f") @ weights["wte.weight"].T
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 11), torch.tensor(targets).reshape(-1))
    loss.backward()

    ours = next_token_loss(model.double()(ids), targets)
    ours.backward()
    np.testing.assert_allclose(model(ids).numpy(), logits.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert ours.item() == pytest.approx(loss.item(), rel=1e-12)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, weights[name].grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=name)

"""multinomial, temperature / top-k / top-p, the training recipe (groups, schedule), perplexity, a tiny GPT learning."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.models import (
    GPT,
    GPTConfig,
    decay_groups,
    filter_probabilities,
    perplexity,
    sample_next,
    train_lm,
    unigram_perplexity,
    warmup_cosine,
)


def test_multinomial_frequencies_follow_the_weights():
    tg.manual_seed(0)
    draws = tg.multinomial(np.tile([1.0, 0.0, 3.0], (40_000, 1)), 1, replacement=True).numpy().ravel()
    freq = np.bincount(draws, minlength=3) / draws.size
    np.testing.assert_allclose(freq, [0.25, 0.0, 0.75], atol=0.01)  # 5 standard errors ≈ 0.011
    tg.manual_seed(0)
    first = tg.multinomial(np.tile([1.0, 2.0, 3.0, 4.0], (40_000, 1)), 1).numpy().ravel()
    np.testing.assert_allclose(np.bincount(first) / first.size, [0.1, 0.2, 0.3, 0.4], atol=0.01)


@given(st.lists(st.floats(0.0, 10.0), min_size=2, max_size=8).filter(lambda w: sum(1 for v in w if v > 0) >= 2),
       st.booleans())
def test_multinomial_without_replacement_draws_distinct_nonzero_categories(weights, one_d):
    w = np.array(weights)
    drawn = tg.multinomial(w if one_d else w[None], 2).numpy().ravel()
    assert drawn.shape == (2,) and drawn[0] != drawn[1] and np.all(w[drawn] > 0)


def test_multinomial_errors_and_seeding():
    with pytest.raises(ValueError, match="non-negative"):
        tg.multinomial([0.5, -0.1], 1)
    with pytest.raises(ValueError, match="sums to 0"):
        tg.multinomial([[0.0, 0.0]], 1)
    with pytest.raises(ValueError, match="only 1 non-zero"):
        tg.multinomial([1.0, 0.0], 2)
    tg.manual_seed(3)
    a = tg.multinomial([1.0, 1.0, 1.0], 5, replacement=True).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(a, tg.multinomial([1.0, 1.0, 1.0], 5, replacement=True).numpy())


def test_temperature_top_k_top_p_worked_example():
    logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    np.testing.assert_allclose(filter_probabilities(logits), [[0.5, 0.3, 0.15, 0.05]])
    # temperature 0.5 squares the probabilities (then renormalises)
    squared = np.array([0.25, 0.09, 0.0225, 0.0025])
    np.testing.assert_allclose(filter_probabilities(logits, temperature=0.5), [squared / squared.sum()])
    np.testing.assert_allclose(filter_probabilities(logits, top_k=2), [[0.625, 0.375, 0, 0]])
    # mass before each token: 0, 0.5, 0.8, 0.95 → top-p 0.75 keeps two tokens, 0.85 keeps three
    np.testing.assert_allclose(filter_probabilities(logits, top_p=0.75), [[0.625, 0.375, 0, 0]])
    np.testing.assert_allclose(filter_probabilities(logits, top_p=0.85), [[0.5, 0.3, 0.15, 0]] / np.float64(0.95))
    np.testing.assert_allclose(filter_probabilities(logits, top_p=0.1), [[1, 0, 0, 0]])  # the best always stays
    assert sample_next(logits, temperature=0).tolist() == [0]
    with pytest.raises(ValueError, match="temperature"):
        filter_probabilities(logits, temperature=-1)
    with pytest.raises(ValueError, match="top_p"):
        filter_probabilities(logits, top_p=0)


def test_sampling_only_draws_from_the_kept_tokens():
    logits = np.tile(np.log([[0.5, 0.3, 0.15, 0.05]]), (5000, 1))
    assert set(sample_next(logits, top_k=2).tolist()) == {0, 1}
    assert set(sample_next(logits, top_p=0.85).tolist()) == {0, 1, 2}


def test_weight_decay_goes_to_matrices_only():
    model = GPT(GPTConfig(vocab_size=11, block_size=4, n_layer=1, n_head=1, n_embd=4))
    decayed, plain = decay_groups(model, 0.1)
    assert decayed["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert all(p.ndim == 2 for p in decayed["params"]) and all(p.ndim == 1 for p in plain["params"])
    assert len(decayed["params"]) + len(plain["params"]) == len(list(model.parameters()))
    assert any(p is model.wte.weight for p in decayed["params"])


def test_warmup_cosine_schedule():
    f = warmup_cosine(warmup_steps=4, total_steps=14, min_ratio=0.1)
    assert [f(s) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert f(9) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert f(14) == pytest.approx(0.1) and f(100) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        warmup_cosine(10, 10)


def test_unigram_perplexity_worked_example():
    # train counts a:3, b:1 over V = 2 → p(a) = 4/6, p(b) = 2/6; eval "ab" → exp(−½(log 4/6 + log 2/6))
    assert unigram_perplexity([0, 0, 0, 1], [0, 1], 2) == pytest.approx(math.exp(-0.5 * math.log(8 / 36)))


def test_perplexity_of_a_model_that_knows_nothing_is_the_vocabulary_size():
    model = GPT(GPTConfig(vocab_size=13, block_size=5, n_layer=1, n_head=1, n_embd=4))
    for p in model.parameters():
        p.data[...] = 0  # every logit 0: uniform over the 13 tokens
    assert perplexity(model, np.arange(23) % 13, batch_size=2) == pytest.approx(13.0, rel=1e-5)


def test_tiny_gpt_learns_a_pattern_in_seconds():
    tg.manual_seed(0)
    text = np.array([int(c) for c in "0123456789" * 60])
    model = GPT(GPTConfig(vocab_size=10, block_size=16, n_layer=1, n_head=2, n_embd=16))
    history = train_lm(model, text[:500], steps=60, batch_size=8, lr=1e-2, warmup_steps=5)
    assert history.losses[-1] < 0.3 * history.losses[0]
    assert perplexity(model, text[500:]) < 1.5 < unigram_perplexity(text[:500], text[500:], 10)
    assert model.generate([[3, 4, 5]], 6, temperature=0).numpy()[0].tolist() == [3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert history.lrs[4] == pytest.approx(1e-2) and history.lrs[-1] < 2e-3  # warmed up, then decayed


def test_train_lm_stops_at_the_time_budget():
    tg.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=1, n_embd=8))
    history = train_lm(model, np.arange(200) % 10, steps=10**6, seconds=0.5, warmup_steps=3, batch_size=2)
    assert 3 <= len(history.steps) < 10**6 and history.seconds < 5 and history.tokens_per_second > 0

"""The BERT-style encoder: the masking rule (15 %, 80/10/10), the masked-LM loss on chosen positions only,
PyTorch's numbers with PyTorch's weights, gradchecks of every new layer in float64, and tiny models that learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch
from tinygrad_edu import nn, optim
from tinygrad_edu.models import (
    BertForMaskedLM,
    BertForSequenceClassification,
    BertModel,
    mask_tokens,
    masked_lm_loss,
)
from tinygrad_edu.models.bert import IGNORE_INDEX
from tinygrad_edu.nn import functional as F

PAD, CLS, SEP, MASK = 0, 1, 2, 3
SPECIAL = (PAD, CLS, SEP, MASK)


def tiny_bert(vocab: int = 12, d_model: int = 8, layers: int = 1, dropout: float = 0.0, max_len: int = 16,
              heads: int = 2) -> BertModel:
    return BertModel(vocab, d_model, heads, layers, dim_feedforward=2 * d_model, max_len=max_len, dropout=dropout)


# ------------------------------------------------------------------------------------------ masking


def test_masking_rule_is_15_percent_then_80_10_10():
    vocab = 50
    ids = np.random.default_rng(1).integers(len(SPECIAL), vocab, size=(400, 250))
    inputs, labels = mask_tokens(ids, MASK, vocab, special_ids=SPECIAL, rng=7)
    chosen = labels != IGNORE_INDEX
    n = chosen.sum()
    assert abs(chosen.mean() - 0.15) < 0.005  # 100 000 positions: standard error 0.0011
    as_mask = (inputs[chosen] == MASK).mean()
    kept = (inputs[chosen] == ids[chosen]).mean()
    # a random replacement equals the original with probability 1/46, which counts as "kept"
    ordinary = vocab - len(SPECIAL)
    assert abs(as_mask - 0.8) < 0.01 and abs(kept - (0.1 + 0.1 / ordinary)) < 0.01, (as_mask, kept, n)
    replaced = chosen & (inputs != MASK) & (inputs != ids)
    assert abs(replaced.sum() / n - 0.1 * (1 - 1 / ordinary)) < 0.01
    assert not np.isin(inputs[replaced], SPECIAL).any()  # random tokens are ordinary words


@settings(max_examples=40)
@given(seed=st.integers(0, 10_000), shape=st.tuples(st.integers(1, 5), st.integers(1, 12)),
       prob=st.floats(0.05, 1.0))
def test_masking_invariants(seed, shape, prob):
    rng = np.random.default_rng(seed)
    vocab = 9
    ids = rng.integers(0, vocab, size=shape)
    inputs, labels = mask_tokens(ids, MASK, vocab, special_ids=SPECIAL, rng=seed, mask_prob=prob)
    chosen = labels != IGNORE_INDEX
    assert inputs.shape == labels.shape == ids.shape
    np.testing.assert_array_equal(labels[chosen], ids[chosen])  # the label is the original token
    np.testing.assert_array_equal(inputs[~chosen], ids[~chosen])  # unchosen positions are untouched
    assert not np.isin(ids[chosen], SPECIAL).any()  # [PAD], [CLS], [SEP], [MASK] are never chosen
    eligible = ~np.isin(ids, SPECIAL)
    assert chosen.any() == eligible.any()  # at least one chosen whenever one can be
    again = mask_tokens(ids, MASK, vocab, special_ids=SPECIAL, rng=seed, mask_prob=prob)
    np.testing.assert_array_equal(again[0], inputs)  # the same seed, the same masks


def test_masking_errors_name_the_argument():
    ids = np.arange(4, 10)[None]
    with pytest.raises(ValueError, match="mask_prob=0 must be in"):
        mask_tokens(ids, MASK, 10, mask_prob=0)
    with pytest.raises(ValueError, match="mask_id=10 is not a token"):
        mask_tokens(ids, 10, 10)
    with pytest.raises(ValueError, match="replace_probs"):
        mask_tokens(ids, MASK, 10, replace_probs=(0.9, 0.2))
    with pytest.raises(TypeError, match="must be integers"):
        mask_tokens(ids.astype(float), MASK, 10)


# ------------------------------------------------------------------------------------------ the loss


def test_masked_lm_loss_counts_only_chosen_positions():
    rng = np.random.default_rng(0)
    logits = tg.tensor(rng.normal(size=(2, 5, 7)), requires_grad=True)
    labels = np.full((2, 5), IGNORE_INDEX)
    labels[0, 1], labels[1, 3], labels[1, 4] = 4, 0, 6
    loss = masked_lm_loss(logits, labels)
    z = logits.numpy()
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    expected = -(log_p[0, 1, 4] + log_p[1, 3, 0] + log_p[1, 4, 6]) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    chosen = labels != IGNORE_INDEX
    assert np.all(logits.grad[~chosen] == 0) and np.all(np.abs(logits.grad[chosen]).sum(-1) > 0)
    with pytest.raises(ValueError, match="no position is chosen"):
        masked_lm_loss(logits, np.full((2, 5), IGNORE_INDEX))
    with pytest.raises(ValueError, match=r"expected one label per position, \(batch, T\)"):
        masked_lm_loss(logits, labels[:, :3])


@pytest.mark.torch
def test_masked_lm_loss_matches_pytorch():
    torch = require_torch()
    rng = np.random.default_rng(3)
    z = rng.normal(size=(3, 6, 11))
    _, labels = mask_tokens(rng.integers(4, 11, (3, 6)), MASK, 11, SPECIAL, rng=3, mask_prob=0.4)
    ours = tg.tensor(z, requires_grad=True)
    theirs = torch.tensor(z, requires_grad=True)
    loss_ours = masked_lm_loss(ours, labels)
    loss_theirs = torch.nn.functional.cross_entropy(theirs.reshape(-1, 11), torch.tensor(labels).reshape(-1))
    loss_ours.backward()
    loss_theirs.backward()
    assert loss_ours.item() == pytest.approx(loss_theirs.item(), rel=1e-12)
    assert_close(ours.grad, theirs.grad, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------------------------ the encoder


def padded_batch(rng: np.random.Generator, batch: int, length: int, vocab: int) -> np.ndarray:
    """[CLS] w w … [SEP] [PAD] …: sentences of random lengths, padded at the end."""
    ids = np.full((batch, length), PAD)
    for row in range(batch):
        n = int(rng.integers(1, length - 1))
        ids[row, 0], ids[row, 1 : n + 1], ids[row, n + 1] = CLS, rng.integers(len(SPECIAL), vocab, n), SEP
    return ids


@pytest.mark.torch
def test_encoder_and_mlm_head_match_pytorch_with_padding():
    torch = require_torch()
    tg.manual_seed(0)
    vocab, d, heads, layers, ff = 15, 16, 4, 2, 24
    ours = BertForMaskedLM(BertModel(vocab, d, heads, layers, ff, max_len=12, dropout=0.1)).double().eval()
    params = {name: torch.tensor(p.numpy()) for name, p in ours.named_parameters()}

    def torch_bert(ids, padding):
        layer = torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu", batch_first=True,
                                                 layer_norm_eps=1e-12, dtype=torch.float64)
        encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        state = {}
        for k in range(layers):
            prefix = f"bert.encoder.layers.{k}."
            state[f"layers.{k}.self_attn.in_proj_weight"] = torch.cat(
                [params[prefix + f"self_attn.{p}_proj.weight"] for p in "qkv"])
            state[f"layers.{k}.self_attn.in_proj_bias"] = torch.cat(
                [params[prefix + f"self_attn.{p}_proj.bias"] for p in "qkv"])
            for name in ("self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight", "linear1.bias",
                         "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight",
                         "norm2.bias"):
                state[f"layers.{k}.{name}"] = params[prefix + name]
        encoder.load_state_dict(state)
        encoder.eval()
        ids_t = torch.tensor(ids)
        x = (params["bert.word_embeddings.weight"][ids_t] + params["bert.position_embeddings.weight"][:ids.shape[1]]
             + params["bert.token_type_embeddings.weight"][0])
        x = torch.nn.functional.layer_norm(x, (d,), params["bert.embedding_norm.weight"],
                                           params["bert.embedding_norm.bias"], eps=1e-12)
        h = encoder(x, src_key_padding_mask=torch.tensor(padding))
        t = torch.nn.functional.gelu(h @ params["transform.weight"].T + params["transform.bias"])
        t = torch.nn.functional.layer_norm(t, (d,), params["transform_norm.weight"], params["transform_norm.bias"],
                                           eps=1e-12)
        return t @ params["bert.word_embeddings.weight"].T + params["bias"]

    ids = padded_batch(np.random.default_rng(0), 4, 9, vocab)
    logits = ours(ids).numpy()
    expected = torch_bert(ids, ids == PAD).detach().numpy()
    real = ids != PAD  # PyTorch's fast path may leave padded query rows as anything; compare real tokens
    np.testing.assert_allclose(logits[real], expected[real], rtol=1e-9, atol=1e-10)


def test_padding_does_not_change_the_real_tokens():
    """The same sentence alone and padded to twice its length: identical vectors at its real positions."""
    model = BertForSequenceClassification(tiny_bert(), 3).eval()
    sentence = np.array([[CLS, 5, 7, 9, SEP]])
    padded = np.concatenate([sentence, np.full((1, 5), PAD)], axis=1)
    np.testing.assert_allclose(model.bert(padded).numpy()[:, :5], model.bert(sentence).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model(padded).numpy(), model(sentence).numpy(), rtol=1e-5, atol=1e-6)
    # an explicit mask that hides nothing lets the pads be attended: a different answer, as it should be
    assert not np.allclose(model.bert(padded, src_key_padding_mask=np.zeros((1, 10), bool)).numpy()[:, :5],
                           model.bert(sentence).numpy(), atol=1e-4)


def test_encoder_is_bidirectional():
    """Changing the last token changes the first position's vector (a GPT's first position would not move)."""
    bert = tiny_bert().eval()
    ids = np.array([[CLS, 5, 6, 7, SEP]])
    changed = ids.copy()
    changed[0, 3] = 8
    assert not np.allclose(bert(ids).numpy()[0, 0], bert(changed).numpy()[0, 0], atol=1e-6)


class _Fixed(nn.Module):
    """A model applied to fixed token ids, so ``gradcheck(..., params=True)`` checks all its parameters (ids are not
    differentiable). Only the outputs at real tokens are kept: the outputs at [PAD] positions are never used, and
    through them the [PAD] embedding row would get the gradient that ``padding_idx`` withholds by design."""

    def __init__(self, model: nn.Module, ids: np.ndarray) -> None:
        super().__init__()
        self.model, self.ids = model, ids

    def forward(self) -> tg.Tensor:
        out = self.model(self.ids)
        return out[self.ids != PAD] if out.ndim == 3 else out


@pytest.mark.slow
@settings(max_examples=4)
@given(seed=st.integers(0, 999), length=st.integers(3, 5), norm_first=st.booleans())
def test_masked_lm_gradcheck(seed, length, norm_first):
    tg.manual_seed(seed)
    ids = padded_batch(np.random.default_rng(seed), 2, length, 7)
    model = BertForMaskedLM(BertModel(7, 4, 2, 1, dim_feedforward=6, max_len=6, dropout=0.0, norm_first=norm_first))
    for p in model.parameters():  # BERT's N(0, 0.02²) makes every gradient tiny; check at a livelier point
        p.data[...] = np.random.default_rng(seed).normal(0, 0.5, p.shape)
    tg.gradcheck(_Fixed(model, ids), params=True)


@pytest.mark.slow
@settings(max_examples=4)
@given(seed=st.integers(0, 999), length=st.integers(3, 5))
def test_sequence_classifier_gradcheck(seed, length):
    tg.manual_seed(seed)
    ids = padded_batch(np.random.default_rng(seed), 3, length, 7)
    model = BertForSequenceClassification(BertModel(7, 4, 2, 1, dim_feedforward=6, max_len=6, dropout=0.0), 3,
                                          dropout=0.0, cls_id=CLS)
    for p in model.parameters():
        p.data[...] = np.random.default_rng(seed + 1).normal(0, 0.5, p.shape)
    tg.gradcheck(_Fixed(model, ids), params=True)


def test_predicting_at_the_chosen_positions_only_gives_the_same_loss_and_gradients():
    model = BertForMaskedLM(tiny_bert(12))
    ids = padded_batch(np.random.default_rng(0), 4, 8, 12)
    inputs, labels = mask_tokens(ids, MASK, 12, SPECIAL, rng=0, mask_prob=0.3)
    full = masked_lm_loss(model(inputs), labels)
    full.backward()
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    model.zero_grad()
    logits = model(inputs, predict_at=labels != IGNORE_INDEX)
    assert logits.shape == ((labels != IGNORE_INDEX).sum(), 12)
    chosen = masked_lm_loss(logits, labels)
    chosen.backward()
    assert chosen.item() == pytest.approx(full.item(), rel=1e-5)  # float32, products of other sizes: a few ulps
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name], rtol=1e-4, atol=1e-7, err_msg=name)
    with pytest.raises(ValueError, match="compute them with predict_at"):
        masked_lm_loss(logits[:2], labels)
    with pytest.raises(ValueError, match="predict_at has shape"):
        model(inputs, predict_at=np.ones((4, 3), bool))


def test_weights_are_tied_and_initialised_as_bert():
    model = BertForMaskedLM(BertModel(30, 16, 2, 1, max_len=8))
    names = [name for name, _ in model.named_parameters()]
    assert not any(name.startswith("decoder") for name in names) and "bias" in names  # no second V×d matrix
    table = model.bert.word_embeddings.weight.numpy()
    assert np.all(table[PAD] == 0) and abs(table[1:].std() - 0.02) < 0.004
    ids = np.array([[CLS, 5, 6, SEP]])
    labels = np.array([[IGNORE_INDEX, 5, IGNORE_INDEX, IGNORE_INDEX]])
    masked_lm_loss(model(ids), labels).backward()
    assert np.abs(model.bert.word_embeddings.weight.grad[20]).sum() > 0  # reaches rows never input: the output use


def test_bad_inputs_raise_clear_errors():
    bert = tiny_bert(vocab=12, max_len=6)
    with pytest.raises(ValueError, match=r"shape \(batch, seq\), got \(5,\): for one sentence use ids\[None\]"):
        bert(np.array([1, 4, 5, 6, 2]))
    with pytest.raises(ValueError, match="longer than max_len=6"):
        bert(np.ones((1, 7), dtype=np.int64))
    with pytest.raises(ValueError, match=r"must lie in \[0, 12\), got \[1, 40\]"):
        bert(np.array([[1, 40]]))
    with pytest.raises(ValueError, match="token_type_ids has shape"):
        bert(np.array([[1, 4]]), token_type_ids=np.zeros((1, 3), dtype=np.int64))
    classifier = BertForSequenceClassification(bert, 2, cls_id=CLS)
    with pytest.raises(ValueError, match=r"must start with \[CLS\] \(id 1\).*\[CLS\] \+ tokens \+ \[SEP\]"):
        classifier(np.array([[4, 5, SEP]]))
    with pytest.raises(ValueError, match="pad_id=20 is not a token"):
        BertModel(12, pad_id=20)


# ------------------------------------------------------------------------------------------ learning


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_tiny_mlm_learns_to_fill_in_a_repeated_word():
    """Sentences "[CLS] w w w w w w w w" with w random: a masked position is filled in from the visible copies,
    on either side. The loss falls from log 8 ≈ 2.1 (guessing among the 8 ordinary tokens) to near 0."""
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    vocab = 12
    model = BertForMaskedLM(BertModel(vocab, 16, 2, 1, 32, max_len=16, dropout=0.0, norm_first=True))
    optimizer = optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    losses = []
    for _ in range(150):
        word = rng.integers(len(SPECIAL), vocab, size=(32, 1))
        ids = np.concatenate([np.full((32, 1), CLS), np.tile(word, 8)], axis=1)
        inputs, labels = mask_tokens(ids, MASK, vocab, special_ids=SPECIAL, rng=rng)
        loss = masked_lm_loss(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[:10]) > 1.8 and np.mean(losses[-25:]) < 0.4, (losses[:10], losses[-25:])


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_tiny_classifier_learns_from_the_cls_vector():
    """Class = whether token 4 occurs anywhere in the sentence: [CLS] must gather it through attention."""
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    model = BertForSequenceClassification(tiny_bert(8, d_model=16, layers=1), 2, dropout=0.0, cls_id=CLS)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(200):
        ids = padded_batch(rng, 32, 7, 8)
        labels = (ids == 4).any(axis=1).astype(np.int64)
        loss = F.cross_entropy(model(ids), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ids = padded_batch(rng, 500, 7, 8)
    with tg.no_grad():
        accuracy = (model.eval()(ids).numpy().argmax(-1) == (ids == 4).any(axis=1)).mean()
    assert accuracy > 0.95, accuracy

"""A BERT-style encoder (Devlin et al., 2018): a bidirectional Transformer pre-trained by filling in masked words,
then fine-tuned with a small head on a labelled task.

| piece | what it is |
| --- | --- |
| ``BertModel`` | token + learned position + segment embeddings → LayerNorm → post-norm GELU encoder layers |
| ``BertForMaskedLM`` | the pre-training head: dense → GELU → LayerNorm → logits over the vocabulary, whose |
|  | output matrix *is* the token-embedding table (weight tying) |
| ``BertForSequenceClassification`` | the fine-tuning head: the ``[CLS]`` vector → pooler (dense + tanh) → classes |
| ``mask_tokens`` | BERT's 15 % / 80-10-10 masking rule on token-id arrays |
| ``masked_lm_loss`` | cross-entropy on the chosen positions only |

Unlike a GPT (causal: position t sees 0..t), every position here sees the whole sentence, left *and* right; that
is why it cannot be trained to predict the next token, and is trained to predict hidden ones instead. Padding
positions are excluded as keys of the attention through a key-padding mask (derived from ``pad_id`` when none is
given). Pre-training and the fine-tuning experiment are in ``models/bert_pretraining.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import nn
from ..nn import functional as F
from ..nn import init
from ..tensor import Tensor

IGNORE_INDEX = -100  # PyTorch's cross_entropy default: label of the positions the loss skips
INITIALIZER_RANGE = 0.02  # BERT's weight initialisation: N(0, 0.02²) for every matrix and embedding table


class BertModel(nn.Module):
    """The encoder: ids (batch, T) → one vector per position (batch, T, d_model).

        x = LayerNorm(E_tok[idsₜ] + E_pos[t] + E_seg[segₜ]),   h = Encoderᴺ(x)   (post-norm layers, GELU)

    ``BertModel(vocab_size, d_model=64, nhead=4, num_layers=2, dim_feedforward=None (4·d_model), max_len=128,
    dropout=0.1, pad_id=0, type_vocab_size=2, layer_norm_eps=1e-12, norm_first=False)``. BERT-base is
    (30522, 768, 12, 12, 3072, 512): the same code. ``norm_first=True`` gives pre-norm layers (x + SA(LN(x)), and a
    final LayerNorm), which most encoders trained since BERT use: they tolerate the larger learning rates of a
    short pre-training.

    ``forward(input_ids, src_key_padding_mask=None, token_type_ids=None)``: the padding mask is (batch, T) with
    True = padding (PyTorch's convention for ``src_key_padding_mask``); when omitted it is ``input_ids == pad_id``,
    so padded batches work without it. ``token_type_ids`` (segment A = 0 / B = 1) default to zeros.
    """

    def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int | None = None, max_len: int = 128, dropout: float = 0.1, pad_id: int = 0,
                 type_vocab_size: int = 2, layer_norm_eps: float = 1e-12, norm_first: bool = False) -> None:
        super().__init__()
        if vocab_size <= 1 or d_model <= 0 or max_len <= 0:
            raise ValueError(f"BertModel(vocab_size={vocab_size}, d_model={d_model}, max_len={max_len}): need a "
                             "vocabulary of at least 2 tokens and positive sizes")
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"BertModel: pad_id={pad_id} is not a token of the vocabulary [0, {vocab_size})")
        self.vocab_size, self.d_model, self.max_len, self.pad_id = vocab_size, d_model, max_len, pad_id
        self.word_embeddings = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.position_embeddings = nn.Embedding(max_len, d_model)  # learned, as BERT's (not the sinusoidal table)
        self.token_type_embeddings = nn.Embedding(type_vocab_size, d_model)
        self.embedding_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.embedding_dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward or 4 * d_model, dropout,
                                           activation="gelu", layer_norm_eps=layer_norm_eps, norm_first=norm_first)
        final_norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if norm_first else None  # pre-norm needs one
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=final_norm)
        self.apply(bert_init_)

    def forward(self, input_ids: Any, src_key_padding_mask: Any = None, token_type_ids: Any = None) -> Tensor:
        ids = self.check_ids(input_ids)
        batch, length = ids.shape
        if src_key_padding_mask is None:
            padding = ids == self.pad_id
            src_key_padding_mask = padding if padding.any() else None  # no padding: skip the mask's work
        segments = np.zeros_like(ids) if token_type_ids is None else _as_ids(token_type_ids)
        if segments.shape != ids.shape:
            raise ValueError(f"BertModel: token_type_ids has shape {segments.shape}, expected {ids.shape} "
                             "(one segment id per token)")
        positions = self.position_embeddings(np.arange(length))  # (T, d), broadcast over the batch
        x = self.word_embeddings(ids) + positions + self.token_type_embeddings(segments)
        x = self.embedding_dropout(self.embedding_norm(x))
        return self.encoder(x, src_key_padding_mask=src_key_padding_mask)

    def check_ids(self, input_ids: Any) -> np.ndarray:
        """``input_ids`` as an integer array (batch, T), or an error that names the problem and the fix."""
        ids = _as_ids(input_ids)
        if ids.ndim != 2:
            raise ValueError(f"BertModel expects token ids of shape (batch, seq), got {ids.shape}: for one sentence "
                             "use ids[None]")
        if ids.shape[1] > self.max_len:
            raise ValueError(f"BertModel: a sequence of {ids.shape[1]} tokens is longer than max_len={self.max_len}:"
                             " cut it, or create the model with a larger max_len")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"BertModel: token ids must lie in [0, {self.vocab_size}), got [{ids.min()}, "
                             f"{ids.max()}]: was the text encoded with a tokenizer of another vocabulary?")
        return ids

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, d_model={self.d_model}, max_len={self.max_len}, pad_id={self.pad_id}"


def _as_ids(values: Any) -> np.ndarray:
    array = np.asarray(values.numpy() if isinstance(values, Tensor) else values)
    if array.dtype.kind not in "iu":
        raise TypeError(f"token ids must be integers, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


def bert_init_(module: nn.Module) -> None:
    """BERT's initialisation, applied to every sub-module: W ~ N(0, 0.02²), biases 0, LayerNorm γ = 1 and β = 0,
    the padding row of an embedding 0. (PyTorch's layer defaults would give the tied output layer logits of
    size ≈ √d from embeddings N(0, 1).)"""
    if isinstance(module, nn.Linear):
        init.normal_(module.weight, std=INITIALIZER_RANGE)
        if module.bias is not None:
            init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        init.normal_(module.weight, std=INITIALIZER_RANGE)
        if module.padding_idx is not None:
            module.weight.data[module.padding_idx] = 0


class BertForMaskedLM(nn.Module):
    """The pre-training model: logits over the vocabulary at every position.

        z = LayerNorm(GELU(W_t h + b_t)) E_tokᵀ + b        (E_tok: the token-embedding table, shared)

    The output matrix is the input embedding table (weight tying), so a word's input vector and its output
    vector are the same row, and the head adds only d² + 3d + V parameters. Train with ``masked_lm_loss``.
    ``BertForMaskedLM(bert)`` wraps a ``BertModel``; ``forward`` takes its arguments and returns logits
    (batch, T, V), or with ``predict_at`` (a boolean (batch, T) array, e.g. ``labels != -100``) the logits (n, V)
    of those n positions only: as in BERT's own code, the V-wide product is then paid for the 15 % of positions
    that have a label, not for all of them.
    """

    def __init__(self, bert: BertModel) -> None:
        super().__init__()
        self.bert = bert
        d_model = bert.d_model
        self.transform = nn.Linear(d_model, d_model)
        self.transform_norm = nn.LayerNorm(d_model, eps=bert.embedding_norm.eps)
        table = bert.word_embeddings.weight
        self.bias = nn.Parameter(table.xp.zeros(bert.vocab_size, dtype=table.dtype))
        bert_init_(self.transform)

    def forward(self, input_ids: Any, src_key_padding_mask: Any = None, token_type_ids: Any = None,
                predict_at: Any = None) -> Tensor:
        h = self.bert(input_ids, src_key_padding_mask, token_type_ids)
        if predict_at is not None:  # only the chosen positions: (n, d) instead of (batch, T, d)
            where = np.asarray(predict_at, dtype=bool)
            if where.shape != tuple(h.shape[:2]):
                raise ValueError(f"BertForMaskedLM: predict_at has shape {where.shape}, expected (batch, T) = "
                                 f"{tuple(h.shape[:2])}, e.g. labels != -100")
            h = h[where]
        h = self.transform_norm(F.gelu(self.transform(h)))
        return F.linear(h, self.bert.word_embeddings.weight, self.bias)  # tied: the embedding table is Wᵀ


class BertForSequenceClassification(nn.Module):
    """The fine-tuning model: one label per sequence, read from the first position, the ``[CLS]`` token.

        p = softmax(W_c · dropout(tanh(W_p h_[CLS] + b_p)) + b_c)

    ``[CLS]`` carries no word of its own; because attention lets it look at every token, training makes its
    vector a summary of the sentence. ``BertForSequenceClassification(bert, num_classes, dropout=0.1,
    cls_id=None)``: pass a pre-trained ``BertModel`` to fine-tune it, or a fresh one to train from scratch. With
    ``cls_id`` given, a batch whose first column is not ``[CLS]`` is refused (the usual mistake: encoding the text
    without the special tokens). ``forward`` returns logits (batch, num_classes) for ``F.cross_entropy``.
    """

    def __init__(self, bert: BertModel, num_classes: int, dropout: float = 0.1, cls_id: int | None = None) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"BertForSequenceClassification(num_classes={num_classes}): at least 2 classes")
        self.bert, self.num_classes, self.cls_id = bert, num_classes, cls_id
        self.pooler = nn.Linear(bert.d_model, bert.d_model)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(bert.d_model, num_classes)
        self.pooler.apply(bert_init_)
        self.classifier.apply(bert_init_)

    def forward(self, input_ids: Any, src_key_padding_mask: Any = None, token_type_ids: Any = None) -> Tensor:
        ids = self.bert.check_ids(input_ids)
        if self.cls_id is not None and ids.shape[1] and not (ids[:, 0] == self.cls_id).all():
            raise ValueError(f"BertForSequenceClassification: every sequence must start with [CLS] (id "
                             f"{self.cls_id}), but the first column holds {np.unique(ids[:, 0])[:5].tolist()}: "
                             "encode with the special tokens, e.g. [CLS] + tokens + [SEP]")
        h = self.bert(ids, src_key_padding_mask, token_type_ids)
        pooled = self.pooler(h[:, 0]).tanh()
        return self.classifier(self.dropout(pooled))

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}"


def mask_tokens(tokens: Any, mask_id: int, vocab_size: int, special_ids: Any = (), rng: Any = None,
                mask_prob: float = 0.15, replace_probs: tuple[float, float] = (0.8, 0.1)
                ) -> tuple[np.ndarray, np.ndarray]:
    """BERT's masking rule on an integer array of token ids; returns (inputs, labels) of the same shape.

    Each position that is not a special token is **chosen** with probability p = 0.15 (``mask_prob``). A chosen
    position becomes ``[MASK]`` with probability 0.8, a random token with probability 0.1, and keeps its token
    with probability 0.1 (``replace_probs`` = (0.8, 0.1); the rest is kept). ``labels`` holds the original token
    at chosen positions and ``IGNORE_INDEX`` (−100) elsewhere, so the loss is computed on chosen positions only.

    Why not always ``[MASK]``: ``[MASK]`` never occurs in fine-tuning text, so a model that had only learned to
    fill ``[MASK]`` would have no reason to build a good vector for a visible word. The 10 % random and 10 % kept
    force it to check every input token. Random tokens are drawn uniformly from the non-special ids.

    ``special_ids`` ([PAD], [CLS], [SEP], [MASK], …) are never chosen. ``rng`` is a ``numpy.random.Generator`` or a
    seed. If no position at all is chosen (short batches), one eligible position is, so the loss is defined.
    """
    ids = _as_ids(tokens)
    if not 0.0 < mask_prob <= 1.0:
        raise ValueError(f"mask_tokens: mask_prob={mask_prob} must be in (0, 1] (BERT uses 0.15)")
    p_mask, p_random = replace_probs
    if p_mask < 0 or p_random < 0 or p_mask + p_random > 1:
        raise ValueError(f"mask_tokens: replace_probs={replace_probs} must be two probabilities with sum ≤ 1 "
                         "(BERT uses (0.8, 0.1))")
    if not 0 <= mask_id < vocab_size:
        raise ValueError(f"mask_tokens: mask_id={mask_id} is not a token of the vocabulary [0, {vocab_size})")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    special = np.unique(np.asarray([*np.asarray(special_ids).ravel().tolist(), mask_id], dtype=np.int64))
    eligible = ~np.isin(ids, special)
    chosen = eligible & (rng.random(ids.shape) < mask_prob)
    if not chosen.any() and eligible.any():
        flat = np.flatnonzero(eligible)
        chosen.flat[flat[rng.integers(len(flat))]] = True
    labels = np.where(chosen, ids, IGNORE_INDEX)
    fate = rng.random(ids.shape)
    inputs = ids.copy()
    inputs[chosen & (fate < p_mask)] = mask_id
    to_random = chosen & (fate >= p_mask) & (fate < p_mask + p_random)
    ordinary = np.setdiff1d(np.arange(vocab_size), special)
    if to_random.any() and ordinary.size:
        inputs[to_random] = ordinary[rng.integers(ordinary.size, size=int(to_random.sum()))]
    return inputs, labels


def masked_lm_loss(logits: Tensor, labels: Any) -> Tensor:
    """The masked-language-model loss: the mean cross-entropy over the chosen positions M only,

        L_MLM = −(1/|M|) Σ_{i∈M} log softmax(zᵢ)[xᵢ]

    where xᵢ is the original token at position i (``labels``; −100 elsewhere is skipped). Positions that were
    not chosen give no loss and no gradient: predicting a visible word by copying it would teach nothing.
    ``logits`` are (batch, T, V), or (|M|, V) when the model computed the chosen positions only
    (``BertForMaskedLM(..., predict_at=labels != -100)``): the same loss, for less work.
    """
    targets = _as_ids(labels)
    chosen = targets != IGNORE_INDEX
    if not chosen.any():
        raise ValueError("masked_lm_loss: no position is chosen (every label is -100): mask_tokens chooses at "
                         "least one, so these labels did not come from it")
    if logits.ndim == 2:
        if logits.shape[0] != int(chosen.sum()):
            raise ValueError(f"masked_lm_loss: {logits.shape[0]} rows of logits for {int(chosen.sum())} chosen "
                             "positions: compute them with predict_at=labels != -100")
        return F.cross_entropy(logits, targets[chosen])
    if logits.ndim != 3:
        raise ValueError(f"masked_lm_loss: logits must be (batch, T, vocab) or (chosen, vocab), got "
                         f"{tuple(logits.shape)}")
    if targets.shape != tuple(logits.shape[:2]):
        raise ValueError(f"masked_lm_loss: labels have shape {targets.shape}, the logits {tuple(logits.shape)}: "
                         "expected one label per position, (batch, T)")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX)

"""Attention: the documents' Attention(Q, K, V) = softmax(QKᵀ/√d_k) V and multi-head attention built on it.

Two mask conventions live here, exactly as in PyTorch, and they are opposite — the classic trap:

- ``scaled_dot_product_attention(attn_mask=...)``: a boolean True means the query **may attend** to the key.
- ``MultiHeadAttention(key_padding_mask=..., attn_mask=...)``: a boolean True means the key is **masked out**.

Float masks are added to the scores in both (use −inf to forbid a position).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend, ops
from ..tensor import Tensor
from . import init
from .linear import Linear
from .module import Module


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None) -> Tensor:
    """softmax(Q Kᵀ · scale + mask) V, with scale = 1/√d by default (PyTorch's function, same arguments).

    Shapes: query (…, Lq, d), key (…, Lk, d), value (…, Lk, dᵥ) → output (…, Lq, dᵥ); the leading axes (batch,
    heads) must agree.

    ``attn_mask`` broadcastable to (…, Lq, Lk): **boolean True = this query may attend to this key** (False
    becomes −inf before the softmax), or a float mask added to the scores (a Tensor that requires grad gets a
    gradient). ``is_causal=True`` lets query i see keys j ≤ i only (do not pass a mask as well). A query that may
    attend to nothing gets an output of zeros, as in PyTorch. ``dropout_p`` drops attention weights (always, as
    PyTorch's function: pass 0 in evaluation).

    Careful: ``MultiHeadAttention`` reads boolean masks the other way round (True = masked out).
    """
    _check_qkv(query, key, value)
    lq, lk = query.shape[-2], key.shape[-2]
    scores_shape = tuple(query.shape[:-2]) + (lq, lk)
    bias = None
    if attn_mask is not None:
        if is_causal:
            raise ValueError("scaled_dot_product_attention: pass either attn_mask or is_causal=True, not both")
        bias = _mask_as_bias(attn_mask, query, scores_shape, true_means="attend",
                             where="scaled_dot_product_attention: attn_mask")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"scaled_dot_product_attention: dropout_p={dropout_p} must be in [0, 1)")
    keep = None
    if dropout_p > 0.0:
        uniform = backend.generator(query.device).random(scores_shape, dtype=query.dtype)
        keep = (uniform >= dropout_p).astype(query.dtype) * query.dtype.type(1 / (1 - dropout_p))
    inputs = (query, key, value) if bias is None else (query, key, value, bias)
    return ops.ScaledDotProductAttention.apply(*inputs, causal=is_causal, scale=scale, keep=keep)


def _check_qkv(query: Tensor, key: Tensor, value: Tensor) -> None:
    shapes = f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
    if query.ndim < 2 or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(f"scaled_dot_product_attention needs query, key and value with the same number (≥ 2) of "
                         f"axes (…, L, d); got {shapes}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"scaled_dot_product_attention: query and key need the same feature size d (last axis); "
                         f"got {shapes}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: key and value need the same number of positions "
                         f"(second-to-last axis); got {shapes}")
    if not (query.shape[:-2] == key.shape[:-2] == value.shape[:-2]):
        raise ValueError(f"scaled_dot_product_attention: the leading (batch, head) axes must agree; got {shapes}")
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise TypeError(f"scaled_dot_product_attention: query, key and value have dtypes {query.dtype}, "
                        f"{key.dtype}, {value.dtype}: convert them to one")


def _mask_as_bias(mask: Any, like: Tensor, scores_shape: tuple[int, ...], true_means: str, where: str) -> Any:
    """A boolean mask as an additive array (0 where allowed, −inf where not); a float mask as it is (a Tensor
    stays a Tensor, so a float mask that requires grad gets one). Checks that it broadcasts to the scores."""
    xp = like.xp
    data = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
    try:
        broadcast = np.broadcast_shapes(tuple(data.shape), scores_shape)
    except ValueError:
        broadcast = None
    if broadcast != scores_shape:
        raise ValueError(f"{where} of shape {tuple(data.shape)} does not broadcast to the attention scores' shape "
                         f"{scores_shape} (…, query length, key length)")
    if data.dtype == bool:
        allowed = data if true_means == "attend" else ~data
        return xp.where(allowed, like.dtype.type(0), like.dtype.type(-np.inf))
    if not np.issubdtype(data.dtype, np.floating):
        raise TypeError(f"{where} must be boolean or floating point, got dtype {data.dtype}")
    if isinstance(mask, Tensor):
        return mask if mask.dtype == like.dtype else mask.astype(like.dtype)
    return data.astype(like.dtype, copy=False)


class MultiHeadAttention(Module):
    """Multi-head attention:  MultiHead(Q, K, V) = Concat(head₁, …, head_h) W_O,
    headᵢ = Attention(Q W_Qⁱ, K W_Kⁱ, V W_Vⁱ)  (the documents' separate query/key/value/output projections).

    ``MultiHeadAttention(embed_dim, num_heads, dropout=0.0, bias=True, kdim=None, vdim=None, batch_first=True)``:
    the sub-layers ``q_proj``, ``k_proj``, ``v_proj`` (to embed_dim) and ``out_proj`` are ``Linear`` layers; each
    head works on embed_dim / num_heads features. Inputs are (batch, seq, embed) (``batch_first=False``:
    (seq, batch, embed)), or unbatched (seq, embed).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)`` as PyTorch's
    ``MultiheadAttention``: weights (batch, Lq, Lk) averaged over the heads (or (batch, heads, Lq, Lk)), None when
    ``need_weights=False`` (then the attention op runs its short path or flash kernel).

    Masks, PyTorch's convention for this layer: **boolean True = masked out** (the opposite of
    ``scaled_dot_product_attention``!); float masks are added to the scores. ``key_padding_mask`` (batch, Lk)
    hides padding keys; ``attn_mask`` (Lq, Lk) or (batch·num_heads, Lq, Lk) hides query/key pairs;
    ``is_causal=True`` hides future keys.

    Initialisation as PyTorch's: W_Q, W_K, W_V Glorot-uniform as one stacked (3·embed, embed) matrix, their biases
    and out_proj's bias zero. PyTorch keeps W_Q, W_K, W_V stacked in one ``in_proj_weight``: ``torch.cat([q, k,
    v])`` of our three weights is that matrix.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = True,
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiHeadAttention(embed_dim={embed_dim}, num_heads={num_heads}): both must be positive")
        if embed_dim % num_heads:
            raise ValueError(f"MultiHeadAttention: embed_dim={embed_dim} is not divisible by num_heads={num_heads}; "
                             f"each head gets embed_dim / num_heads features, so choose e.g. num_heads in "
                             f"{[h for h in range(1, embed_dim + 1) if embed_dim % h == 0][:8]}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiHeadAttention(dropout={dropout}): a probability in [0, 1)")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self.head_dim = embed_dim // num_heads
        self.batch_first = batch_first
        factory = dict(device=device, dtype=dtype)
        self.q_proj = Linear(embed_dim, embed_dim, bias=bias, **factory)
        self.k_proj = Linear(self.kdim, embed_dim, bias=bias, **factory)
        self.v_proj = Linear(self.vdim, embed_dim, bias=bias, **factory)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **factory)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.kdim == self.vdim == self.embed_dim:  # PyTorch's stacked in_proj_weight: fan_out = 3·embed
            bound = math.sqrt(6.0 / (self.embed_dim + 3 * self.embed_dim))
            for proj in (self.q_proj, self.k_proj, self.v_proj):
                init.uniform_(proj.weight, -bound, bound)
        else:
            for proj in (self.q_proj, self.k_proj, self.v_proj):
                init.xavier_uniform_(proj.weight)
        for proj in (self.q_proj, self.k_proj, self.v_proj, self.out_proj):
            if proj.bias is not None:
                init.zeros_(proj.bias)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        query, key, value, unbatched = self._as_batch_first(query, key, value)
        batch, lq, lk = query.shape[0], query.shape[1], key.shape[1]
        heads, head_dim = self.num_heads, self.head_dim
        bias = self._combined_mask(key_padding_mask, attn_mask, is_causal, query, batch, lq, lk)
        q = self.q_proj(query).reshape(batch, lq, heads, head_dim).transpose(1, 2)  # (B, h, Lq, d)
        k = self.k_proj(key).reshape(batch, lk, heads, head_dim).transpose(1, 2)
        v = self.v_proj(value).reshape(batch, lk, heads, head_dim).transpose(1, 2)
        dropout_p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:  # the weights are wanted: compose the formula from ops, keeping P as a tensor
            scores = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(head_dim))
            if bias is not None:
                scores = scores + bias
            weights = scores.softmax(axis=-1)
            dropped = ops.Dropout.apply(weights, p=dropout_p) if dropout_p > 0 else weights
            context = dropped @ v
            weights = dropped.mean(axis=1) if average_attn_weights else dropped
        else:
            context = scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout_p)
        out = self.out_proj(context.transpose(1, 2).reshape(batch, lq, self.embed_dim))
        if unbatched:
            return out[0], (weights[0] if weights is not None else None)
        return (out if self.batch_first else out.transpose(0, 1)), weights

    def _as_batch_first(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor, Tensor, bool]:
        name = f"MultiHeadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{name} expects query, key and value of shape (batch, seq, features) (or unbatched "
                             f"(seq, features)); got {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        for label, tensor, size in (("query", query, self.embed_dim), ("key", key, self.kdim),
                                    ("value", value, self.vdim)):
            if tensor.shape[-1] != size:
                raise ValueError(f"{name} got {label} of shape {tuple(tensor.shape)}: its last axis must be {size}")
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ValueError(f"{name}: key {tuple(key.shape)} and value {tuple(value.shape)} need the same batch "
                             f"and length, and the batch of query {tuple(query.shape)}")
        return query, key, value, unbatched

    def _combined_mask(self, key_padding_mask: Any, attn_mask: Any, is_causal: bool, like: Tensor, batch: int,
                       lq: int, lk: int) -> Any:
        """All masks as one additive array broadcastable to the scores (B, h, Lq, Lk); None without masks."""
        heads, xp = self.num_heads, like.xp
        bias = None
        if key_padding_mask is not None:
            padding = key_padding_mask.data if isinstance(key_padding_mask, Tensor) else xp.asarray(key_padding_mask)
            if tuple(padding.shape) != (batch, lk) and not (like.shape[0] == 1 and padding.shape == (lk,)):
                raise ValueError(f"MultiHeadAttention: key_padding_mask has shape {tuple(padding.shape)}, expected "
                                 f"(batch, key length) = ({batch}, {lk}) (True = padding, ignored)")
            bias = _mask_as_bias(padding.reshape(batch, 1, 1, lk), like, (batch, heads, lq, lk),
                                 true_means="ignore", where="key_padding_mask")
        if attn_mask is not None:
            mask = attn_mask.data if isinstance(attn_mask, Tensor) else xp.asarray(attn_mask)
            if tuple(mask.shape) == (batch * heads, lq, lk):
                mask = mask.reshape(batch, heads, lq, lk)
            elif tuple(mask.shape) != (lq, lk):
                raise ValueError(f"MultiHeadAttention: attn_mask has shape {tuple(mask.shape)}, expected (query "
                                 f"length, key length) = ({lq}, {lk}) or (batch·num_heads, {lq}, {lk}) "
                                 "(True = not allowed to attend)")
            mask = _mask_as_bias(mask, like, (batch, heads, lq, lk), true_means="ignore", where="attn_mask")
            bias = mask if bias is None else bias + mask
        if is_causal:
            causal = xp.where(xp.tril(xp.ones((lq, lk), dtype=bool)), like.dtype.type(0), like.dtype.type(-np.inf))
            bias = causal if bias is None else bias + causal
        return bias

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"

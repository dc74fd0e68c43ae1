"""The Transformer encoder, built from the pieces the documents name: positional encoding, multi-head
self-attention, a feed-forward block, residual connections and layer normalisation. The small causal language
model built on it is a model, not a layer: ``tinygrad_edu.models.CausalLM``.

The documents' own PyTorch listing of this model does not run (docs/sequence-models.md, "Errata"): its positional
encoding uses an undefined ``i`` and fills a 1×1×d buffer, and its "Transformer" stacks bare attention layers,
without the feed-forward block, the residual connections and the normalisation that make a Transformer train.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .attention import MultiHeadAttention
from .dropout import Dropout
from .layernorm import LayerNorm
from .linear import Linear
from .module import Module, ModuleList


def positional_encoding_table(max_len: int, d_model: int) -> np.ndarray:
    """The sinusoidal table PE of shape (max_len, d_model), float64 (Vaswani et al., 2017):

        PE(pos, 2i) = sin(pos / 10000^{2i/d}),   PE(pos, 2i+1) = cos(pos / 10000^{2i/d})

    Column pair (2i, 2i+1) is a sine and cosine of wavelength 2π·10000^{2i/d}: from 2π (fast, i = 0) to
    ≈ 2π·10000 (slow). A position is thus encoded like the hands of a clock, and PE(pos + k) is a rotation of
    PE(pos) by an angle that depends on k only, which attention can pick up as a relative position.
    """
    position = np.arange(max_len, dtype=np.float64)[:, None]
    frequency = 10000.0 ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)  # 1/10000^{2i/d}
    table = np.zeros((max_len, d_model))
    table[:, 0::2] = np.sin(position * frequency)
    table[:, 1::2] = np.cos(position * frequency[: d_model // 2])  # an odd d_model has one sine more
    return table


class PositionalEncoding(Module):
    """Adds the sinusoidal position code to a sequence of vectors:  y = dropout(x + PE[:L]).

    ``PositionalEncoding(d_model, max_len=5000, dropout=0.0)``; input (batch, L, d_model) or (L, d_model),
    L ≤ max_len. The table (``positional_encoding_table``) is a buffer: not trained, not saved in the state_dict
    (it is recomputed from d_model), moved by ``.to()``.
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0) -> None:
        super().__init__()
        if d_model <= 0 or max_len <= 0:
            raise ValueError(f"PositionalEncoding(d_model={d_model}, max_len={max_len}): both must be positive")
        self.d_model, self.max_len = d_model, max_len
        self.dropout = Dropout(dropout)
        self.register_buffer("pe", Tensor(positional_encoding_table(max_len, d_model).astype(np.float32)),
                             persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or x.shape[-1] != self.d_model:
            raise ValueError(f"PositionalEncoding(d_model={self.d_model}) got input of shape {tuple(x.shape)}: "
                             f"expected (batch, seq, {self.d_model}) or (seq, {self.d_model})")
        length = x.shape[-2]
        if length > self.max_len:
            raise ValueError(f"PositionalEncoding: a sequence of length {length} is longer than "
                             f"max_len={self.max_len}; create the layer with a larger max_len")
        table = self.pe.data[:length]
        return self.dropout(x + (table if table.dtype == x.dtype else table.astype(x.dtype)))

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"


_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": lambda x: x.relu(), "gelu": lambda x: x.gelu()}


class TransformerEncoderLayer(Module):
    """One encoder block: self-attention and a feed-forward network, each wrapped in a residual connection and a
    layer normalisation (Vaswani et al., 2017):

        norm_first=False (post-norm, the paper's):  x = LN₁(x + SA(x));      x = LN₂(x + FF(x))
        norm_first=True  (pre-norm, GPT's):         x = x + SA(LN₁(x));      x = x + FF(LN₂(x))

    with SA(x) = dropout(MultiHeadAttention(x, x, x)) and FF(x) = dropout(W₂ dropout(act(W₁ x + b₁)) + b₂).

    ``TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
    layer_norm_eps=1e-5, batch_first=True, norm_first=False, bias=True)``; sub-modules named as PyTorch's
    (``self_attn``, ``linear1``, ``dropout``, ``linear2``, ``norm1``, ``norm2``, ``dropout1``, ``dropout2``).
    Differences: ``batch_first`` defaults to True here (inputs (batch, seq, d_model)), and ``self_attn`` has
    separate ``q_proj``/``k_proj``/``v_proj`` where PyTorch stacks them in ``in_proj_weight``.

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``: masks as in
    ``MultiHeadAttention`` (boolean True = masked out).
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = True, norm_first: bool = False, bias: bool = True) -> None:
        super().__init__()
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"TransformerEncoderLayer(activation={activation!r}): use 'relu' or 'gelu'")
            self.activation_name, self.activation = activation, _ACTIVATIONS[activation]
        else:
            self.activation_name, self.activation = getattr(activation, "__name__", "custom"), activation
        self.batch_first, self.norm_first = batch_first, norm_first
        self.self_attn = MultiHeadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=True)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)

    def forward(self, src: Tensor, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        d_model = self.self_attn.embed_dim
        if src.ndim not in (2, 3) or src.shape[-1] != d_model:
            raise ValueError(f"TransformerEncoderLayer(d_model={d_model}) got input of shape {tuple(src.shape)}: "
                             f"expected (batch, seq, {d_model})")
        x = src if (self.batch_first or src.ndim == 2) else src.transpose(0, 1)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._feed_forward(self.norm2(x))
        else:
            x = self.norm1(x + self._self_attention(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._feed_forward(x))
        return x if (self.batch_first or src.ndim == 2) else x.transpose(0, 1)

    def _self_attention(self, x: Tensor, mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        out, _ = self.self_attn(x, x, x, key_padding_mask=key_padding_mask, need_weights=False, attn_mask=mask,
                                is_causal=is_causal and mask is None)
        return self.dropout1(out)

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def extra_repr(self) -> str:
        return f"activation={self.activation_name!r}, norm_first={self.norm_first}"


class TransformerEncoder(Module):
    """``num_layers`` copies of an encoder layer applied in turn, then an optional final ``norm`` (needed after
    pre-norm layers). ``TransformerEncoder(encoder_layer, num_layers, norm=None)`` deep-copies the layer, so
    the copies start equal and train independently (``layers.0``, ``layers.1``, … as PyTorch).
    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=False)``.
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        if num_layers <= 0:
            raise ValueError(f"TransformerEncoder(num_layers={num_layers}): at least one layer")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src: Tensor, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        return x if self.norm is None else self.norm(x)

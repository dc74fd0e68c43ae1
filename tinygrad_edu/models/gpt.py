"""GPT: a decoder-only Transformer language model (Radford et al. 2018/2019), small enough to train on a laptop.

    tokens (B, T) → wte(token) + position → n_layer × Block → ln_f → lm_head → logits (B, T, V)
    Block:  x ← x + attn(ln_1(x))        causal self-attention: position t sees positions ≤ t only
            x ← x + mlp(ln_2(x))         Linear(d, 4d) → GELU → Linear(4d, d)

The logits at position t are a distribution over token t + 1; training minimises the next-token loss (mean
cross-entropy, ``models.lm_training``). Names and layouts follow GPT-2 / nanoGPT (``wte``, ``wpe``, ``h``,
``ln_1``, ``attn.c_attn``, ``attn.c_proj``, ``mlp.c_fc``, ``mlp.c_proj``, ``ln_f``, ``lm_head``), with
PyTorch's ``Linear`` layout (out, in).

- **Pre-norm**: LayerNorm before each sub-layer and once at the end (GPT-2), so the residual stream is a plain
  sum and gradients reach the first layer undamped.
- **Weight tying** (Press & Wolf 2017): the output head reuses the token embedding, logits = h · Eᵀ, so
  ``lm_head.weight is wte.weight``; it saves V·d parameters and gives the two ends of the network one meaning
  per token.
- **GPT-2 initialisation**: every weight ~ N(0, 0.02²), biases 0, and the two projections that write into the
  residual stream (``attn.c_proj``, ``mlp.c_proj``) ~ N(0, (0.02/√(2·n_layer))²): the stream is a sum of
  2·n_layer such writes, so its variance stays ≈ independent of the depth.
- **KV cache**: generating token t+1 needs the keys and values of positions ≤ t; they do not change once
  computed, so ``KVCache`` keeps them and each new token runs the network on one position only (``generate``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .. import backend, nn
from ..grad_mode import no_grad
from ..nn import functional as F
from ..nn.attention import scaled_dot_product_attention
from ..nn.transformer import positional_encoding_table
from ..tensor import Tensor
from .sampling import sample_next


class GPTError(ValueError):
    """A GPT was given input it cannot take (too long a sequence, ids outside the vocabulary, ...)."""


@dataclass
class GPTConfig:
    """The shape of a GPT. ``block_size``: the longest context; ``positions``: ``"learned"`` (GPT-2's ``wpe``
    table) or ``"sinusoidal"`` (the fixed table of ``nn.PositionalEncoding``, no parameters)."""

    vocab_size: int = 261
    block_size: int = 128
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True
    positions: str = "learned"

    def __post_init__(self) -> None:
        if min(self.vocab_size, self.block_size, self.n_layer, self.n_head, self.n_embd) < 1:
            raise GPTError(f"GPTConfig: every size must be at least 1, got {self}")
        if self.n_embd % self.n_head:
            raise GPTError(f"GPTConfig: n_embd={self.n_embd} is not divisible by n_head={self.n_head}; each head "
                           f"gets n_embd / n_head features")
        if self.positions not in ("learned", "sinusoidal"):
            raise GPTError(f"GPTConfig: positions={self.positions!r} must be 'learned' or 'sinusoidal'")


class KVCache:
    """The keys and values of every layer for the positions seen so far, preallocated for ``max_len`` positions.

    Layer l holds K, V of shape (B, n_head, max_len, head_dim); ``length`` positions are filled. A forward pass
    over T new positions writes them at [length, length + T) in every layer, then ``length`` grows by T.
    """

    def __init__(self, config: GPTConfig, batch: int, max_len: int, like: Tensor):
        head_dim = config.n_embd // config.n_head
        shape = (batch, config.n_head, max_len, head_dim)
        self.keys = [like.xp.zeros(shape, dtype=like.dtype) for _ in range(config.n_layer)]
        self.values = [like.xp.zeros(shape, dtype=like.dtype) for _ in range(config.n_layer)]
        self.max_len, self.length = max_len, 0

    def store(self, layer: int, k: Any, v: Any) -> tuple[Any, Any]:
        """Write the new positions' k, v (B, h, T, hd) of ``layer``; return all of them so far (views)."""
        end = self.length + k.shape[2]
        self.keys[layer][:, :, self.length:end] = k
        self.values[layer][:, :, self.length:end] = v
        return self.keys[layer][:, :, :end], self.values[layer][:, :, :end]


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention with the causal rule, Q, K, V from one Linear(d, 3d) (``c_attn``, as GPT-2).

    softmax(Q Kᵀ/√d_h + M) V per head, M = −∞ above the diagonal — through ``F.scaled_dot_product_attention``
    (``is_causal=True``), i.e. the project's attention op and its fused kernel.
    """

    def __init__(self, config: GPTConfig, layer: int):
        super().__init__()
        self.n_head, self.n_embd, self.layer = config.n_head, config.n_embd, layer
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = config.dropout
        self.resid_dropout = nn.Dropout(config.dropout)
        self.record_weights = False  # set True to keep the attention weights P of the last call (for plots)
        self.last_weights: np.ndarray | None = None

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        batch, length, d = x.shape
        head_dim = d // self.n_head
        qkv = self.c_attn(x).reshape(batch, length, 3, self.n_head, head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # (B, h, T, hd) each
        start = 0
        if cache is not None:  # generation: attend to the cached positions too (no graph is recorded)
            start = cache.length
            keys, values = cache.store(self.layer, k.data, v.data)
            k, v = Tensor(keys), Tensor(values)
        mask = None
        if start > 0 and length > 1:  # new queries at start..start+T−1 see keys 0..their own position
            positions = np.arange(start + length)
            mask = positions[None, :] <= (start + np.arange(length))[:, None]
        if self.record_weights:
            scores = (q @ k.transpose(-1, -2)).data / math.sqrt(head_dim)
            allowed = np.tril(np.ones((length, start + length), dtype=bool), k=start)
            scores = np.where(backend.to_numpy(allowed), backend.to_numpy(scores), -np.inf)
            weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
            self.last_weights = weights / weights.sum(axis=-1, keepdims=True)
        dropout_p = self.dropout if self.training else 0.0
        y = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p,
                                         is_causal=(start == 0 and length > 1))
        y = y.transpose(1, 2).reshape(batch, length, d)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """The position-wise feed-forward network: Linear(d, 4d) → GELU (tanh form, as GPT-2) → Linear(4d, d)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """One pre-norm Transformer decoder block:  x + attn(ln_1(x)), then  x + mlp(ln_2(x))."""

    def __init__(self, config: GPTConfig, layer: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config, layer)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A decoder-only language model: ``GPT(GPTConfig(vocab_size=..., n_layer=4, n_embd=128, ...))``.

    ``forward(idx)`` maps token ids (B, T), T ≤ block_size, to next-token logits (B, T, vocab_size);
    ``forward(idx, cache)`` continues a ``KVCache`` (generation). ``generate`` samples continuations.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        if config.positions == "learned":
            self.wpe = nn.Embedding(config.block_size, config.n_embd)
        else:
            table = positional_encoding_table(config.block_size, config.n_embd).astype(np.float32)
            self.register_buffer("pe", Tensor(table), persistent=False)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList([Block(config, layer) for layer in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying: one (V, d) matrix embeds and un-embeds
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2's initialisation: N(0, 0.02²) weights, zero biases, residual projections / √(2·n_layer)."""
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for name, module in self.named_modules():
            if isinstance(module, nn.Linear | nn.Embedding):
                std = residual_std if name.endswith("c_proj") else 0.02
                nn.init.normal_(module.weight, 0.0, std)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def num_parameters(self, non_embedding: bool = False) -> int:
        """Trainable numbers (the tied matrix counted once); ``non_embedding`` leaves out wte and wpe."""
        total = sum(p.size for p in self.parameters())
        if non_embedding:
            total -= self.wte.weight.size + (self.wpe.weight.size if self.config.positions == "learned" else 0)
        return int(total)

    def forward(self, idx: Any, cache: KVCache | None = None) -> Tensor:
        ids = idx.data if isinstance(idx, Tensor) else np.asarray(idx)
        if ids.ndim != 2:
            raise GPTError(f"GPT.forward expects token ids of shape (batch, seq), got {tuple(ids.shape)}; "
                           "for one sequence use ids[None]")
        start = 0 if cache is None else cache.length
        length = ids.shape[1]
        limit = self.config.block_size if cache is None else cache.max_len
        if start + length > limit:
            raise GPTError(f"GPT.forward: positions {start}..{start + length - 1} do not fit block_size="
                           f"{self.config.block_size}; crop the input to its last {self.config.block_size} tokens "
                           "(generate() does) or build the model with a larger block_size")
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= self.config.vocab_size):
            raise GPTError(f"GPT.forward: token ids must lie in [0, {self.config.vocab_size}), got "
                           f"[{int(ids.min())}, {int(ids.max())}]")
        x = self.wte(idx)
        if self.config.positions == "learned":
            x = x + self.wpe(np.arange(start, start + length))
        else:
            x = x + self.pe[start:start + length]
        x = self.drop(x)
        for block in self.h:
            x = block(x, cache)
        if cache is not None:
            cache.length += length
        return self.lm_head(self.ln_f(x))

    def new_cache(self, batch: int, max_len: int | None = None) -> KVCache:
        """An empty ``KVCache`` for ``batch`` sequences of up to ``max_len`` (block_size) positions."""
        return KVCache(self.config, batch, max_len or self.config.block_size, self.wte.weight)

    def generate(self, idx: Any, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, use_cache: bool = True, eos_id: int | None = None) -> Tensor:
        """Extend ``idx`` (B, T) by ``max_new_tokens`` tokens, one at a time (``models.sampling.sample_next``):
        ``temperature=0`` is greedy (argmax); otherwise sample from softmax(logits / temperature), restricted to
        the ``top_k`` most likely tokens and/or the nucleus of probability ``top_p``. ``eos_id`` stops a batch of
        one at that token. Runs in eval mode, without a graph; seeded by ``tg.manual_seed``.

        ``use_cache=True`` runs the prompt once, then one position per new token (the KV cache); ``False``
        reruns the whole context for every token. Both give the same tokens while the text fits ``block_size``.
        Past it, the uncached model slides its window by one token each step, and the cached one refills its cache
        from the last block_size / 2 tokens (so each new token stays one position's work on average).
        """
        tokens = backend.to_numpy(idx.data if isinstance(idx, Tensor) else np.asarray(idx)).astype(np.int64)
        if tokens.ndim == 1:
            tokens = tokens[None]
        if tokens.shape[1] == 0:
            raise GPTError("GPT.generate needs a prompt of at least one token (e.g. the <eos> id)")
        block = self.config.block_size
        was_training = self.training
        self.eval()
        cache: KVCache | None = None
        try:
            with no_grad():
                for _ in range(max_new_tokens):
                    if not use_cache:
                        logits = self(tokens[:, -block:])
                    elif cache is None or cache.length >= block:  # (re)fill the cache from the recent context
                        keep = tokens[:, -(block if cache is None else block // 2):]
                        cache = self.new_cache(tokens.shape[0])
                        logits = self(keep, cache)
                    else:
                        logits = self(tokens[:, -1:], cache)
                    last = backend.to_numpy(logits.data[:, -1])
                    chosen = sample_next(last, temperature=temperature, top_k=top_k, top_p=top_p)
                    tokens = np.concatenate([tokens, chosen[:, None]], axis=1)
                    if eos_id is not None and tokens.shape[0] == 1 and chosen[0] == eos_id:
                        break
        finally:
            self.train(was_training)
        return Tensor(tokens)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in asdict(self.config).items())


def next_token_loss(logits: Tensor, targets: Any) -> Tensor:
    """The language-model loss:  L = −(1/(B·T)) Σ_{b,t} log softmax(logits_{b,t})[y_{b,t}],  y = the next token.

    The mean cross-entropy over every position of every sequence; exp(L) is the perplexity.
    """
    batch, length, vocab = logits.shape
    target_ids = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    return F.cross_entropy(logits.reshape(batch * length, vocab), target_ids.reshape(batch * length))

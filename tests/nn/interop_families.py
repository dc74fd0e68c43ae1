"""The layer families of the PyTorch ↔ tinygrad_edu weight tests: for each, our module, its PyTorch twin (the
same architecture, written with ``torch.nn``), inputs, and how to call each.

Most builders are written once against a layer library ``L`` (our ``nn`` or ``torch.nn``): the two libraries
share class names, arguments and state_dict names, which is exactly what the tests check.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_edu import models, nn

RNG = np.random.default_rng


@dataclass
class Family:
    name: str
    build: Callable[[Any], Any]  # build(L) with L = our nn or torch.nn; the same architecture in both
    inputs: Callable[[np.random.Generator], list[np.ndarray]]
    call: Callable[[Any, list[Any]], Any] = lambda model, xs: model(*xs)
    warm_up: bool = False  # BatchNorm: run two training-mode batches first, so the running statistics move
    build_torch: Callable[[Any], Any] | None = None  # when the PyTorch twin cannot be written with build(L)
    call_torch: Callable[[Any, list[Any]], Any] | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


def floats(*shape: int) -> Callable[[np.random.Generator], list[np.ndarray]]:
    return lambda rng: [rng.standard_normal(shape).astype(np.float32)]


# ------------------------------------------------------------------------------------ MobileNetV2-style


def inverted_residual(L: Any, inp: int, out: int, stride: int, expand: int) -> Any:  # noqa: N803
    """MobileNetV2's block: 1×1 expansion → 3×3 depthwise (groups = channels) → 1×1 linear bottleneck, with the
    input added back when the shapes allow (stride 1, inp == out). ReLU stands in for ReLU6."""

    class InvertedResidual(L.Module):
        def __init__(self) -> None:
            super().__init__()
            hidden = inp * expand
            self.use_residual = stride == 1 and inp == out
            self.conv = L.Sequential(
                L.Conv2d(inp, hidden, 1, bias=False), L.BatchNorm2d(hidden), L.ReLU(),
                L.Conv2d(hidden, hidden, 3, stride=stride, padding=1, groups=hidden, bias=False),
                L.BatchNorm2d(hidden), L.ReLU(),
                L.Conv2d(hidden, out, 1, bias=False), L.BatchNorm2d(out),
            )

        def forward(self, x: Any) -> Any:
            return x + self.conv(x) if self.use_residual else self.conv(x)

    return InvertedResidual()


def mobilenet_like(L: Any) -> Any:  # noqa: N803
    features = L.Sequential(
        L.Sequential(L.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), L.BatchNorm2d(8), L.ReLU()),
        inverted_residual(L, 8, 8, 1, 2),
        inverted_residual(L, 8, 12, 2, 3),
        inverted_residual(L, 12, 12, 1, 3),
        L.Sequential(L.Conv2d(12, 16, 1, bias=False), L.BatchNorm2d(16), L.ReLU()),
    )
    return L.Sequential(features, L.AdaptiveAvgPool2d(1), L.Flatten(), L.Linear(16, 10))


# -------------------------------------------------------------------------------------------- GPT-style


def causal_lm_torch(torch: Any) -> Any:
    """PyTorch's twin of ``models.CausalLM(vocab_size=13, d_model=8, nhead=2, num_layers=2, dim_feedforward=16,
    max_len=12)``: token embedding · √d + the sinusoidal table, causal pre-norm GELU encoder layers, final
    LayerNorm, output projection. The table is a non-persistent buffer, as ours: not in the state_dict."""
    from tinygrad_edu.nn.transformer import positional_encoding_table

    class Positional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            table = torch.tensor(positional_encoding_table(12, 8), dtype=torch.float32)
            self.register_buffer("pe", table, persistent=False)

        def forward(self, x: Any) -> Any:
            return x + self.pe[: x.shape[1]]

    class CausalLM(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(13, 8)
            self.positional = Positional()
            layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True,
                                                     norm_first=True)
            self.encoder = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(8),
                                                       enable_nested_tensor=False)
            self.head = torch.nn.Linear(8, 13)

        def forward(self, tokens: Any) -> Any:
            x = self.positional(self.embedding(tokens) * math.sqrt(8))
            mask = torch.nn.Transformer.generate_square_subsequent_mask(tokens.shape[1])
            return self.head(self.encoder(x, mask=mask, is_causal=True))

    return CausalLM()


def causal_lm(L: Any) -> Any:  # noqa: N803
    return models.CausalLM(13, d_model=8, nhead=2, num_layers=2, dim_feedforward=16, max_len=12, dropout=0.0)


def tokens(rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.integers(0, 13, size=(2, 7))]


def gpt_torch(torch: Any) -> Any:
    """PyTorch's twin of ``models.GPT(GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=8))``,
    nanoGPT-style: learned positions, pre-norm blocks, c_attn = [W_Q; W_K; W_V] in one Linear, causal attention,
    GELU (tanh), tied embedding and head (``lm_head.weight is wte.weight``)."""
    L = torch.nn  # noqa: N806

    class Attention(L.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c_attn, self.c_proj = L.Linear(8, 24), L.Linear(8, 8)

        def forward(self, x: Any) -> Any:
            b, t, d = x.shape
            q, k, v = (z.reshape(b, t, 2, d // 2).transpose(1, 2) for z in self.c_attn(x).split(d, dim=-1))
            y = L.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).reshape(b, t, d))

    class MLP(L.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c_fc, self.c_proj = L.Linear(8, 32), L.Linear(32, 8)

        def forward(self, x: Any) -> Any:
            return self.c_proj(L.functional.gelu(self.c_fc(x), approximate="tanh"))

    class Block(L.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln_1, self.attn, self.ln_2, self.mlp = L.LayerNorm(8), Attention(), L.LayerNorm(8), MLP()

        def forward(self, x: Any) -> Any:
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(L.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte, self.wpe = L.Embedding(13, 8), L.Embedding(8, 8)
            self.h = L.ModuleList([Block(), Block()])
            self.ln_f = L.LayerNorm(8)
            self.lm_head = L.Linear(8, 13, bias=False)
            self.lm_head.weight = self.wte.weight

        def forward(self, idx: Any) -> Any:
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
            for block in self.h:
                x = block(x)
            return self.lm_head(self.ln_f(x))

    return GPT()


def gpt(L: Any) -> Any:  # noqa: N803
    from tinygrad_edu.models import GPT, GPTConfig

    return GPT(GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=8))


# ------------------------------------------------------------------------------------------- the list


def encoder(L: Any) -> Any:  # noqa: N803
    layer = L.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    options = {"enable_nested_tensor": False} if L is not nn else {}
    return L.TransformerEncoder(layer, 2, norm=L.LayerNorm(8), **options)


def attention(L: Any, **options: Any) -> Any:  # noqa: N803
    name = "MultiHeadAttention" if L is nn else "MultiheadAttention"
    return getattr(L, name)(8, 2, batch_first=True, **options)


def named_containers(L: Any) -> Any:  # noqa: N803
    """Sequential inside Sequential, and a ModuleList: the index names "0", "1", … at several depths."""

    class Stack(L.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = L.ModuleList([L.Linear(6, 6), L.Sequential(L.Linear(6, 6), L.Tanh(), L.Linear(6, 6))])
            self.out = L.Sequential(L.ReLU(), L.Linear(6, 3))

        def forward(self, x: Any) -> Any:
            for block in self.blocks:
                x = block(x)
            return self.out(x)

    return Stack()


FAMILIES = [
    Family("Linear", lambda L: L.Linear(5, 3), floats(4, 5)),
    Family("Conv2d", lambda L: L.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), floats(2, 4, 9, 9)),
    Family("BatchNorm1d", lambda L: L.BatchNorm1d(5), floats(8, 5), warm_up=True),
    Family("BatchNorm2d", lambda L: L.BatchNorm2d(3), floats(4, 3, 5, 5), warm_up=True),
    Family("BatchNorm1d-no-affine-3d", lambda L: L.BatchNorm1d(3, affine=False, momentum=None), floats(4, 3, 5),
           warm_up=True),
    Family("LayerNorm", lambda L: L.LayerNorm((4, 6)), floats(3, 4, 6)),
    Family("LayerNorm-no-bias", lambda L: L.LayerNorm(6, bias=False), floats(3, 6)),
    Family("Embedding", lambda L: L.Embedding(11, 4, padding_idx=0),
           lambda rng: [rng.integers(0, 11, size=(3, 5))]),
    Family("LSTM", lambda L: L.LSTM(5, 7, num_layers=2, batch_first=True, bidirectional=True), floats(3, 4, 5)),
    Family("GRU", lambda L: L.GRU(5, 6, num_layers=2), floats(4, 3, 5)),
    Family("RNN", lambda L: L.RNN(5, 6, nonlinearity="relu"), floats(4, 3, 5)),
    Family("LSTMCell", lambda L: L.LSTMCell(5, 6), floats(3, 5)),
    Family("GRUCell", lambda L: L.GRUCell(5, 6), floats(3, 5)),
    Family("RNNCell", lambda L: L.RNNCell(5, 6, bias=False), floats(3, 5)),
    Family("MultiheadAttention", attention, lambda rng: floats(2, 5, 8)(rng) * 3,
           call=lambda model, xs: model(*xs, average_attn_weights=False)),
    Family("MultiheadAttention-kdim-vdim", lambda L: attention(L, kdim=5, vdim=3),
           lambda rng: [*floats(2, 4, 8)(rng), *floats(2, 6, 5)(rng), *floats(2, 6, 3)(rng)]),
    Family("MultiheadAttention-no-bias", lambda L: attention(L, bias=False), lambda rng: floats(2, 5, 8)(rng) * 3),
    Family("TransformerEncoder", encoder, floats(2, 5, 8)),
    Family("Sequential-ModuleList", named_containers, floats(4, 6)),
    Family("MobileNetV2-style", mobilenet_like, floats(4, 3, 16, 16), warm_up=True),
    Family("CausalLM (GPT-style)", causal_lm, tokens, build_torch=causal_lm_torch),
    Family("GPT", gpt, tokens, build_torch=gpt_torch, tags=("tied",)),
]

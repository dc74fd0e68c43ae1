"""Word embeddings: the first layer of the documents' text classifier, ``Embedding → LSTM → LSTM → Dense``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, ops
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:  # noqa: A002
    """Row ``input[p]`` of the table ``weight`` for every position p: output shape input.shape + (embedding_dim,).

    ``input`` holds integer token ids (a Tensor, array or list). The backward pass scatter-adds into ``weight``
    (``ops.Embedding``); the row ``padding_idx`` gets no gradient.
    """
    indices = input.data if isinstance(input, Tensor) else weight.xp.asarray(input)
    if padding_idx is not None:
        padding_idx = _normalize_padding_idx(padding_idx, weight.shape[0])
    return ops.Embedding.apply(weight, indices=indices, padding_idx=padding_idx)


def _normalize_padding_idx(padding_idx: int, num_embeddings: int) -> int:
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx={padding_idx} must be within the table's {num_embeddings} rows "
                         f"([-{num_embeddings}, {num_embeddings - 1}])")
    return padding_idx % num_embeddings


class Embedding(Module):
    """A look-up table of ``num_embeddings`` vectors of size ``embedding_dim``: token id k ↦ row k of ``weight``.

    Input: integer ids of any shape, e.g. (batch, seq); output: that shape + (embedding_dim,). Equivalent to a
    ``Linear`` layer without bias applied to one-hot vectors, without building them.

    Initialisation as PyTorch: W ~ N(0, 1), with the row ``padding_idx`` (if given) set to zeros; that row also
    never receives a gradient, so it stays a fixed "no token" vector.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise ValueError(f"Embedding({num_embeddings}, {embedding_dim}): both sizes must be positive")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = None if padding_idx is None else _normalize_padding_idx(padding_idx, num_embeddings)
        xp = backend.array_module(None if device is None else backend.normalize_device(device))
        self.weight = Parameter(xp.empty((num_embeddings, embedding_dim), dtype=np.dtype(dtype or np.float32)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, padding_idx: int | None = None) -> Embedding:
        """An Embedding holding the given (num_embeddings, embedding_dim) table; ``freeze`` stops its training."""
        table = embeddings if isinstance(embeddings, Tensor) else Tensor(embeddings)
        if table.ndim != 2:
            raise ValueError(f"from_pretrained needs a 2-D table (num_embeddings, embedding_dim), got {table.shape}")
        layer = cls(table.shape[0], table.shape[1], padding_idx=padding_idx, dtype=table.dtype)
        layer.weight.data = table.xp.array(table.data)
        layer.weight.requires_grad_(not freeze)
        return layer

    def forward(self, input: Any) -> Tensor:  # noqa: A002
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")

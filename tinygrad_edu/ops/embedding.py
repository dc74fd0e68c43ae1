"""Embedding look-up: a row of a weight table for every integer token."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from .shape import _scatter_add


class Embedding(Function):
    """Table look-up  z[p, :] = W[index[p], :]  for every position p of an integer array ``indices``; W is the
    (num_embeddings, embedding_dim) table. (The same as one_hot(index) W, without building the one-hot matrix.)

    Backward:  ∂L/∂W[r, :] = Σ_{p : index[p] = r} ∂L/∂z[p, :]  — a scatter-*add*: a token that occurs at several
    positions receives the sum of their gradients. Rows never looked up get 0, and so does ``padding_idx``
    (its row is a fixed placeholder, as in PyTorch).
    """

    def forward(self, weight: Any, indices: Any, padding_idx: int | None = None) -> Any:
        xp = get_array_module(weight)
        indices = check_indices(xp.asarray(indices), weight.shape[0], weight.shape[1])
        self.indices, self.padding_idx, self.table_shape = indices, padding_idx, weight.shape
        return weight[indices]

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        grad_weight = xp.zeros(self.table_shape, dtype=grad.dtype)
        _scatter_add(xp, grad_weight, self.indices.reshape(-1), grad.reshape(-1, self.table_shape[1]))
        if self.padding_idx is not None:
            grad_weight[self.padding_idx] = 0
        return grad_weight


def check_indices(indices: Any, num_embeddings: int, embedding_dim: int) -> Any:
    """Integer indices in [0, num_embeddings); otherwise an error naming the bad index and the table size."""
    layer = f"Embedding(num_embeddings={num_embeddings}, embedding_dim={embedding_dim})"
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"{layer} needs integer token indices, got dtype {indices.dtype}: convert with "
                        ".astype('int64')")
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        bad = high if high >= num_embeddings else low
        if low < 0 or high >= num_embeddings:
            raise IndexError(f"{layer}: index {bad} is out of range; the table has {num_embeddings} rows, so "
                             f"indices must be in [0, {num_embeddings - 1}]")
    return indices

"""Dropout: a regulariser that zeroes random activations during training (the documents' dropout)."""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class Dropout(Module):
    """Inverted dropout: in training each element is zeroed with probability p and the others are scaled by
    1/(1 − p), so the expected activation is unchanged; in evaluation (``.eval()``) the input passes as it is.
    The masks come from the project's seeded generator. (See ``DropConnect`` for dropping weights instead.)"""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got p={p}")
        self.p = p

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"

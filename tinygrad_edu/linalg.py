"""``tg.linalg``: PyTorch's ``torch.linalg`` names for the norms and products of ``ops/linalg.py``.

    >>> import tinygrad_edu as tg
    >>> tg.linalg.vector_norm(tg.tensor([3.0, 4.0]))   # 5
"""

from __future__ import annotations

from .ops.linalg import cross as _cross
from .ops.linalg import linalg_norm as norm
from .ops.linalg import matrix_norm, vector_norm
from .tensor import Tensor


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002
    """``torch.linalg.cross``: the cross product along ``dim`` (default the last axis); see ``ops.linalg.cross``."""
    return _cross(input, other, dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Σᵢ xᵢ yᵢ along ``dim`` (inputs broadcast): ``(x * y).sum(dim)``, composed."""
    return (x * y).sum(dim)


__all__ = ["cross", "matrix_norm", "norm", "vecdot", "vector_norm"]

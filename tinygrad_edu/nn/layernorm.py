"""Layer normalisation, the normalisation of the Transformer: each example normalised over its own features."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend, ops
from ..tensor import Tensor
from .module import Module, Parameter


def _as_shape(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    return (int(normalized_shape),) if isinstance(normalized_shape, int | np.integer) else tuple(normalized_shape)


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the last ``len(normalized_shape)`` axes, ``ops.LayerNorm`` (formula there);
    ``weight`` γ and ``bias`` β are optional.

    Unlike batch normalisation nothing is averaged across the batch, so training and evaluation compute the
    same thing and a batch of one works. The formula and its backward are in ``ops/layernorm.py``.
    """
    shape = _as_shape(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape or input.ndim < len(shape):
        raise ValueError(f"layer_norm(normalized_shape={shape}) got input of shape {tuple(input.shape)}: its last "
                         f"{len(shape)} axes must be {shape}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != shape:
            raise ValueError(f"layer_norm: {name} has shape {tuple(param.shape)}, expected {shape}")
    return ops.LayerNorm.apply(input, weight, bias, normalized_ndim=len(shape), eps=eps)


class LayerNorm(Module):
    """Layer normalisation over the last axes ``normalized_shape`` (the formula is in ``ops.LayerNorm``).

    ``weight`` γ starts at ones and ``bias`` β at zeros (``elementwise_affine=False`` leaves both out,
    ``bias=False`` only β), as in PyTorch. In a Transformer ``LayerNorm(d_model)`` normalises each token's vector.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        xp = backend.array_module(None if device is None else backend.normalize_device(device))
        dtype = np.dtype(dtype or np.float32)
        if elementwise_affine:
            self.weight = Parameter(xp.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(xp.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

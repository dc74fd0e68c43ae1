"""Ways to make tensors: from data, filled with constants, ranges, and random draws from the seeded
generator. Floating-point results are float32 unless ``dtype`` says otherwise (as in PyTorch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor

ShapeLike = int | Sequence[int]


def _shape(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and not isinstance(shape[0], int):
        return tuple(int(n) for n in shape[0])
    return tuple(int(n) for n in shape)


def _make(array: Any, requires_grad: bool) -> Tensor:
    out = Tensor._from_op(array, None)
    if requires_grad:
        out.requires_grad_(True)
    return out


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """The same as ``Tensor(data, requires_grad, dtype)`` (PyTorch's ``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    return _make(backend.array_module().zeros(_shape(shape), dtype=dtype), requires_grad)


def ones(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    return _make(backend.array_module().ones(_shape(shape), dtype=dtype), requires_grad)


def full(shape: ShapeLike, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (float → float32, int → int64) unless given."""
    if dtype is None:
        dtype = np.float32 if isinstance(fill_value, float) else np.asarray(fill_value).dtype
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _make(backend.array_module().full(shape, fill_value, dtype=dtype), requires_grad)


def zeros_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(other.xp.zeros(other.shape, dtype=dtype or other.dtype), requires_grad)


def ones_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(other.xp.ones(other.shape, dtype=dtype or other.dtype), requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop); integers give int64, any float argument gives float32."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = np.float32 if any(isinstance(v, float) for v in (start, stop, step)) else np.int64
    return _make(backend.array_module().arange(start, stop, step, dtype=dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    return _make(backend.array_module().eye(n, m, dtype=dtype), requires_grad)


def rand(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """Uniform draws from [0, 1) (the project's seeded generator)."""
    array = backend.generator().random(_shape(shape), dtype=np.dtype(dtype))
    return _make(array, requires_grad)


def randn(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """Standard normal draws N(0, 1) (the project's seeded generator)."""
    array = backend.generator().standard_normal(_shape(shape), dtype=np.dtype(dtype))
    return _make(array, requires_grad)


def randint(low: int, high: int, size: ShapeLike) -> Tensor:
    """Integers drawn uniformly from [low, high) (int64)."""
    size = (size,) if isinstance(size, int) else tuple(size)
    return _make(backend.generator().integers(low, high, size=size, dtype=np.int64), False)

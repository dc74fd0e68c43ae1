"""Ways to make tensors: from data, filled with constants, ranges, and random draws from the seeded
generator. Floating-point results are float32 unless ``dtype`` says otherwise (as in PyTorch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor

ShapeLike = int | Sequence[int]


def _shape(shape: tuple, op: str = "zeros") -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` → (2, 3); every size must be a whole number ≥ 0 (as PyTorch insists)."""
    if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
        shape = shape[0]
        if isinstance(shape, Tensor):
            shape = shape.tolist()
        if not isinstance(shape, Sequence):
            raise TypeError(f"{op}(): the size must be ints or a sequence of ints, got {type(shape).__name__}")
    sizes = tuple(shape)
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise TypeError(f"{op}(): the size {sizes} holds {n!r} ({type(n).__name__}): every size must be an "
                            "int, e.g. zeros(2, 3)")
        if n < 0:
            raise ValueError(f"{op}(): the size {sizes} holds the negative size {n}: sizes must be ≥ 0")
    return tuple(int(n) for n in sizes)


def _check_numeric(op: str, value: Any) -> None:
    if isinstance(value, bool | int | float | np.number | np.bool_):
        return
    raise TypeError(f"{op}(): the fill value {value!r} is a {type(value).__name__}: it must be a number")


def _make(array: Any, requires_grad: bool) -> Tensor:
    out = Tensor._from_op(array, None)
    if requires_grad:
        out.requires_grad_(True)
    return out


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """The same as ``Tensor(data, requires_grad, dtype)`` (PyTorch's ``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    return _make(backend.array_module().zeros(_shape(shape, "zeros"), dtype=dtype), requires_grad)


def ones(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    return _make(backend.array_module().ones(_shape(shape, "ones"), dtype=dtype), requires_grad)


def full(shape: ShapeLike, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (float → float32, int → int64) unless given."""
    _check_numeric("full", fill_value)
    if dtype is None:
        dtype = np.float32 if isinstance(fill_value, float) else np.asarray(fill_value).dtype
    shape = _shape((shape,), "full")
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
    for name, value in (("start", start), ("end", stop), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not np.isfinite(value):
            raise ValueError(f"arange(): {name}={value!r} must be a finite number")
    if step == 0:
        raise ValueError(f"arange({start}, {stop}, step=0): the step must not be zero")
    if (stop - start) * step < 0:
        raise ValueError(f"arange({start}, {stop}, step={step}): the step goes away from the end (upper bound and "
                         "lower bound inconsistent with the step sign); use a step of the other sign")
    if dtype is None:
        dtype = np.float32 if any(isinstance(v, float) for v in (start, stop, step)) else np.int64
    return _make(backend.array_module().arange(start, stop, step, dtype=dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    return _make(backend.array_module().eye(n, m, dtype=dtype), requires_grad)


def rand(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """Uniform draws from [0, 1) (the project's seeded generator)."""
    array = backend.generator().random(_shape(shape, "rand"), dtype=np.dtype(dtype))
    return _make(array, requires_grad)


def randn(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """Standard normal draws N(0, 1) (the project's seeded generator)."""
    array = backend.generator().standard_normal(_shape(shape, "randn"), dtype=np.dtype(dtype))
    return _make(array, requires_grad)


def randint(low: int, high: int, size: ShapeLike) -> Tensor:
    """Integers drawn uniformly from [low, high) (int64)."""
    size = _shape((size,), "randint")
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"randint(): {name}={value!r} must be an int")
    if not low < high:
        raise ValueError(f"randint({low}, {high}, ...): the range [low, high) is empty: low must be < high")
    return _make(backend.generator().integers(low, high, size=size, dtype=np.int64), False)

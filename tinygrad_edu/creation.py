"""Ways to make tensors: from data, filled with constants, ranges, and random draws from the seeded
generator. Floating-point results are float32 unless ``dtype`` says otherwise (as in PyTorch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor, _shape_arg

ShapeLike = int | Sequence[int]


def _shape(shape: tuple, op: str = "zeros") -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` → (2, 3): the Tensor API's size check, with −1 refused (a new tensor has no size
    to infer)."""
    return _shape_arg(shape, op, minus_one=None)


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


def multinomial(input: Any, num_samples: int, replacement: bool = False) -> Tensor:  # noqa: A002
    """Draw category indices in proportion to non-negative weights, PyTorch's ``torch.multinomial``.

    ``input``: weights (C,) or one row of weights per distribution (N, C); they need not sum to 1 —
    p_c = w_c / Σ_c' w_c'. Returns int64 indices of shape (num_samples,) or (N, num_samples).

    With replacement (inverse transform sampling): u ~ U[0, 1), the draw is the first c with
    F_c = Σ_{c' ≤ c} p_c' > u, so category c is hit with probability F_c − F_{c−1} = p_c (a zero weight is never
    drawn). Without replacement (Gumbel-top-k, equivalent to drawing one at a time and removing it): the
    ``num_samples`` largest of log w_c + g_c with g_c = −log(−log u_c) Gumbel noise.
    """
    weights = input.data if isinstance(input, Tensor) else backend.array_module().asarray(input)
    xp = backend.get_array_module(weights)
    weights = weights.astype(np.float64)
    shape = tuple(weights.shape)
    if weights.ndim not in (1, 2) or shape[-1] == 0:
        raise ValueError(f"multinomial: input must be weights of shape (C,) or (N, C) with C ≥ 1, got {shape}")
    if not bool(xp.all(xp.isfinite(weights))) or bool(xp.any(weights < 0)):
        raise ValueError(f"multinomial: weights of shape {shape} must be finite and non-negative "
                         "(pass probabilities or softmax(logits), not logits)")
    rows = weights.reshape(-1, shape[-1])
    totals = rows.sum(axis=-1, keepdims=True)
    if bool(xp.any(totals <= 0)):
        raise ValueError(f"multinomial: a row of the weights {shape} sums to 0: there is nothing to draw")
    if num_samples < 1:
        raise ValueError(f"multinomial: num_samples={num_samples} must be at least 1")
    generator = backend.generator(backend.device_of(weights))
    if replacement:
        cdf = xp.cumsum(rows / totals, axis=-1)
        cdf[:, -1] = 1.0  # the last category closes the interval whatever the rounding of the sum
        u = generator.random((rows.shape[0], num_samples))
        drawn = (cdf[:, None, :] <= u[:, :, None]).sum(axis=-1)
    else:
        available = int((rows > 0).sum(axis=-1).min())
        if num_samples > available:
            raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement from a row with "
                             f"only {available} non-zero weights; pass replacement=True or fewer samples")
        with np.errstate(divide="ignore"):
            keys = xp.log(rows) - xp.log(-xp.log(generator.random(rows.shape)))
        drawn = xp.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    drawn = drawn.astype(np.int64)
    return _make(drawn[0] if len(shape) == 1 else drawn, False)

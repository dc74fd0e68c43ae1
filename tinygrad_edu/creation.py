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


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None) -> Tensor:
    """A new tensor holding ``data`` (PyTorch's ``torch.tensor``): Python ints → int64, floats (or a mix with floats)
    → float32, bools → bool, unless ``dtype`` says otherwise; arrays keep their dtype."""
    out = Tensor(data, requires_grad=requires_grad, dtype=dtype)
    return out if device is None else _to(out, device)


def _to(out: Tensor, device: Any) -> Tensor:
    if not backend.is_device_name(device):
        raise ValueError(f"device={device!r}: expected 'cpu' or 'cuda'")
    moved = out.detach().to(device)
    return moved.requires_grad_(True) if out.requires_grad else moved


def _default_float() -> Any:
    """The default floating-point dtype (``tg.get_default_dtype()``, float32 unless changed)."""
    return backend.get_default_dtype()


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(backend.array_module().zeros(_shape(shape, "zeros"), dtype=dtype or _default_float()), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(backend.array_module().ones(_shape(shape, "ones"), dtype=dtype or _default_float()), requires_grad)


def full(shape: ShapeLike, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (float → float32, int → int64) unless given."""
    _check_numeric("full", fill_value)
    if dtype is None:
        dtype = _default_float() if isinstance(fill_value, float) else np.asarray(fill_value).dtype
    shape = _shape((shape,), "full")
    return _make(backend.array_module().full(shape, fill_value, dtype=dtype), requires_grad)


def _like_dtype(op: str, input: Tensor, dtype: Any) -> Any:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): input must be a Tensor, got {type(input).__name__}")
    return input.dtype if dtype is None else np.dtype(dtype)


def zeros_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Zeros of ``input``'s shape (and dtype, unless given)."""
    dtype = _like_dtype("zeros_like", input, dtype)
    return _make(input.xp.zeros(input.shape, dtype=dtype), requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Ones of ``input``'s shape (and dtype, unless given)."""
    dtype = _like_dtype("ones_like", input, dtype)
    return _make(input.xp.ones(input.shape, dtype=dtype), requires_grad)


def full_like(input: Tensor, fill_value: float, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """``fill_value`` in ``input``'s shape and dtype (a float fill in an int tensor is truncated, as PyTorch)."""
    _check_numeric("full_like", fill_value)
    dtype = _like_dtype("full_like", input, dtype)
    return _make(input.xp.full(input.shape, fill_value).astype(dtype), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of the given size whose values are not to be relied on (PyTorch leaves them uninitialised; here
    they are zeros, so a forgotten initialisation is at least reproducible)."""
    out = _make(backend.array_module().zeros(_shape(size, "empty"), dtype=dtype or _default_float()), requires_grad)
    return out if device is None else _to(out, device)


def empty_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """``empty`` of ``input``'s shape and dtype."""
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def _float_like_dtype(op: str, input: Tensor, dtype: Any) -> Any:
    dtype = _like_dtype(op, input, dtype)
    if dtype.kind != "f":
        raise TypeError(f"{op}(): random floats need a floating-point dtype, but the tensor of shape {input.shape} "
                        f"is {dtype}: pass dtype=tg.float32")
    return dtype


def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Uniform draws from [0, 1) in ``input``'s shape and dtype."""
    dtype = _float_like_dtype("rand_like", input, dtype)
    array = backend.generator(input.device).random(input.shape).astype(dtype)
    return _make(array, requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Standard normal draws N(0, 1) in ``input``'s shape and dtype."""
    dtype = _float_like_dtype("randn_like", input, dtype)
    array = backend.generator(input.device).standard_normal(input.shape).astype(dtype)
    return _make(array, requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: Any = None,  # noqa: A002
                 requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high) in ``input``'s shape (and dtype); ``randint_like(x, 10)`` means
    high = 10, as PyTorch."""
    if high is None:
        low, high = 0, low
    dtype = _like_dtype("randint_like", input, dtype)
    drawn = randint(low, high, input.shape)
    return _make(drawn.data.astype(dtype), requires_grad)


def _number(op: str, name: str, value: Any) -> float | int:
    if isinstance(value, Tensor) and value.data.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not np.isfinite(value):
        raise ValueError(f"{op}(): {name}={value!r} must be a finite number")
    return value


def arange(start: float = 0, end: float | None = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Evenly spaced values start, start + step, … up to but excluding ``end`` (``arange(n)`` is 0 … n − 1).

    Length ⌈(end − start) / step⌉; element i is start + i·step (computed in float64, then cast). dtype: int64
    when start, end and step are all ints, else the default float dtype (float32), as PyTorch.
    """
    if end is None:
        start, end = 0, start
    start, end, step = (_number("arange", name, v) for name, v in (("start", start), ("end", end), ("step", step)))
    if step == 0:
        raise ValueError(f"arange({start}, {end}, step=0): the step must not be zero")
    if (end - start) * step < 0:
        raise ValueError(f"arange({start}, {end}, step={step}): the step goes away from the end (upper bound and "
                         "lower bound inconsistent with the step sign); use a step of the other sign")
    all_ints = all(isinstance(v, int | np.integer) for v in (start, end, step))
    if dtype is None:
        dtype = np.int64 if all_ints else _default_float()
    xp = backend.array_module()
    if all_ints:
        array = xp.arange(start, end, step, dtype=np.int64).astype(dtype)
    else:
        length = max(int(np.ceil((end - start) / step)), 0)
        array = (start + xp.arange(length, dtype=np.float64) * step).astype(dtype)
    out = _make(array, requires_grad)
    return out if device is None else _to(out, device)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included: step h = (end − start)/(steps − 1),
    element i = start + i·h for the first half and end − (steps − 1 − i)·h for the second (PyTorch's symmetric
    form, so both ends are exact). dtype: the default float dtype unless given."""
    start, end = _number("linspace", "start", start), _number("linspace", "end", end)
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"linspace(): steps={steps!r} must be a non-negative int (number of points)")
    xp = backend.array_module()
    i = xp.arange(steps, dtype=np.float64)
    h = (end - start) / (steps - 1) if steps > 1 else 0.0
    values = xp.where(i < steps // 2, start + i * h, end - (steps - 1 - i) * h)
    out = _make(values.astype(dtype or _default_float()), requires_grad)
    return out if device is None else _to(out, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """``steps`` values base^t for t evenly spaced from ``start`` to ``end`` (``linspace``), both included."""
    exponents = linspace(start, end, steps, dtype=np.float64)
    out = _make((base ** exponents.data).astype(dtype or _default_float()), requires_grad)
    return out if device is None else _to(out, device)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(backend.array_module().eye(n, m, dtype=dtype or _default_float()), requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform draws from [0, 1) (the project's seeded generator)."""
    array = backend.generator().random(_shape(shape, "rand"), dtype=np.dtype(dtype or _default_float()))
    return _make(array, requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal draws N(0, 1) (the project's seeded generator)."""
    array = backend.generator().standard_normal(_shape(shape, "randn"), dtype=np.dtype(dtype or _default_float()))
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


def bernoulli(input: Tensor, p: float | None = None) -> Tensor:  # noqa: A002
    """Independent coin flips: zᵢ = 1 with probability pᵢ = inputᵢ (or the number ``p``), else 0, in ``input``'s
    shape and dtype (u ~ U[0, 1), zᵢ = [uᵢ < pᵢ]). Not differentiable: a draw has no gradient in p (use the
    score-function or a relaxed estimator for that)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): input must be a Tensor, got {type(input).__name__}")
    probabilities = input.data if p is None else input.xp.full(input.shape, p, dtype=np.float64)
    if input.dtype.kind != "f" and p is None:
        raise TypeError(f"bernoulli(): probabilities must be a floating-point tensor, got {input.dtype}")
    xp = input.xp
    if probabilities.size and (bool(xp.any(probabilities < 0)) or bool(xp.any(probabilities > 1))
                               or bool(xp.any(xp.isnan(probabilities)))):
        raise ValueError(f"bernoulli(): probabilities of shape {input.shape} must be in [0, 1]")
    u = backend.generator(input.device).random(input.shape)
    dtype = input.dtype if input.dtype.kind == "f" else _default_float()
    return _make((u < probabilities).astype(dtype), False)


def normal(mean: Tensor | float = 0.0, std: Tensor | float = 1.0, size: ShapeLike | None = None, *,
           dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Draws from N(mean, std²): zᵢ = meanᵢ + stdᵢ · εᵢ with ε ~ N(0, 1).

    PyTorch's overloads: ``normal(mean_tensor, std_tensor)`` (shapes broadcast), ``normal(mean_tensor, 1.0)``,
    ``normal(0.0, std_tensor)`` — the result has the tensors' shape — and ``normal(0.0, 1.0, size)`` with
    numbers and a size. The draw is a constant (no gradient flows to mean or std).
    """
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    for name, value in (("mean", mean), ("std", std)):
        if not isinstance(value, Tensor) and (
                isinstance(value, bool) or not isinstance(value, int | float | np.number)):
            raise TypeError(f"normal(): {name}={value!r} must be a number or a Tensor")
    if tensors:
        if size is not None:
            raise TypeError("normal(): size is only accepted with a number mean and std; the shape comes from the "
                            "mean/std tensors")
        mean_array = mean.data if isinstance(mean, Tensor) else mean
        std_array = std.data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
        xp = tensors[0].xp
        dtype = dtype or np.result_type(*(t.dtype for t in tensors))
        if np.dtype(dtype).kind != "f":
            dtype = _default_float()
        device = tensors[0].device
    else:
        if size is None:
            raise TypeError("normal(mean, std) with numbers needs a size: normal(0.0, 1.0, size=(2, 3))")
        mean_array, std_array = mean, std
        shape = _shape((size,), "normal")
        xp = backend.array_module()
        dtype = dtype or _default_float()
        device = None
    if bool(xp.any(xp.asarray(std_array) < 0)):
        raise ValueError("normal expects std >= 0.0")
    noise = backend.generator(device).standard_normal(shape)
    return _make((mean_array + std_array * noise).astype(dtype), requires_grad)

"""Order statistics: sort, top-k, k-th value, median, extrema, and counting (unique, bincount, histc).

Every op here that returns values *and* indices computes the indices on plain arrays (an ordering has no
gradient) and then reads the values with ``gather(input, dim, indices)``. That one line is the whole
backward pass: ∂L/∂input is a scatter-add of ∂L/∂values back to the positions the values came from
(see ``ops/gather.py``), so sort, topk, kthvalue, median and cummax need no backward of their own.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function, OpError
from ..backend import get_array_module
from ..tensor import Tensor
from . import reduce as reductions
from .broadcast import normalize_axes, normalize_dim
from .gather import Gather

sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
median_result = namedtuple("median", ["values", "indices"])
nanmedian_result = namedtuple("nanmedian", ["values", "indices"])
mode_result = namedtuple("mode", ["values", "indices"])
aminmax_result = namedtuple("aminmax", ["min", "max"])


def _constant(array: Any) -> Tensor:
    return Tensor._from_op(array, None)


def _order(data: Any, dim: int, descending: bool) -> Any:
    """Stable argsort along ``dim``; NaN counts as the largest value (last ascending, first descending)."""
    xp = get_array_module(data)
    if not descending:
        return xp.argsort(data, axis=dim, kind="stable")
    if data.dtype.kind == "b":
        data = data.astype(np.int8)
    elif data.dtype.kind == "u":
        data = data.astype(np.int64)
    indices = xp.argsort(-data, axis=dim, kind="stable")  # ties keep their original order
    if data.dtype.kind == "f":
        nan_after = ~xp.isnan(xp.take_along_axis(data, indices, axis=dim))
        indices = xp.take_along_axis(indices, xp.argsort(nan_after, axis=dim, kind="stable"), axis=dim)
    return indices


def _as_1d(input: Tensor) -> Tensor:  # noqa: A002
    return input.reshape(1) if input.ndim == 0 else input


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Sort along ``dim``: ``(values, indices)`` with ``values = gather(input, dim, indices)``.

    The sort is always stable (equal elements keep their order), which ``stable=True`` asks for.
    Backward: through the gather, ∂L/∂input[indices[i]] = ∂L/∂values[i].
    """
    dim = normalize_dim(dim, input.ndim, "sort")
    source = _as_1d(input)
    indices = _order(source.data, dim, descending).astype(np.int64)
    values = Gather.apply(source, dim=dim, index=indices)
    if input.ndim == 0:
        return sort_result(values.reshape(), _constant(indices.reshape(())))
    return sort_result(values, _constant(indices))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:  # noqa: A002
    """The indices that sort ``input`` along ``dim`` (int64)."""
    return sort(input, dim, descending, stable).indices


def msort(input: Tensor) -> Tensor:  # noqa: A002
    """Sort along the first axis (values only)."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> tuple[Tensor, Tensor]:  # noqa: A002
    """The k largest (``largest=False``: smallest) elements along ``dim``, as ``(values, indices)``, in sorted
    order. Backward through the gather: the k chosen elements get their gradients, the others 0."""
    dim = normalize_dim(dim, input.ndim, "topk")
    source = _as_1d(input)
    size = source.shape[dim]
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k <= size:
        raise OpError(f"topk(): selected index k={k!r} out of range: k must be in [0, {size}] for dimension "
                      f"{dim} of a tensor of shape {tuple(input.shape)}")
    order = _order(source.data, dim, largest)
    indices = order[(slice(None),) * dim + (slice(0, int(k)),)].astype(np.int64)
    values = Gather.apply(source, dim=dim, index=indices)
    if input.ndim == 0:
        return topk_result(values.reshape(), _constant(indices.reshape(())))
    return topk_result(values, _constant(indices))


def _pick(input: Tensor, dim: int, position: Any, keepdim: bool, result: type, op: str) -> Any:  # noqa: A002
    """values/indices of the element at sorted ``position`` (an array broadcastable along ``dim``)."""
    source = _as_1d(input)
    data = source.data
    xp = source.xp
    order = _order(data, dim, False)
    indices = xp.take_along_axis(order, position, axis=dim).astype(np.int64)
    values = Gather.apply(source, dim=dim, index=indices)
    if input.ndim == 0:
        return result(values.reshape(), _constant(indices.reshape(())))
    if not keepdim:
        values = values.squeeze(dim)
        indices = indices.squeeze(dim)
    return result(values, _constant(indices))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> tuple[Tensor, Tensor]:  # noqa: A002
    """The k-th smallest element (k = 1 is the minimum) along ``dim``: ``(values, indices)``."""
    dim = normalize_dim(dim, input.ndim, "kthvalue")
    size = input.shape[dim] if input.ndim else 1
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= size:
        raise OpError(f"kthvalue(): selected number k={k!r} out of range: k must be in [1, {size}] for dimension "
                      f"{dim} of a tensor of shape {tuple(input.shape)}")
    shape = [1] * max(input.ndim, 1)
    position = input.xp.full(shape, int(k) - 1, dtype=np.int64)
    position = input.xp.broadcast_to(position, tuple(n if i != dim else 1 for i, n in
                                                     enumerate(_as_1d(input).shape)))
    return _pick(input, dim, position, keepdim, kthvalue_result, "kthvalue")


def _median(input: Tensor, dim: int | None, keepdim: bool, ignore_nan: bool, op: str) -> Any:  # noqa: A002
    """Lower median (the ⌈n/2⌉-th smallest): NaN propagates (``median``) or is skipped (``nanmedian``)."""
    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0] == 0:
            return Tensor._from_op(input.xp.asarray(np.nan, dtype=input.dtype), None)
        value = _median(flat, 0, False, ignore_nan, op).values.data
        if input.dtype.kind != "f":
            return _constant(value)
        data = input.data
        attains = data == value if not np.isnan(value) else input.xp.isnan(data)
        return SharedValue.apply(input, value=value, share=attains / attains.sum())
    dim = normalize_dim(dim, input.ndim, op)
    source = _as_1d(input)
    data = source.data
    xp = source.xp
    if data.shape[dim] == 0:
        raise OpError(f"{op}(): cannot compute the median along dimension {dim} of size 0 "
                      f"(shape {tuple(input.shape)})")
    result = nanmedian_result if ignore_nan else median_result
    nan = xp.isnan(data) if data.dtype.kind == "f" else xp.zeros(data.shape, dtype=bool)
    count = data.shape[dim] - nan.sum(axis=dim, keepdims=True) if ignore_nan else \
        xp.full(nan.sum(axis=dim, keepdims=True).shape, data.shape[dim])
    position = xp.maximum(count - 1, 0) // 2
    picked = _pick(input, dim, position.astype(np.int64), True, result, op)
    if not ignore_nan and nan.any():  # any NaN in a row: the median is NaN, at the row's first NaN
        has_nan = nan.any(axis=dim, keepdims=True)
        first_nan = xp.argmax(nan, axis=dim, keepdims=True)
        indices = xp.where(has_nan, first_nan, picked.indices.data.reshape(has_nan.shape)).astype(np.int64)
        picked = result(Gather.apply(source, dim=dim, index=indices), _constant(indices))
    values, indices = picked
    if input.ndim == 0:
        return result(values.reshape(), _constant(indices.data.reshape(())))
    if not keepdim:
        values, indices = values.squeeze(dim), _constant(indices.data.squeeze(dim))
    return result(values, indices)


class SharedValue(Function):
    """A value chosen from x (the median of all elements) whose gradient is shared evenly among the k elements
    equal to it, as PyTorch's ``median()``/``nanmedian()`` without ``dim``:  ∂L/∂x_i = ∂L/∂m / k  if x_i = m.
    """

    differentiable_backward = True

    def forward(self, x: Any, value: Any, share: Any) -> Any:
        self.share = share
        return value.copy()

    def backward(self, grad: Any) -> Any:
        return grad * self.share


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """Lower median. Without ``dim``: a 0-d tensor (the ⌈n/2⌉-th smallest of all elements), whose gradient is
    shared among the elements equal to it (``SharedValue``); with ``dim``: ``(values, indices)``, the gradient
    going through the gather to the indexed element. A row holding NaN has median NaN."""
    return _median(input, dim, keepdim, False, "median")


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``median`` that ignores NaN (NaN only where a row is all NaN)."""
    return _median(input, dim, keepdim, True, "nanmedian")


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> tuple[Tensor, Tensor]:  # noqa: A002
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and an index where it
    occurs (the last one): ``(values, indices)``. The counting runs on the host, one row at a time (np.unique):
    a teaching shortcut, not a kernel; the gradient goes through the gather to that index."""
    dim = normalize_dim(dim, input.ndim, "mode")
    source = _as_1d(input)
    data = source.data
    xp = source.xp
    moved = xp.moveaxis(data, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1]) if moved.size else moved.reshape(-1, max(moved.shape[-1], 1))
    best = np.zeros(rows.shape[0], dtype=np.int64)
    host = np.asarray(rows.get() if hasattr(rows, "get") else rows)
    for r, row in enumerate(host):
        values, counts = np.unique(row, return_counts=True)
        winner = values[int(np.argmax(counts))]
        best[r] = int(np.flatnonzero(row == winner)[-1])
    indices = xp.asarray(best).reshape(moved.shape[:-1] + (1,))
    indices = xp.moveaxis(indices, -1, dim)
    values = Gather.apply(source, dim=dim, index=indices)
    if input.ndim == 0:
        return mode_result(values.reshape(), _constant(indices.reshape(())))
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return mode_result(values, _constant(indices))


# ------------------------------------------------------------------------------------------ extrema


def _dim_axes(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` of amax/amin/count_nonzero/var_mean: None or () means every axis (a 0-d tensor has none)."""
    if dim is None or (isinstance(dim, Sequence) and len(dim) == 0):
        return tuple(range(ndim))
    axes = normalize_axes(dim, ndim, op)  # range-checked; a 0-d tensor accepts dim 0 and -1
    return axes if ndim else ()


def _extreme(cls: type, input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:  # noqa: A002
    axes = _dim_axes(dim, input.ndim, op)
    if input.numel() == 0:
        raise OpError(f"{op}(): expected a non-empty tensor (shape {tuple(input.shape)}): the max or min of no "
                      "elements is undefined")
    return cls.apply(input, axis=axes, keepdims=keepdim)


def amax(input: Tensor, dim: int | Sequence[int] = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    """Maximum over ``dim`` (an int, a tuple, or () for all axes). Backward: the gradient is shared evenly
    among the elements that attain the maximum (``ops.reduce.Max``)."""
    return _extreme(reductions.Max, input, dim, keepdim, "amax")


def amin(input: Tensor, dim: int | Sequence[int] = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    """Minimum over ``dim``; ties share the gradient evenly (``ops.reduce.Min``)."""
    return _extreme(reductions.Min, input, dim, keepdim, "amin")


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> tuple[Tensor, Tensor]:  # noqa: A002
    """``(min, max)`` over ``dim`` (all elements when None) in one call."""
    if dim is not None:
        normalize_dim(dim, input.ndim, "aminmax")
    axes: Any = () if dim is None else dim
    return aminmax_result(amin(input, axes, keepdim), amax(input, axes, keepdim))


# ------------------------------------------------------------------------------------------ moments


def _moment_args(op: str, dim: Any, unbiased: Any, correction: Any) -> tuple[Any, float]:
    if isinstance(dim, bool):  # the old positional form var_mean(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}(): give correction= or unbiased=, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,  # noqa: A002
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim``: var = Σ (x − μ)² / (N − correction) (correction 1 by default; the old
    ``unbiased=False`` means 0). Composed from ``Var`` and ``Mean``."""
    dim, correction = _moment_args("var_mean", dim, unbiased, correction)
    axes = _dim_axes(dim, input.ndim, "var_mean")
    var = reductions.Var.apply(input, axis=axes, keepdims=keepdim, correction=correction)
    mean = reductions.Mean.apply(input, axis=axes, keepdims=keepdim)
    return var, mean


def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,  # noqa: A002
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim``: std = √var (see ``var_mean``)."""
    var, mean = var_mean(input, dim, unbiased, keepdim, correction=correction)
    return var.sqrt(), mean


# ------------------------------------------------------------------------------------------ counting


def count_nonzero(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:  # noqa: A002
    """The number of non-zero elements over ``dim`` (all when None), as int64."""
    axes = _dim_axes(dim, input.ndim, "count_nonzero")
    data = input.data
    return _constant(get_array_module(data).count_nonzero(data, axis=axes).astype(np.int64)
                     if axes else (data != 0).astype(np.int64))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements in ascending order (or distinct slices along ``dim``); optionally the inverse
    (for each input element, the position of its value in the output: ``output[inverse] == input``) and the
    counts. Not differentiable."""
    data = input.data
    xp = get_array_module(data)
    if dim is not None:
        dim = normalize_dim(dim, input.ndim, "unique")
    values, inverse, counts = xp.unique(data if dim is not None else data.reshape(-1), return_inverse=True,
                                        return_counts=True, axis=dim)
    outputs = [_constant(values)]
    if return_inverse:
        inverse = inverse.reshape(-1).astype(np.int64)
        outputs.append(_constant(inverse.reshape(data.shape) if dim is None else inverse))
    if return_counts:
        outputs.append(_constant(counts.astype(np.int64)))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False, right: bool = False,  # noqa: A002
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """For each value, the index where it would be inserted into ``sorted_sequence`` (along its last axis) to
    keep it sorted: the first such place (``side="left"``), or after equal elements (``right=True`` /
    ``side="right"``). An N-D sequence works row by row; its leading axes must match the values'."""
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted(side={side!r}): side must be 'left' or 'right'")
        if right and side == "left":
            raise ValueError("searchsorted(): side='left' contradicts right=True")
        right = side == "right"
    seq = sorted_sequence.data if isinstance(sorted_sequence, Tensor) else np.asarray(sorted_sequence)
    xp = get_array_module(seq)
    if sorter is not None:
        order = sorter.data if isinstance(sorter, Tensor) else xp.asarray(sorter)
        seq = xp.take_along_axis(seq, order, axis=-1)
    scalar = not isinstance(input, Tensor)
    values = xp.asarray(input.data if isinstance(input, Tensor) else input)
    how = "right" if right else "left"
    dtype = np.int32 if out_int32 else np.int64
    if seq.ndim <= 1:
        return _constant(xp.searchsorted(seq.reshape(-1), values, side=how).astype(dtype))
    if values.shape[:-1] != seq.shape[:-1] or scalar:
        raise OpError(f"searchsorted(): boundaries of shape {tuple(seq.shape)} and input of shape "
                      f"{tuple(values.shape)} must agree on every axis but the last")
    rows = seq.reshape(-1, seq.shape[-1])
    wanted = values.reshape(rows.shape[0], -1)
    out = xp.stack([xp.searchsorted(r, w, side=how) for r, w in zip(rows, wanted, strict=True)])
    return _constant(out.reshape(values.shape).astype(dtype))


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: A002
    """The bucket of each value among the 1-D ``boundaries`` (``searchsorted`` with the arguments swapped)."""
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """``out[v]`` = how many times v occurs in the 1-D non-negative integer ``input`` (or the sum of the
    ``weights`` at those places); length max(input) + 1, at least ``minlength``."""
    data = input.data
    xp = get_array_module(data)
    if data.ndim != 1 or data.dtype.kind not in "iu":
        raise OpError(f"bincount(): input must be a 1-D tensor of non-negative ints, got shape "
                      f"{tuple(input.shape)} and dtype {data.dtype}")
    if data.size and int(data.min()) < 0:
        raise OpError("bincount(): input must contain only non-negative ints")
    if minlength < 0:
        raise OpError(f"bincount(): minlength must be non-negative, got {minlength}")
    if weights is None:
        return _constant(xp.bincount(data, minlength=minlength).astype(np.int64))
    w = weights.data if isinstance(weights, Tensor) else xp.asarray(weights)
    if w.shape != data.shape:
        raise OpError(f"bincount(): weights of shape {tuple(w.shape)} must have the input's shape "
                      f"{tuple(data.shape)}")
    dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return _constant(xp.bincount(data, weights=w, minlength=minlength).astype(dtype))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """A histogram of ``bins`` equal-width bins over [min, max] (min = max = 0: the data's range); elements
    outside are ignored. Same dtype as the input."""
    data = input.data
    xp = get_array_module(data)
    if bins <= 0:
        raise OpError(f"histc(): bins must be > 0, got {bins}")
    low, high = float(min), float(max)
    if low == high and data.size:
        low, high = float(data.min()), float(data.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise OpError(f"histc(): max ({max}) must be larger than min ({min})")
    counts, _ = xp.histogram(data.reshape(-1), bins=bins, range=(low, high))
    return _constant(counts.astype(data.dtype if data.dtype.kind == "f" else np.float32))


__all__ = [
    "amax", "amin", "aminmax", "argsort", "bincount", "bucketize", "count_nonzero", "histc", "kthvalue",
    "median", "mode", "msort", "nanmedian", "searchsorted", "sort", "std_mean", "topk", "unique", "var_mean",
]

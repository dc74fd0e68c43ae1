"""Scans (running sums, products, maxima along an axis) and the product reduction.

A scan's output i depends on the inputs 0…i, so its gradient runs the other way: input j collects from the
outputs j…n−1. For a running sum that is a *reverse* running sum of the incoming gradient, the calculus of
this file in one line:

    y = cumsum(x)   ⇒   ∂L/∂x = flip(cumsum(flip(∂L/∂y)))
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from . import backward_math as bm
from .backward_math import is_tensor
from .broadcast import expand_reduced, normalize_dim
from .gather import Gather
from .movement import Flip, Roll, movedim

cummax_result = namedtuple("cummax", ["values", "indices"])
cummin_result = namedtuple("cummin", ["values", "indices"])


def _accumulating_dtype(input: Tensor, dtype: Any, op: str) -> Tensor:  # noqa: A002
    """PyTorch's rule for sums and products: an explicit ``dtype`` first; integers and bools become int64."""
    if dtype is not None:
        return input.astype(dtype)
    if input.dtype.kind in "biu" and input.dtype != np.int64:
        return input.astype(np.int64)
    return input


def _reverse_cumsum(grad: Any, dim: int) -> Any:
    """Σ_{i ≥ j} grad_i along ``dim``: a running sum from the end."""
    if is_tensor(grad):
        return Flip.apply(Cumsum.apply(Flip.apply(grad, dims=(dim,)), dim=dim), dims=(dim,))
    xp = get_array_module(grad)
    return xp.flip(xp.cumsum(xp.flip(grad, axis=dim), axis=dim), axis=dim)


class Cumsum(Function):
    """Running sum  y_i = Σ_{j ≤ i} x_j  along ``dim``.

    Backward:  ∂L/∂x_j = Σ_{i ≥ j} ∂L/∂y_i  — the reverse running sum of the gradient.
    """

    differentiable_backward = True

    def forward(self, x: Any, dim: int) -> Any:
        self.dim = dim
        return get_array_module(x).cumsum(x, axis=dim)

    def backward(self, grad: Any) -> Any:
        return _reverse_cumsum(grad, self.dim)


class Cumprod(Function):
    """Running product  y_i = Π_{j ≤ i} x_j  along ``dim``.

    Backward:  ∂L/∂x_k = Σ_{i ≥ k} ∂L/∂y_i · Π_{j ≤ i, j ≠ k} x_j.  With z the first zero of the row:
      k < z (or no zero):  (Σ_{i ≥ k} ∂L/∂y_i · y_i) / x_k   (x_k ≠ 0 there, so the division is safe);
      k = z:               Σ_{i ≥ z} ∂L/∂y_i · y'_i  with y' the running product of x with x_z set to 1;
      k > z:               0  (every product through k contains x_z = 0).
    Written with ``backward_math`` so that it is differentiable again where no input is exactly 0 (recording
    the backward through a zero raises NotImplementedError).
    """

    differentiable_backward = True

    def forward(self, x: Any, dim: int) -> Any:
        self.dim = dim
        out = get_array_module(x).cumprod(x, axis=dim)
        self.save_for_backward(x, out)
        return out

    def backward(self, grad: Any) -> Any:
        x, out = self.saved
        values = bm.constant(x)
        xp = get_array_module(values)
        is_zero = values == 0
        zeros_so_far = xp.cumsum(is_zero, axis=self.dim)
        before = zeros_so_far == 0
        general = _reverse_cumsum(grad * out, self.dim) / bm.where(before, x, 1)
        if before.all():
            return general
        if is_tensor(grad):
            raise NotImplementedError(
                "the second derivative of cumprod through an input that is exactly 0 is not implemented (the "
                "first-order formula at a zero is piecewise); nudge the zeros or use prod, whose backward is "
                "differentiable everywhere")
        first_zero = is_zero & (zeros_so_far == 1)
        without_zero = bm.where(first_zero, 1, x)
        product = Cumprod.apply(without_zero, dim=self.dim) if is_tensor(without_zero) else \
            xp.cumprod(without_zero, axis=self.dim)
        at_zero = _reverse_cumsum(grad * product, self.dim)
        return bm.where(before, general, bm.where(first_zero, at_zero, 0))


def _logcumsumexp_array(x: Any, dim: int, reverse: bool = False) -> Any:
    xp = get_array_module(x)
    if reverse:
        return xp.flip(_logcumsumexp_array(xp.flip(x, axis=dim), dim), axis=dim)
    if xp is np:
        return np.logaddexp.accumulate(x, axis=dim)  # pairwise log(eᵃ + eᵇ): no overflow, no underflow
    top = xp.max(x, axis=dim, keepdims=True)  # CuPy has no logaddexp.accumulate: shift by the row maximum
    top = xp.where(xp.isfinite(top), top, 0)
    return top + xp.log(xp.cumsum(xp.exp(x - top), axis=dim))


class LogCumSumExp(Function):
    """Running log-sum-exp  y_i = log Σ_{j ≤ i} e^{x_j}  along ``dim`` (computed as logaddexp.accumulate).

    Backward:  ∂L/∂x_j = Σ_{i ≥ j} ∂L/∂y_i · e^{x_j − y_i}  (softmax weights of the prefixes containing j),
    evaluated in log space for stability: e^{x_j + revlogcumsumexp(log ∂L/∂y − y)_j}, split into the positive
    and negative parts of ∂L/∂y. Recorded (create_graph), the same sum runs on Tensors as an n × n matrix of
    weights per row, so second derivatives work too.
    """

    differentiable_backward = True

    def forward(self, x: Any, dim: int) -> Any:
        self.dim = dim
        out = _logcumsumexp_array(x, dim)
        self.save_for_backward(x, out)
        return out

    def backward(self, grad: Any) -> Any:
        x, out = self.saved
        if is_tensor(grad):
            return self._recorded_backward(grad, x, out)
        xp = get_array_module(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            result = xp.zeros_like(x)
            for sign in (1, -1):
                part = xp.maximum(sign * grad, 0)
                log_part = xp.where(part > 0, xp.log(xp.where(part > 0, part, 1)), -np.inf)
                result = result + sign * xp.exp(x + _logcumsumexp_array(log_part - out, self.dim, reverse=True))
        return result

    def _recorded_backward(self, grad: Tensor, x: Tensor, out: Tensor) -> Tensor:
        """The same sum with Tensors (create_graph): the weights e^{x_j − y_i} for every pair i ≥ j as an n × n
        matrix per row (all ≤ 1, since y_i ≥ x_j), masked below the diagonal. O(n²) memory: second derivatives
        are for small problems."""
        last = movedim(x, self.dim, -1)
        n = last.shape[-1]
        later = np.triu(np.ones((n, n), dtype=bool))  # [j, i]: i ≥ j
        pairs = last.unsqueeze(-1) - movedim(out, self.dim, -1).unsqueeze(-2)
        weights = bm.where(later, pairs, -np.inf).exp()
        summed = (weights * movedim(grad, self.dim, -1).unsqueeze(-2)).sum(-1)
        return movedim(summed, -1, self.dim)


def _exclusive_cumprod(x: Any, dim: int) -> Any:
    """e_k = Π_{j < k} x_j along ``dim`` (e_0 = 1): the running product of x shifted one place right."""
    first = _first_position(x.shape, dim)
    if is_tensor(x):
        shifted = bm.where(first, 1, Roll.apply(x, shifts=(1,), dims=(dim,)))
        return Cumprod.apply(shifted, dim=dim)
    xp = get_array_module(x)
    return xp.cumprod(xp.where(xp.asarray(first), 1, xp.roll(x, 1, axis=dim)), axis=dim)


def _first_position(shape: tuple[int, ...], dim: int) -> Any:
    mask = np.zeros([n if i == dim else 1 for i, n in enumerate(shape)], dtype=bool)
    mask[(slice(None),) * dim + (0,)] = True
    return mask


def _flip(x: Any, dim: int) -> Any:
    return Flip.apply(x, dims=(dim,)) if is_tensor(x) else get_array_module(x).flip(x, axis=dim)


class Prod(Function):
    """Product  p = Π_i x_i  over ``dim`` (all elements when None).

    Backward:  ∂L/∂x_k = ∂L/∂p · Π_{i ≠ k} x_i = ∂L/∂p · (Π_{i < k} x_i) · (Π_{i > k} x_i): the product of the
    elements before k times the product of those after it — two exclusive running products, one from each end.
    No division, so zeros need no special case (p / x_k would divide by them), and the formula is itself
    differentiable (second derivatives included).
    """

    differentiable_backward = True

    def forward(self, x: Any, axes: tuple[int, ...], keepdim: bool) -> Any:
        self.axes, self.keepdim, self.input_shape = axes, keepdim, x.shape
        out = x.prod(axis=axes, keepdims=True)
        if not keepdim:
            out = out.reshape([n for i, n in enumerate(x.shape) if i not in axes])
        self.save_for_backward(x)
        return out

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        spread = expand_reduced(grad, self.axes, self.keepdim)
        if not self.axes or not x.size:  # nothing reduced, or nothing to send a gradient to
            return bm.broadcast_to(spread, self.input_shape)
        if len(self.axes) == 1:
            flat, dim = x, self.axes[0]
        else:  # every axis (dim=None): one row
            flat, dim = x.reshape(-1), 0
        others = _exclusive_cumprod(flat, dim) * _flip(_exclusive_cumprod(_flip(flat, dim), dim), dim)
        return spread * others.reshape(self.input_shape)


# ------------------------------------------------------------------------------------------ public functions


def _scan(cls: type[Function], input: Tensor, dim: int, op: str) -> Tensor:  # noqa: A002
    dim = normalize_dim(dim, input.ndim, op)
    if input.ndim == 0:
        return cls.apply(input.reshape(1), dim=0).reshape()
    return cls.apply(input, dim=dim)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Running sum along ``dim`` (``Cumsum``); integer and bool inputs give int64, as in PyTorch."""
    return _scan(Cumsum, _accumulating_dtype(input, dtype, "cumsum"), dim, "cumsum")


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Running product along ``dim`` (``Cumprod``; the gradient is right with zeros in the input)."""
    return _scan(Cumprod, _accumulating_dtype(input, dtype, "cumprod"), dim, "cumprod")


def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """Running log Σ e^{x} along ``dim`` (``LogCumSumExp``), stable for large and small x."""
    if input.dtype.kind not in "fc":
        input = input.astype(np.float32)
    return _scan(LogCumSumExp, input, dim, "logcumsumexp")


def _cumulative_extreme(input: Tensor, dim: int, largest: bool, op: str) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Running max/min: the index of the latest element that equals the running extreme (PyTorch's choice on
    ties); values = gather(input, dim, indices), so the gradient goes to that element."""
    dim = normalize_dim(dim, input.ndim, op)
    source = input.reshape(1) if input.ndim == 0 else input
    data = source.data
    xp = source.xp
    ufunc = xp.maximum if largest else xp.minimum
    running = ufunc.accumulate(data, axis=dim) if data.size else data
    shape = [1] * data.ndim
    shape[dim] = data.shape[dim]
    positions = xp.arange(data.shape[dim]).reshape(shape)
    hit = (data == running) | (xp.isnan(data) if data.dtype.kind == "f" else False)
    indices = xp.maximum.accumulate(xp.where(hit, positions, 0), axis=dim) if data.size else \
        xp.zeros(data.shape, dtype=np.int64)
    indices = indices.astype(np.int64)
    values = Gather.apply(source, dim=dim, index=indices)
    if input.ndim == 0:
        return values.reshape(), Tensor._from_op(indices.reshape(()), None)
    return values, Tensor._from_op(indices, None)


def cummax(input: Tensor, dim: int) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Running maximum along ``dim``: ``(values, indices)``; the gradient reaches the element that is the
    running maximum (a ``Gather``)."""
    return cummax_result(*_cumulative_extreme(input, dim, True, "cummax"))


def cummin(input: Tensor, dim: int) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Running minimum along ``dim``: ``(values, indices)``."""
    return cummin_result(*_cumulative_extreme(input, dim, False, "cummin"))


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Product of all elements, or along ``dim`` (``Prod``); integer and bool inputs give int64."""
    source = _accumulating_dtype(input, dtype, "prod")
    if dim is None:
        axes = tuple(range(source.ndim))
        out = Prod.apply(source, axes=axes, keepdim=False)
        return out
    axis = normalize_dim(dim, source.ndim, "prod")
    if source.ndim == 0:
        return Prod.apply(source, axes=(), keepdim=True)
    return Prod.apply(source, axes=(axis,), keepdim=keepdim)


__all__ = ["Cumprod", "Cumsum", "LogCumSumExp", "Prod", "cummax", "cummin", "cumprod", "cumsum", "logcumsumexp",
           "prod"]

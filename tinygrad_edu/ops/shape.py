"""Operations that move elements around without computing new values: their backward moves the gradient
back to where each element came from."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module, is_gpu
from . import backward_math as bm
from .broadcast import unbroadcast


class Reshape(Function):
    """Reshape  z = x viewed with another shape (same elements, row-major order).

    Backward:  ∂L/∂x = ∂L/∂z reshaped to x's shape.
    """

    differentiable_backward = True

    def forward(self, x: Any, shape: tuple[int, ...]) -> Any:
        self.input_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {tuple(shape)}"
            ) from None

    def backward(self, grad: Any) -> Any:
        return grad.reshape(self.input_shape)


class Permute(Function):
    """Permute axes  z = xᵀ generalised: axis i of z is axis ``axes[i]`` of x.

    Backward:  ∂L/∂x = ∂L/∂z permuted by the inverse permutation.
    """

    differentiable_backward = True

    def forward(self, x: Any, axes: tuple[int, ...]) -> Any:
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"permute{tuple(axes)} is not a permutation of the {x.ndim} axes of {x.shape}")
        self.axes = tuple(a % x.ndim for a in axes)
        return x.transpose(self.axes)

    def backward(self, grad: Any) -> Any:
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return bm.permute(grad, inverse)


class BroadcastTo(Function):
    """Broadcast (expand)  z = x repeated along new or size-1 axes, without copying.

    Backward:  ∂L/∂x = ∂L/∂z summed over the repeated axes (``unbroadcast``).
    """

    differentiable_backward = True

    def forward(self, x: Any, shape: tuple[int, ...]) -> Any:
        self.input_shape = x.shape
        try:
            return get_array_module(x).broadcast_to(x, shape)
        except ValueError:
            raise ValueError(
                f"cannot broadcast shape {x.shape} to {tuple(shape)}: aligned from the right, each axis must equal "
                "the target's or be 1 (new axes go in front)"
            ) from None

    def backward(self, grad: Any) -> Any:
        return unbroadcast(grad, self.input_shape)


class Pad(Function):
    """Constant padding  z = x surrounded by ``value``; ``pad_width`` as NumPy's ((before, after), ...).

    Backward:  ∂L/∂x = ∂L/∂z with the padding cut away.
    """

    differentiable_backward = True

    def forward(self, x: Any, pad_width: Any, value: float = 0.0) -> Any:
        xp = get_array_module(x)
        if x.ndim == 0:
            raise ValueError("cannot pad a 0-d tensor")
        try:
            widths = xp.broadcast_to(xp.asarray(pad_width, dtype=int), (x.ndim, 2))
        except ValueError:
            raise ValueError(
                f"pad_width {pad_width} does not fit a tensor with {x.ndim} axes: give one (before, after) pair per "
                "axis, or a single pair for all axes"
            ) from None
        widths = [(int(a), int(b)) for a, b in widths.tolist()]
        if any(a < 0 or b < 0 for a, b in widths):
            raise ValueError(f"pad widths must be non-negative, got {widths}")
        self.crop = tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape, strict=True))
        return xp.pad(x, widths, mode="constant", constant_values=value)

    def backward(self, grad: Any) -> Any:
        return grad[self.crop]


class Concatenate(Function):
    """Concatenation  z = [x₁, x₂, …] along an axis.

    Backward:  ∂L/∂xₖ = the slice of ∂L/∂z where xₖ was placed.
    """

    differentiable_backward = True

    def forward(self, *xs: Any, axis: int = 0) -> Any:
        xp = get_array_module(xs[0])
        ndim = xs[0].ndim
        if not -ndim <= axis < ndim:
            raise IndexError(f"cat(axis={axis}) for tensors with {ndim} axes: axis out of range")
        self.axis = axis % ndim
        for x in xs[1:]:
            if x.ndim != ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape, strict=True))
                                     if i != self.axis):
                shapes = ", ".join(str(t.shape) for t in xs)
                raise ValueError(
                    f"cat(axis={axis}) needs tensors whose shapes agree on every other axis, got {shapes}"
                )
        self.sizes = [x.shape[self.axis] for x in xs]
        return xp.concatenate(xs, axis=self.axis)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        pieces, start = [], 0
        prefix = (slice(None),) * self.axis
        for size, needed in zip(self.sizes, self.needs_input_grad, strict=True):
            pieces.append(grad[prefix + (slice(start, start + size),)] if needed else None)
            start += size
        return tuple(pieces)


class GetItem(Function):
    """Indexing  z = x[index]  (slices, ints, None, Ellipsis, integer arrays and boolean masks).

    Backward: ∂L/∂x is zero except at the selected positions, which receive ∂L/∂z. With an integer array an
    element may be picked several times: its gradients are *added* (a scatter-add, ``np.add.at``).
    """

    differentiable_backward = True

    def forward(self, x: Any, index: Any) -> Any:
        xp = get_array_module(x)
        self.index = _convert_index(index, xp)
        self.input_shape = x.shape
        self.advanced = _is_advanced(self.index)
        try:
            return x[self.index]
        except IndexError as error:
            raise IndexError(f"index {index!r} into a tensor of shape {x.shape}: {error}") from None

    def backward(self, grad: Any) -> Any:
        if bm.is_tensor(grad):  # recorded (create_graph): the scatter as an op whose own backward is this gather
            return ScatterIntoZeros.apply(grad, index=self.index, shape=self.input_shape, advanced=self.advanced)
        xp = get_array_module(grad)
        full = xp.zeros(self.input_shape, dtype=grad.dtype)
        if self.advanced:
            _scatter_add(xp, full, self.index, grad)
        else:
            full[self.index] = grad  # basic indexing selects each element at most once
        return full


class ScatterIntoZeros(Function):
    """The adjoint of indexing  z = 0 with z[index] += g  (GetItem's backward, as an op of its own so that it
    can be differentiated again).    Backward:  ∂L/∂g = (∂L/∂z)[index]."""

    differentiable_backward = True

    def forward(self, g: Any, index: Any, shape: tuple[int, ...], advanced: bool) -> Any:
        xp = get_array_module(g)
        self.index = index
        full = xp.zeros(shape, dtype=g.dtype)
        if advanced:
            _scatter_add(xp, full, index, g)
        else:
            full[index] = g
        return full

    def backward(self, grad: Any) -> Any:
        return grad[self.index]


def _convert_index(index: Any, xp: Any) -> Any:
    from ..tensor import Tensor

    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, list) or (isinstance(index, np.ndarray) and xp is not np):
        return xp.asarray(index)  # on the GPU, index arrays must live there too (one small copy)
    if isinstance(index, tuple):
        return tuple(_convert_index(i, xp) for i in index)
    return index


def _is_advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(hasattr(part, "shape") and hasattr(part, "dtype") for part in parts)


def _scatter_add(xp: Any, target: Any, index: Any, values: Any) -> None:
    if not is_gpu(target):
        xp.add.at(target, index, values)
    else:  # CuPy spells the unbuffered scatter-add differently
        import cupyx  # type: ignore[import-not-found]

        cupyx.scatter_add(target, index, values)


class SetItem(Function):
    """Indexed assignment as a new value  z = x with z[index] = v  (what ``x[index] = v`` records).

    Backward:  ∂L/∂x = ∂L/∂z with zeros where x was overwritten (those elements no longer reach the loss);
    ∂L/∂v = (∂L/∂z)[index], summed over the axes v was broadcast along.
    """

    differentiable_backward = True

    def forward(self, x: Any, value: Any, index: Any) -> Any:
        xp = get_array_module(x)
        self.index = _convert_index(index, xp)
        self.value_shape = value.shape
        out = x.copy()
        try:
            out[self.index] = value
        except (IndexError, ValueError) as error:
            raise type(error)(f"x[{index!r}] = value: a tensor of shape {x.shape} cannot take a value of shape "
                              f"{value.shape} there ({error}): the value must broadcast to the selected "
                              "shape") from None
        self.overwritten = xp.zeros(x.shape, dtype=bool)
        self.overwritten[self.index] = True
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        need_x, need_value = self.needs_input_grad
        grad_x = bm.where(self.overwritten, 0.0, grad) if need_x else None
        grad_value = unbroadcast(grad[self.index], self.value_shape) if need_value else None
        return grad_x, grad_value


def split_integer_parts(index: Any) -> tuple[tuple, tuple] | None:
    """PyTorch reads a Python int in an index as basic indexing (it removes its axis first); NumPy counts it
    with the index arrays, so in ``x[1, :, d]`` NumPy moves d's axes to the front and PyTorch keeps them in
    place. Where the two differ (an int next to an index array), return the two steps PyTorch's reading takes:
    the ints alone, then the rest; else None."""
    if not isinstance(index, tuple):
        return None
    has_int = any(isinstance(p, int | np.integer) and not isinstance(p, bool) for p in index)
    has_array = any(isinstance(p, list) or (hasattr(p, "shape") and getattr(p, "ndim", 0) > 0) for p in index)
    if not (has_int and has_array):
        return None
    first: list[Any] = []
    rest: list[Any] = []
    for part in index:
        if isinstance(part, int | np.integer) and not isinstance(part, bool):
            first.append(part)
        elif part is None:
            first.append(None)
            rest.append(slice(None))
        elif part is Ellipsis:
            first.append(Ellipsis)
            rest.append(Ellipsis)
        else:
            dtype = getattr(part, "dtype", None)
            is_mask = dtype is not None and getattr(dtype, "kind", "") == "b"
            first.extend([slice(None)] * (part.ndim if is_mask else 1))
            rest.append(part)
    return tuple(first), tuple(rest)

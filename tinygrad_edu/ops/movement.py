"""Moving elements around: flips, rolls, repeats, diagonals, windows (unfold/fold) and padding modes.

None of these computes a new value, so each backward only moves the gradient back to where its element came
from (adding where one element went to several places). Most are *composed* from ops that already have a
backward (reshape, permute, broadcast, slicing, ``index_select``): their gradient comes for free and the
lesson is the composition. The few written as a ``Function`` come in adjoint pairs, each the other's backward:

    Flip ↔ Flip,   Roll(s) ↔ Roll(−s),   Diagonal ↔ DiagonalScatter,   Unfold (im2col) ↔ Fold (col2im).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function, OpError
from ..backend import get_array_module, to_numpy
from ..kernels import dispatch as kernels
from ..tensor import Tensor
from .backward_math import is_tensor
from .broadcast import normalize_dim
from .gather import IndexSelect, index_select

# ------------------------------------------------------------------------------------------ helpers


def _sizes(sizes: tuple, op: str) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` or ``f([2, 3])`` or ``f(torch.Size)``: the sizes as a tuple of ints."""
    if len(sizes) == 1 and isinstance(sizes[0], Sequence | np.ndarray | Tensor):
        sizes = tuple(sizes[0].tolist() if hasattr(sizes[0], "tolist") else sizes[0])
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise TypeError(f"{op}(): sizes must be ints, got {n!r} ({type(n).__name__})")
    return tuple(int(n) for n in sizes)


def varargs(values: tuple) -> Any:
    """``x.flip(0, 1)`` and ``x.flip((0, 1))`` alike: Tensor methods take sizes and dims either way."""
    return values[0] if len(values) == 1 and not isinstance(values[0], int | np.integer) else values


def _dims(dims: Any, ndim: int, op: str) -> tuple[int, ...]:
    """One dim or a sequence of dims, each range-checked, no repeats."""
    items = (dims,) if isinstance(dims, int | np.integer) else tuple(dims)
    normalized = tuple(normalize_dim(d, ndim, op) for d in items)
    if len(set(normalized)) != len(normalized):
        raise OpError(f"{op}(): dim {list(items)} names an axis more than once")
    return normalized


# ------------------------------------------------------------------------------------------ Functions


class Clone(Function):
    """Copy  z = x  (new memory, same values).    Backward:  ∂L/∂x = ∂L/∂z."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        return x.copy()

    def backward(self, grad: Any) -> Any:
        return grad


class Flip(Function):
    """Flip  z[i] = x[n − 1 − i]  along each axis in ``dims``.

    Backward:  ∂L/∂x = flip(∂L/∂z, dims)  (a flip is its own inverse and its own adjoint).
    """

    differentiable_backward = True

    def forward(self, x: Any, dims: tuple[int, ...]) -> Any:
        self.dims = dims
        return get_array_module(x).flip(x, axis=dims).copy() if dims else x.copy()

    def backward(self, grad: Any) -> Any:
        if is_tensor(grad):
            return Flip.apply(grad, dims=self.dims)
        return get_array_module(grad).flip(grad, axis=self.dims) if self.dims else grad


class Roll(Function):
    """Roll  z[(i + s) mod n] = x[i]  along each axis (``dims=None``: over the flattened tensor, shape kept).

    Backward:  ∂L/∂x = roll(∂L/∂z, −s)  (the inverse permutation, which is the adjoint of a permutation).
    """

    differentiable_backward = True

    def forward(self, x: Any, shifts: tuple[int, ...], dims: tuple[int, ...] | None) -> Any:
        self.shifts, self.dims = shifts, dims
        xp = get_array_module(x)
        if dims is None:
            return xp.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
        return xp.roll(x, shifts, axis=dims)

    def backward(self, grad: Any) -> Any:
        back = tuple(-s for s in self.shifts)
        if is_tensor(grad):
            return Roll.apply(grad, shifts=back, dims=self.dims)
        xp = get_array_module(grad)
        if self.dims is None:
            return xp.roll(grad.reshape(-1), back[0]).reshape(grad.shape)
        return xp.roll(grad, back, axis=self.dims)


def _diagonal_positions(length: int, offset: int, xp: Any) -> tuple[Any, Any]:
    """Row and column of the diagonal's elements: (i, i + offset) above the main diagonal, (i − offset, i) below."""
    i = xp.arange(length)
    return i + max(-offset, 0), i + max(offset, 0)


def diagonal_scatter_array(src: Any, shape: tuple[int, ...], offset: int, dim1: int, dim2: int) -> Any:
    xp = get_array_module(src)
    out = xp.zeros(shape, dtype=src.dtype)
    view = xp.moveaxis(out, (dim1, dim2), (-2, -1))  # a view: writing into it writes into out
    rows, cols = _diagonal_positions(src.shape[-1], offset, xp)
    view[..., rows, cols] = src
    return out


class Diagonal(Function):
    """Diagonal  z[…, i] = x[…, i, i + offset, …]  of the axes (dim1, dim2), which move to the end as one axis.

    Shapes: x (…, n, m, …) → z (…, L) with L = max(0, min(n, m − offset)) for offset ≥ 0 (min(n + offset, m)
    below). Backward:  ∂L/∂x = zeros with ∂L/∂z written back onto the diagonal (``DiagonalScatter``).
    """

    differentiable_backward = True

    def forward(self, x: Any, offset: int, dim1: int, dim2: int) -> Any:
        self.offset, self.dim1, self.dim2, self.input_shape = offset, dim1, dim2, x.shape
        return get_array_module(x).diagonal(x, offset, dim1, dim2).copy()

    def backward(self, grad: Any) -> Any:
        if is_tensor(grad):
            return DiagonalScatter.apply(grad, shape=self.input_shape, offset=self.offset, dim1=self.dim1,
                                         dim2=self.dim2)
        return diagonal_scatter_array(grad, self.input_shape, self.offset, self.dim1, self.dim2)


class DiagonalScatter(Function):
    """Diagonal scatter into zeros  z = 0 (of ``shape``);  z[…, i, i + offset, …] = x[…, i]  on (dim1, dim2).

    ``diag_embed`` and ``diag`` of a vector are this op. Backward:  ∂L/∂x = diagonal(∂L/∂z, offset, dim1, dim2).
    """

    differentiable_backward = True

    def forward(self, x: Any, shape: tuple[int, ...], offset: int, dim1: int, dim2: int) -> Any:
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        return diagonal_scatter_array(x, shape, offset, dim1, dim2)

    def backward(self, grad: Any) -> Any:
        if is_tensor(grad):
            return Diagonal.apply(grad, offset=self.offset, dim1=self.dim1, dim2=self.dim2)
        return get_array_module(grad).diagonal(grad, self.offset, self.dim1, self.dim2).copy()


class _Window:
    """The geometry of F.unfold / F.fold: (N, C, H, W) images, kh×kw windows, L = OH·OW window positions."""

    def __init__(self, op: str, spatial: tuple[int, int], kernel_size: Any, dilation: Any, padding: Any,
                 stride: Any):
        self.kernel_size = _pair(op, "kernel_size", kernel_size, 1)
        self.dilation = _pair(op, "dilation", dilation, 1)
        self.padding = _pair(op, "padding", padding, 0)
        self.stride = _pair(op, "stride", stride, 1)
        out = []
        for n, k, d, p, s in zip(spatial, self.kernel_size, self.dilation, self.padding, self.stride, strict=True):
            out.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
        if min(out) < 1:
            raise OpError(f"{op}(): a {self.kernel_size} window (dilation {self.dilation}) does not fit in the "
                          f"spatial size {spatial} with padding {self.padding}: make the kernel smaller or pad more")
        self.out_size = (out[0], out[1])

    def im2col(self, x: Any) -> Any:
        """(N, C, H, W) → (N, C·kh·kw, L): PyTorch's layout, channels outermost in each column."""
        batch, channels = x.shape[:2]
        cols = kernels.im2col(x, self.kernel_size, self.stride, self.padding, self.dilation, self.out_size)
        length = self.out_size[0] * self.out_size[1]
        return cols.reshape(batch, length, channels * self.kernel_size[0] * self.kernel_size[1]).transpose(0, 2, 1)

    def col2im(self, cols: Any, image_shape: tuple[int, int, int, int]) -> Any:
        batch, rows, length = cols.shape
        flat = get_array_module(cols).ascontiguousarray(cols.transpose(0, 2, 1)).reshape(batch * length, rows)
        return kernels.col2im(flat, image_shape, self.kernel_size, self.stride, self.padding, self.dilation,
                              self.out_size)


def _pair(op: str, name: str, value: Any, smallest: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int | np.integer) or v < smallest
                             for v in pair):
        raise OpError(f"{op}(): {name}={value!r} must be an int or a pair of ints, each ≥ {smallest}")
    return (int(pair[0]), int(pair[1]))


class Unfold(Function):
    """im2col  cols[n, (c, i, j), (oh, ow)] = x_pad[n, c, oh·s + i·d, ow·s + j·d]: every kh×kw window as a column.

    Shapes: x (N, C, H, W) → (N, C·kh·kw, L), L = OH·OW. A convolution is this followed by one matrix product.
    Backward:  ∂L/∂x = fold(∂L/∂cols)  — each pixel collects the gradients of every window that copied it.
    """

    differentiable_backward = True

    def forward(self, x: Any, window: _Window) -> Any:
        self.window, self.input_shape = window, x.shape
        return window.im2col(x)

    def backward(self, grad: Any) -> Any:
        if is_tensor(grad):
            return Fold.apply(grad, window=self.window, image_shape=self.input_shape)
        return self.window.col2im(grad, self.input_shape)


class Fold(Function):
    """col2im  x[n, c, h, w] = Σ over the (window, tap) pairs that cover (h, w) of cols[n, (c, i, j), (oh, ow)].

    Fold is the *adjoint* of unfold (⟨unfold(x), y⟩ = ⟨x, fold(y)⟩), not its inverse: a pixel covered by k
    windows comes back k times (fold(unfold(x)) = x · coverage count).
    Shapes: cols (N, C·kh·kw, L) → (N, C, H, W).    Backward:  ∂L/∂cols = unfold(∂L/∂x).
    """

    differentiable_backward = True

    def forward(self, cols: Any, window: _Window, image_shape: tuple[int, int, int, int]) -> Any:
        self.window = window
        return window.col2im(cols, image_shape)

    def backward(self, grad: Any) -> Any:
        if is_tensor(grad):
            return Unfold.apply(grad, window=self.window)
        return self.window.im2col(grad)


# ------------------------------------------------------------------------------------------ copies and views


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    """A differentiable copy (``Clone``)."""
    return Clone.apply(input)


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:  # noqa: A002
    """The tensor itself: backend arrays here are always usable as they are."""
    return input


def expand_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return input.expand(*other.shape)


def view_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return input.view(*other.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return input.reshape(*other.shape)


def type_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return input.astype(other.dtype)


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:  # noqa: A002
    """Remove axes of length 1: all of them (``dim=None``), or those of ``dim`` (an int or a tuple) that are 1."""
    if dim is None:
        shape = tuple(n for n in input.shape if n != 1)
    else:
        axes = set(_dims(dim, input.ndim, "squeeze"))
        shape = tuple(n for i, n in enumerate(input.shape) if not (i in axes and n == 1))
    return input.reshape(*shape)


def t(input: Tensor) -> Tensor:  # noqa: A002
    """Transpose of a matrix; a 0-d or 1-D tensor is returned as it is."""
    if input.ndim > 2:
        raise OpError(f"t() expects a tensor with <= 2 dimensions, but got shape {tuple(input.shape)}: "
                      "use transpose(dim0, dim1) or .mT for a batch of matrices")
    return input.transpose(0, 1) if input.ndim == 2 else input


def select(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """``input[…, index, …]`` on axis ``dim``: that axis is removed."""
    dim = normalize_dim(dim, input.ndim, "select")
    size = input.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {size} at dimension {dim}")
    return input[(slice(None),) * dim + (int(index) % size,)]


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:  # noqa: A002
    """``input[…, start : start + length, …]`` on axis ``dim`` (``start`` may be negative or a 0-d tensor)."""
    dim = normalize_dim(dim, input.ndim, "narrow")
    start = int(start.item()) if isinstance(start, Tensor) else int(start)
    size = input.shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start {start} out of range for dimension {dim} with size {size}")
    if start < 0:
        start += size
    if length < 0 or start + length > size:
        raise OpError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}) of a tensor "
                      f"of shape {tuple(input.shape)}")
    return input[(slice(None),) * dim + (slice(start, start + length),)]


# ------------------------------------------------------------------------------------------ reordering axes


def movedim(input: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:  # noqa: A002
    """Move axes ``source`` to positions ``destination``; the other axes keep their order (a ``permute``)."""
    src = _dims(source, input.ndim, "movedim")
    dst = _dims(destination, input.ndim, "movedim")
    if len(src) != len(dst):
        raise OpError(f"movedim(): source {source} and destination {destination} must name as many axes")
    order = [a for a in range(input.ndim) if a not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return input.permute(*order) if input.ndim else input


moveaxis = movedim


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:  # noqa: A002
    """Swap two axes (same as ``transpose(axis0, axis1)``)."""
    return input.transpose(axis0, axis1) if input.ndim else input


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return swapaxes(input, dim0, dim1)


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:  # noqa: A002
    """Split axis ``dim`` into ``sizes`` (one entry may be −1, inferred): the inverse of ``flatten``."""
    dim = normalize_dim(dim, input.ndim, "unflatten")
    sizes = _sizes(tuple(sizes), "unflatten")
    known = math.prod(n for n in sizes if n != -1)
    if sizes.count(-1) > 1 or (-1 not in sizes and known != input.shape[dim]) or (
            -1 in sizes and (known == 0 or input.shape[dim] % known)):
        raise OpError(f"unflatten(): sizes {sizes} do not multiply to the length {input.shape[dim]} of axis {dim} "
                      f"of a tensor of shape {tuple(input.shape)}")
    return input.reshape(*input.shape[:dim], *sizes, *input.shape[dim + 1:])


def flip(input: Tensor, *dims_given: Any, dims: int | Sequence[int] | None = None) -> Tensor:  # noqa: A002
    """Reverse the order of elements along each axis of ``dims`` (``Flip``). ``flip(x, (0, 1))``,
    ``flip(x, dims=(0, 1))`` and ``x.flip(0, 1)`` are the same."""
    chosen = _given("flip", "dims", dims_given, dims)
    return Flip.apply(input, dims=_dims(chosen, input.ndim, "flip") if input.ndim else ())


def _given(op: str, name: str, positional: tuple, keyword: Any) -> Any:
    if positional and keyword is not None:
        raise TypeError(f"{op}() got {name} twice: positionally {positional} and as {name}={keyword}")
    if not positional and keyword is None:
        raise TypeError(f"{op}() missing the argument {name}")
    return keyword if keyword is not None else varargs(positional)


def fliplr(input: Tensor) -> Tensor:  # noqa: A002
    """Flip axis 1 (left ↔ right); needs at least 2 axes."""
    if input.ndim < 2:
        raise OpError(f"fliplr(): input must be >= 2-d, got shape {tuple(input.shape)}")
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:  # noqa: A002
    """Flip axis 0 (up ↔ down); needs at least 1 axis."""
    if input.ndim < 1:
        raise OpError("flipud(): input must be >= 1-d, got a 0-d tensor")
    return flip(input, 0)


def roll(input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:  # noqa: A002
    """Shift elements cyclically by ``shifts`` along ``dims`` (``Roll``); without ``dims`` the tensor is
    flattened, rolled and reshaped back."""
    shift_tuple = (shifts,) if isinstance(shifts, int | np.integer) else tuple(shifts)
    if dims is None:
        if len(shift_tuple) != 1:
            raise OpError(f"roll(): shifts={shifts} needs dims (one per shift) when more than one shift is given")
        return Roll.apply(input, shifts=(int(shift_tuple[0]),), dims=None)
    dim_tuple = (dims,) if isinstance(dims, int | np.integer) else tuple(dims)
    if len(shift_tuple) != len(dim_tuple):
        raise OpError(f"roll(): shifts {shift_tuple} and dims {dim_tuple} must have the same length")
    axes = tuple(normalize_dim(d, input.ndim, "roll") for d in dim_tuple)
    if input.ndim == 0:
        return Clone.apply(input)
    return Roll.apply(input, shifts=tuple(int(s) for s in shift_tuple), dims=axes)


# ------------------------------------------------------------------------------------------ repeating


def repeat(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    """Tile: ``out`` has shape (r₀·s₀, r₁·s₁, …); ``sizes`` may add leading axes.

    Composed: reshape to (1, s₀, 1, s₁, …), broadcast to (r₀, s₀, r₁, s₁, …), merge pairs. Its gradient is the
    broadcast's: the sum over the r copies.
    """
    reps = _sizes(sizes, "repeat")
    if len(reps) < input.ndim:
        raise OpError(f"repeat(): number of repeat dims ({len(reps)}) can not be smaller than the number of "
                      f"dimensions of the tensor ({input.ndim}, shape {tuple(input.shape)})")
    if any(r < 0 for r in reps):
        raise OpError(f"repeat(): repeats must be non-negative, got {reps}")
    shape = (1,) * (len(reps) - input.ndim) + tuple(input.shape)
    paired = [n for s in shape for n in (1, s)]
    target = [n for r, s in zip(reps, shape, strict=True) for n in (r, s)]
    out_shape = [r * s for r, s in zip(reps, shape, strict=True)]
    return input.reshape(*paired).expand(*target).reshape(*out_shape)


def tile(input: Tensor, *dims_given: Any, dims: Sequence[int] | None = None) -> Tensor:  # noqa: A002
    """``repeat`` where ``dims`` may be shorter than the number of axes (ones are prepended);
    ``tile(x, (2, 2))``, ``tile(x, dims=(2, 2))`` and ``x.tile(2, 2)`` are the same."""
    reps = _sizes((_given("tile", "dims", dims_given, dims),), "tile")
    reps = (1,) * (input.ndim - len(reps)) + reps
    return repeat(input, *reps)


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,  # noqa: A002
                      output_size: int | None = None) -> Tensor:
    """Repeat each element (each slice along ``dim``) ``repeats`` times in place: [a, b] → [a, a, b, b].

    ``repeats`` is an int or a tensor with one count per slice; ``dim=None`` flattens first. With only a tensor
    of counts, ``repeat_interleave(counts)`` gives [0]·c₀ + [1]·c₁ + …. Composed: index_select with the index
    [0, …, 0, 1, …, 1, …], so the gradient of each slice is the sum of its copies'.
    """
    if repeats is None:  # repeat_interleave(counts)
        counts = input.data if isinstance(input, Tensor) else np.asarray(input)
        xp = get_array_module(counts)
        if counts.ndim > 1 or counts.dtype.kind not in "iu":
            raise OpError("repeat_interleave(repeats): repeats must be a 0-d or 1-D integer tensor")
        index = np.repeat(np.arange(counts.size), to_numpy(counts).reshape(-1))
        return Tensor._from_op(xp.asarray(index, dtype=np.int64), None)
    if dim is None:
        input, dim = input.reshape(-1), 0
    dim = normalize_dim(dim, input.ndim, "repeat_interleave")
    size = input.shape[dim] if input.ndim else 1
    xp = input.xp
    counts = repeats.data if isinstance(repeats, Tensor) else xp.asarray(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise OpError(f"repeat_interleave(): repeats must be an int or a 0-d/1-D integer tensor, got {repeats!r}")
    counts = counts.reshape(-1)
    if counts.size not in (1, size):
        raise OpError(f"repeat_interleave(): repeats must have the same size as input along dim ({size}), "
                      f"got {counts.size}")
    if counts.size and int(counts.min()) < 0:
        raise OpError("repeat_interleave(): repeats can not be negative")
    host_counts = to_numpy(counts)  # the index is built on the host (CuPy's repeat takes no array of counts)
    index = xp.asarray(np.repeat(np.arange(size), host_counts if host_counts.size == size else int(host_counts[0])))
    if output_size is not None and output_size != index.size:
        raise OpError(f"repeat_interleave(): output_size={output_size} but the repeats sum to {index.size}")
    if input.ndim == 0:
        input = input.reshape(1)
    return IndexSelect.apply(input, dim=dim, index=index.astype(np.int64))


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Split into pieces of ⌈n / chunks⌉ along ``dim`` (the last may be smaller; there may be fewer pieces)."""
    if not isinstance(chunks, int | np.integer) or chunks <= 0:
        raise OpError(f"chunk(): chunks must be a positive int, got {chunks!r}")
    dim = normalize_dim(dim, input.ndim, "chunk")
    size = input.shape[dim]
    if size == 0:  # PyTorch gives `chunks` empty pieces
        return tuple(narrow(input, dim, 0, 0) for _ in range(chunks))
    step = max(-(-size // chunks), 1)
    return tuple(narrow(input, dim, start, min(step, size - start)) for start in range(0, max(size, 1), step))


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """The slices along ``dim`` as a tuple, that axis removed from each."""
    dim = normalize_dim(dim, input.ndim, "unbind")
    if input.ndim == 0:
        raise OpError("unbind(): dimension specified as 0 but tensor has no dimensions")
    return tuple(select(input, dim, i) for i in range(input.shape[dim]))


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids: for 1-D tensors of lengths n₁, …, n_k, k tensors of shape (n₁, …, n_k) with
    ``out_i[j₁, …, j_k] = tensors_i[j_i]`` (``indexing="ij"``); ``"xy"`` swaps the first two axes (Cartesian,
    as NumPy). Composed: reshape + expand, so each input's gradient is a sum over the other axes.
    """
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument "
                      "(defaulting to indexing='ij' as before)", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid(indexing={indexing!r}): indexing must be 'ij' or 'xy'")
    if not tensors:
        raise OpError("meshgrid() expects at least one tensor")
    for x in tensors:
        if not isinstance(x, Tensor) or x.ndim > 1:
            raise OpError("meshgrid(): every input must be a 0-d or 1-D tensor")
    flat = [x.reshape(-1) for x in tensors]
    if indexing == "xy" and len(flat) >= 2:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(x.shape[0] for x in flat)
    grids = []
    for i, x in enumerate(flat):
        view = [1] * len(flat)
        view[i] = shape[i]
        grids.append(x.reshape(*view).expand(*shape))
    if indexing == "xy" and len(grids) >= 2:  # built from (b, a, …): out_a varies along axis 1, out_b along 0
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# ------------------------------------------------------------------------------------------ diagonals


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """The diagonal of axes (dim1, dim2), offset above (> 0) or below (< 0) the main one, appended as the last
    axis (``Diagonal``)."""
    d1 = normalize_dim(dim1, input.ndim, "diagonal")
    d2 = normalize_dim(dim2, input.ndim, "diagonal")
    if d1 == d2:
        raise OpError(f"diagonal(): dim1 ({dim1}) and dim2 ({dim2}) cannot be the same axis")
    return Diagonal.apply(input, offset=int(offset), dim1=d1, dim2=d2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Put the last axis of ``input`` on the diagonal of two new axes (dim1, dim2) of size n + |offset|, zeros
    elsewhere: ``diag_embed(x)[…, i, i + offset] = x[…, i]`` (``DiagonalScatter``)."""
    ndim = input.ndim + 1
    d1 = normalize_dim(dim1, ndim, "diag_embed")
    d2 = normalize_dim(dim2, ndim, "diag_embed")
    if d1 == d2:
        raise OpError(f"diag_embed(): dim1 ({dim1}) and dim2 ({dim2}) cannot be the same axis")
    size = (input.shape[-1] if input.ndim else 1) + abs(int(offset))
    shape = list(input.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, size)
    source = input if input.ndim else input.reshape(1)
    return DiagonalScatter.apply(source, shape=tuple(shape), offset=int(offset), dim1=d1, dim2=d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """1-D → the square matrix with ``input`` on its ``diagonal``-th diagonal; 2-D → that diagonal as a vector."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return Diagonal.apply(input, offset=int(diagonal), dim1=0, dim2=1)
    raise OpError(f"diag(): input must be 1-D or 2-D, got shape {tuple(input.shape)} (use diagonal or diag_embed "
                  "for batches)")


# ------------------------------------------------------------------------------------------ windows


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    """``Tensor.unfold``: every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last
    axis. Shape: that axis becomes (n − size) // step + 1 and a last axis of ``size`` is added.

    Composed: index_select with index [0, …, size−1, step, …, step+size−1, …], then reshape and move the window
    axis last; overlapping windows add their gradients.
    """
    if input.ndim == 0:
        if size != 1 and size != 0:
            raise OpError(f"unfold(): maximum size for tensor at dimension 0 is 1 but size is {size}")
        return input.reshape(1).unfold(0, size, step).reshape(size)
    dim = normalize_dim(dimension, input.ndim, "unfold")
    length = input.shape[dim]
    if size < 0 or size > length:
        raise OpError(f"unfold(): maximum size for tensor at dimension {dim} is {length} but size is {size}")
    if step <= 0:
        raise OpError(f"unfold(): step is {step} but must be > 0")
    count = (length - size) // step + 1
    xp = input.xp
    index = (xp.arange(count)[:, None] * step + xp.arange(size)[None, :]).reshape(-1).astype(np.int64)
    picked = index_select(input, dim, Tensor._from_op(index, None))
    windows = picked.reshape(*input.shape[:dim], count, size, *input.shape[dim + 1:])
    return movedim(windows, dim + 1, -1)


def _image(op: str, input: Tensor, channels_axis_shape: str) -> tuple[Tensor, bool]:  # noqa: A002
    if input.ndim == 3:
        return input.unsqueeze(0), True
    if input.ndim != 4:
        raise OpError(f"{op}(): expected a 3-D (unbatched) or 4-D (batched) input {channels_axis_shape}, got shape "
                      f"{tuple(input.shape)}")
    return input, False


def unfold2d(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
             stride: Any = 1) -> Tensor:
    """``F.unfold`` (im2col): (N, C, H, W) → (N, C·kh·kw, L), each column one kh×kw window (``Unfold``)."""
    image, unbatched = _image("unfold", input, "(N, C, H, W)")
    window = _Window("unfold", image.shape[2:], kernel_size, dilation, padding, stride)
    out = Unfold.apply(image, window=window)
    return out.squeeze(0) if unbatched else out


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
         stride: Any = 1) -> Tensor:
    """``F.fold`` (col2im): (N, C·kh·kw, L) → (N, C, H, W) with (H, W) = ``output_size``, summing overlapping
    window entries (``Fold``, the adjoint of unfold)."""
    cols, unbatched = (input.unsqueeze(0), True) if input.ndim == 2 else (input, False)
    if cols.ndim != 3:
        raise OpError(f"fold(): expected a 2-D (unbatched) or 3-D (batched) input (N, C·kh·kw, L), got shape "
                      f"{tuple(input.shape)}")
    spatial = _pair("fold", "output_size", output_size, 1)
    window = _Window("fold", spatial, kernel_size, dilation, padding, stride)
    taps = window.kernel_size[0] * window.kernel_size[1]
    batch, rows, length = cols.shape
    if rows % taps:
        raise OpError(f"fold(): expected size of input's dimension 1 ({rows}) to be divisible by the product of "
                      f"kernel_size {window.kernel_size} = {taps}")
    if length != window.out_size[0] * window.out_size[1]:
        raise OpError(f"fold(): the input has L = {length} columns but output_size {spatial} with this kernel, "
                      f"padding, stride and dilation has {window.out_size[0]} · {window.out_size[1]} = "
                      f"{window.out_size[0] * window.out_size[1]} windows")
    out = Fold.apply(cols, window=window, image_shape=(batch, rows // taps, *spatial))
    return out.squeeze(0) if unbatched else out


# ------------------------------------------------------------------------------------------ padding

_PAD_MODES = {"constant": None, "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """``F.pad`` with PyTorch's flat, last-axis-first ``pad``: (left, right) pads the last axis, (left, right,
    top, bottom) the last two, and so on. Negative amounts crop.

    constant: ``value`` around the tensor (``Pad``).   reflect: mirror without repeating the edge
    ([a b c] → b [a b c] b).   replicate: repeat the edge (a [a b c] c).   circular: wrap around (c [a b c] a).
    The last three are composed: one ``index_select`` per padded axis with the source index of every output
    position (NumPy's ``pad`` of ``arange(n)`` in the same mode), so border elements collect the gradients of
    their copies.
    """
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad(mode={mode!r}): mode must be one of {', '.join(_PAD_MODES)}")
    amounts = tuple(int(n) for n in pad)
    if len(amounts) % 2 or len(amounts) // 2 > input.ndim:
        raise OpError(f"pad={amounts} must hold (before, after) pairs for at most the {input.ndim} axes of "
                      f"{tuple(input.shape)}, last axis first")
    if mode != "constant" and value not in (None, 0, 0.0):
        raise OpError(f"pad(mode={mode!r}): value={value} only applies to mode='constant'")
    widths = {input.ndim - 1 - k: (amounts[2 * k], amounts[2 * k + 1]) for k in range(len(amounts) // 2)}
    out = input
    if mode == "constant":
        crop = tuple(slice(max(-widths.get(a, (0, 0))[0], 0), input.shape[a] - max(-widths.get(a, (0, 0))[1], 0))
                     for a in range(input.ndim))
        for axis, (before, after) in widths.items():
            if input.shape[axis] + before + after < 0:
                raise OpError(f"pad={amounts} crops more than the {input.shape[axis]} elements of axis {axis}")
        if any(before < 0 or after < 0 for before, after in widths.values()):
            out = out[crop]
        grow = [(max(widths.get(a, (0, 0))[0], 0), max(widths.get(a, (0, 0))[1], 0)) for a in range(input.ndim)]
        if any(b or a for b, a in grow):
            out = out.pad(grow, value=0.0 if value is None else value)
        return out
    xp = input.xp
    for axis, (before, after) in sorted(widths.items()):
        if mode == "replicate":  # out[j] = x[clamp(j − before, 0, n − 1)], negative amounts included
            length = input.shape[axis] + before + after
            if input.shape[axis] == 0 or length < 0:
                raise OpError(f"pad(mode='replicate'): padding ({before}, {after}) does not fit axis {axis} of "
                              f"length {input.shape[axis]} (input shape {tuple(input.shape)})")
            index = np.clip(np.arange(length) - before, 0, input.shape[axis] - 1)
            out = IndexSelect.apply(out, dim=axis, index=xp.asarray(index, dtype=np.int64))
            continue
        index = np.arange(input.shape[axis])[max(-before, 0): input.shape[axis] - max(-after, 0)]  # crop first
        size = index.size
        limit = size - 1 if mode == "reflect" else size
        if max(before, after) > limit or size == 0:
            raise OpError(f"pad(mode={mode!r}): padding ({before}, {after}) of axis {axis} must be at most "
                          f"{limit} for an axis of length {size} (input shape {tuple(input.shape)})")
        index = np.pad(index, (max(before, 0), max(after, 0)), mode=_PAD_MODES[mode])
        out = IndexSelect.apply(out, dim=axis, index=xp.asarray(index, dtype=np.int64))
    return out


__all__ = [
    "Clone", "Diagonal", "DiagonalScatter", "Flip", "Fold", "Roll", "Unfold", "chunk", "clone", "contiguous",
    "diag", "diag_embed", "diagonal", "expand_as", "flip", "fliplr", "flipud", "fold", "meshgrid", "moveaxis",
    "movedim", "narrow", "pad", "repeat", "repeat_interleave", "reshape_as", "roll", "select", "squeeze",
    "swapaxes", "swapdims", "t", "tile", "type_as", "unbind", "unflatten", "unfold", "unfold2d", "view_as",
]

"""Gathering and scattering: reading elements at given indices, and writing (or adding) them back.

The two halves are each other's adjoint, and that is the whole calculus of this file:

    gather:       out[i][j][k] = x[i][index[i][j][k]][k]                       (dim = 1)
    scatter-add:  out[i][index[i][j][k]][k] += src[i][j][k]     (out starts at zeros)

Reading x at an index sends the gradient back to the place it was read from, adding where one element was read
several times, so ∂L/∂x of ``gather`` is a scatter-add of ∂L/∂out; and each src element of a scatter-add lands
on one output, so ∂L/∂src is a gather of ∂L/∂out. ``Gather`` and ``ScatterAdd`` call each other in their
backward, which also makes them differentiable twice (``create_graph=True``). ``IndexSelect`` and ``IndexAdd``
are the same pair with one index vector for a whole axis.

Index tensors are constants (integers have no gradient): they travel as options, never as inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function, OpError
from ..backend import get_array_module, is_gpu
from ..tensor import Tensor, where
from .backward_math import is_tensor
from .broadcast import normalize_dim

# ------------------------------------------------------------------------------------------ array helpers


def index_array(index: Any, op: str, like: Tensor) -> Any:
    """``index`` (a Tensor, array, list or int) as an integer backend array on ``like``'s device."""
    data = index.data if isinstance(index, Tensor) else index
    if not hasattr(data, "dtype"):
        data = np.asarray(data)
        if data.size == 0:
            data = data.astype(np.int64)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}(): the index must be an integer tensor (int64), got dtype {data.dtype}: "
                        "convert it with .long()")
    xp = like.xp
    return xp.asarray(data)


def along(index: Any, dim: int) -> tuple:
    """The advanced-index tuple that picks ``x[i₀, …, index[i₀, …], …]``: ``index`` on axis ``dim``, each
    element's own position on every other axis (open grids that broadcast against ``index``)."""
    xp = get_array_module(index)
    grids = []
    for axis, n in enumerate(index.shape):
        shape = [1] * index.ndim
        shape[axis] = n
        grids.append(index if axis == dim else xp.arange(n).reshape(shape))
    return tuple(grids)


def _ufunc_at(name: str, target: Any, index: tuple, values: Any) -> None:
    """Unbuffered ``target[index] ⊕= values`` (repeated indices all count): NumPy's ``ufunc.at``; CuPy's
    ``cupyx.scatter_add/max/min``."""
    if not is_gpu(target):
        getattr(np, name).at(target, index, values)
        return
    import cupyx  # type: ignore[import-not-found]

    cupy_name = {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}.get(name)
    if cupy_name is not None:
        getattr(cupyx, cupy_name)(target, index, values)
        return
    import cupy  # type: ignore[import-not-found]  # no scatter-multiply on CuPy: round trip to the host

    host = cupy.asnumpy(target)
    np.multiply.at(host, tuple(cupy.asnumpy(i) for i in index), cupy.asnumpy(values))
    target[...] = cupy.asarray(host)


def _lead(src: Any, shape: tuple[int, ...]) -> Any:
    """The leading ``shape`` block of src (PyTorch's scatter reads only src[:index.shape])."""
    if src.shape == shape:
        return src
    return src[tuple(slice(0, n) for n in shape)]


def gather_array(x: Any, dim: int, index: Any) -> Any:
    if x.ndim == 0:
        return x.reshape(1)[index.reshape(1)].reshape(index.shape)
    return x[along(index, dim)]


def scatter_add_array(shape: tuple[int, ...], dim: int, index: Any, src: Any) -> Any:
    xp = get_array_module(src)
    out = xp.zeros(shape, dtype=src.dtype)
    if not shape:
        _ufunc_at("add", out.reshape(1), (index.reshape(1),), src.reshape(1))
        return out
    _ufunc_at("add", out, along(index, dim), _lead(src, index.shape))
    return out


def _check_index(op: str, x_shape: tuple[int, ...], dim: int, index: Any, src_shape: tuple[int, ...] | None = None,
                 ) -> None:
    """PyTorch's rules: index has as many axes as the input; on every other axis it is no longer than the input
    (and, for a scatter, than src); its values lie in [0, size along dim)."""
    ndim = max(len(x_shape), 1)
    index_ndim = max(index.ndim, 1)
    if index_ndim != ndim and index.size:
        raise OpError(f"{op}(): index of shape {tuple(index.shape)} must have as many axes as the input of shape "
                      f"{tuple(x_shape)} ({len(x_shape)}): unsqueeze or reshape the index")
    if index.size == 0:
        return
    full_x = x_shape or (1,)
    full_index = index.shape or (1,)
    for axis, (n_index, n_x) in enumerate(zip(full_index, full_x, strict=True)):
        if axis != dim and n_index > n_x:
            raise OpError(f"{op}(): index of shape {tuple(index.shape)} is longer than the input of shape "
                          f"{tuple(x_shape)} on axis {axis}: index.size(d) <= input.size(d) for every d != dim")
    if src_shape is not None:
        full_src = src_shape or (1,)
        if len(full_src) != ndim or any(a > b for a, b in zip(full_index, full_src, strict=True)):
            raise OpError(f"{op}(): index of shape {tuple(index.shape)} must be no larger than src of shape "
                          f"{tuple(src_shape)} on every axis")
    low, high = int(index.min()), int(index.max())
    size = full_x[dim]
    if low < 0 or high >= size:
        bad = low if low < 0 else high
        raise IndexError(f"{op}(): index {bad} is out of bounds for dimension {dim} with size {size}")


# ------------------------------------------------------------------------------------------ the pair


def _gather(grad: Any, dim: int, index: Any) -> Any:
    return Gather.apply(grad, dim=dim, index=index) if is_tensor(grad) else gather_array(grad, dim, index)


def _scatter_add(src: Any, shape: tuple[int, ...], dim: int, index: Any) -> Any:
    if is_tensor(src):
        return ScatterAdd.apply(src, shape=shape, dim=dim, index=index)
    return scatter_add_array(shape, dim, index, src)


class Gather(Function):
    """Gather  out[i][j][k] = x[i][index[i][j][k]][k]  (dim = 1; the index sits on axis ``dim``).

    Shapes: out has index's shape; index has x's number of axes, no longer than x on the other axes.
    Backward:  ∂L/∂x = scatter_add(zeros like x, dim, index, ∂L/∂out)  — an element read k times gets the sum
    of the k gradients.
    """

    differentiable_backward = True

    def forward(self, x: Any, dim: int, index: Any) -> Any:
        self.dim, self.index, self.input_shape = dim, index, x.shape
        return gather_array(x, dim, index)

    def backward(self, grad: Any) -> Any:
        return _scatter_add(grad, self.input_shape, self.dim, self.index)


class ScatterAdd(Function):
    """Scatter-add into zeros  out = 0 (of ``shape``);  out[i][index[i][j][k]][k] += src[i][j][k]  (dim = 1).

    Only src[:index.shape] is read. ``scatter_add(input, …)`` is ``input + ScatterAdd(src)``.
    Backward:  ∂L/∂src = gather(∂L/∂out, dim, index) on the read block, zero elsewhere.
    """

    differentiable_backward = True

    def forward(self, src: Any, shape: tuple[int, ...], dim: int, index: Any) -> Any:
        self.dim, self.index, self.src_shape = dim, index, src.shape
        return scatter_add_array(shape, dim, index, src)

    def backward(self, grad: Any) -> Any:
        picked = _gather(grad, self.dim, self.index)
        if picked.shape == self.src_shape:
            return picked
        return _pad_to(picked, self.src_shape)


def _pad_to(x: Any, shape: tuple[int, ...]) -> Any:
    """x placed at the start of zeros of ``shape`` (the gradient of reading only src[:index.shape])."""
    widths = [(0, n - m) for m, n in zip(x.shape, shape, strict=True)]
    if is_tensor(x):
        return x.pad(widths)
    return get_array_module(x).pad(x, widths)


class Scatter(Function):
    """Scatter (overwrite)  out = x;  out[i][index[i][j][k]][k] = src[i][j][k]  (dim = 1).

    Backward:  ∂L/∂x = ∂L/∂out with zeros where x was overwritten;  ∂L/∂src = gather(∂L/∂out, dim, index).
    (With a repeated index one src element wins, which one is unspecified, as in PyTorch.)
    """

    differentiable_backward = True

    def forward(self, x: Any, src: Any, dim: int, index: Any) -> Any:
        xp = get_array_module(x)
        self.dim, self.index, self.src_shape = dim, index, src.shape
        out = x.copy()
        self.kept = xp.ones(x.shape, dtype=x.dtype if x.dtype.kind == "f" else np.float32)
        if x.ndim == 0:
            if index.size:
                out[...] = src.reshape(-1)[0]
                self.kept[...] = 0
            return out
        position = along(index, dim)
        out[position] = _lead(src, index.shape).astype(x.dtype, copy=False)
        self.kept[position] = 0
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        grad_x = grad * self.kept if self.needs_input_grad[0] else None
        grad_src = None
        if self.needs_input_grad[1]:
            grad_src = _gather(grad, self.dim, self.index)
            if grad_src.shape != self.src_shape:
                grad_src = _pad_to(grad_src, self.src_shape)
        return grad_x, grad_src


class ScatterExtreme(Function):
    """Scatter-max / scatter-min  out[p] = max (or min) of {x[p] if include_self} ∪ {src[j] : index sends j to p}.

    Backward: the gradient of each output is shared evenly among the k values that attain it (PyTorch's rule
    for ``amax``/``amin``):  ∂L/∂x[p] = ∂L/∂out[p]/k if x[p] won,  ∂L/∂src[j] = ∂L/∂out[p]/k if src[j] won.
    The shares are constants (the op is piecewise linear), so the backward is differentiable again.
    """

    differentiable_backward = True

    def forward(self, x: Any, src: Any, dim: int, index: Any, reduce: str, include_self: bool) -> Any:
        xp = get_array_module(x)
        ufunc = "maximum" if reduce == "amax" else "minimum"
        position = along(index, dim)
        values = _lead(src, index.shape)
        touched = scatter_add_array(x.shape, dim, index, xp.ones(index.shape, dtype=np.int64)) > 0
        if x.dtype.kind == "f":
            start = -np.inf if reduce == "amax" else np.inf
        else:
            info = np.iinfo(x.dtype) if x.dtype.kind in "iu" else None
            start = (info.min if reduce == "amax" else info.max) if info else (reduce == "amin")
        out = x.copy() if include_self else xp.where(touched, xp.asarray(start, dtype=x.dtype), x)
        _ufunc_at(ufunc, out, position, values)
        self.dim, self.index, self.src_shape = dim, index, src.shape
        if x.dtype.kind == "f":
            x_wins = (x == out) if include_self else ~touched  # untouched places keep x, which wins alone
            src_wins = values == out[position]
            ties = x_wins.astype(x.dtype) + scatter_add_array(x.shape, dim, index, src_wins.astype(x.dtype))
            self.x_share = x_wins / ties
            self.src_win = src_wins.astype(x.dtype)
            self.ties = ties
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        grad_x = grad * self.x_share if self.needs_input_grad[0] else None
        grad_src = None
        if self.needs_input_grad[1]:
            grad_src = _gather(grad / self.ties, self.dim, self.index) * self.src_win
            if grad_src.shape != self.src_shape:
                grad_src = _pad_to(grad_src, self.src_shape)
        return grad_x, grad_src


class ScatterProd(Function):
    """Scatter-multiply  out[p] = (x[p] if include_self else 1) · Π {src[j] : index sends j to p}.

    Backward: ∂out[p]/∂v = the product of the *other* factors of p, computed without dividing by zero: with
    z zeros among p's factors and P the product of its non-zero factors, it is out[p]/v if z = 0, P for the one
    zero factor if z = 1 (0 for the others), and 0 if z ≥ 2. Written on arrays (no second derivative).
    """

    def forward(self, x: Any, src: Any, dim: int, index: Any, include_self: bool) -> Any:
        xp = get_array_module(x)
        position = along(index, dim)
        values = _lead(src, index.shape)
        touched = scatter_add_array(x.shape, dim, index, xp.ones(index.shape, dtype=np.int64)) > 0
        out = x.copy() if include_self else xp.where(touched, xp.ones((), dtype=x.dtype), x)
        _ufunc_at("multiply", out, position, values)
        self.dim, self.index, self.src_shape, self.include_self = dim, index, src.shape, include_self
        self.touched = touched
        self.save_for_backward(x, src, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, src, out = self.saved
        xp = get_array_module(x)
        position = along(self.index, self.dim)
        values = _lead(src, self.index.shape)
        own = x if self.include_self else xp.ones_like(x)  # x's part of each product
        zeros = (own == 0).astype(np.int64) + scatter_add_array(x.shape, self.dim, self.index,
                                                                 (values == 0).astype(np.int64))
        nonzero_product = xp.where(own == 0, 1, own).astype(x.dtype)
        _ufunc_at("multiply", nonzero_product, position, xp.where(values == 0, 1, values))

        def others(v: Any, z: Any, p: Any, o: Any) -> Any:
            safe = xp.where(v == 0, 1, v)
            return xp.where(z == 0, o / safe, xp.where((z == 1) & (v == 0), p, 0))

        grad_x = grad_src = None
        if self.needs_input_grad[0]:
            grad_x = grad * others(x, zeros, nonzero_product, out) if self.include_self else grad * ~self.touched
        if self.needs_input_grad[1]:
            picked = gather_array(grad, self.dim, self.index) * others(
                values, zeros[position], nonzero_product[position], out[position])
            grad_src = picked if picked.shape == self.src_shape else _pad_to(picked, self.src_shape)
        return grad_x, grad_src


class IndexSelect(Function):
    """Index select  out = x[…, index, …]  (the vector ``index`` picks slices along axis ``dim``).

    Shapes: out is x's shape with axis ``dim`` of length len(index).
    Backward:  ∂L/∂x = index_add(zeros like x, dim, index, ∂L/∂out)  (a slice picked twice gets both).
    """

    differentiable_backward = True

    def forward(self, x: Any, dim: int, index: Any) -> Any:
        self.dim, self.index, self.input_shape = dim, index, x.shape
        if x.ndim == 0:
            return x.reshape(1)[index].reshape(index.shape)
        return get_array_module(x).take(x, index, axis=dim)

    def backward(self, grad: Any) -> Any:
        if is_tensor(grad):
            return IndexAdd.apply(grad, shape=self.input_shape, dim=self.dim, index=self.index)
        return index_add_array(self.input_shape, self.dim, self.index, grad)


def index_add_array(shape: tuple[int, ...], dim: int, index: Any, source: Any) -> Any:
    xp = get_array_module(source)
    out = xp.zeros(shape, dtype=source.dtype)
    if not shape:
        _ufunc_at("add", out.reshape(1), (index.reshape(-1),), source.reshape(-1))
        return out
    _ufunc_at("add", out, (slice(None),) * dim + (index,), source)
    return out


class IndexAdd(Function):
    """Index add into zeros  out = 0 (of ``shape``);  out[…, index[j], …] += source[…, j, …]  on axis ``dim``.

    ``index_add(input, …, alpha)`` is ``input + alpha · IndexAdd(source)``.
    Backward:  ∂L/∂source = index_select(∂L/∂out, dim, index).
    """

    differentiable_backward = True

    def forward(self, source: Any, shape: tuple[int, ...], dim: int, index: Any) -> Any:
        self.dim, self.index = dim, index
        return index_add_array(shape, dim, index, source)

    def backward(self, grad: Any) -> Any:
        if is_tensor(grad):
            return IndexSelect.apply(grad, dim=self.dim, index=self.index)
        if grad.ndim == 0:
            return grad.reshape(1)[self.index].reshape(self.index.shape)
        return get_array_module(grad).take(grad, self.index, axis=self.dim)


# ------------------------------------------------------------------------------------------ public functions


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` for dim = 1 (see ``Gather``); out has index's shape."""
    dim = normalize_dim(dim, input.ndim, "gather")
    index = index_array(index, "gather", input)
    _check_index("gather", input.shape, dim, index)
    return Gather.apply(input, dim=dim, index=index)


def _src_or_value(op: str, src: Any, value: Any, input: Tensor, index: Any) -> Tensor:  # noqa: A002
    if src is not None and value is not None:
        raise TypeError(f"{op}(): give src (a tensor) or value (a number), not both")
    if src is None and value is None:
        raise TypeError(f"{op}() missing the values to write: pass src=<tensor> or value=<number>")
    if src is None or not isinstance(src, Tensor):
        scalar = value if src is None else src
        if hasattr(scalar, "shape") and getattr(scalar, "ndim", 0) != 0:
            raise TypeError(f"{op}(): src must be a Tensor, got {type(scalar).__name__}")
        return Tensor._from_op(input.xp.full(index.shape, scalar, dtype=input.dtype), None)
    return src


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,  # noqa: A002
            reduce: str | None = None) -> Tensor:
    """Out-of-place ``scatter``: ``out = input`` with ``out[i][index[i][j][k]][k] = src[i][j][k]`` (dim = 1).

    ``src`` may be a tensor or a number (then every indexed element gets it; also ``value=``). The legacy
    ``reduce="add"`` / ``"multiply"`` combines instead of overwriting (as ``scatter_reduce`` with
    ``"sum"`` / ``"prod"``).
    """
    dim = normalize_dim(dim, input.ndim, "scatter")
    index = index_array(index, "scatter", input)
    source = _src_or_value("scatter", src, value, input, index)
    _check_index("scatter", input.shape, dim, index, source.shape)
    if reduce is not None:
        modes = {"add": "sum", "multiply": "prod"}
        if reduce not in modes:
            raise ValueError(f"scatter(reduce={reduce!r}): reduce must be 'add' or 'multiply' "
                             "(scatter_reduce has sum, prod, mean, amax, amin)")
        return _scatter_reduce(input, dim, index, source, modes[reduce], True)
    return Scatter.apply(input, source, dim=dim, index=index)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    """``out = input`` with ``out[i][index[i][j][k]][k] += src[i][j][k]`` (dim = 1): ``input + ScatterAdd(src)``,
    composed, so ∂L/∂input = ∂L/∂out and ∂L/∂src = gather(∂L/∂out)."""
    dim = normalize_dim(dim, input.ndim, "scatter_add")
    index = index_array(index, "scatter_add", input)
    src = _src_or_value("scatter_add", src, None, input, index)
    _check_index("scatter_add", input.shape, dim, index, src.shape)
    return input + ScatterAdd.apply(src, shape=input.shape, dim=dim, index=index).astype(input.dtype)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,  # noqa: A002
                   include_self: bool = True) -> Tensor:
    """``out = input`` with each ``out[p]`` combined with every ``src`` element the index sends to p, by
    ``reduce`` ∈ {"sum", "prod", "mean", "amax", "amin"}; ``include_self=False`` leaves input's own value out
    wherever at least one src element arrives.

    sum:  composed, input·keep + ScatterAdd(src).   mean: that sum divided by the count of terms at p (integer
    inputs: floor division).   amax/amin: ``ScatterExtreme`` (ties share the gradient evenly).
    prod: ``ScatterProd`` (product of the other factors, zeros handled).
    """
    if reduce not in _REDUCTIONS:
        raise ValueError(f"scatter_reduce(reduce={reduce!r}): reduce must be one of {', '.join(_REDUCTIONS)}")
    dim = normalize_dim(dim, input.ndim, "scatter_reduce")
    index = index_array(index, "scatter_reduce", input)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): src must be a Tensor, got {type(src).__name__}")
    _check_index("scatter_reduce", input.shape, dim, index, src.shape)
    return _scatter_reduce(input, dim, index, src, reduce, include_self)


def _scatter_reduce(input: Tensor, dim: int, index: Any, src: Tensor, reduce: str,  # noqa: A002
                    include_self: bool) -> Tensor:
    xp = input.xp
    if src.dtype != input.dtype:
        src = src.astype(input.dtype)
    if reduce in ("amax", "amin"):
        return ScatterExtreme.apply(input, src, dim=dim, index=index, reduce=reduce, include_self=include_self)
    if reduce == "prod":
        return ScatterProd.apply(input, src, dim=dim, index=index, include_self=include_self)
    counts = scatter_add_array(input.shape, dim, index, xp.ones(index.shape, dtype=np.int64))
    base = input if include_self else input * (counts == 0)
    total = base + ScatterAdd.apply(src, shape=input.shape, dim=dim, index=index)
    if reduce == "sum":
        return total
    terms = counts + (1 if include_self else 0)
    if input.dtype.kind == "f":
        return total / xp.maximum(terms, 1).astype(input.dtype)
    return Tensor._from_op(total.data // xp.maximum(terms, 1).astype(input.dtype), None)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """``out = input[…, index, …]`` along axis ``dim`` (``index`` a vector of ints; see ``IndexSelect``)."""
    dim = normalize_dim(dim, input.ndim, "index_select")
    index = _index_vector("index_select", input, dim, index)
    return IndexSelect.apply(input, dim=dim, index=index)


def _index_vector(op: str, input: Tensor, dim: int, index: Any, negative_ok: bool = False) -> Any:  # noqa: A002
    """A 0-d or 1-D index as a vector of positions in [0, size); negatives count from the end only where
    PyTorch allows them (``index_fill``), elsewhere they are out of range as in PyTorch."""
    index = index_array(index, op, input)
    if index.ndim > 1:
        raise OpError(f"{op}(): index must be a vector (0-d or 1-D), got shape {tuple(index.shape)}")
    index = index.reshape(-1)
    size = input.shape[dim] if input.ndim else 1
    low = -size if negative_ok else 0
    if index.size and (int(index.min()) < low or int(index.max()) >= size):
        bad = int(index.min()) if int(index.min()) < low else int(index.max())
        raise IndexError(f"{op}(): index {bad} is out of range for dimension {dim} with size {size} (valid: "
                         f"{low} to {size - 1})")
    return index % max(size, 1)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``out = input`` with ``out[…, index[j], …] += alpha · source[…, j, …]`` along ``dim``; composed as
    ``input + alpha · IndexAdd(source)`` (∂L/∂source = alpha · index_select(∂L/∂out))."""
    dim = normalize_dim(dim, input.ndim, "index_add")
    index = _index_vector("index_add", input, dim, index)
    expected = list(input.shape)
    if expected:
        expected[dim] = index.size
    if tuple(source.shape) != tuple(expected) and not (source.ndim == 0 and index.size == 1):
        raise OpError(f"index_add(): source of shape {tuple(source.shape)} must have the input's shape "
                      f"{tuple(input.shape)} with axis {dim} of length len(index) = {index.size}, i.e. "
                      f"{tuple(expected)}")
    added = IndexAdd.apply(source.reshape(*expected) if source.ndim != len(expected) else source,
                           shape=input.shape, dim=dim, index=index)
    return input + (added if alpha == 1 else added * alpha)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    """``out = input`` with every slice ``index[j]`` along ``dim`` set to ``value`` (a number or a 0-d tensor):
    composed as ``where(mask, value, input)``, so the filled places pass no gradient to input and a tensor
    value collects the sum of theirs."""
    dim = normalize_dim(dim, input.ndim, "index_fill")
    index = _index_vector("index_fill", input, dim, index, negative_ok=True)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise OpError(f"index_fill(): value must be a number or a 0-d tensor, got shape {tuple(value.shape)}")
    xp = input.xp
    mask = xp.zeros(input.shape, dtype=bool)
    mask[(slice(None),) * dim + (index,) if input.ndim else ...] = True
    if not isinstance(value, Tensor):
        value = Tensor._from_op(xp.asarray(value, dtype=input.dtype), None)
    return where(mask, value.astype(input.dtype), input)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """``input`` and ``indices`` broadcast against each other on every axis but ``dim``, then ``gather``;
    with ``dim=None`` both are flattened first (NumPy's ``take_along_axis``)."""
    index = index_array(indices, "take_along_dim", input)
    if dim is None:
        flat = input.reshape(-1)
        index = index.reshape(-1)
        return gather(flat, 0, index % max(flat.shape[0], 1))
    if index.ndim != input.ndim:
        raise OpError(f"take_along_dim(): input of shape {tuple(input.shape)} and indices of shape "
                      f"{tuple(index.shape)} must have the same number of axes")
    dim = normalize_dim(dim, input.ndim, "take_along_dim")
    if input.ndim == 0:
        return gather(input, 0, index)
    others = [1 if i == dim else n for i, n in enumerate(input.shape)]
    index_others = [1 if i == dim else n for i, n in enumerate(index.shape)]
    try:
        shape = list(np.broadcast_shapes(tuple(others), tuple(index_others)))
    except ValueError:
        raise OpError(f"take_along_dim(): input of shape {tuple(input.shape)} and indices of shape "
                      f"{tuple(index.shape)} must broadcast on every axis but dim={dim}") from None
    input_shape, index_shape = list(shape), list(shape)
    input_shape[dim], index_shape[dim] = input.shape[dim], index.shape[dim]
    xp = input.xp
    index = xp.broadcast_to(index, tuple(index_shape))
    size = input.shape[dim]
    if index.size and (int(index.min()) < -size or int(index.max()) >= size):
        raise IndexError(f"take_along_dim(): an index is out of range for dimension {dim} with size {size}")
    return gather(input.broadcast_to(tuple(input_shape)), dim, index % max(size, 1))


def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002
    """``out = input.flatten()[index]``, with index's shape (negative indices count from the end)."""
    index = index_array(index, "take", input)
    flat = input.reshape(-1)
    size = flat.shape[0]
    if index.size and (int(index.min()) < -size or int(index.max()) >= size):
        bad = int(index.min()) if int(index.min()) < -size else int(index.max())
        raise IndexError(f"take(): index {bad} is out of range for a tensor with {size} elements")
    return gather(flat, 0, (index % max(size, 1)).reshape(-1)).reshape(*index.shape)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:  # noqa: A002
    """The indices of the non-zero elements: an int64 tensor of shape (count, ndim), one row per element in
    row-major order; ``as_tuple=True`` gives one 1-D tensor per axis instead (NumPy's ``nonzero``)."""
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    xp = get_array_module(data)
    if data.ndim == 0:
        found = xp.nonzero(data.reshape(1))
        if as_tuple:
            return (Tensor._from_op(found[0].astype(np.int64), None),)
        return Tensor._from_op(xp.zeros((int(found[0].size), 0), dtype=np.int64), None)
    found = xp.nonzero(data)
    if as_tuple:
        return tuple(Tensor._from_op(i.astype(np.int64), None) for i in found)
    return Tensor._from_op(xp.stack(found, axis=1).astype(np.int64), None)


def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    """Same as ``nonzero(input)``: an int64 (count, ndim) tensor of the non-zero positions."""
    return nonzero(input)  # type: ignore[return-value]


__all__: Sequence[str] = [
    "Gather", "IndexAdd", "IndexSelect", "Scatter", "ScatterAdd", "ScatterExtreme", "ScatterProd", "argwhere",
    "gather", "index_add", "index_fill", "index_select", "nonzero", "scatter", "scatter_add", "scatter_reduce",
    "take", "take_along_dim",
]

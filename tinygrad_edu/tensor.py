"""The Tensor API: the array type users hold, its attributes, conversions and PyTorch-named methods.

A ``Tensor`` wraps a backend array (``.data``, NumPy or CuPy) and, when it was computed by an operation that
records a graph, the ``Function`` that made it (``._ctx``). The engine behind it (``Function``, the backward
pass, gradient accumulation, tensor hooks) is autograd.py; the operations are ``tinygrad_edu/ops/``, one
``Function`` each. Most methods here are one line: ``x.exp()`` is ``ops.Exp.apply(x)``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import autograd, backend, ops

# Function, OpError and GradientShapeError live in autograd.py; they are re-exported here because code written
# before the split (and other engineers' new code) imports them as `from tinygrad_edu.tensor import Function`.
from .autograd import Function, GradientShapeError, OpError  # noqa: F401

Number = int | float | bool
AxisLike = int | Sequence[int] | None


def _is_float_dtype(dtype: Any) -> bool:
    return np.issubdtype(dtype, np.floating)


def _to_array(data: Any, dtype: Any = None) -> Any:
    """Turn user data into a backend array with PyTorch's dtype rules.

    Python floats (and lists holding any float) become float32; Python ints stay integers (int64); bools stay
    bool; NumPy and CuPy arrays keep their dtype unless ``dtype`` is given. Numbers, lists and NumPy arrays go to
    the current backend (after ``backend.use("cupy")``: copied to the GPU, as ``torch.tensor`` copies to the
    default device); a CuPy array stays on the GPU.
    """
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.get_array_module(data)
    if xp is np and backend.current() != "numpy" and isinstance(data, np.ndarray | np.generic):
        data = backend.to_device(np.asarray(data), "cuda")
        xp = backend.get_array_module(data)
    is_array = isinstance(data, np.ndarray | np.generic) or xp is not np
    if not is_array:
        xp = backend.array_module()
        kind = type(data).__name__
        try:
            data = np.asarray(data)
        except ValueError:
            raise ValueError(_ragged_message(data)) from None
        if dtype is None and data.dtype == np.float64:
            dtype = backend.get_default_dtype()  # Python floats: float32 (the default dtype), as torch.tensor
        if data.dtype == object or data.dtype.kind in "USV":
            raise TypeError(
                f"Tensor(...) got data of type {kind} that is not numeric: "
                "pass numbers, (nested) lists of numbers, or a NumPy/CuPy array"
            )
        if xp is not np:
            return xp.asarray(data, dtype=dtype)
    elif data.dtype.hasobject or data.dtype.kind in "USVM":
        raise TypeError(f"Tensor(...) got an array of dtype {data.dtype}, which is not numeric: convert it first, "
                        "e.g. np.asarray(values, dtype=np.float32) (None and strings have no number to hold)")
    if dtype is not None:
        return data.astype(dtype, copy=False) if hasattr(data, "astype") else xp.asarray(data, dtype=dtype)
    return xp.asarray(data)


def _ragged_message(data: Any) -> str:
    """PyTorch's words for a nested list whose rows differ in length: where, and what was expected."""
    def walk(item: Any, dim: int) -> str | None:
        if not isinstance(item, list | tuple) or not item:
            return None
        lengths = [len(x) if isinstance(x, list | tuple) else None for x in item]
        first = lengths[0]
        for x, length in zip(item, lengths, strict=True):
            if length != first:
                got = "a number" if length is None else length
                expected = "a number" if first is None else f"sequence of length {first}"
                return f"expected {expected} at dim {dim + 1} (got {got})"
            problem = walk(x, dim + 1)
            if problem:
                return problem
        return None

    where = walk(data, 0) or "the nested lists do not form a rectangular array"
    return f"Tensor(...): {where}: every row of a nested list must have the same length"


class Tensor:
    """A multi-dimensional array that can record the operations applied to it and differentiate them.

    ``Tensor(data, requires_grad=False, dtype=None)``: ``data`` is a number, a (nested) list or a NumPy/CuPy
    array. Python floats become float32 and arrays keep their dtype (as ``torch.tensor``); ``dtype="float64"``
    asks for double precision. Only floating-point tensors can require gradients.
    """

    __slots__ = ("data", "_grad", "requires_grad", "_ctx", "_retains_grad", "_grad_hooks", "_version",
                 "_before_inplace", "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        self.data = _to_array(data, dtype)
        self._grad: Tensor | None = None
        self._version = 0  # in-place changes so far (autograd.py checks the ones an op saved)
        self._before_inplace: Tensor | None = None  # what this tensor was before a recorded in-place op (inplace.py)
        self._ctx: Function | None = None
        self._retains_grad = False
        self._grad_hooks: dict | None = None  # Tensor.register_hook's hooks (None until one is registered)
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data: Any, ctx: Function | None) -> Tensor:
        """Build the output of an op without re-checking the data (the fast path used by Function.apply)."""
        out = cls.__new__(cls)
        out.data = data
        out._grad = None
        out._version = 0
        out._before_inplace = None
        out._ctx = ctx
        out._retains_grad = False
        out._grad_hooks = None
        out.requires_grad = ctx is not None
        return out

    @staticmethod
    def _wrap_inputs(op_name: str, inputs: Sequence[Any]) -> list[Tensor]:
        """The inputs of an op as Tensors (Function.apply): numbers and arrays become constants of a matching
        dtype, and all must be on one device."""
        reference = None
        for x in inputs:
            if isinstance(x, Tensor):
                reference = x
                break
        tensors = []
        for x in inputs:
            if isinstance(x, Tensor):
                tensors.append(x)
            elif isinstance(x, int | float | bool) and reference is not None:
                # a Python number takes the tensor's dtype (NumPy's "weak scalar" rule, as in PyTorch)
                kind = reference.dtype.kind
                weak = kind == "f" or isinstance(x, bool) or (isinstance(x, int) and kind in "iu")
                dtype = reference.dtype if weak else None
                tensors.append(Tensor._from_op(reference.xp.asarray(x, dtype=dtype), None))
            else:
                try:
                    tensors.append(Tensor(x))
                except TypeError as error:
                    raise TypeError(f"{op_name}: {error}") from None
        first_type = type(tensors[0].data) if tensors else None
        for t in tensors[1:]:
            if type(t.data) is first_type:  # same array class, same device: the common case costs one comparison
                continue
            if t.device != tensors[0].device:
                devices = ", ".join(f"{tuple(u.shape)} on {u.device}" for u in tensors)
                raise TypeError(f"{op_name} got tensors on different devices ({devices}): move them to one device "
                                f"first, e.g. x.to('{tensors[0].device}') or x.to('{t.device}')")
        return tensors

    @staticmethod
    def _promote(cls: type[Function], inputs: Sequence[Any], tensors: list[Tensor]) -> list[Tensor]:
        """The inputs of an op that mixes dtypes, converted to PyTorch's result dtype (ops/promotion.py)."""
        flags = [isinstance(x, int | float | bool) for x in inputs]
        target = ops.promotion.result_dtype([t.data for t in tensors], flags)
        if cls.promotes == "float":
            target = ops.promotion.true_division_dtype(target)
        converted = []
        for t in tensors:
            if t.dtype == target:
                converted.append(t)
            elif t.requires_grad:
                converted.append(ops.Cast.apply(t, dtype=target))
            else:
                converted.append(Tensor._from_op(t.data.astype(target), None))
        return converted

    # ------------------------------------------------------------------------------------------ attributes

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements (NumPy's ``.size``)."""
        return self.data.size

    def numel(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an operation that records a graph."""
        return self._ctx is None

    @property
    def grad(self) -> Tensor | None:
        """∂L/∂self after ``backward``: a Tensor of this tensor's shape (no history unless the backward pass was
        recorded with ``create_graph=True``), None before the first backward or after ``zero_grad``."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value).__name__}: wrap an "
                                "array first, e.g. p.grad = tg.tensor(array)")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: the tensor has shape {self.shape},"
                                   f" the gradient {value.shape}")
            if value.dtype != self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: the tensor is {self.dtype}, the "
                                   f"gradient {value.dtype} (convert it with .to('{self.dtype}'))")
            if value.device != self.device:
                raise RuntimeError(f"assigned grad is on {value.device} but the tensor is on {self.device}")
        self._grad = value

    @property
    def grad_fn(self) -> Function | None:
        """The Function that produced this tensor (None for leaves)."""
        return self._ctx

    @property
    def device(self) -> str:
        """``"cpu"`` (NumPy) or ``"cuda"`` (CuPy)."""
        return backend.device_of(self.data)

    @property
    def xp(self) -> Any:
        """The array module of this tensor's data: ``numpy`` or ``cupy``."""
        return backend.get_array_module(self.data)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor: use .item() for its value")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous: use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if not np.issubdtype(self.dtype, np.integer) or self.data.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.item())

    __hash__ = object.__hash__  # == is elementwise, so hashing stays by identity (as in PyTorch)

    # ------------------------------------------------------------------------------------- conversions

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy functions on Tensors. ``ndarray ⊕ Tensor`` (+, −, ·, /, **, @, comparisons) is the Tensor op, as
        ``Tensor ⊕ ndarray`` is; any other ufunc (``np.isfinite(x.grad)``, ``np.abs(t)``) works on the values and
        returns an ndarray — refused for a tensor that requires grad, whose gradient it would silently drop."""
        if method == "__call__" and not kwargs and len(inputs) == 2 and ufunc in _UFUNC_AS_OP:
            return _UFUNC_AS_OP[ufunc](*inputs)
        for x in (*inputs, *kwargs.get("out", ())):
            if isinstance(x, Tensor) and x.requires_grad:
                raise TypeError(f"np.{ufunc.__name__} on a tensor that requires grad would drop its gradient: use the "
                                f"tensor's own op (tg.{ufunc.__name__}(x) or x.{ufunc.__name__}()), or "
                                "x.detach().numpy() for the values")
        arrays = [x.numpy() if isinstance(x, Tensor) else x for x in inputs]
        return getattr(ufunc, method)(*arrays, **kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """``np.asarray(t)``: the values as a NumPy array (as PyTorch's ``Tensor.__array__``)."""
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (copied from the GPU when needed). Does not track gradients."""
        return backend.to_device(self.data, "cpu")

    def item(self) -> Number:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def detach(self) -> Tensor:
        """A tensor sharing the same data, cut from the graph (no gradient flows through it)."""
        return Tensor._from_op(self.data, None)

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype``; differentiable between floating-point dtypes."""
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(
                f"{dtype!r} is neither a dtype nor a device: use e.g. 'float32', 'float64', 'int64', 'cpu' or 'cuda'"
            ) from None
        if not _is_float_dtype(dtype):  # integers and bools carry no gradient
            return Tensor._from_op(self.data.astype(dtype), None)
        return ops.Cast.apply(self, dtype=dtype)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def to(self, device_or_dtype: Any) -> Tensor:
        """``t.to("cuda")`` / ``t.to("cpu")`` moves the tensor; ``t.to("float64")`` changes its dtype.

        Moving between devices is differentiable: the gradient is moved back.
        """
        if backend.is_device_name(device_or_dtype):
            device = backend.normalize_device(device_or_dtype)
            if device == self.device:
                return self
            return ops.ToDevice.apply(self, device=device)
        return self.astype(device_or_dtype)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf tensor as a parameter whose gradient ``backward`` should compute (in place)."""
        if requires_grad and not _is_float_dtype(self.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients, this one is {self.dtype}: "
                "create it with dtype='float32' (or convert with .float())"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) works on leaves only: use .detach() on a computed tensor")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` whenever the backward pass has computed this tensor's gradient ∂L/∂self (the sum
        over all paths). A non-None return replaces the gradient: it is what flows on to the inputs and into
        ``.grad``. ``grad`` is a Tensor like ``.grad`` (read-only: return a new one, never modify it). Hooks run
        in the order registered. Returns a handle: ``handle.remove()`` unregisters the hook (tinygrad_edu.hooks).
        """
        from .hooks import RemovableHandle

        if not self.requires_grad:
            raise RuntimeError(f"register_hook on a tensor of shape {self.shape} that does not require grad: no "
                               "gradient will ever reach it (create it with requires_grad=True)")
        if self._grad_hooks is None:
            self._grad_hooks = {}
        return RemovableHandle(self._grad_hooks, hook)

    def __format__(self, spec: str) -> str:
        """``f"{loss:.3f}"`` formats a one-element tensor as its number (as PyTorch); others as their repr."""
        if spec and self.data.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self) -> str:
        values = np.array2string(
            self.numpy(), separator=", ", prefix="Tensor(", precision=4, threshold=100, edgeitems=3
        )
        extras = []
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "Tensor(" + ", ".join([values, *extras]) + ")"

    # ---------------------------------------------------------------------------------------- backward

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False, *,
                 grad: Any = None) -> None:
        """Compute ∂self/∂leaf for every leaf that requires grad and add it into ``leaf.grad`` (autograd.backward).

        ``gradient`` (alias ``grad``) is ∂L/∂self, needed when ``self`` is not a scalar (a tensor of ones for a
        plain sum). The graph's saved buffers are freed afterwards unless ``retain_graph=True``; a second
        backward through a freed graph raises an error. ``create_graph=True`` records the backward pass, so
        ``.grad`` can be differentiated again (second derivatives).
        """
        autograd.backward(self, gradient if grad is None else grad, retain_graph, create_graph)

    # ------------------------------------------------------------------------------ operator overloads

    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(other, self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
            steps = ops.shape.split_integer_parts(index)
            if steps is not None:  # PyTorch's placement of indexed axes (ops/shape.py)
                return ops.GetItem.apply(ops.GetItem.apply(self, index=steps[0]), index=steps[1])
        return ops.GetItem.apply(self, index=index)

    # comparisons give boolean tensors without gradient
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare(self, other, "equal")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare(self, other, "not_equal")

    def __lt__(self, other: Any) -> Tensor:
        return _compare(self, other, "less")

    def __le__(self, other: Any) -> Tensor:
        return _compare(self, other, "less_equal")

    def __gt__(self, other: Any) -> Tensor:
        return _compare(self, other, "greater")

    def __ge__(self, other: Any) -> Tensor:
        return _compare(self, other, "greater_equal")

    # ------------------------------------------------------------------------------ differentiable math

    def matmul(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self, other)

    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    def sin(self) -> Tensor:
        return ops.Sin.apply(self)

    def cos(self) -> Tensor:
        return ops.Cos.apply(self)

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return ops.ReLU.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return ops.LeakyReLU.apply(self, negative_slope=negative_slope)

    def gelu(self, approximate: str = "none") -> Tensor:
        return ops.GELU.apply(self, approximate=approximate)

    def maximum(self, other: Any) -> Tensor:
        return ops.Maximum.apply(self, other)

    def minimum(self, other: Any) -> Tensor:
        return ops.Minimum.apply(self, other)

    # ---------------------------------------------------------------------------------------- reductions

    # PyTorch's names are dim/keepdim; NumPy's axis/keepdims are accepted too (one or the other, not both)

    def sum(self, dim: AxisLike = None, keepdim: bool = False, *, dtype: Any = None, axis: AxisLike = None,
            keepdims: bool | None = None, out: None = None) -> Tensor:
        """Σ over ``dim`` (all axes when None). Integers and bools sum to int64, as in PyTorch."""
        dim, keepdim = _reduction_args("sum", dim, keepdim, axis, keepdims)
        source = self if dtype is None else self.astype(dtype)
        if dtype is None and self.dtype.kind in "biu" and self.dtype != np.int64:
            source = self.astype(np.int64)
        return ops.Sum.apply(source, axis=dim, keepdims=keepdim)

    def mean(self, dim: AxisLike = None, keepdim: bool = False, *, dtype: Any = None, axis: AxisLike = None,
             keepdims: bool | None = None, out: None = None) -> Tensor:
        dim, keepdim = _reduction_args("mean", dim, keepdim, axis, keepdims)
        source = self if dtype is None else self.astype(dtype)
        if source.dtype.kind not in "fc":
            raise TypeError(f"mean(): could not infer output dtype: input dtype must be floating point, got "
                            f"{self.dtype} (use x.float().mean() or mean(dtype='float32'))")
        return ops.Mean.apply(source, axis=dim, keepdims=keepdim)

    def var(self, dim: AxisLike = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None, axis: AxisLike = None, keepdims: bool | None = None) -> Tensor:
        """Variance; ``correction=1`` (Bessel's, PyTorch's default) divides by N − 1, ``correction=0`` by N.
        With N − correction ≤ 0 the result (and its gradient) is NaN, as in PyTorch."""
        dim, keepdim = _reduction_args("var", dim, keepdim, axis, keepdims)
        if correction is None:
            correction = 1 if unbiased is None else int(unbiased)
        return ops.Var.apply(self, axis=dim, keepdims=keepdim, correction=correction)

    def std(self, dim: AxisLike = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None, axis: AxisLike = None, keepdims: bool | None = None) -> Tensor:
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims).sqrt()

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: AxisLike = None,
            keepdims: bool | None = None, out: None = None) -> Any:
        """Largest value. ``x.max()``: a 0-d tensor; ``x.max(dim)``: the named tuple ``(values, indices)``, as
        PyTorch; ``x.max(other)``: the elementwise maximum; ``x.max(axis=...)`` (NumPy's spelling): the values
        only. The gradient is split evenly among tied maxima (PyTorch's ``amax`` rule)."""
        return self._extreme("max", dim, keepdim, axis, keepdims)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: AxisLike = None,
            keepdims: bool | None = None, out: None = None) -> Any:
        """Smallest value; the same forms as ``max``."""
        return self._extreme("min", dim, keepdim, axis, keepdims)

    def _extreme(self, pick: str, dim: Any, keepdim: bool, axis: AxisLike, keepdims: bool | None) -> Any:
        op = ops.Max if pick == "max" else ops.Min
        if isinstance(dim, Tensor):
            return ops.Maximum.apply(self, dim) if pick == "max" else ops.Minimum.apply(self, dim)
        if axis is not None or keepdims is not None:  # NumPy's spelling: values only
            axis, keepdims = _reduction_args(pick, dim, keepdim, axis, keepdims)
            return op.apply(self, axis=axis, keepdims=keepdims)
        if dim is None:
            if keepdim:
                raise TypeError(f"{pick}(): keepdim needs a dim")
            return op.apply(self, axis=None, keepdims=False)
        if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
            raise TypeError(f"{pick}(dim={dim!r}): dim must be one int (for several dims use amax/amin)")
        values = op.apply(self, axis=dim, keepdims=keepdim)
        indices = self._arg_extreme(f"arg{pick}", dim, keepdim)
        return ValuesIndices(values, indices)

    def logsumexp(self, dim: AxisLike = None, keepdim: bool = False, *, axis: AxisLike = None,
                  keepdims: bool | None = None) -> Tensor:
        dim, keepdim = _reduction_args("logsumexp", dim, keepdim, axis, keepdims)
        return ops.LogSumExp.apply(self, axis=dim, keepdims=keepdim)

    def softmax(self, dim: int = -1, *, axis: int | None = None) -> Tensor:
        return ops.Softmax.apply(self, axis=dim if axis is None else axis)

    def log_softmax(self, dim: int = -1, *, axis: int | None = None) -> Tensor:
        return ops.LogSoftmax.apply(self, axis=dim if axis is None else axis)

    def argmax(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        dim, keepdim = _reduction_args("argmax", dim, keepdim, axis, keepdims)
        return self._arg_extreme("argmax", dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        dim, keepdim = _reduction_args("argmin", dim, keepdim, axis, keepdims)
        return self._arg_extreme("argmin", dim, keepdim)

    def _arg_extreme(self, name: str, axis: int | None, keepdims: bool) -> Tensor:
        if axis is not None:
            axis = ops.broadcast.normalize_dim(axis, self.ndim, name)
            if self.ndim == 0:
                axis = None
        if self.data.size == 0 if axis is None else self.shape[axis] == 0:
            raise IndexError(f"{name}(): the tensor of shape {self.shape} has no element "
                             f"{'at all' if axis is None else f'along dim {axis}'} to pick from")
        return Tensor._from_op(getattr(self.xp, name)(self.data, axis=axis, keepdims=keepdims), None)

    def any(self, dim: AxisLike = None, keepdim: bool = False, *, axis: AxisLike = None,
            keepdims: bool | None = None, out: None = None) -> Tensor:
        dim, keepdim = _reduction_args("any", dim, keepdim, axis, keepdims)
        dims = ops.broadcast.normalize_axes(dim, self.ndim, "any")
        return Tensor._from_op(self.xp.any(self.data, axis=dims, keepdims=keepdim), None)

    def all(self, dim: AxisLike = None, keepdim: bool = False, *, axis: AxisLike = None,
            keepdims: bool | None = None, out: None = None) -> Tensor:
        dim, keepdim = _reduction_args("all", dim, keepdim, axis, keepdims)
        dims = ops.broadcast.normalize_axes(dim, self.ndim, "all")
        return Tensor._from_op(self.xp.all(self.data, axis=dims, keepdims=keepdim), None)

    # ------------------------------------------------------------------------------------ shape changes

    def reshape(self, *shape: Any) -> Tensor:
        return ops.Reshape.apply(self, shape=_shape_arg(shape))

    def view(self, *shape: Any) -> Tensor:
        """Same as ``reshape`` (NumPy arrays have no separate view semantics to honour)."""
        return ops.Reshape.apply(self, shape=_shape_arg(shape, "view"))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge the axes from ``start_dim`` to ``end_dim`` into one (PyTorch's ``flatten``)."""
        if self.ndim == 0:
            return self.reshape(1)
        if not (-self.ndim <= start_dim < self.ndim and -self.ndim <= end_dim < self.ndim) or (
            start_dim % self.ndim > end_dim % self.ndim
        ):
            raise IndexError(
                f"flatten({start_dim}, {end_dim}) on a tensor of shape {self.shape}: the axes must be in range "
                "and start_dim must not come after end_dim"
            )
        start, end = start_dim % self.ndim, end_dim % self.ndim
        merged = 1
        for n in self.shape[start : end + 1]:
            merged *= n
        return self.reshape(*self.shape[:start], merged, *self.shape[end + 1 :])

    def permute(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], Iterable):
            axes = tuple(axes[0])
        dims = tuple(ops.broadcast.normalize_dim(a, self.ndim, "permute") for a in axes)
        if sorted(dims) != list(range(self.ndim)):
            raise ValueError(f"permute{axes} on a tensor with {self.ndim} axes: name every axis once, "
                             f"e.g. permute{tuple(range(self.ndim))[::-1]}")
        return ops.Permute.apply(self, axes=dims)

    def transpose(self, axis0: int | None = None, axis1: int | None = None) -> Tensor:
        """Swap two axes (PyTorch's ``transpose(dim0, dim1)``); with no arguments, reverse all axes."""
        if axis0 is None and axis1 is None:
            return ops.Permute.apply(self, axes=tuple(range(self.ndim))[::-1])
        if axis0 is None or axis1 is None:
            raise TypeError("transpose takes no axes (reverse them all) or two axes to swap")
        axis0 = ops.broadcast.normalize_dim(axis0, self.ndim, "transpose")
        axis1 = ops.broadcast.normalize_dim(axis1, self.ndim, "transpose")
        axes = list(range(self.ndim))
        axes[axis0], axes[axis1] = axes[axis1], axes[axis0]
        return ops.Permute.apply(self, axes=tuple(axes))

    @property
    def T(self) -> Tensor:  # noqa: N802
        return ops.Permute.apply(self, axes=tuple(range(self.ndim))[::-1])

    @property
    def mT(self) -> Tensor:  # noqa: N802
        """The transpose of the last two axes (a batch of matrices, each transposed)."""
        return self.transpose(-2, -1)

    # squeeze (ops/movement.py) and clip/clamp (ops/math.py, number or Tensor bounds) are bound in tensor_methods.py

    def unsqueeze(self, axis: int) -> Tensor:
        axis = ops.broadcast.normalize_dim(axis, self.ndim + 1, "unsqueeze")
        return ops.Reshape.apply(self, shape=self.shape[:axis] + (1,) + self.shape[axis:])

    def expand(self, *shape: Any) -> Tensor:
        """Broadcast to ``shape`` without copying; ``-1`` keeps an axis as it is (PyTorch's ``expand``)."""
        shape = _shape_arg(shape, "expand", minus_one="keep this axis")
        offset = len(shape) - self.ndim
        if offset < 0:
            raise ValueError(f"expand{shape}: the tensor of shape {self.shape} has more axes than the target: "
                             "give at least as many sizes as it has axes")
        for i, n in enumerate(shape):
            if n == -1 and i < offset:
                raise ValueError(f"expand{shape} on shape {self.shape}: -1 keeps an existing axis, but axis {i} is "
                                 "a new leading one: give its size")
        shape = tuple(self.shape[i - offset] if n == -1 else n for i, n in enumerate(shape))
        return ops.BroadcastTo.apply(self, shape=shape)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return ops.BroadcastTo.apply(self, shape=tuple(shape))

    def pad(self, pad_width: Any, value: float = 0.0) -> Tensor:
        """Pad with a constant, NumPy style: ``pad_width`` is ((before, after), ...) per axis, or one pair for
        all axes (``nn.functional.pad`` takes PyTorch's last-axis-first flat tuple)."""
        return ops.Pad.apply(self, pad_width=pad_width, value=value)

    def split(self, split_size_or_sections: int | Sequence[int], axis: int = 0) -> tuple[Tensor, ...]:
        return split(self, split_size_or_sections, axis)

    def where(self, condition: Any, other: Any) -> Tensor:
        """``condition ? self : other`` elementwise (PyTorch's ``Tensor.where``)."""
        return where(condition, self, other)


autograd.Tensor = Tensor  # the engine builds op outputs with this class (autograd.py cannot import this module)


# ndarray ⊕ Tensor → the Tensor op (Tensor.__array_ufunc__); names, not classes: ops is still loading here
_UFUNC_AS_OP = {np.add: "Add", np.subtract: "Sub", np.multiply: "Mul", np.true_divide: "Div", np.power: "Pow",
                np.matmul: "MatMul", np.maximum: "Maximum", np.minimum: "Minimum"}
_UFUNC_AS_OP = {u: (lambda name: lambda a, b: getattr(ops, name).apply(a, b))(n) for u, n in _UFUNC_AS_OP.items()}
for _ufunc in (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal):
    _UFUNC_AS_OP[_ufunc] = (lambda name: lambda a, b: _compare(a, b, name))(_ufunc.__name__)


class ValuesIndices(tuple):
    """``(values, indices)``: what ``max``/``min`` with a dim return (PyTorch's ``torch.return_types``)."""

    __slots__ = ()

    def __new__(cls, values: Tensor, indices: Tensor) -> ValuesIndices:
        return super().__new__(cls, (values, indices))

    @property
    def values(self) -> Tensor:
        return self[0]

    @property
    def indices(self) -> Tensor:
        return self[1]

    def __repr__(self) -> str:
        return f"(values={self[0]!r}, indices={self[1]!r})"


def _reduction_args(op: str, dim: Any, keepdim: bool, axis: Any, keepdims: bool | None) -> tuple[Any, bool]:
    """(dim, keepdim) from PyTorch's names or NumPy's aliases (axis, keepdims) — one spelling per call."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}() got both dim and axis: pass one (axis is NumPy's name for dim)")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def _compare(a: Tensor, b: Any, name: str) -> Tensor:
    x, y = Tensor._wrap_inputs(f"comparison ({name})", (a, b))
    return Tensor._from_op(getattr(x.xp, name)(x.data, y.data), None)


def _shape_arg(shape: tuple, op: str = "reshape", minus_one: str | None = "the one inferred") -> tuple[int, ...]:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``; every size an int ≥ 0, never a float silently truncated (PyTorch
    refuses ``view(3.9, 2)`` too). ``minus_one`` says what −1 means for ``op`` (reshape: the one size inferred;
    expand: keep this axis); None refuses it (a new tensor's size: ``zeros``, ``randn``, …)."""
    if len(shape) == 1 and isinstance(shape[0], Iterable):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) and not (
                isinstance(n, Tensor) and n.ndim == 0 and n.dtype.kind in "iu"):
            raise TypeError(f"{op}{shape}: the size {n!r} is a {type(n).__name__}; sizes must be ints")
        if minus_one is None and int(n) < 0:
            raise ValueError(f"{op}{shape}: the negative size {int(n)} is not allowed: sizes must be ≥ 0")
        if int(n) < -1:
            raise ValueError(f"{op}{shape}: invalid size {int(n)}: sizes are ≥ 0, or -1 for {minus_one}")
    if op in ("reshape", "view") and sum(int(n) == -1 for n in shape) > 1:
        raise ValueError(f"{op}{shape}: only one size can be -1 (inferred)")
    return tuple(int(n) for n in shape)


# --------------------------------------------------------------------------------- functions on tensors


def cat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``)."""
    if len(tensors) == 0:
        raise ValueError("cat() needs at least one tensor")
    _check_tensors("cat", tensors)
    return ops.Concatenate.apply(*tensors, axis=axis)


def _check_tensors(op: str, tensors: Any) -> None:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}() takes a list or tuple of Tensors, got {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}() takes a list of Tensors, but item {i} is a {type(t).__name__}: wrap it as "
                            f"tg.tensor(...) first ({op}([tg.tensor(a), tg.tensor(b)]))")


concatenate = cat


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along a new axis (``torch.stack``): all must have the same shape."""
    if len(tensors) == 0:
        raise ValueError("stack() needs at least one tensor")
    _check_tensors("stack", tensors)
    shapes = {tuple(t.shape) for t in tensors if isinstance(t, Tensor)}
    if len(shapes) > 1:
        raise ValueError(f"stack() needs tensors of one shape, got {sorted(shapes)}")
    ndim = tensors[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise IndexError(f"stack(axis={axis}) for tensors with {ndim - 1} axes: axis out of range")
    return cat([t.unsqueeze(axis) for t in tensors], axis=axis)


def split(tensor: Tensor, split_size_or_sections: int | Sequence[int], axis: int = 0) -> tuple[Tensor, ...]:
    """Cut a tensor into pieces along ``axis`` (``torch.split``): an int is the size of each piece (the last
    may be smaller), a list gives every piece's size."""
    axis = ops.broadcast.normalize_dim(axis, tensor.ndim, "split")
    length = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split size must be positive, got {split_size_or_sections}")
        sizes = [split_size_or_sections] * (length // split_size_or_sections)
        if length % split_size_or_sections:
            sizes.append(length % split_size_or_sections)
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ValueError(f"split sizes {sizes} add up to {sum(sizes)}, but axis {axis} has length {length}")
    pieces, start = [], 0
    axis = axis % tensor.ndim
    for size in sizes:
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(tensor[index])
        start += size
    return tuple(pieces)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """``condition ? x : y`` elementwise, differentiable in ``x`` and ``y``."""
    if isinstance(condition, Tensor):
        condition = condition.data
    return ops.Where.apply(x, y, condition=condition)


def maximum(x: Any, y: Any) -> Tensor:
    return ops.Maximum.apply(x, y)


def minimum(x: Any, y: Any) -> Tensor:
    return ops.Minimum.apply(x, y)


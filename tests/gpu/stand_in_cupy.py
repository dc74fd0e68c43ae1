"""A NumPy-backed stand-in for CuPy, so that CI (which has no GPU) runs the library's GPU code paths.

It is not a GPU and proves nothing about CUDA numerics or speed: every "device" array is a NumPy array inside a
wrapper. What it checks is what breaks first when code meets real CuPy:

* its arrays belong to a class from a module named ``cupy…``, so the backend sends them down the GPU paths
  (``backend.get_array_module``, the kernel dispatch, the numba.cuda kernels — run by Numba's CUDA simulator);
* as in CuPy, an array never turns into a NumPy array by itself: ``np.asarray(x)`` raises ``TypeError``, and so
  does mixing it with a NumPy array in an operation; the only ways back to the host are ``.get()``,
  ``cupy.asnumpy``, ``float()/int()/bool()``, ``.item()``, ``.tolist()`` and printing;
* every copy between host and "device" is counted in ``TRANSFERS`` (tests assert how many a training step makes);
* ``cupy.random.default_rng`` has only the methods of CuPy's generator (no ``uniform``, ``normal``,
  ``permutation``…), ``cupyx.scatter_add`` and ``cupyx.scipy.special.erf`` exist, ``cupy.cuda`` reports one device.

``install()`` puts the modules into ``sys.modules``; it must run before the library first imports cupy.
``build(get_device_count)`` makes the same modules without installing anything, for a test that puts ``cupy`` in
place with ``monkeypatch`` (tests/test_backend.py: a machine whose driver finds no device, or raises). This is the
one fake CuPy of the test suite.
"""

from __future__ import annotations

import math
import sys
import types
from typing import Any

import numpy as np

TRANSFERS = {"to_device": 0, "to_host": 0}
_counting = [True]  # off while Numba's simulator runs a kernel: on a GPU, a kernel's reads are no transfers
_NO_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy "
                "array explicitly.")


def reset_transfers() -> None:
    TRANSFERS.update(to_device=0, to_host=0)


def _count(direction: str) -> None:
    if _counting[0]:
        TRANSFERS[direction] += 1


def _unwrap(value: Any) -> Any:
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, np.ndarray) and value.ndim > 0:
        raise TypeError(f"Unsupported type {type(value)}")  # CuPy refuses NumPy arrays in device operations
    if isinstance(value, list | tuple):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return ndarray(value)
    if isinstance(value, np.generic):
        return ndarray(np.asarray(value))  # CuPy's reductions and scalar indexing give 0-d device arrays
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _on_device(fn: Any) -> Any:
    """``fn`` applied to the NumPy arrays inside, its array results wrapped again."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)))
    call.__name__ = getattr(fn, "__name__", "function")
    return call


def _binary(name: str) -> Any:
    def op(self: ndarray, other: Any) -> Any:
        return _wrap(getattr(self._a, name)(_unwrap(other)))
    return op


def _inplace(name: str) -> Any:
    def op(self: ndarray, other: Any) -> ndarray:
        getattr(self._a, name)(_unwrap(other))
        return self
    return op


class ndarray:  # noqa: N801 — CuPy's name
    __slots__ = ("_a",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, array: np.ndarray):
        self._a = array

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))

    def get(self, stream: Any = None, out: Any = None) -> np.ndarray:
        _count("to_host")
        return self._a.copy()

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError(_NO_IMPLICIT)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _wrap(getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs)))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    def _to_host_scalar(self) -> Any:
        _count("to_host")
        return self._a

    def __float__(self) -> float:
        return float(self._to_host_scalar())

    def __int__(self) -> int:
        return int(self._to_host_scalar())

    def __bool__(self) -> bool:
        return bool(self._to_host_scalar())

    def __index__(self) -> int:
        return self._to_host_scalar().__index__()

    def item(self) -> Any:
        return self._to_host_scalar().item()

    def tolist(self) -> Any:
        return self._to_host_scalar().tolist()

    def __repr__(self) -> str:
        return repr(self._to_host_scalar())

    def __str__(self) -> str:
        return str(self._to_host_scalar())

    def __format__(self, spec: str) -> str:
        return format(self._to_host_scalar(), spec)

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        return (_wrap(row) for row in self._a)

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._a[_unwrap(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[_unwrap(key)] = _unwrap(value)

    def __copy__(self) -> ndarray:
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo: Any) -> ndarray:
        return ndarray(self._a.copy())

    def __neg__(self) -> ndarray:
        return ndarray(-self._a)

    def __pos__(self) -> ndarray:
        return ndarray(+self._a)

    def __abs__(self) -> ndarray:
        return ndarray(abs(self._a))

    def __invert__(self) -> ndarray:
        return ndarray(~self._a)

    def __getattr__(self, name: str) -> Any:  # methods: reshape, sum, astype, transpose, …
        if name.startswith("__"):  # never lend out __array_interface__ & co.: NumPy would read them silently
            raise AttributeError(name)
        attribute = getattr(self._a, name)
        return _on_device(attribute) if callable(attribute) else attribute


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor", "lshift",
              "rshift"):
    setattr(ndarray, f"__{_name}__", _binary(f"__{_name}__"))
    setattr(ndarray, f"__r{_name}__", _binary(f"__r{_name}__"))
    setattr(ndarray, f"__i{_name}__", _inplace(f"__i{_name}__"))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_name}__", _binary(f"__{_name}__"))
ndarray.__module__ = "cupy._core.core"  # what the library's dispatch looks at


class _Ufunc:
    """A NumPy ufunc on device arrays, with the methods CuPy's ufuncs have (``at``, ``reduce``, …)."""

    def __init__(self, ufunc: np.ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _on_device(self._ufunc)(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return _on_device(getattr(self._ufunc, name))


def asarray(a: Any, dtype: Any = None, order: Any = None) -> ndarray:
    if isinstance(a, ndarray):
        return a if dtype is None or np.dtype(dtype) == a.dtype else ndarray(a._a.astype(dtype))
    _count("to_device")
    return ndarray(np.array(a, dtype=dtype, order=order or "K", copy=True))


def array(a: Any, dtype: Any = None, copy: bool = True, order: str = "K", ndmin: int = 0) -> ndarray:
    if isinstance(a, ndarray):
        return ndarray(np.array(a._a, dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    _count("to_device")
    return ndarray(np.array(a, dtype=dtype, copy=True, order=order, ndmin=ndmin))


def asnumpy(a: Any, stream: Any = None) -> np.ndarray:
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def get_array_module(*args: Any) -> types.ModuleType:
    return sys.modules["cupy"] if any(isinstance(a, ndarray) for a in args) else np


class _Generator:
    """The methods of ``cupy.random.Generator`` (a NumPy generator underneath)."""

    def __init__(self, seed: Any = None):
        self._rng = np.random.default_rng(seed)

    def random(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> ndarray:
        return ndarray(np.asarray(self._rng.random(size)).astype(dtype, copy=False))

    def standard_normal(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> ndarray:
        return ndarray(np.asarray(self._rng.standard_normal(size, dtype=dtype)))

    def integers(self, low: int, high: int | None = None, size: Any = None, dtype: Any = np.int64,
                 endpoint: bool = False) -> ndarray:
        return ndarray(np.asarray(self._rng.integers(low, high, size=size, dtype=dtype, endpoint=endpoint)))

    def standard_exponential(self, size: Any = None, dtype: Any = np.float64, method: str = "inv",
                             out: Any = None) -> ndarray:
        return ndarray(np.asarray(self._rng.standard_exponential(size)).astype(dtype, copy=False))

    def exponential(self, scale: float = 1.0, size: Any = None) -> ndarray:
        return self.standard_exponential(size) * scale

    def poisson(self, lam: float = 1.0, size: Any = None) -> ndarray:
        return ndarray(np.asarray(self._rng.poisson(lam, size)))

    def beta(self, a: float, b: float, size: Any = None, dtype: Any = np.float64) -> ndarray:
        return ndarray(np.asarray(self._rng.beta(a, b, size)).astype(dtype, copy=False))


class _Device:
    def __init__(self, device: int = 0):
        self.id = device
        self.compute_capability = "90"

    def synchronize(self) -> None:
        pass

    def __enter__(self) -> _Device:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class _Stream:
    ptr = 0

    def synchronize(self) -> None:
        pass


def _module(name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    return module


def _numpy_attribute(namespace: Any) -> Any:
    """Module-level ``__getattr__``: NumPy's functions on device arrays; dtypes and constants as they are."""
    def lookup(name: str) -> Any:
        attribute = getattr(namespace, name)
        if isinstance(attribute, np.ufunc):
            return _Ufunc(attribute)
        if callable(attribute) and not isinstance(attribute, type):
            return _on_device(attribute)
        return attribute
    return lookup


def _erf(x: ndarray) -> ndarray:
    return ndarray(np.vectorize(math.erf, otypes=[x.dtype])(x._a))


def _scatter_add(a: ndarray, slices: Any, value: Any) -> None:
    np.add.at(a._a, _unwrap(slices), _unwrap(value))


def build(get_device_count: Any = lambda: 1) -> types.ModuleType:
    """The ``cupy`` stand-in, with ``cupyx`` and the submodules in ``cupy.stand_in_modules`` (name → module),
    nothing installed. ``get_device_count`` is what ``cupy.cuda.runtime.getDeviceCount`` does (return 0, or raise
    as a machine without a driver does)."""
    cupy = _module("cupy", ndarray=ndarray, asarray=asarray, array=array, asnumpy=asnumpy,
                   get_array_module=get_array_module, __version__=f"stand-in (NumPy {np.__version__})")
    cupy.__getattr__ = _numpy_attribute(np)
    cupy.random = _module("cupy.random", default_rng=_Generator)
    cupy.get_default_memory_pool = lambda: types.SimpleNamespace(total_bytes=lambda: 0, used_bytes=lambda: 0)
    cupy.linalg = _module("cupy.linalg")
    cupy.linalg.__getattr__ = _numpy_attribute(np.linalg)
    cupy.lib = _module("cupy.lib", stride_tricks=_module(
        "cupy.lib.stride_tricks", as_strided=_on_device(np.lib.stride_tricks.as_strided)))
    runtime = _module("cupy.cuda.runtime", getDeviceCount=get_device_count, runtimeGetVersion=lambda: 12040,
                      getDeviceProperties=lambda device: {"name": b"NumPy stand-in for CuPy (no GPU)"})
    cupy.cuda = _module("cupy.cuda", runtime=runtime, Device=_Device, get_current_stream=lambda: _Stream())
    special = _module("cupyx.scipy.special", erf=_erf)
    cupyx = _module("cupyx", scatter_add=_scatter_add, scipy=_module("cupyx.scipy", special=special))
    cupy.stand_in_modules = {"cupy": cupy, "cupy.random": cupy.random, "cupy.linalg": cupy.linalg,
                             "cupy.cuda": cupy.cuda, "cupy.cuda.runtime": runtime, "cupyx": cupyx,
                             "cupyx.scipy": cupyx.scipy, "cupyx.scipy.special": special}
    return cupy


def install() -> types.ModuleType:
    """Register ``cupy`` and ``cupyx`` in ``sys.modules`` and return the ``cupy`` stand-in."""
    cupy = build()
    sys.modules.update(cupy.stand_in_modules)
    _let_the_simulator_take_cupy_streams()
    _small_simulated_blocks()
    return cupy


def _small_simulated_blocks() -> None:
    """Numba's simulator runs every GPU thread as a Python thread: small blocks keep it quick (the kernels are
    correct for any power-of-two block; tests/kernels/test_attention_cuda.py checks several)."""
    from tinygrad_edu.kernels import attention_cuda, cuda

    attention_cuda.THREADS_PER_BLOCK = 8
    cuda.THREADS_PER_BLOCK = 32


def _let_the_simulator_take_cupy_streams() -> None:
    """kernels/cuda.py launches on ``cuda.external_stream(CuPy's stream)``; Numba's simulator has no such
    function (it has no streams to speak of), so give it one that returns the default stream. And a simulated
    kernel reads device arrays element by element from Python: those reads are not transfers."""
    from numba import cuda
    from numba.cuda.simulator.kernel import FakeCUDAKernel

    if not hasattr(cuda, "external_stream"):
        cuda.external_stream = lambda pointer: 0
    launch = FakeCUDAKernel.__call__

    def launch_uncounted(self: Any, *args: Any, **kwargs: Any) -> Any:
        _counting[0] = False
        try:
            return launch(self, *args, **kwargs)
        finally:
            _counting[0] = True

    FakeCUDAKernel.__call__ = launch_uncounted

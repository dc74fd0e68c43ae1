"""The array backend: NumPy on the CPU, CuPy on a CUDA GPU, swapped with one call.

Every op body is written once against an *array module* ``xp`` (``numpy`` or ``cupy``), obtained with
``get_array_module(array)``, so the same line of code runs on both devices (the DeZero pattern).

    >>> from tinygrad_edu import backend
    >>> backend.use("numpy")      # the default; backend.use("cupy") moves new tensors to the GPU
    >>> backend.current()
    'numpy'

Random numbers come from one generator per backend, seeded by ``manual_seed`` so that a seeded run is
reproducible bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np

_BACKENDS = ("numpy", "cupy")
# The one table of device names: every accepted spelling and the backend it means (a ":0" suffix is ignored).
DEVICE_NAMES = {"cpu": "numpy", "cuda": "cupy", "gpu": "cupy", "numpy": "numpy", "cupy": "cupy"}

_current = "numpy"
_seed: int | None = None
_generators: dict[str, Any] = {}

_GPU_HELP = (
    "install the GPU extra with `python -m pip install -e \".[gpu]\"` (CuPy for CUDA 12) "
    "on a machine with an NVIDIA GPU and driver"
)


def _import_cupy() -> ModuleType:
    """Import CuPy and check that a CUDA device is usable; explain what is missing otherwise."""
    try:
        import cupy
    except ImportError as error:
        raise RuntimeError(f"the 'cupy' backend needs CuPy, which is not installed: {_GPU_HELP}") from error
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CuPy raises its own CUDARuntimeError; any failure means "no usable GPU"
        raise RuntimeError(f"CuPy is installed but no CUDA device is usable ({error}): {_GPU_HELP}") from error
    if count == 0:
        raise RuntimeError(f"CuPy is installed but found no CUDA device: {_GPU_HELP}")
    return cupy


def gpu_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        _import_cupy()
    except RuntimeError:
        return False
    return True


def use(name: str) -> None:
    """Choose the backend for new tensors: ``"numpy"`` (CPU) or ``"cupy"`` (CUDA GPU)."""
    global _current
    name = DEVICE_NAMES.get(str(name).lower(), name)
    if name not in _BACKENDS:
        raise ValueError(f"backend.use({name!r}): the backend must be one of {_BACKENDS}")
    if name == "cupy":
        _import_cupy()
    _current = name


@contextmanager
def using(name: str) -> Iterator[None]:
    """``with backend.using("numpy"): ...`` creates new tensors on that backend inside the block only."""
    previous = current()
    use(name)
    try:
        yield
    finally:
        use(previous)


def current() -> str:
    """The name of the backend new tensors are created on: ``"numpy"`` or ``"cupy"``."""
    return _current


def current_device() -> str:
    """The device new tensors are created on: ``"cpu"`` or ``"cuda"``."""
    return "cpu" if _current == "numpy" else "cuda"


def array_module(name: str | None = None) -> ModuleType:
    """The array module of a backend (the current one by default): ``numpy`` or ``cupy``."""
    name = _current if name is None else DEVICE_NAMES.get(name, name)
    return np if name == "numpy" else _import_cupy()


def get_array_module(array: Any) -> ModuleType:
    """``numpy`` for NumPy arrays and Python values, ``cupy`` for CuPy arrays."""
    if type(array) is np.ndarray or isinstance(array, np.ndarray | np.generic):  # the first test is the hot path
        return np
    if is_gpu(array):
        import cupy

        return cupy
    return np


def is_gpu(array: Any) -> bool:
    """True for a CuPy array (any object whose class comes from a module named ``cupy…``), False otherwise.

    The class's module is read instead of importing CuPy, so the question costs nothing on a CPU-only machine."""
    return type(array).__module__.startswith("cupy")


def device_of(array: Any) -> str:
    """``"cpu"`` for a NumPy array or a Python value, ``"cuda"`` for a CuPy array."""
    if type(array) is np.ndarray:  # the hot path
        return "cpu"
    return "cuda" if is_gpu(array) else "cpu"


def is_device_name(value: Any) -> bool:
    """True when ``value`` is a string naming a device (``"cpu"``, ``"cuda:0"``, ``"gpu"``, ``"numpy"``, …), so
    that ``x.to(value)`` moves rather than converts the dtype."""
    return isinstance(value, str) and value.split(":")[0].lower() in DEVICE_NAMES


def normalize_device(device: str) -> str:
    """Map the accepted device spellings (``"cpu"``, ``"cuda"``, ``"cuda:0"``, ``"numpy"``, ``"cupy"``) to
    ``"cpu"`` or ``"cuda"``."""
    name = str(device).lower().split(":")[0]
    if name not in DEVICE_NAMES:
        raise ValueError(f"unknown device {device!r}: use 'cpu' or 'cuda'")
    return "cpu" if DEVICE_NAMES[name] == "numpy" else "cuda"


def to_device(array: Any, device: str) -> Any:
    """Copy ``array`` to ``device`` (``"cpu"`` or ``"cuda"``); return it unchanged when it is already there."""
    device = normalize_device(device)
    if device_of(array) == device:
        return array
    if device == "cpu":
        return array.get()
    return _import_cupy().asarray(array)


def to_numpy(value: Any) -> np.ndarray:
    """A NumPy array of ``value`` — a Tensor, a NumPy or CuPy array, or a number — copied from the GPU when it
    lives there. The one call that makes plotting and NumPy code work on either device (``tg.to_numpy(x.grad)``).

    A Tensor is recognised by its array in ``.data`` (this module sits below tensor.py and does not import it;
    NumPy and CuPy arrays also have a ``.data``, their raw buffer, which has no ``dtype``)."""
    inner = getattr(value, "data", None)
    if hasattr(inner, "dtype") and not isinstance(value, np.ndarray | np.generic) and not is_gpu(value):
        value = inner
    return np.asarray(to_device(value, "cpu"))


# ----------------------------------------------------------------------------------------------- random


def manual_seed(seed: int) -> None:
    """Seed the project's random generator(s): every random function of tinygrad_edu draws from them."""
    global _seed
    _seed = int(seed)
    _generators.clear()


def initial_seed() -> int | None:
    """The seed given to the last ``manual_seed`` call (None if never seeded)."""
    return _seed


def generator(name: str | None = None) -> Any:
    """The seeded random generator of a backend (``numpy.random.Generator`` or CuPy's equivalent)."""
    name = _current if name is None else DEVICE_NAMES.get(name, name)
    if name not in _generators:
        xp = array_module(name)
        _generators[name] = xp.random.default_rng(_seed)
    return _generators[name]


def get_rng_state() -> dict:
    """The NumPy generator's state (a dict of plain values) so that training can resume bit for bit."""
    return generator("numpy").bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by ``get_rng_state``."""
    generator("numpy").bit_generator.state = state


# ------------------------------------------------------------------------------------------ the default dtype

_default_dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The floating-point dtype of Python floats, of creation functions and of int ⊕ float results (float32)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Change the default floating-point dtype (``torch.set_default_dtype``): float16, float32 or float64."""
    global _default_dtype
    chosen = np.dtype(dtype)
    if chosen.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point dtypes can be the default, got {chosen}")
    _default_dtype = chosen

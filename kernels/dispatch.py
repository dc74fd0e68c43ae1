"""Which implementation of the convolution and pooling kernels runs: the switch between reference and JIT.

    TINYGRAD_EDU_KERNELS=numba   (default) the Numba kernels of im2col.py and pool.py
    TINYGRAD_EDU_KERNELS=numpy   the plain NumPy reference of reference.py: slower, easy to step through

The variable is read when this module is first imported; ``use("numpy")`` switches later, and
``using("numpy")`` switches inside a ``with`` block. CuPy arrays always go to the GPU: im2col and col2im to the
CUDA kernels of cuda.py, pooling to the reference code, which CuPy runs as written.

All functions take and return (N, C, H, W) arrays; ``padding`` is (top, left) and ``out_size`` (OH, OW), both
computed by the calling op (ops/conv.py, ops/pool.py), which also checks the arguments.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from . import reference, threads

threads.configure()  # before any parallel Numba code runs in this process (see threads.py)

ENV_VAR = "TINYGRAD_EDU_KERNELS"
CHOICES = ("numba", "numpy")

Pair = tuple[int, int]


def _choice_from_env() -> str:
    value = os.environ.get(ENV_VAR, "numba").strip().lower()
    if value not in CHOICES:
        raise ValueError(f"{ENV_VAR}={value!r} is not a kernel choice: use one of {', '.join(CHOICES)}")
    return value


_current = _choice_from_env()


def use(name: str) -> None:
    """Select the kernels for NumPy arrays: ``"numba"`` (compiled) or ``"numpy"`` (the reference)."""
    global _current
    if name not in CHOICES:
        raise ValueError(f"kernels.use({name!r}): choose one of {', '.join(CHOICES)}")
    _current = name


def current() -> str:
    """``"numba"`` or ``"numpy"``: the kernels NumPy arrays go to."""
    return _current


@contextmanager
def using(name: str) -> Iterator[None]:
    """``with using("numpy"): ...`` runs the block on the chosen kernels and restores the previous choice."""
    previous = _current
    use(name)
    try:
        yield
    finally:
        use(previous)


def _on_gpu(array: Any) -> bool:
    return type(array).__module__.startswith("cupy")


def _im2col_module(array: Any) -> ModuleType:
    if _on_gpu(array):
        from . import cuda

        return cuda
    if _current == "numpy" or array.dtype == "float16":  # Numba has no float16: the reference runs it (amp)
        return reference
    from . import im2col

    return im2col


def _pool_module(array: Any) -> ModuleType:
    if _on_gpu(array) or _current == "numpy" or array.dtype == "float16":  # Numba has no float16
        return reference
    from . import pool

    return pool


def depthwise(array: Any) -> Any:
    """depthwise.py's kernels for ``array``: the Numba ones (FAST), or the NumPy/CuPy twins (REFERENCE)."""
    from . import depthwise

    return depthwise.REFERENCE if _pool_module(array) is reference else depthwise.FAST


def im2col(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
           pad_value: float = 0.0) -> Any:
    """The (N·OH·OW, C·kh·kw) matrix whose rows are the receptive fields of ``x``."""
    return _im2col_module(x).im2col(x, kernel_size, stride, padding, dilation, out_size, pad_value)


def col2im(cols: Any, input_shape: tuple[int, int, int, int], kernel_size: Pair, stride: Pair, padding: Pair,
           dilation: Pair, out_size: Pair) -> Any:
    """Sum the rows of ``cols`` back onto an (N, C, H, W) image (the adjoint of ``im2col``)."""
    return _im2col_module(cols).col2im(cols, input_shape, kernel_size, stride, padding, dilation, out_size)


def max_pool2d(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
               out_size: Pair) -> tuple[Any, Any]:
    """(window maxima, index h·W + w of each maximum)."""
    return _pool_module(x).max_pool2d(x, kernel_size, stride, padding, dilation, out_size)


def max_pool2d_backward(grad: Any, argmax: Any, input_shape: tuple[int, int, int, int]) -> Any:
    """``grad`` added at the saved maxima of an (N, C, H, W) array of zeros."""
    return _pool_module(grad).max_pool2d_backward(grad, argmax, input_shape)


def avg_pool2d(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, out_size: Pair, divisor: Any) -> Any:
    """Window sums / divisor (OH, OW)."""
    return _pool_module(x).avg_pool2d(x, kernel_size, stride, padding, out_size, divisor)


def avg_pool2d_backward(grad: Any, divisor: Any, input_shape: tuple[int, int, int, int], kernel_size: Pair,
                        stride: Pair, padding: Pair) -> Any:
    """grad / divisor shared among the pixels of each window."""
    return _pool_module(grad).avg_pool2d_backward(grad, divisor, input_shape, kernel_size, stride, padding)

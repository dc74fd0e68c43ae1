"""How many compiled versions a kernel gets: one per dtype, not one per memory layout of its input.

Numba compiles a function once for every combination of argument types it is called with, and an array's type
includes its layout: 'C' (C-contiguous), 'F' (Fortran-contiguous) or 'A' (any strides). The convolution
kernels read their input through an (N, H, W, C) view that is 'A' for an NCHW array, 'C' for a channels-last
one and 'F' for others, and each parallel kernel takes 3–6 s to compile: on a fresh machine the test suite's
own process spent 527 s compiling, most of it on versions that differ only in layout, in the length of the
window's offset tuples (im2col.taps now passes arrays outside float32) or in the signedness of the parallel
loop's index (the kernels cast it). After these changes: 249 s.

``call(kernel, args, strided)`` types the arrays at the positions ``strided`` as 'A' unless they are
C-contiguous, so one version serves every other layout and a C-contiguous (channels-last) input keeps its own,
vectorised one: at most two per dtype. Those arrays are only read element by element (the convolution kernels
copy each sample into a contiguous buffer first), so the 'A' version loses nothing measurable; the other
arguments keep their exact types, contiguous buffers included, which the compiler needs to vectorise the inner
loops.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

_ready: set[tuple[Any, ...]] = set()  # (kernel, the arguments' kinds) already compiled or loaded


def _kind(arg: Any) -> Any:
    """What of an argument decides its compiled version, found without numba.typeof (≈10 µs an argument, more with
    cold caches right after a kernel: it was a third of col2im's time on a small batch)."""
    if isinstance(arg, np.ndarray):
        return arg.dtype, arg.ndim, arg.flags.writeable, arg.flags.c_contiguous, arg.flags.f_contiguous
    if isinstance(arg, tuple):
        return tuple(_kind(item) for item in arg)
    return type(arg)


def _signature(args: tuple[Any, ...], strided: tuple[int, ...]) -> tuple[Any, ...]:
    types = [numba.typeof(arg) for arg in args]
    for position in strided:
        if not args[position].flags.c_contiguous:
            types[position] = types[position].copy(layout="A")
    return tuple(types)


def call(kernel: Any, args: tuple[Any, ...], strided: tuple[int, ...]) -> Any:
    """``kernel(*args)``, compiling (or loading from the cache) the version for these types with the arrays at
    ``strided`` typed 'A' unless C-contiguous. The dispatcher is otherwise closed to compilation: an 'F' array
    is then passed to the 'A' version (a safe conversion) instead of getting a version of its own."""
    key = (kernel, strided) + tuple(_kind(arg) for arg in args)
    if key not in _ready:
        signature = _signature(args, strided)
        if signature not in kernel.overloads:
            kernel.disable_compile(False)
            try:
                kernel.compile(signature)
            finally:
                kernel.disable_compile(True)
        _ready.add(key)
    return kernel(*args)

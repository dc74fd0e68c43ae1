"""How the process gets memory for its arrays: keep freed blocks for reuse instead of giving them back at once.

A training step allocates the same arrays every step: im2col's columns (8.9 MB at the documents' CNN, batch
64), activations, gradients. glibc's ``malloc`` serves every block above ``M_MMAP_THRESHOLD`` (128 KiB at
first, raised by itself at most to 32 MiB) with a fresh ``mmap`` and unmaps it on ``free``. A fresh mapping
has no pages yet: the first write to each 4 KiB page traps into the kernel, which zeroes a page and maps it (a
*page fault*), and the step then pays that for every large array, every step. On this project's 2-core
virtual machine it was most of the step: im2col of (64, 32, 13, 13) took 1.8 ms alone and 11 ms inside the
training step, whose median fell from 75 to 39 ms with the policy below (docs/benchmarks.md).

    TINYGRAD_EDU_MALLOC=reuse    (default) blocks up to 32 MiB come from the heap (``M_MMAP_THRESHOLD``), and a
                                 freed heap keeps up to 1 GiB at its top (``M_TRIM_THRESHOLD``): the next
                                 step's arrays reuse pages already mapped
    TINYGRAD_EDU_MALLOC=system   leave glibc's defaults alone

Arrays of 32 MiB or more always get a fresh mapping from glibc. The few a step makes again and again (the
attention probabilities P of 32 heads × 512 × 512 keys: exactly 32 MiB, whose page faults took 6–8 ms of a
24 ms step) come from ``empty()`` below, which keeps up to two such arrays per shape and hands one out again
once nothing else refers to it.

The cost: the process keeps what it freed, up to 1 GiB (its resident memory stays near its peak, which is
what a training loop reaches every step anyway). It is a setting of the process's C library through
``mallopt(3)``: it covers NumPy's, Numba's and any other library's allocations. With another C library (macOS,
musl, Windows) ``configure()`` does nothing. The same two settings can be given to any program through
glibc's environment variables ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``; the benchmark uses
them to give PyTorch's process the same policy (``--torch-malloc``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
import sys
import threading
from typing import Any

import numpy as np

ENV_VAR = "TINYGRAD_EDU_MALLOC"
CHOICES = ("reuse", "system")

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest: HEAP_MAX_SIZE / 2 on 64-bit
TRIM_THRESHOLD = 1024 * 1024 * 1024

# The same settings as glibc environment variables, for a process we start (the benchmark's PyTorch side).
ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD), "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}

_configured: str | None = None

KEPT_PER_SHAPE = 2  # large arrays ``empty`` keeps per (shape, dtype)
_kept: dict[tuple[tuple[int, ...], str], list[np.ndarray]] = {}
_kept_lock = threading.Lock()
_UNHELD = 3  # an array's reference count when only _kept holds it: the list, the loop's name, getrefcount's own


def _mallopt() -> ctypes._CFuncPtr | None:
    """glibc's ``mallopt``, or None under another C library."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        gnu_libc_version = libc.gnu_get_libc_version  # only glibc has it
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    del gnu_libc_version
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt


def configure() -> str:
    """Apply the policy once and return what was done: "reuse", "system", or "unavailable" (not glibc)."""
    global _configured
    if _configured is not None:
        return _configured
    policy = os.environ.get(ENV_VAR, "reuse").strip().lower()
    if policy not in CHOICES:
        raise ValueError(f"{ENV_VAR}={policy!r} is not an allocation policy: use one of {', '.join(CHOICES)}")
    if policy == "reuse":
        mallopt = _mallopt()
        if mallopt is None or not (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                                   and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)):
            policy = "unavailable"
    _configured = policy
    return policy


def empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """``np.empty(shape, dtype)`` for an array a training step allocates again at every step. Below
    ``MMAP_THRESHOLD`` (or with the "system" policy) it is exactly that; a larger array is one kept from an
    earlier call whose pages are mapped already, when nothing refers to it any more (no array, view or saved
    tensor: CPython's reference count says so), else a new one, kept if fewer than ``KEPT_PER_SHAPE`` are."""
    dtype = np.dtype(dtype)
    if configure() != "reuse" or math.prod(shape) * dtype.itemsize < MMAP_THRESHOLD:
        return np.empty(shape, dtype)
    key = (tuple(shape), dtype.str)
    with _kept_lock:
        kept = _kept.setdefault(key, [])
        for array in kept:
            if sys.getrefcount(array) == _UNHELD:
                return array
        array = np.empty(shape, dtype)
        if len(kept) < KEPT_PER_SHAPE:
            kept.append(array)
        return array

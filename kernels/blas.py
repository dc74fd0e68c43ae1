"""Matrix products by a ``cblas_sgemm`` found with ctypes — Intel MKL's where the ``mkl`` package is installed,
else the one of the OpenBLAS that NumPy loaded — for the layers (``matmul``: Linear, the convolutions' im2col
products, through dispatch.matmul) and from inside Numba kernels (``sgemm``: the LSTM's loops, attention's heads).

A loop of small products written in Python (the LSTM's one product per time step) pays NumPy's call at every
product and holds the GIL between products: with two threads each running such a loop they handed the GIL back
and forth twice per step (the LSTM's forward loop took 9.5 ms on two threads of 16 rows each, against 6.2 ms for
one thread alone). A kernel that calls sgemm itself runs the whole loop with the GIL released. The function is
passed to the kernel as an argument: Numba then calls it through its address, read at each call, and the kernel
stays cacheable (a function pointer among its globals would not be). Both libraries' functions take 64-bit
integers (MKL's ``cblas_sgemm_64``, NumPy's OpenBLAS ``…sgemm64_``), so a kernel is compiled once for either.
``sgemm()`` is None where neither is found (NumPy on Accelerate, a 32-bit-integer OpenBLAS): the callers keep
NumPy's products there.

Why MKL when it is there: on the small products these loops make (16 × 161 × 512 for an LSTM step, a head of
attention) OpenBLAS 0.3.31 reaches 70–105 GFLOP/s on one core of an AVX-512 Xeon, MKL 2026.2 115–165 (the
LSTM's step product 34 µs → 19 µs), and on two threads the layers' products run 15–45% faster — PyTorch's CPU
build, which we race, runs on MKL too. MKL is loaded with its TBB threading layer, so its threads are the TBB
workers Numba's kernels run on (threads.py) and the two never oversubscribe the cores. That layer ignores
``MKL_Set_Num_Threads`` and ``MKL_NUM_THREADS`` (a product uses every TBB worker that is free: measured, CPU time
twice the wall time with the count set to 1), so where the kernels are to run on one thread
(``NUMBA_NUM_THREADS=1``, the benchmark's ``--threads 1``) MKL is loaded with its sequential layer instead.
Inside the kernels' parallel loops each thread's sgemm call may borrow the other worker when it is idle.
``TINYGRAD_EDU_BLAS=openblas`` keeps OpenBLAS; NumPy's own ``@`` always uses it.

    C = α · op(A) · op(B) + β · C     (row-major; op(X) = X or Xᵀ; lda, ldb, ldc the row strides in elements)
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys
from functools import cache
from typing import Any

import numpy as np

from . import threads

ENV_VAR = "TINYGRAD_EDU_BLAS"
CHOICES = ("mkl", "openblas")
_MKL_SEQUENTIAL, _MKL_TBB = 1, 4  # MKL_Set_Threading_Layer's values for its one-thread and its TBB layers
_MKL_CBWR_AUTO = 2  # conditional numerical reproducibility: the same bits run after run on this machine

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # CBLAS's enum values

# (symbol, its integer type): NumPy ≥ 2 ships OpenBLAS with 64-bit integers and a scipy_ prefix, NumPy 1.2x
# with the suffix alone
_SYMBOLS = (("scipy_cblas_sgemm64_", ctypes.c_int64), ("cblas_sgemm64_", ctypes.c_int64))


@cache
def choice() -> str:
    """The library asked for: ``TINYGRAD_EDU_BLAS`` if set, else "mkl" (used only where it loads)."""
    name = os.environ.get(ENV_VAR, "mkl").strip().lower() or "mkl"
    if name not in CHOICES:
        raise ValueError(f"{ENV_VAR}={name!r}: choose one of {', '.join(CHOICES)}")
    return name


@cache
def mkl_library() -> Any | None:
    """Intel MKL's single dynamic library from the ``mkl`` package (``<prefix>/lib/libmkl_rt.so.*``), or None
    where it is not installed, does not load, or ``TINYGRAD_EDU_BLAS=openblas``.

    Threads: MKL's TBB layer where Numba's kernels run on TBB with more than one thread (threads.py: the same
    TBB workers, so the two never oversubscribe the cores; a product starts its threads in microseconds), its
    sequential layer otherwise (the TBB layer would use every core whatever thread count is asked for). Either
    way in conditional-numerical-reproducibility mode, so a seeded run gives the same bits every time (checked
    by tests/kernels/test_blas.py)."""
    if choice() != "mkl" or sys.platform != "linux":
        return None
    for path in sorted(glob.glob(os.path.join(sys.prefix, "lib", "libmkl_rt.so*")), reverse=True):
        try:
            library = ctypes.CDLL(path)
            library.MKL_Set_Threading_Layer.argtypes = [ctypes.c_int]
            library.MKL_Set_Threading_Layer(_threading_layer())  # before any other MKL call: MKL chooses once
            library.MKL_CBWR_Set.argtypes = [ctypes.c_int]
            library.MKL_CBWR_Set(_MKL_CBWR_AUTO)
            return library
        except (OSError, AttributeError):
            continue
    return None


def _threading_layer() -> int:
    """MKL's TBB layer when the kernels run on TBB with more than one thread, else its sequential layer."""
    return _MKL_TBB if threads.chosen_policy() == "tbb" and threads.num_threads() > 1 else _MKL_SEQUENTIAL


def _typed(function: Any, integer: Any) -> Any:
    address = ctypes.c_void_p
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer, integer, ctypes.c_float,
                         address, integer, address, integer, ctypes.c_float, address, integer]
    function.restype = None
    return function


@cache
def sgemm() -> Any | None:
    """cblas_sgemm(order, trans_a, trans_b, m, n, k, α, A, lda, B, ldb, β, C, ldc) as a ctypes function (A, B, C
    passed as addresses, integers 64-bit), or None."""
    mkl = mkl_library()
    if mkl is not None and hasattr(mkl, "cblas_sgemm_64"):
        return _typed(mkl.cblas_sgemm_64, ctypes.c_int64)
    library = threads.openblas_library()
    if library is None:
        return None
    for name, integer in _SYMBOLS:
        function = getattr(library, name, None)
        if function is not None:
            return _typed(function, integer)
    return None


def describe() -> str:
    """Which library the kernels' products call, for the benchmark's machine facts."""
    function = sgemm()
    if function is None:
        return "none (NumPy's products)"
    library = mkl_library()
    if library is None:
        return "OpenBLAS (NumPy's)"
    text = ctypes.create_string_buffer(256)
    library.MKL_Get_Version_String(text, 256)
    version = text.value.decode(errors="replace").split(" for ")[0]
    version = version.replace("Intel(R) oneAPI Math Kernel Library", "MKL")
    layer = "TBB threads" if _threading_layer() == _MKL_TBB else "sequential"
    return f"{version.strip()} ({layer}; NumPy's own products: OpenBLAS)"


def _operand(a: Any) -> tuple[Any, int, int]:
    """(array, transposed flag, leading dimension) for a non-empty 2-D float32 operand that is C-contiguous or the
    transpose of one (no copy), else a C-contiguous copy."""
    if a.flags.c_contiguous:
        return a, NO_TRANS, a.shape[1]
    if a.flags.f_contiguous:
        return a, TRANS, a.shape[0]
    return np.ascontiguousarray(a), NO_TRANS, a.shape[1]


MKL_MIN_WORK = 1 << 20  # multiply-adds: below, NumPy's product (a 128 × 128 × 10 one: 4–8 µs against 11–15 by MKL)


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """a @ b, by MKL's sgemm for float32 NumPy matrices of ``MKL_MIN_WORK`` multiply-adds or more where MKL is
    loaded, by NumPy otherwise (smaller products, other dtypes, CuPy, stacks of matrices). ``out``: a
    C-contiguous float32 (M, N) array to write into."""
    function = sgemm() if mkl_library() is not None else None
    if (function is None or not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray) or a.ndim != 2
            or b.ndim != 2 or a.dtype != np.float32 or b.dtype != np.float32 or a.shape[1] != b.shape[0]
            or a.shape[0] * a.shape[1] * b.shape[1] < MKL_MIN_WORK  # small (or empty): NumPy's call costs less
            or (out is not None and not out.flags.c_contiguous)):
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    rows, inner, cols = a.shape[0], a.shape[1], b.shape[1]
    if out is None:
        out = np.empty((rows, cols), dtype=np.float32)
    a, trans_a, lda = _operand(a)
    b, trans_b, ldb = _operand(b)
    function(ROW_MAJOR, trans_a, trans_b, rows, cols, inner, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, 0.0,
             out.ctypes.data, cols)
    return out

"""Matrix products called from inside Numba kernels: the ``cblas_sgemm`` of the OpenBLAS that NumPy loaded.

A loop of small products written in Python (the LSTM's one product per time step) pays NumPy's call at every
product and holds the GIL between products; with two threads each running such a loop (threads.run_blocks),
they hand the GIL back and forth twice per step: the LSTM's forward loop took 9.5 ms on two threads of 16 rows
each, against 6.2 ms for one thread alone. A kernel that calls sgemm itself runs the whole loop with the GIL
released.

The function is found with ctypes (threads.openblas_library) and passed to the kernel as an argument: Numba
then calls it through its address, read at each call, and the kernel stays cacheable (a function pointer among
its globals would not be). ``sgemm()`` is None where NumPy's BLAS is not an OpenBLAS exporting a 64-bit-integer
cblas_sgemm (MKL, Accelerate, other builds): the callers keep NumPy's products there.

    C = α · op(A) · op(B) + β · C     (row-major; op(X) = X or Xᵀ; lda, ldb, ldc the row strides in elements)
"""

from __future__ import annotations

import ctypes
from functools import cache
from typing import Any

from . import threads

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # CBLAS's enum values

# (symbol, its integer type): NumPy ≥ 2 ships OpenBLAS with 64-bit integers and a scipy_ prefix, NumPy 1.2x
# with the suffix alone
_SYMBOLS = (("scipy_cblas_sgemm64_", ctypes.c_int64), ("cblas_sgemm64_", ctypes.c_int64))


@cache
def sgemm() -> Any | None:
    """cblas_sgemm(order, trans_a, trans_b, m, n, k, α, A, lda, B, ldb, β, C, ldc) as a ctypes function (A, B, C
    passed as addresses), or None."""
    library = threads.openblas_library()
    if library is None:
        return None
    for name, integer in _SYMBOLS:
        function = getattr(library, name, None)
        if function is not None:
            address = ctypes.c_void_p
            function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer, integer, ctypes.c_float,
                                 address, integer, address, integer, ctypes.c_float, address, integer]
            function.restype = None
            return function
    return None

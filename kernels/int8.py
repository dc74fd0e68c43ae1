"""int8 × int8 → int32 matrix products, the inner loop of quantised inference.

    C[i, j] = Σ_k A[i, k] · B[j, k]        A: (M, K) int8,  B: (N, K) int8 (a weight, one row per output),  C: int32

Each product of two int8 numbers lies in [−16256, 16384] and fits in 16 bits; the sum over K terms is kept in
int32, which cannot overflow for K < 2³¹ / 127² ≈ 133,000 (a 3×3 convolution over 14,000 channels).

Two implementations, chosen by measurement (docs/compression.md):

* ``matmul_int8_numpy``: ``A.astype(int32) @ B.T.astype(int32)``. NumPy has no BLAS for integers: its integer
  matmul is a plain triple loop in C, far slower than float32 BLAS.
* ``matmul_int8``: a Numba kernel, parallel over the rows of A, that walks A's row and B's row side by side
  (both contiguous along K) and accumulates in int32; LLVM vectorises the inner loop (widening multiply-adds).

Neither beats float32 BLAS on this CPU: the point of int8 here is a 4× smaller model and exact integer
arithmetic, the speed-up needs int8 hardware paths (VNNI, GPU tensor cores) that NumPy cannot reach.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from . import threads

threads.configure()

INT32_SAFE_K = (2**31 - 1) // (128 * 128)  # the longest sum that cannot overflow int32, however the values fall


def matmul_int8_numpy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The reference: int32 products with NumPy's integer matmul, C = A · Bᵀ."""
    return a.astype(np.int32) @ b.astype(np.int32).T


@numba.njit(parallel=True, cache=True, nogil=True)
def _matmul_int8_kernel(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    rows, depth = a.shape
    cols = b.shape[0]
    for i in prange(rows):
        for j in range(cols):
            acc = np.int32(0)
            for k in range(depth):
                acc += np.int32(a[i, k]) * np.int32(b[j, k])
            out[i, j] = acc


def matmul_int8(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C = A · Bᵀ in int32 for int8 A (M, K) and B (N, K), with the Numba kernel."""
    if a.dtype != np.int8 or b.dtype != np.int8:
        raise TypeError(f"matmul_int8: both operands must be int8, got {a.dtype} and {b.dtype}")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"matmul_int8: A (M, K) and B (N, K) must share K, got shapes {a.shape} and {b.shape}")
    if a.shape[1] > INT32_SAFE_K:
        raise ValueError(f"matmul_int8: K = {a.shape[1]} terms could overflow int32 (at most {INT32_SAFE_K})")
    out = np.empty((a.shape[0], b.shape[0]), dtype=np.int32)
    _matmul_int8_kernel(np.ascontiguousarray(a), np.ascontiguousarray(b), out)
    return out

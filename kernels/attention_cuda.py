"""The flash attention kernel of ``attention.py`` for CuPy arrays, written with ``numba.cuda``.

Same formulas and arguments (arrays already flattened to (N, L, d) by ``attention.py``); like the CPU kernel it
keeps only O and the row log-sum-exp L, never a (Lq × Lk) matrix. One thread block per row of the attention
matrix (or per column, for dK and dV); the keys (or queries) go by in tiles of one key per thread:

- ``forward``: block (n, i) finds the row maximum m and the sum ℓ = Σ_j e^{S_ij − m} with block reductions in
  shared memory (its threads split the keys, each score computed where it is needed), so L = m + log ℓ; then for
  each tile every thread writes P_ij M_ij = e^{S_ij − L} M_ij of its key to shared memory and the threads,
  splitting the value features, add the tile's Σ_j P_ij M_ij V[j, :] into O[i, :]. (Two passes over the keys
  instead of the CPU kernel's online rescaling: on a GPU the block's threads reduce the whole row at once.)
- ``backward_rows``: block (n, i) computes D_i = dO_i·O_i, then per tile s·dS_ij = s·P_ij (dP_ij − D_i) into
  shared memory and adds Σ_j s·dS_ij K[j, :] into dQ[i, :]; it writes D_i for the next kernel.
- ``backward_columns``: block (n, j) recomputes, per tile of queries, s·dS_ij and P_ij M_ij and adds
  Σ_i s·dS_ij Q[i, :] into dK[j, :] and Σ_i P_ij M_ij dO[i, :] into dV[j, :], so no two blocks ever add into the
  same output (no atomics).

The tests run these kernels on NumPy arrays under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``), where
every GPU thread is a Python thread: slow, but it checks the indexing and the block reductions without a GPU.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numba
import numpy as np
from numba import cuda

from tinygrad_edu.backend import get_array_module

THREADS_PER_BLOCK = 128  # a power of two: the shared-memory reduction halves it at every step


def flash_forward_cuda(q: Any, k: Any, v: Any, bias: Any, bias_group: int, keep: Any, keep_group: int,
                       causal: bool, scale: Any, out: Any, lse: Any, threads: int | None = None) -> None:
    """Fill ``out`` (N, Lq, dᵥ) and ``lse`` (N, Lq); arguments as ``attention._flash_forward_cpu``."""
    n_pairs, lq = q.shape[:2]
    if n_pairs == 0 or lq == 0:
        return
    bias, has_bias = _or_placeholder(bias, q)
    keep, has_keep = _or_placeholder(keep, q)
    threads = threads or THREADS_PER_BLOCK
    kernels = _kernels(threads, np.dtype(q.dtype).name)
    kernels.forward[(n_pairs, lq), threads](q, k, v, bias, has_bias, bias_group, keep, has_keep, keep_group,
                                            causal, scale, out, lse)


def flash_backward_cuda(grad_out: Any, q: Any, k: Any, v: Any, out: Any, lse: Any, bias: Any, bias_group: int,
                        keep: Any, keep_group: int, causal: bool, scale: Any, grad_q: Any, grad_k: Any, grad_v: Any,
                        threads: int | None = None) -> None:
    """Fill ``grad_q``, ``grad_k``, ``grad_v`` (zeros on entry); arguments as ``attention._flash_backward_cpu``."""
    n_pairs, lq = q.shape[:2]
    lk = k.shape[1]
    if n_pairs == 0 or lq == 0 or lk == 0:
        return
    bias, has_bias = _or_placeholder(bias, q)
    keep, has_keep = _or_placeholder(keep, q)
    delta = get_array_module(q).empty((n_pairs, lq), dtype=q.dtype)  # D = rowsum(dO ⊙ O)
    threads = threads or THREADS_PER_BLOCK
    kernels = _kernels(threads, np.dtype(q.dtype).name)
    kernels.backward_rows[(n_pairs, lq), threads](grad_out, q, k, v, out, lse, bias, has_bias, bias_group, keep,
                                                  has_keep, keep_group, causal, scale, delta, grad_q)
    kernels.backward_columns[(n_pairs, lk), threads](grad_out, q, k, v, lse, delta, bias, has_bias, bias_group,
                                                     keep, has_keep, keep_group, causal, scale, grad_k, grad_v)


def _or_placeholder(mask: Any, like: Any) -> tuple[Any, bool]:
    """A kernel argument cannot be None: an absent mask becomes a 1×1×1 array and a False flag."""
    if mask is not None and mask.shape[0] > 0:
        if isinstance(mask, np.ndarray) and not mask.flags.writeable:
            mask = mask.copy()  # the CUDA simulator copies every NumPy argument back after the launch
        return mask, True
    return get_array_module(like).zeros((1, 1, 1), dtype=like.dtype), False


class _Kernels:
    forward: Any
    backward_rows: Any
    backward_columns: Any


@cache
def _kernels(threads: int, dtype_name: str) -> _Kernels:
    """Compile the three kernels for one block size and float type (both are compile-time constants)."""
    if threads & (threads - 1):
        raise ValueError(f"threads per block must be a power of two, got {threads}")
    real = numba.from_dtype(np.dtype(dtype_name))
    minus_inf = -math.inf

    @cuda.jit(device=True)
    def block_sum(shared, value):  # pragma: no cover
        """Σ of ``value`` over the block's threads: a tree reduction in shared memory, log₂(threads) steps."""
        tid = cuda.threadIdx.x
        shared[tid] = value
        cuda.syncthreads()
        step = threads // 2
        while step > 0:
            if tid < step:
                shared[tid] += shared[tid + step]
            cuda.syncthreads()
            step //= 2
        total = shared[0]
        cuda.syncthreads()  # everyone has read shared[0] before the array is reused
        return total

    @cuda.jit(device=True)
    def block_max(shared, value):  # pragma: no cover
        tid = cuda.threadIdx.x
        shared[tid] = value
        cuda.syncthreads()
        step = threads // 2
        while step > 0:
            if tid < step:
                shared[tid] = max(shared[tid], shared[tid + step])
            cuda.syncthreads()
            step //= 2
        largest = shared[0]
        cuda.syncthreads()
        return largest

    @cuda.jit(device=True)
    def score(q, k, bias, has_bias, bias_group, causal, scale, n, i, j):  # pragma: no cover
        """S_ij = s · Q[i, :]·K[j, :] + B_ij, −∞ above the diagonal when causal."""
        if causal and j > i:
            return real(minus_inf)
        total = real(0)
        for c in range(q.shape[2]):
            total += q[n, i, c] * k[n, j, c]
        total *= scale
        if has_bias:
            total += bias[n // bias_group, min(i, bias.shape[1] - 1), j]
        return total

    @cuda.jit(device=True)
    def keep_at(keep, has_keep, keep_group, n, i, j):  # pragma: no cover
        return keep[n // keep_group, min(i, keep.shape[1] - 1), j] if has_keep else real(1)

    @cuda.jit
    def forward(q, k, v, bias, has_bias, bias_group, keep, has_keep, keep_group, causal, scale, out,
                lse):  # pragma: no cover
        n, i, tid = cuda.blockIdx.x, cuda.blockIdx.y, cuda.threadIdx.x
        lk, dv = k.shape[1], v.shape[2]
        shared = cuda.shared.array(threads, real)
        tile = cuda.shared.array(threads, real)
        local_max = real(minus_inf)
        for j in range(tid, lk, threads):  # m = max_j S_ij
            local_max = max(local_max, score(q, k, bias, has_bias, bias_group, causal, scale, n, i, j))
        row_max = block_max(shared, local_max)
        local_sum = real(0)
        if row_max != minus_inf:
            for j in range(tid, lk, threads):  # ℓ = Σ_j e^{S_ij − m}
                local_sum += math.exp(score(q, k, bias, has_bias, bias_group, causal, scale, n, i, j) - row_max)
        total = block_sum(shared, local_sum)
        row_lse = row_max + math.log(total) if total > 0 else real(minus_inf)
        for c in range(tid, dv, threads):
            out[n, i, c] = 0
        if tid == 0:
            lse[n, i] = row_lse
        if total == 0:
            return  # every key masked: O = 0 (the whole block returns together)
        for start in range(0, lk, threads):  # O[i, :] += Σ_{j in tile} P_ij M_ij V[j, :]
            j = start + tid
            weight = real(0)
            if j < lk:
                s_ij = score(q, k, bias, has_bias, bias_group, causal, scale, n, i, j)
                weight = math.exp(s_ij - row_lse) * keep_at(keep, has_keep, keep_group, n, i, j)
            tile[tid] = weight
            cuda.syncthreads()
            for c in range(tid, dv, threads):
                acc = real(0)
                for t in range(min(threads, lk - start)):
                    acc += tile[t] * v[n, start + t, c]
                out[n, i, c] += acc
            cuda.syncthreads()

    @cuda.jit
    def backward_rows(grad_out, q, k, v, out, lse, bias, has_bias, bias_group, keep, has_keep, keep_group, causal,
                      scale, delta, grad_q):  # pragma: no cover
        n, i, tid = cuda.blockIdx.x, cuda.blockIdx.y, cuda.threadIdx.x
        lk, d, dv = k.shape[1], q.shape[2], v.shape[2]
        shared = cuda.shared.array(threads, real)
        tile = cuda.shared.array(threads, real)
        local = real(0)
        for c in range(tid, dv, threads):  # D_i = dO_i · O_i
            local += grad_out[n, i, c] * out[n, i, c]
        row_delta = block_sum(shared, local)
        if tid == 0:
            delta[n, i] = row_delta
        row_lse = lse[n, i]
        if row_lse == minus_inf:
            return  # a fully masked row: no gradient (dQ stays 0)
        for start in range(0, lk, threads):
            j = start + tid
            grad_score = real(0)
            if j < lk:
                p_ij = math.exp(score(q, k, bias, has_bias, bias_group, causal, scale, n, i, j) - row_lse)
                grad_prob = real(0)  # dP_ij = (dO_i · V_j) M_ij
                for c in range(dv):
                    grad_prob += grad_out[n, i, c] * v[n, j, c]
                grad_prob *= keep_at(keep, has_keep, keep_group, n, i, j)
                grad_score = p_ij * (grad_prob - row_delta) * scale  # s · dS_ij
            tile[tid] = grad_score
            cuda.syncthreads()
            for c in range(tid, d, threads):  # dQ[i, :] += Σ_j s dS_ij K[j, :]
                acc = real(0)
                for t in range(min(threads, lk - start)):
                    acc += tile[t] * k[n, start + t, c]
                grad_q[n, i, c] += acc
            cuda.syncthreads()

    @cuda.jit
    def backward_columns(grad_out, q, k, v, lse, delta, bias, has_bias, bias_group, keep, has_keep, keep_group,
                         causal, scale, grad_k, grad_v):  # pragma: no cover
        n, j, tid = cuda.blockIdx.x, cuda.blockIdx.y, cuda.threadIdx.x
        lq, d, dv = q.shape[1], q.shape[2], v.shape[2]
        grad_tile = cuda.shared.array(threads, real)  # s · dS_ij for the tile's queries
        weight_tile = cuda.shared.array(threads, real)  # P_ij M_ij
        for start in range(0, lq, threads):
            i = start + tid
            grad_score, weight = real(0), real(0)
            if i < lq and lse[n, i] != minus_inf:
                p_ij = math.exp(score(q, k, bias, has_bias, bias_group, causal, scale, n, i, j) - lse[n, i])
                keep_ij = keep_at(keep, has_keep, keep_group, n, i, j)
                grad_prob = real(0)
                for c in range(dv):
                    grad_prob += grad_out[n, i, c] * v[n, j, c]
                grad_score = p_ij * (grad_prob * keep_ij - delta[n, i]) * scale
                weight = p_ij * keep_ij
            grad_tile[tid] = grad_score
            weight_tile[tid] = weight
            cuda.syncthreads()
            for c in range(tid, d, threads):  # dK[j, :] += Σ_i s dS_ij Q[i, :]
                acc = real(0)
                for t in range(min(threads, lq - start)):
                    acc += grad_tile[t] * q[n, start + t, c]
                grad_k[n, j, c] += acc
            for c in range(tid, dv, threads):  # dV[j, :] += Σ_i P_ij M_ij dO[i, :]
                acc = real(0)
                for t in range(min(threads, lq - start)):
                    acc += weight_tile[t] * grad_out[n, start + t, c]
                grad_v[n, j, c] += acc
            cuda.syncthreads()

    compiled = _Kernels()
    compiled.forward, compiled.backward_rows, compiled.backward_columns = forward, backward_rows, backward_columns
    return compiled

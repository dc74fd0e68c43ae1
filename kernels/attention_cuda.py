"""The attention kernel of ``attention.py`` for CuPy arrays, written with ``numba.cuda``.

Same formulas, same arguments (arrays already flattened to (N, L, d) by ``attention.py``), one thread block per
row of the attention matrix:

- ``forward``: block (n, i) computes the scores S[i, :] (its threads split the keys), reduces the row maximum
  and the row sum in shared memory, writes P[i, :] and then O[i, :] (its threads split the value features).
- ``backward_rows``: block (n, i) computes dP[i, :], the row sum rowsum(dP ⊙ P), writes s · dS[i, :] to a
  scratch matrix and computes dQ[i, :].
- ``backward_columns``: block (n, j) reads column j of dS and of P ⊙ M and computes dK[j, :] and dV[j, :], so no
  two blocks ever add into the same output (no atomics).

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


def forward_cuda(q: Any, k: Any, v: Any, bias: Any, bias_group: int, keep: Any, keep_group: int, causal: bool,
                 scale: Any, out: Any, probs: Any, threads: int | None = None) -> None:
    """Fill ``out`` (N, Lq, dᵥ) and ``probs`` (N, Lq, Lk); arguments as ``attention._forward_cpu``."""
    n_pairs, lq = q.shape[:2]
    if n_pairs == 0 or lq == 0:
        return
    bias, has_bias = _or_placeholder(bias, q)
    keep, has_keep = _or_placeholder(keep, q)
    threads = threads or THREADS_PER_BLOCK
    kernels = _kernels(threads, np.dtype(q.dtype).name)
    kernels.forward[(n_pairs, lq), threads](q, k, v, bias, has_bias, bias_group, keep, has_keep, keep_group,
                                            causal, scale, out, probs)


def backward_cuda(grad_out: Any, q: Any, k: Any, v: Any, probs: Any, keep: Any, keep_group: int, causal: bool,
                  scale: Any, grad_q: Any, grad_k: Any, grad_v: Any, threads: int | None = None) -> None:
    """Fill ``grad_q``, ``grad_k``, ``grad_v``; arguments as ``attention._backward_cpu``."""
    n_pairs, lq = q.shape[:2]
    lk = k.shape[1]
    xp = get_array_module(q)
    if n_pairs == 0 or lq == 0 or lk == 0:
        grad_q[...] = 0
        grad_k[...] = 0
        grad_v[...] = 0
        return
    keep, has_keep = _or_placeholder(keep, q)
    grad_scores = xp.empty((n_pairs, lq, lk), dtype=q.dtype)  # s · dS
    threads = threads or THREADS_PER_BLOCK
    kernels = _kernels(threads, np.dtype(q.dtype).name)
    kernels.backward_rows[(n_pairs, lq), threads](grad_out, q, k, v, probs, keep, has_keep, keep_group, causal,
                                                  scale, grad_scores, grad_q)
    kernels.backward_columns[(n_pairs, lk), threads](grad_out, q, probs, keep, has_keep, keep_group, causal,
                                                     grad_scores, grad_k, grad_v)


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

    @cuda.jit
    def forward(q, k, v, bias, has_bias, bias_group, keep, has_keep, keep_group, causal, scale, out,
                probs):  # pragma: no cover
        n, i, tid = cuda.blockIdx.x, cuda.blockIdx.y, cuda.threadIdx.x
        lk, d, dv = k.shape[1], q.shape[2], v.shape[2]
        stop = min(i + 1, lk) if causal else lk
        shared = cuda.shared.array(threads, real)
        local_max = real(minus_inf)
        for j in range(tid, lk, threads):  # S[i, j] = s · Q[i, :]·K[j, :] + B[i, j]
            score = real(minus_inf)
            if j < stop:
                score = real(0)
                for c in range(d):
                    score += q[n, i, c] * k[n, j, c]
                score *= scale
                if has_bias:
                    score += bias[n // bias_group, min(i, bias.shape[1] - 1), j]
            probs[n, i, j] = score
            local_max = max(local_max, score)
        row_max = block_max(shared, local_max)
        local_sum = real(0)
        for j in range(tid, lk, threads):  # e^{S − max}; a fully masked row stays 0
            e = real(0) if row_max == minus_inf else math.exp(probs[n, i, j] - row_max)
            probs[n, i, j] = e
            local_sum += e
        total = block_sum(shared, local_sum)
        inv_total = real(1) / total if total > 0 else real(0)
        for j in range(tid, lk, threads):
            probs[n, i, j] *= inv_total
        cuda.syncthreads()  # the whole row of P is written before any thread reads it
        for c in range(tid, dv, threads):  # O[i, c] = Σ_j (P ⊙ M)[i, j] V[j, c]
            acc = real(0)
            for j in range(stop):
                weight = probs[n, i, j]
                if has_keep:
                    weight *= keep[n // keep_group, min(i, keep.shape[1] - 1), j]
                acc += weight * v[n, j, c]
            out[n, i, c] = acc

    @cuda.jit
    def backward_rows(grad_out, q, k, v, probs, keep, has_keep, keep_group, causal, scale, grad_scores,
                      grad_q):  # pragma: no cover
        n, i, tid = cuda.blockIdx.x, cuda.blockIdx.y, cuda.threadIdx.x
        lk, d, dv = k.shape[1], q.shape[2], v.shape[2]
        stop = min(i + 1, lk) if causal else lk
        shared = cuda.shared.array(threads, real)
        local_sum = real(0)
        for j in range(tid, lk, threads):  # dP[i, j] = (dO[i, :]·V[j, :]) M[i, j]
            grad_prob = real(0)
            if j < stop:
                for c in range(dv):
                    grad_prob += grad_out[n, i, c] * v[n, j, c]
                if has_keep:
                    grad_prob *= keep[n // keep_group, min(i, keep.shape[1] - 1), j]
            grad_scores[n, i, j] = grad_prob
            local_sum += grad_prob * probs[n, i, j]
        delta = block_sum(shared, local_sum)  # rowsum(dP ⊙ P)
        for j in range(tid, lk, threads):  # s · dS[i, j] = s · P[i, j] (dP[i, j] − delta)
            grad_scores[n, i, j] = probs[n, i, j] * (grad_scores[n, i, j] - delta) * scale
        cuda.syncthreads()
        for c in range(tid, d, threads):  # dQ[i, c] = Σ_j s dS[i, j] K[j, c]
            acc = real(0)
            for j in range(stop):
                acc += grad_scores[n, i, j] * k[n, j, c]
            grad_q[n, i, c] = acc

    @cuda.jit
    def backward_columns(grad_out, q, probs, keep, has_keep, keep_group, causal, grad_scores, grad_k,
                         grad_v):  # pragma: no cover
        n, j, tid = cuda.blockIdx.x, cuda.blockIdx.y, cuda.threadIdx.x
        lq, d, dv = q.shape[1], q.shape[2], grad_out.shape[2]
        start = j if causal else 0  # the queries that saw key j
        for c in range(tid, d, threads):  # dK[j, c] = Σ_i s dS[i, j] Q[i, c]
            acc = real(0)
            for i in range(start, lq):
                acc += grad_scores[n, i, j] * q[n, i, c]
            grad_k[n, j, c] = acc
        for c in range(tid, dv, threads):  # dV[j, c] = Σ_i (P ⊙ M)[i, j] dO[i, c]
            acc = real(0)
            for i in range(start, lq):
                weight = probs[n, i, j]
                if has_keep:
                    weight *= keep[n // keep_group, min(i, keep.shape[1] - 1), j]
                acc += weight * grad_out[n, i, c]
            grad_v[n, j, c] = acc

    compiled = _Kernels()
    compiled.forward, compiled.backward_rows, compiled.backward_columns = forward, backward_rows, backward_columns
    return compiled

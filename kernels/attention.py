"""Fused softmax attention, forward and backward: a NumPy reference and a Numba kernel that must agree.

For one head, with queries Q (Lq × d), keys K (Lk × d), values V (Lk × dᵥ), scale s (1/√d by default), an
additive bias B (−∞ where a query may not look at a key) and an optional causal rule (query i sees keys j ≤ i):

    S = s · Q Kᵀ + B          scores
    P = softmax(S)            row by row, with the row maximum subtracted first (the value is unchanged,
                              and e^x can no longer overflow)
    O = (P ⊙ M) V             M: the dropout keep-mask (0 or 1/(1 − p)), all ones without dropout

Backward, from ∂L/∂O (written dO, and likewise for the others):

    dV = (P ⊙ M)ᵀ dO
    dP = (dO Vᵀ) ⊙ M
    dS = P ⊙ (dP − rowsum(dP ⊙ P))     the softmax's Jacobian applied row by row
    dQ = s · dS K,   dK = s · dSᵀ Q,   dB = dS

A row whose keys are all masked has no softmax (0/0); like PyTorch's ``scaled_dot_product_attention`` it gets
P = 0, hence O = 0 and no gradient.

``attention_forward_reference`` / ``attention_backward_reference`` (reference.py, re-exported here) write
these lines with matrix products (NumPy or CuPy: the readable version). ``attention_forward`` /
``attention_backward`` run the fused kernel: one pass over each (batch × head) pair, in parallel, never
materialising S apart from P itself, and skipping the masked half of a causal matrix. On CuPy arrays they run
the ``numba.cuda`` version in ``attention_cuda.py``. Which one runs is decided in dispatch.py.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from tinygrad_edu.backend import get_array_module

from . import threads
from .reference import (  # noqa: F401  (the reference lives with the other references; tests read it here too)
    attention_backward_reference,
    attention_forward_reference,
    causal_mask,
    default_scale,
)

threads.configure()  # idle kernel threads must sleep, not spin against OpenBLAS's (see threads.py)

# fast-math without 'ninf'/'nnan': the kernels rely on −∞ scores for masked keys
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}


# ------------------------------------------------------------------------------------- the fused kernel


def attention_forward(q: Any, k: Any, v: Any, bias: Any = None, causal: bool = False,
                      scale: float | None = None, keep: Any = None) -> tuple[Any, Any]:
    """The fused kernel's forward: the same (O, P) as ``attention_forward_reference``.

    q, k and v must share their leading (batch, head, …) axes; ``bias`` and ``keep`` broadcast to (…, Lq, Lk).
    """
    batch, lq, lk, q3, k3, v3 = _flatten_heads(q, k, v)
    scale = q.dtype.type(default_scale(q) if scale is None else scale)
    bias3, bias_group = _compact(bias, batch, lq, lk, q.dtype)
    keep3, keep_group = _compact(keep, batch, lq, lk, q.dtype)
    xp = get_array_module(q)
    out = xp.empty(q3.shape[:2] + (v3.shape[2],), dtype=q.dtype)
    probs = xp.empty((q3.shape[0], lq, lk), dtype=q.dtype)
    if xp is np:
        fast_exp = q.dtype == np.float32  # the vectorised exp is written for float32
        _forward_cpu(q3, k3, v3, bias3, bias_group, keep3, keep_group, causal, scale, fast_exp,
                     _workers(q3.shape[0]), out, probs)
    else:
        from .attention_cuda import forward_cuda

        forward_cuda(q3, k3, v3, bias3, bias_group, keep3, keep_group, causal, scale, out, probs)
    return out.reshape(batch + out.shape[1:]), probs.reshape(batch + probs.shape[1:])


def attention_backward(grad_out: Any, q: Any, k: Any, v: Any, probs: Any, causal: bool = False,
                       scale: float | None = None, keep: Any = None) -> tuple[Any, Any, Any]:
    """The fused kernel's backward: (dQ, dK, dV), as ``attention_backward_reference``."""
    batch, lq, lk, q3, k3, v3 = _flatten_heads(q, k, v)
    scale = q.dtype.type(default_scale(q) if scale is None else scale)
    keep3, keep_group = _compact(keep, batch, lq, lk, q.dtype)
    xp = get_array_module(q)
    grad_out3 = xp.ascontiguousarray(grad_out.reshape(q3.shape[:2] + (v3.shape[2],)), dtype=q.dtype)
    probs3 = xp.ascontiguousarray(probs.reshape(q3.shape[0], lq, lk))
    grad_q, grad_k, grad_v = xp.empty_like(q3), xp.empty_like(k3), xp.empty_like(v3)
    if xp is np:
        _backward_cpu(grad_out3, q3, k3, v3, probs3, keep3, keep_group, causal, scale, _workers(q3.shape[0]),
                      grad_q, grad_k, grad_v)
    else:
        from .attention_cuda import backward_cuda

        backward_cuda(grad_out3, q3, k3, v3, probs3, keep3, keep_group, causal, scale, grad_q, grad_k, grad_v)
    return grad_q.reshape(q.shape), grad_k.reshape(k.shape), grad_v.reshape(v.shape)


def _workers(n_pairs: int) -> int:
    """Threads for the kernel: Numba's thread count, at most one per (batch, head) pair. (Read here, not inside
    the kernel: ``numba.get_num_threads()`` in compiled code would stop Numba from caching it.)"""
    return max(1, min(numba.get_num_threads(), n_pairs))


def _flatten_heads(q: Any, k: Any, v: Any) -> tuple[tuple[int, ...], int, int, Any, Any, Any]:
    """Merge the leading axes into one (N = batch × heads) and make each array contiguous for the loops."""
    if q.ndim < 2 or not (q.shape[:-2] == k.shape[:-2] == v.shape[:-2]):
        raise ValueError(f"attention kernel: q {q.shape}, k {k.shape}, v {v.shape} need the same leading axes")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"attention kernel: q {q.shape}, k {k.shape}, v {v.shape}: q and k need the same "
                         "last axis, k and v the same number of keys")
    xp = get_array_module(q)
    batch = q.shape[:-2]
    lq, lk = q.shape[-2], k.shape[-2]
    n = math.prod(batch)
    q3 = xp.ascontiguousarray(q.reshape(n, lq, q.shape[-1]))
    k3 = xp.ascontiguousarray(k.reshape(n, lk, k.shape[-1]), dtype=q.dtype)
    v3 = xp.ascontiguousarray(v.reshape(n, lk, v.shape[-1]), dtype=q.dtype)
    return batch, lq, lk, q3, k3, v3


def _compact(mask: Any, batch: tuple[int, ...], lq: int, lk: int, dtype: Any) -> tuple[Any, int]:
    """A mask broadcastable to (*batch, Lq, Lk) as a contiguous (Nₘ, 1 or Lq, Lk) array and a group size g:
    pair n of the N = prod(batch) (batch × head) pairs uses mask[n // g]. Without a mask: an empty array.

    A mask that varies along leading axes only (say (B, 1, Lq, Lk) for batch (B, H), or a 2-D (Lq, Lk)) is
    never copied out to the full (N, Lq, Lk); other layouts are.
    """
    xp = get_array_module(mask) if mask is not None else np
    if mask is None:
        return np.empty((0, 1, 1), dtype=dtype), 1
    mask = xp.asarray(mask, dtype=dtype)
    shape = (1,) * (len(batch) + 2 - mask.ndim) + tuple(mask.shape)
    if len(shape) != len(batch) + 2:
        raise ValueError(f"attention mask of shape {mask.shape} has more axes than the scores {batch + (lq, lk)}")
    mask = mask.reshape(shape)
    lead = shape[:-2]
    varying = [i for i, size in enumerate(lead) if size != 1]
    last = varying[-1] + 1 if varying else 0
    if any(lead[i] != batch[i] for i in range(last)):  # a size-1 axis inside the varying prefix: expand it
        lead, last = batch, len(batch)
    rows = lq if shape[-2] != 1 else 1
    target = lead[:last] + (1,) * (len(batch) - last) + (rows, lk)
    mask = xp.ascontiguousarray(xp.broadcast_to(mask, target))
    if xp is np and not mask.flags.writeable:
        mask = mask.copy()  # a read-only array would make Numba compile the kernel once more, for that type
    return mask.reshape(math.prod(lead[:last]), rows, lk), math.prod(batch[last:])


# The loops are ordered for the vector units: every innermost loop runs along a contiguous axis of length Lq or
# Lk (never along the short head axis d alone), either as an axpy y[:] += a·x[:] or as a dot product. So K, V,
# Q and dO are transposed once per head, and dK, dV are computed from the transposed dS and P. Each thread takes
# a contiguous block of (batch, head) pairs and allocates its scratch buffers once, not once per pair: for many
# small heads the allocations would otherwise cost more than the arithmetic.


@numba.njit(parallel=True, cache=True, fastmath=_FASTMATH)
def _forward_cpu(q, k, v, bias, bias_group, keep, keep_group, causal, scale, fast_exp, workers, out,
                 probs):  # pragma: no cover
    n_pairs, lq, d = q.shape
    lk, dv = k.shape[1], v.shape[2]
    for worker in numba.prange(workers):
        keys_t = np.empty((d, lk), dtype=q.dtype)  # Kᵀ of the current pair
        values_t = np.empty((dv, lk), dtype=q.dtype)  # Vᵀ
        exponents = np.empty(lk, dtype=np.int32)
        weights = np.empty(lk, dtype=q.dtype)
        for n in range(worker * n_pairs // workers, (worker + 1) * n_pairs // workers):
            keys_t[...] = k[n].T
            values_t[...] = v[n].T
            for i in range(lq):
                stop = min(i + 1, lk) if causal else lk  # keys this query may see
                row = probs[n, i]
                row[:] = 0
                for c in range(d):  # S[i, :] = s · Σ_c Q[i, c] Kᵀ[c, :]
                    q_ic = q[n, i, c] * scale
                    for j in range(stop):
                        row[j] += q_ic * keys_t[c, j]
                if bias.shape[0] > 0:
                    bias_row = bias[n // bias_group, min(i, bias.shape[1] - 1)]
                    for j in range(stop):
                        row[j] += bias_row[j]
                if not _softmax_inplace(row[:stop], exponents, fast_exp):
                    row[:] = 0  # every key masked: P = 0, O = 0
                    out[n, i] = 0
                    continue
                if keep.shape[0] > 0:  # O = (P ⊙ M) V
                    keep_row = keep[n // keep_group, min(i, keep.shape[1] - 1)]
                    for j in range(stop):
                        weights[j] = row[j] * keep_row[j]
                else:
                    weights[:stop] = row[:stop]
                for c in range(dv):  # O[i, c] = Σ_j (P ⊙ M)[i, j] Vᵀ[c, j]
                    out[n, i, c] = _dot(weights[:stop], values_t[c, :stop])


@numba.njit(parallel=True, cache=True, fastmath=_FASTMATH)
def _backward_cpu(grad_out, q, k, v, probs, keep, keep_group, causal, scale, workers,
                  grad_q, grad_k, grad_v):  # pragma: no cover
    n_pairs, lq, d = q.shape
    lk, dv = k.shape[1], v.shape[2]
    for worker in numba.prange(workers):
        keys_t = np.empty((d, lk), dtype=q.dtype)  # Kᵀ
        values_t = np.empty((dv, lk), dtype=q.dtype)  # Vᵀ
        queries_t = np.empty((d, lq), dtype=q.dtype)  # Qᵀ
        grad_out_t = np.empty((dv, lq), dtype=q.dtype)  # dOᵀ
        grad_scores = np.empty((lq, lk), dtype=q.dtype)  # s · dS
        grad_scores_t = np.empty((lk, lq), dtype=q.dtype)
        weights_t = np.empty((lk, lq), dtype=q.dtype)  # (P ⊙ M)ᵀ
        for n in range(worker * n_pairs // workers, (worker + 1) * n_pairs // workers):
            keys_t[...] = k[n].T
            values_t[...] = v[n].T
            queries_t[...] = q[n].T
            grad_out_t[...] = grad_out[n].T
            grad_scores[...] = 0
            for i in range(lq):
                stop = min(i + 1, lk) if causal else lk
                row = probs[n, i]
                grad_row = grad_scores[i]
                for c in range(dv):  # dP[i, :] = Σ_c dO[i, c] Vᵀ[c, :]
                    g = grad_out[n, i, c]
                    for j in range(stop):
                        grad_row[j] += g * values_t[c, j]
                if keep.shape[0] > 0:
                    keep_row = keep[n // keep_group, min(i, keep.shape[1] - 1)]
                    for j in range(stop):
                        grad_row[j] *= keep_row[j]
                delta = 0.0  # rowsum(dP ⊙ P)
                for j in range(stop):
                    delta += grad_row[j] * row[j]
                for j in range(stop):  # dS[i, :] = P[i, :] ⊙ (dP[i, :] − delta), times s
                    grad_row[j] = row[j] * (grad_row[j] - delta) * scale
                for c in range(d):  # dQ[i, c] = s Σ_j dS[i, j] Kᵀ[c, j]
                    grad_q[n, i, c] = _dot(grad_row[:stop], keys_t[c, :stop])
            grad_scores_t[...] = grad_scores.T
            weights_t[...] = probs[n].T
            if keep.shape[0] > 0:
                weights_t *= keep[n // keep_group].T
            for j in range(lk):
                start = j if causal else 0  # the queries that saw key j
                if start >= lq:
                    grad_k[n, j] = 0
                    grad_v[n, j] = 0
                    continue
                for c in range(d):  # dK[j, c] = s Σ_i dS[i, j] Qᵀ[c, i]
                    grad_k[n, j, c] = _dot(grad_scores_t[j, start:], queries_t[c, start:])
                for c in range(dv):  # dV[j, c] = Σ_i (P ⊙ M)[i, j] dOᵀ[c, i]
                    grad_v[n, j, c] = _dot(weights_t[j, start:], grad_out_t[c, start:])


@numba.njit(cache=True, fastmath=_FASTMATH)
def _softmax_inplace(row, exponents, fast_exp):  # pragma: no cover
    """row ← softmax(row), stably (the maximum subtracted first). False when every entry is −∞ (all masked)."""
    row_max = -np.inf
    for j in range(row.shape[0]):
        row_max = max(row_max, row[j])
    if row_max == -np.inf:
        return False
    for j in range(row.shape[0]):
        row[j] -= row_max
    if fast_exp:
        _exp_nonpositive_float32(row, exponents)
    else:
        for j in range(row.shape[0]):
            row[j] = math.exp(row[j])
    total = 0.0
    for j in range(row.shape[0]):
        total += row[j]
    inv_total = 1.0 / total
    for j in range(row.shape[0]):
        row[j] *= inv_total
    return True


@numba.njit(cache=True, fastmath=_FASTMATH)
def _exp_nonpositive_float32(x, exponents):  # pragma: no cover
    """x ← eˣ for float32 x ≤ 0, in loops the compiler can vectorise (a loop calling ``math.exp`` cannot be,
    which made it the slowest part of the kernel).

    Cephes' method: eˣ = 2ⁿ · eʳ with n = round(x / ln 2) and r = x − n ln 2 ∈ [−½ ln 2, ½ ln 2], where eʳ is a
    degree-7 polynomial accurate to float32 rounding, and 2ⁿ is built directly from its bits (exponent field
    n + 127). Below x = −87.3, eˣ < 1.2·10⁻³⁸ is under float32's normal range and becomes 0 (so does a masked −∞).
    """
    powers_of_two = exponents.view(np.float32)
    for j in range(x.shape[0]):
        underflow = x[j] < np.float32(-87.3)
        value = max(x[j], np.float32(-87.3))
        n = np.floor(value * np.float32(1.4426950408889634) + np.float32(0.5))
        r = value - n * np.float32(0.693359375) - n * np.float32(-2.12194440e-4)  # ln 2 in two parts
        p = np.float32(1.9875691500e-4)
        p = p * r + np.float32(1.3981999507e-3)
        p = p * r + np.float32(8.3334519073e-3)
        p = p * r + np.float32(4.1665795894e-2)
        p = p * r + np.float32(1.6666665459e-1)
        p = p * r + np.float32(5.0000001201e-1)
        x[j] = p * r * r + r + np.float32(1.0)
        exponents[j] = 0 if underflow else (np.int32(n) + np.int32(127)) << 23
    for j in range(x.shape[0]):
        x[j] *= powers_of_two[j]


@numba.njit(cache=True, fastmath=_FASTMATH)
def _dot(a, b):  # pragma: no cover
    """Σⱼ a[j] b[j], accumulated in the arrays' precision (Numba widens the float32 zero for float64 arrays)."""
    total = np.float32(0)
    for j in range(a.shape[0]):
        total += a[j] * b[j]
    return total

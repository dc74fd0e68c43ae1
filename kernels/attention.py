"""Softmax attention, forward and backward, three ways that must agree: the matrix-product reference, a short-
sequence path (BLAS products around fused Numba softmax passes) and the "flash" kernel (linear memory).

For one head, with queries Q (Lq × d), keys K (Lk × d), values V (Lk × dᵥ), scale s (1/√d by default), an
additive bias B (−∞ where a query may not look at a key) and an optional causal rule (query i sees keys j ≤ i):

    S = s · Q Kᵀ + B          scores
    P = softmax(S)            row by row, with the row maximum subtracted first (the value is unchanged,
                              and e^x can no longer overflow)
    O = (P ⊙ M) V             M: the dropout keep-mask (0 or 1/(1 − p)), all ones without dropout

Backward, from ∂L/∂O (written dO, and likewise for the others):

    dV = (P ⊙ M)ᵀ dO
    dP = (dO Vᵀ) ⊙ M
    dS = P ⊙ (dP − D),   D = rowsum(dP ⊙ P) = rowsum(dO ⊙ O)     the softmax's Jacobian applied row by row
    dQ = s · dS K,   dK = s · dSᵀ Q,   dB = dS

(D: Σⱼ P_ij dP_ij = Σⱼ P_ij M_ij dO_i·V_j = dO_i·O_i, so D needs only the output, not P.) A row whose keys are
all masked has no softmax (0/0); like PyTorch's ``scaled_dot_product_attention`` it gets P = 0, hence O = 0 and
no gradient.

**The short path** (``attention_forward`` / ``attention_backward``): for each head the products by the
cblas_sgemm of blas.py (MKL's where installed), called from one parallel Numba kernel that shares the heads out
between the threads, and between them the softmax (scale, bias, causal mask, exponentials, normalisation) as
one pass over S, and dS = s · P ⊙ (dP ⊙ M − D) as one more. It keeps P (Lq × Lk per head) for the backward pass:
fastest while P is small. Without an sgemm to call, NumPy's products run a group of heads at a time (about 1 MiB
of scores, so S is still in the cache when the next step reads it).

**The flash kernel** (``flash_attention_forward`` / ``flash_attention_backward``) never holds more than one tile
of S. The forward pass walks over the keys in tiles of ``KEY_TILE`` and keeps, per query row, a running maximum m,
a running sum ℓ and an unnormalised output a. A tile with scores S_t updates them ("online softmax"):

    m' = max(m, max_j S_t[j])
    ℓ' = e^{m − m'} ℓ + Σ_j e^{S_t[j] − m'}
    a' = e^{m − m'} a + Σ_j e^{S_t[j] − m'} M_j V_j

so after the last tile m is the row maximum, ℓ the softmax denominator e^{−m} Σ_j e^{S_j}, and O = a / ℓ. Only
the log-sum-exp L = m + log ℓ (one number per row) is kept; the backward pass recomputes each tile of
P = e^{S − L} from Q and K, and with D = rowsum(dO ⊙ O) it needs no other row statistic. Memory: O(L·d) per head
instead of O(L²); arithmetic: one product Q Kᵀ more than the short path.

``attention_forward_reference`` / ``attention_backward_reference`` (reference.py, re-exported here) write the
formulas with full matrices, ``flash_attention_forward_reference`` / ``flash_attention_backward_reference`` the
tiled algorithm in NumPy/CuPy (the readable version of the kernel). On CuPy arrays the flash functions run the
``numba.cuda`` version in ``attention_cuda.py``. dispatch.py decides which one runs.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from tinygrad_edu.backend import get_array_module

from . import allocator, blas, threads
from .reference import (  # noqa: F401  (the reference lives with the other references; tests read it here too)
    attention_backward_reference,
    attention_forward_reference,
    causal_mask,
    default_scale,
)

threads.configure()  # idle kernel threads must sleep, not spin against OpenBLAS's (see threads.py)

# fast-math without 'ninf'/'nnan': the kernels rely on −∞ scores for masked keys
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}

KEY_TILE = 64  # keys per tile of the flash kernel: a tile of K and V (2 · 64 · d floats) stays in the L1 cache
QUERY_BLOCK = 64  # queries per task of the flash forward (the unit of parallel work)
GROUP_SCORES = 1 << 18  # scores (1 MiB of float32) per group of heads on the short path (see _head_groups)


# --------------------------------------------------------------------------------- the short-sequence path


def attention_forward(q: Any, k: Any, v: Any, bias: Any = None, causal: bool = False,
                      scale: float | None = None, keep: Any = None) -> tuple[Any, Any]:
    """(O, P) as ``attention_forward_reference``: S = Q Kᵀ and O = (P ⊙ M) V by BLAS, the softmax in one Numba pass.

    q, k and v must share their leading (batch, head, …) axes; ``bias`` and ``keep`` broadcast to (…, Lq, Lk).
    """
    batch, lq, lk, q3, k3, v3 = _flatten_heads(q, k, v)
    scale = q.dtype.type(default_scale(q) if scale is None else scale)
    bias3, bias_group = _compact(bias, batch, lq, lk, q.dtype)
    n = q3.shape[0]
    probs = allocator.empty((n, lq, lk), q.dtype)  # kept from step to step when 32 MiB or more (allocator.py)
    out = np.empty((n, lq, v3.shape[2]), dtype=q.dtype)
    gemm = blas.sgemm() if q.dtype == np.float32 else None
    if gemm is not None:  # every head in one parallel kernel that calls sgemm itself
        keep3, keep_group = _compact(keep, batch, lq, lk, q.dtype)
        with threads.small_products():
            _short_forward_heads(gemm, q3, k3, v3, probs, out, bias3, bias_group, keep3, keep_group, causal, scale)
        return out.reshape(batch + out.shape[1:]), probs.reshape(batch + probs.shape[1:])
    keep_all = None if keep is None else _expand(keep, batch, lq, lk)
    fast_exp = q.dtype == np.float32

    def heads(a: int, b: int) -> None:  # the heads a … b − 1, on one thread (threads.run_blocks)
        for g, h in _head_groups(a, b, lq * lk):  # a few heads at a time: their S stays in the cache until P V
            np.matmul(q3[g:h], k3[g:h].transpose(0, 2, 1), out=probs[g:h])  # S without its scale: the pass applies it
            _softmax_rows(probs[g:h], g, bias3, bias_group, causal, scale, fast_exp)
            weights = probs[g:h] if keep_all is None else probs[g:h] * keep_all[g:h]
            np.matmul(weights, v3[g:h], out=out[g:h])

    with threads.small_products():  # one BLAS product per head: OpenBLAS on one thread (threads.py), the heads
        blocks = threads.row_blocks(n, work_per_row=2 * lq * lk * q3.shape[2])
        threads.run_blocks(blocks, heads)  # shared out
    return out.reshape(batch + out.shape[1:]), probs.reshape(batch + probs.shape[1:])


def attention_backward(grad_out: Any, q: Any, k: Any, v: Any, probs: Any, out: Any = None, causal: bool = False,
                       scale: float | None = None, keep: Any = None) -> tuple[Any, Any, Any]:
    """(dQ, dK, dV) as ``attention_backward_reference``: dV, dP, dQ, dK by BLAS, dS = s·P ⊙ (dP ⊙ M − D) in one pass.

    ``out`` (O) gives D = rowsum(dO ⊙ O); without it D is rowsum(dP ⊙ M ⊙ P), the same number.
    """
    batch, lq, lk, q3, k3, v3 = _flatten_heads(q, k, v)
    scale = q.dtype.type(default_scale(q) if scale is None else scale)
    n = q3.shape[0]
    grad_out3 = np.ascontiguousarray(grad_out.reshape(n, lq, v3.shape[2]), dtype=q.dtype)
    probs3 = probs.reshape(n, lq, lk)
    keep3, keep_group = _compact(keep, batch, lq, lk, q.dtype)
    if out is None:
        delta = np.empty((0, 0), dtype=q.dtype)
    else:
        delta = np.einsum("nic,nic->ni", grad_out3, out.reshape(n, lq, v3.shape[2]))  # D = rowsum(dO ⊙ O)
    # the gradients in their final shapes (arrays of their own: the engine need not copy them), written as (N, L, d)
    grads = np.empty(q.shape, q.dtype), np.empty(k.shape, q.dtype), np.empty(v.shape, q.dtype)
    grad_q, grad_k, grad_v = (g.reshape(a.shape) for g, a in zip(grads, (q3, k3, v3), strict=True))

    gemm = blas.sgemm() if q.dtype == np.float32 else None
    if gemm is not None:  # every head in one parallel kernel that calls sgemm itself
        with threads.small_products():
            _short_backward_heads(gemm, grad_out3, q3, k3, v3, probs3, keep3, keep_group, delta, scale, grad_q,
                                  grad_k, grad_v)
        return grads
    keep_all = None if keep is None else _expand(keep, batch, lq, lk)

    def heads(a: int, b: int) -> None:  # the heads a … b − 1, on one thread (threads.run_blocks)
        groups = _head_groups(a, b, lq * lk)
        scratch = np.empty((max(h - g for g, h in groups), lq, lk), dtype=q.dtype)  # dS of a few heads: cached
        for g, h in groups:
            weights = probs3[g:h] if keep_all is None else probs3[g:h] * keep_all[g:h]
            grad_scores = scratch[: h - g]
            np.matmul(weights.transpose(0, 2, 1), grad_out3[g:h], out=grad_v[g:h])
            np.matmul(grad_out3[g:h], v3[g:h].transpose(0, 2, 1), out=grad_scores)  # dP, made s · dS in place
            _softmax_backward_rows(grad_scores, probs3[g:h], g, keep3, keep_group, delta, scale)
            np.matmul(grad_scores, k3[g:h], out=grad_q[g:h])
            np.matmul(grad_scores.transpose(0, 2, 1), q3[g:h], out=grad_k[g:h])

    with threads.small_products():
        blocks = threads.row_blocks(n, work_per_row=4 * lq * lk * q3.shape[2])
        threads.run_blocks(blocks, heads)
    return grads


# ------------------------------------------------------------------------------------------- the flash path


def flash_attention_forward(q: Any, k: Any, v: Any, bias: Any = None, causal: bool = False,
                            scale: float | None = None, keep: Any = None) -> tuple[Any, Any]:
    """(O, L): the output and the per-row log-sum-exp L = log Σ_j e^{S_ij} (−∞ for a fully masked row), computed
    tile by tile without forming S or P (the online softmax of the module docstring)."""
    batch, lq, lk, q3, k3, v3 = _flatten_heads(q, k, v)
    scale = q.dtype.type(default_scale(q) if scale is None else scale)
    bias3, bias_group = _compact(bias, batch, lq, lk, q.dtype)
    keep3, keep_group = _compact(keep, batch, lq, lk, q.dtype)
    xp = get_array_module(q)
    out = xp.empty(q3.shape[:2] + (v3.shape[2],), dtype=q.dtype)
    lse = xp.empty(q3.shape[:2], dtype=q.dtype)
    if xp is np:
        keys_t = np.ascontiguousarray(k3.transpose(0, 2, 1))  # Kᵀ (N, d, Lk): the score loops run along the keys
        _flash_forward_cpu(q3, keys_t, v3, bias3, bias_group, keep3, keep_group, causal, scale,
                           q.dtype == np.float32, out, lse)
    else:
        from .attention_cuda import flash_forward_cuda

        flash_forward_cuda(q3, k3, v3, bias3, bias_group, keep3, keep_group, causal, scale, out, lse)
    return out.reshape(batch + out.shape[1:]), lse.reshape(batch + (lq,))


def flash_attention_backward(grad_out: Any, q: Any, k: Any, v: Any, out: Any, lse: Any, bias: Any = None,
                             causal: bool = False, scale: float | None = None,
                             keep: Any = None) -> tuple[Any, Any, Any]:
    """(dQ, dK, dV) from O and L alone: each tile of P = e^{S − L} is recomputed, D = rowsum(dO ⊙ O)."""
    batch, lq, lk, q3, k3, v3 = _flatten_heads(q, k, v)
    scale = q.dtype.type(default_scale(q) if scale is None else scale)
    bias3, bias_group = _compact(bias, batch, lq, lk, q.dtype)
    keep3, keep_group = _compact(keep, batch, lq, lk, q.dtype)
    xp = get_array_module(q)
    n, dv = q3.shape[0], v3.shape[2]
    grad_out3 = xp.ascontiguousarray(grad_out.reshape(n, lq, dv), dtype=q.dtype)
    out3 = xp.ascontiguousarray(out.reshape(n, lq, dv), dtype=q.dtype)
    lse2 = xp.ascontiguousarray(lse.reshape(n, lq), dtype=q.dtype)
    grad_q, grad_k, grad_v = xp.zeros_like(q3), xp.zeros_like(k3), xp.zeros_like(v3)
    if xp is np:
        keys_t = np.ascontiguousarray(k3.transpose(0, 2, 1))
        values_t = np.ascontiguousarray(v3.transpose(0, 2, 1))
        _flash_backward_cpu(grad_out3, q3, k3, keys_t, values_t, out3, lse2, bias3, bias_group, keep3, keep_group,
                            causal, scale, q.dtype == np.float32, grad_q, grad_k, grad_v)
    else:
        from .attention_cuda import flash_backward_cuda

        flash_backward_cuda(grad_out3, q3, k3, v3, out3, lse2, bias3, bias_group, keep3, keep_group, causal, scale,
                            grad_q, grad_k, grad_v)
    return grad_q.reshape(q.shape), grad_k.reshape(k.shape), grad_v.reshape(v.shape)


def flash_attention_forward_reference(q: Any, k: Any, v: Any, bias: Any = None, causal: bool = False,
                                      scale: float | None = None, keep: Any = None,
                                      tile: int = KEY_TILE) -> tuple[Any, Any]:
    """The flash forward in NumPy/CuPy, all heads and queries at once, one key tile at a time: (O, L)."""
    xp = get_array_module(q)
    scale = q.dtype.type(default_scale(q) if scale is None else scale)
    lk = k.shape[-2]
    minus_inf = q.dtype.type(-np.inf)
    row_max = xp.full(q.shape[:-1] + (1,), minus_inf, dtype=q.dtype)  # m
    row_sum = xp.zeros(q.shape[:-1] + (1,), dtype=q.dtype)  # ℓ
    acc = xp.zeros(q.shape[:-1] + (v.shape[-1],), dtype=q.dtype)  # a
    for start in range(0, lk, tile):
        scores = _tile_scores(q, k, bias, causal, scale, start, min(start + tile, lk), xp)
        new_max = xp.maximum(row_max, scores.max(axis=-1, keepdims=True))
        safe_max = xp.where(xp.isfinite(new_max), new_max, 0)  # all masked so far: e^{−∞ − 0} = 0, no nan
        correction = xp.exp(row_max - safe_max)
        weights = xp.exp(scores - safe_max)
        row_sum = correction * row_sum + weights.sum(axis=-1, keepdims=True)
        if keep is not None:
            weights = weights * xp.broadcast_to(keep, q.shape[:-1] + (lk,))[..., start:start + tile]
        acc = correction * acc + weights @ v[..., start:start + tile, :]
        row_max = new_max
    empty = row_sum == 0
    out = acc / xp.where(empty, 1, row_sum)
    lse = xp.where(empty, minus_inf, row_max + xp.log(xp.where(empty, 1, row_sum)))
    return out, lse[..., 0]


def flash_attention_backward_reference(grad_out: Any, q: Any, k: Any, v: Any, out: Any, lse: Any, bias: Any = None,
                                       causal: bool = False, scale: float | None = None, keep: Any = None,
                                       tile: int = KEY_TILE) -> tuple[Any, Any, Any]:
    """The flash backward in NumPy/CuPy, one key tile at a time: P = e^{S − L} recomputed, D = rowsum(dO ⊙ O)."""
    xp = get_array_module(q)
    scale = q.dtype.type(default_scale(q) if scale is None else scale)
    lk = k.shape[-2]
    delta = (grad_out * out).sum(axis=-1, keepdims=True)  # D
    finite = xp.isfinite(lse)[..., None]
    lse = xp.where(finite, lse[..., None], 0)
    grad_q = xp.zeros_like(q)
    grad_k, grad_v = xp.zeros_like(k), xp.zeros_like(v)
    for start in range(0, lk, tile):
        stop = min(start + tile, lk)
        scores = _tile_scores(q, k, bias, causal, scale, start, stop, xp)
        probs = xp.where(finite, xp.exp(scores - lse), 0)  # P tile
        grad_probs = grad_out @ v[..., start:stop, :].swapaxes(-1, -2)  # dP tile
        weights = probs
        if keep is not None:
            keep_tile = xp.broadcast_to(keep, q.shape[:-1] + (lk,))[..., start:stop]
            weights, grad_probs = probs * keep_tile, grad_probs * keep_tile
        grad_v[..., start:stop, :] = weights.swapaxes(-1, -2) @ grad_out
        grad_scores = probs * (grad_probs - delta) * scale  # s · dS
        grad_q += grad_scores @ k[..., start:stop, :]
        grad_k[..., start:stop, :] = grad_scores.swapaxes(-1, -2) @ q
    return grad_q, grad_k, grad_v


def _tile_scores(q: Any, k: Any, bias: Any, causal: bool, scale: Any, start: int, stop: int, xp: Any) -> Any:
    """S[..., :, start:stop] = s · Q K[start:stop]ᵀ + B, −∞ above the diagonal when causal."""
    lq, lk = q.shape[-2], k.shape[-2]
    scores = (q @ k[..., start:stop, :].swapaxes(-1, -2)) * scale
    if bias is not None:
        scores = scores + xp.broadcast_to(bias, q.shape[:-1] + (lk,))[..., start:stop]
    if causal:
        scores = xp.where(causal_mask(lq, lk, xp)[:, start:stop], scores, q.dtype.type(-np.inf))
    return scores


# ----------------------------------------------------------------------------------------------- helpers


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


def _head_groups(start: int, stop: int, scores_per_head: int) -> list[tuple[int, int]]:
    """Heads start … stop − 1 in groups of about ``GROUP_SCORES`` scores (at least one head each): the short path
    runs its products and passes group by group, so S (or dS) is still in the cache when the next one reads it
    (all heads at once would send Lq × Lk × heads floats to memory and back, twice)."""
    size = max(1, GROUP_SCORES // scores_per_head)
    return [(g, min(g + size, stop)) for g in range(start, stop, size)]


def _expand(mask: Any, batch: tuple[int, ...], lq: int, lk: int) -> Any:
    """A mask broadcastable to (*batch, Lq, Lk) as a (N, Lq, Lk) view (no copy where broadcasting allows)."""
    return np.broadcast_to(mask, batch + (lq, lk)).reshape(math.prod(batch), lq, lk)


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


# The loops are ordered for the vector units: every innermost loop runs along a contiguous axis, either the keys
# of a tile (S and dP rows: y[:] += a·Kᵀ[c, tile]) or the head features (O, dQ, dK, dV rows: y[:] += a·V[j, :]).
# Each parallel task allocates its small scratch rows once.


# The short path's two passes are serial and ``nogil``: the parallel kernels below call them for each head, and
# without an sgemm to call, Python threads run them for their heads (threads.run_blocks; Numba's thread pool must
# not be entered from two threads).


@numba.njit(cache=True, fastmath=_FASTMATH, nogil=True)
def _softmax_rows(scores, first, bias, bias_group, causal, scale, fast_exp):  # pragma: no cover
    """scores (N, Lq, Lk) ← softmax(s · scores + B) row by row, 0 above the diagonal when causal. scores[n] is
    pair first + n of the compacted mask's numbering (``_compact``).

    float32 without a bias takes four passes over a row instead of seven: for s > 0 the maximum of s · S is s
    times the maximum of S, so the scale is applied inside the exponential, e^{s (S_j − max S)}, whose pass
    also sums the row."""
    n_pairs, lq, lk = scores.shape
    exponents = np.empty(lk, dtype=np.int32)
    fused = fast_exp and bias.shape[0] == 0 and scale > 0
    for n in range(n_pairs):
        for i in range(lq):
            stop = min(i + 1, lk) if causal else lk  # keys this query may see
            row = scores[n, i, :stop]
            if fused:
                row_max = _row_max(row)
                if row_max == -np.inf:
                    row[:] = 0  # every key masked: P = 0
                else:
                    inv_total = 1 / _exp_scaled_sum(row, row_max, scale, exponents)
                    for j in range(stop):
                        row[j] *= inv_total
            else:
                if bias.shape[0] > 0:
                    bias_row = bias[(first + n) // bias_group, min(i, bias.shape[1] - 1)]
                    for j in range(stop):
                        row[j] = row[j] * scale + bias_row[j]
                else:
                    for j in range(stop):
                        row[j] *= scale
                if not _softmax_inplace(row, exponents, fast_exp):
                    row[:] = 0  # every key masked: P = 0
            for j in range(stop, lk):
                scores[n, i, j] = 0


@numba.njit(cache=True, fastmath=_FASTMATH, nogil=True)
def _softmax_backward_rows(grad_scores, probs, first, keep, keep_group, delta, scale):  # pragma: no cover
    """grad_scores (N, Lq, Lk) holds dO Vᵀ on entry, s · P ⊙ (dP − D) with dP = (dO Vᵀ) ⊙ M on exit. Row n
    is pair first + n of the keep mask's and of delta's numbering (delta empty: D = rowsum(dP ⊙ P) here)."""
    n_pairs, lq, lk = grad_scores.shape
    for n in range(n_pairs):
        for i in range(lq):
            grad_row, row = grad_scores[n, i], probs[n, i]
            if keep.shape[0] > 0:
                keep_row = keep[(first + n) // keep_group, min(i, keep.shape[1] - 1)]
                for j in range(lk):
                    grad_row[j] *= keep_row[j]
            if delta.shape[0] > 0:
                row_delta = delta[first + n, i]
            else:
                row_delta = _dot(grad_row, row)
            for j in range(lk):
                grad_row[j] = row[j] * (grad_row[j] - row_delta) * scale


# The short path's loop over heads as one kernel per thread: float32, the products by the cblas_sgemm of blas.py
# (MKL's where installed), called through its address as the LSTM's loops do; no GIL, no NumPy call per product.


@numba.njit(cache=True, fastmath=_FASTMATH, parallel=True)
def _short_forward_heads(gemm, q, k, v, probs, out, bias, bias_group, keep, keep_group, causal,
                         scale):  # pragma: no cover
    """Each head h: S = Q Kᵀ into probs[h], P = softmax(s · S + B) in place, O = (P ⊙ M) V."""
    n_heads, lq, d = q.shape
    lk, dv = k.shape[1], v.shape[2]
    for h in numba.prange(n_heads):
        weights = np.empty((lq, lk) if keep.shape[0] > 0 else (0, 0), dtype=q.dtype)
        scores = probs[h]
        gemm(blas.ROW_MAJOR, blas.NO_TRANS, blas.TRANS, lq, lk, d, np.float32(1), q[h].ctypes.data, d,
             k[h].ctypes.data, d, np.float32(0), scores.ctypes.data, lk)
        _softmax_rows(probs[h : h + 1], h, bias, bias_group, causal, scale, True)
        if keep.shape[0] > 0:
            _times_keep(scores, keep, keep_group, h, weights)
            scores = weights
        gemm(blas.ROW_MAJOR, blas.NO_TRANS, blas.NO_TRANS, lq, dv, lk, np.float32(1), scores.ctypes.data, lk,
             v[h].ctypes.data, dv, np.float32(0), out[h].ctypes.data, dv)


@numba.njit(cache=True, fastmath=_FASTMATH, parallel=True)
def _short_backward_heads(gemm, grad_out, q, k, v, probs, keep, keep_group, delta, scale, grad_q, grad_k,
                          grad_v):  # pragma: no cover
    """Each head h: dV = (P ⊙ M)ᵀ dO, dP = dO Vᵀ, s · dS = s · P ⊙ (dP ⊙ M − D), dQ = s dS K, dK = s dSᵀ Q (the
    module docstring's formulas)."""
    n_heads, lq, d = q.shape
    lk, dv = k.shape[1], v.shape[2]
    for h in numba.prange(n_heads):
        grad_scores = np.empty((1, lq, lk), dtype=q.dtype)
        weights = np.empty((lq, lk) if keep.shape[0] > 0 else (0, 0), dtype=q.dtype)
        masked = probs[h]
        if keep.shape[0] > 0:
            _times_keep(probs[h], keep, keep_group, h, weights)
            masked = weights
        gemm(blas.ROW_MAJOR, blas.TRANS, blas.NO_TRANS, lk, dv, lq, np.float32(1), masked.ctypes.data, lk,
             grad_out[h].ctypes.data, dv, np.float32(0), grad_v[h].ctypes.data, dv)
        gemm(blas.ROW_MAJOR, blas.NO_TRANS, blas.TRANS, lq, lk, dv, np.float32(1), grad_out[h].ctypes.data, dv,
             v[h].ctypes.data, dv, np.float32(0), grad_scores.ctypes.data, lk)
        _softmax_backward_rows(grad_scores, probs[h : h + 1], h, keep, keep_group, delta, scale)
        gemm(blas.ROW_MAJOR, blas.NO_TRANS, blas.NO_TRANS, lq, d, lk, np.float32(1), grad_scores.ctypes.data, lk,
             k[h].ctypes.data, d, np.float32(0), grad_q[h].ctypes.data, d)
        gemm(blas.ROW_MAJOR, blas.TRANS, blas.NO_TRANS, lk, d, lq, np.float32(1), grad_scores.ctypes.data, lk,
             q[h].ctypes.data, d, np.float32(0), grad_k[h].ctypes.data, d)


@numba.njit(cache=True, fastmath=_FASTMATH, nogil=True)
def _times_keep(probs, keep, keep_group, pair, weights):  # pragma: no cover
    """weights (Lq, Lk) ← P ⊙ M for the (batch, head) pair ``pair`` of the compacted keep mask (``_compact``)."""
    mask = keep[pair // keep_group]
    for i in range(probs.shape[0]):
        keep_row = mask[min(i, mask.shape[0] - 1)]
        for j in range(probs.shape[1]):
            weights[i, j] = probs[i, j] * keep_row[j]


@numba.njit(parallel=True, cache=True, fastmath=_FASTMATH)
def _flash_forward_cpu(q, keys_t, v, bias, bias_group, keep, keep_group, causal, scale, fast_exp, out,
                       lse):  # pragma: no cover
    n_pairs, lq, d = q.shape
    lk, dv = keys_t.shape[2], v.shape[2]
    blocks = (lq + QUERY_BLOCK - 1) // QUERY_BLOCK
    for task in numba.prange(n_pairs * blocks):
        n, first = task // blocks, (task % blocks) * QUERY_BLOCK
        last = min(first + QUERY_BLOCK, lq)
        row_max = np.full(QUERY_BLOCK, -np.inf, dtype=q.dtype)  # m
        row_sum = np.zeros(QUERY_BLOCK, dtype=q.dtype)  # ℓ
        acc = np.zeros((QUERY_BLOCK, dv), dtype=q.dtype)  # a
        scores = np.empty(KEY_TILE, dtype=q.dtype)
        exponents = np.empty(KEY_TILE, dtype=np.int32)
        key_stop = min(last, lk) if causal else lk  # the last query of the block sees keys < last
        for start in range(0, key_stop, KEY_TILE):
            for i in range(first, last):
                stop = min(start + KEY_TILE, min(i + 1, lk) if causal else lk)
                width = stop - start
                if width <= 0:
                    continue
                row = scores[:width]
                row[:] = 0
                for c in range(d):  # S[i, tile] = s · Σ_c Q[i, c] Kᵀ[c, tile] (+ B)
                    q_ic = q[n, i, c] * scale
                    for j in range(width):
                        row[j] += q_ic * keys_t[n, c, start + j]
                if bias.shape[0] > 0:
                    bias_row = bias[n // bias_group, min(i, bias.shape[1] - 1)]
                    for j in range(width):
                        row[j] += bias_row[start + j]
                tile_max = -np.inf
                for j in range(width):
                    tile_max = max(tile_max, row[j])
                b = i - first
                new_max = max(row_max[b], tile_max)
                if new_max == -np.inf:
                    continue  # every key so far masked
                for j in range(width):
                    row[j] -= new_max
                _exp_nonpositive(row, exponents, fast_exp)
                correction = math.exp(row_max[b] - new_max)  # e^{m − m'} (0 while m = −∞)
                row_sum[b] = row_sum[b] * correction + _sum(row)
                row_max[b] = new_max
                if keep.shape[0] > 0:
                    keep_row = keep[n // keep_group, min(i, keep.shape[1] - 1)]
                    for j in range(width):
                        row[j] *= keep_row[start + j]
                acc_row = acc[b]
                if correction != 1:
                    for c in range(dv):
                        acc_row[c] *= correction
                for j in range(width):  # a += Σ_j e^{S_j − m'} M_j V[j, :]
                    weight = row[j]
                    for c in range(dv):
                        acc_row[c] += weight * v[n, start + j, c]
        for i in range(first, last):
            b = i - first
            if row_sum[b] == 0:  # every key masked: O = 0, L = −∞
                out[n, i] = 0
                lse[n, i] = -np.inf
                continue
            inv_sum = 1 / row_sum[b]
            for c in range(dv):
                out[n, i, c] = acc[b, c] * inv_sum
            lse[n, i] = row_max[b] + math.log(row_sum[b])


@numba.njit(parallel=True, cache=True, fastmath=_FASTMATH)
def _flash_backward_cpu(grad_out, q, k, keys_t, values_t, out, lse, bias, bias_group, keep, keep_group, causal,
                        scale, fast_exp, grad_q, grad_k, grad_v):  # pragma: no cover
    n_pairs, lq, d = q.shape
    lk, dv = k.shape[1], values_t.shape[1]
    for n in numba.prange(n_pairs):  # one thread per head: it alone adds into dQ[n]
        probs = np.empty(KEY_TILE, dtype=q.dtype)
        grad_probs = np.empty(KEY_TILE, dtype=q.dtype)
        exponents = np.empty(KEY_TILE, dtype=np.int32)
        delta = np.empty(lq, dtype=q.dtype)
        for i in range(lq):  # D = rowsum(dO ⊙ O)
            delta[i] = _dot(grad_out[n, i], out[n, i])
        for start in range(0, lk, KEY_TILE):
            for i in range(start if causal else 0, lq):  # under a causal mask, queries before the tile see none
                if lse[n, i] == -np.inf:
                    continue  # a fully masked row: no gradient
                stop = min(start + KEY_TILE, min(i + 1, lk) if causal else lk)
                width = stop - start
                row, grad_row = probs[:width], grad_probs[:width]
                row[:] = 0
                grad_row[:] = 0
                for c in range(d):  # S[i, tile]
                    q_ic = q[n, i, c] * scale
                    for j in range(width):
                        row[j] += q_ic * keys_t[n, c, start + j]
                for c in range(dv):  # dP[i, tile] = Σ_c dO[i, c] Vᵀ[c, tile]
                    g = grad_out[n, i, c]
                    for j in range(width):
                        grad_row[j] += g * values_t[n, c, start + j]
                if bias.shape[0] > 0:
                    bias_row = bias[n // bias_group, min(i, bias.shape[1] - 1)]
                    for j in range(width):
                        row[j] += bias_row[start + j]
                row_lse = lse[n, i]
                for j in range(width):
                    row[j] = min(row[j] - row_lse, 0)  # ≤ 0 but for rounding
                _exp_nonpositive(row, exponents, fast_exp)  # P[i, tile] = e^{S − L}
                if keep.shape[0] > 0:
                    keep_row = keep[n // keep_group, min(i, keep.shape[1] - 1)]
                    for j in range(width):
                        grad_row[j] *= keep_row[start + j]
                        keep_j = keep_row[start + j]
                        weight = row[j] * keep_j
                        for c in range(dv):  # dV[j, :] += (P ⊙ M)[i, j] dO[i, :]
                            grad_v[n, start + j, c] += weight * grad_out[n, i, c]
                else:
                    for j in range(width):
                        weight = row[j]
                        for c in range(dv):
                            grad_v[n, start + j, c] += weight * grad_out[n, i, c]
                row_delta = delta[i]
                for j in range(width):  # s · dS = s · P ⊙ (dP − D)
                    grad_row[j] = row[j] * (grad_row[j] - row_delta) * scale
                for j in range(width):
                    grad_ij = grad_row[j]
                    for c in range(d):  # dQ[i, :] += s dS[i, j] K[j, :],  dK[j, :] += s dS[i, j] Q[i, :]
                        grad_q[n, i, c] += grad_ij * k[n, start + j, c]
                        grad_k[n, start + j, c] += grad_ij * q[n, i, c]


@numba.njit(cache=True, fastmath=_FASTMATH)
def _softmax_inplace(row, exponents, fast_exp):  # pragma: no cover
    """row ← softmax(row), stably (the maximum subtracted first). False when every entry is −∞ (all masked)."""
    row_max = _row_max(row) if fast_exp else _row_max_any(row)
    if row_max == -np.inf:
        return False
    for j in range(row.shape[0]):
        row[j] -= row_max
    _exp_nonpositive(row, exponents, fast_exp)
    inv_total = 1.0 / _sum(row)
    for j in range(row.shape[0]):
        row[j] *= inv_total
    return True


@numba.njit(cache=True, fastmath=_FASTMATH)
def _row_max_any(row):  # pragma: no cover
    row_max = row.dtype.type(-np.inf)
    for j in range(row.shape[0]):
        row_max = max(row_max, row[j])
    return row_max


@numba.njit(cache=True, fastmath=_FASTMATH)
def _row_max(row):  # pragma: no cover
    """max(row) of a float32 row, in a loop the compiler vectorises (a loop of float ``max`` is not: NaN rules).

    An IEEE float's bits, read as a signed integer b, sort like the float when it is ≥ 0; for a negative float
    they sort backwards, which b ^ 0x7fffffff puts right (the sign bit stays set, the rest is flipped). So the
    largest float is the one with the largest key k = b ^ ((b >> 31) & 0x7fffffff), and integer maxima vectorise.
    The key is its own inverse. A NaN's key may win or lose; either way e^{NaN − max} is NaN, so the row's
    probabilities all become NaN, as in the reference.
    """
    bits = row.view(np.int32)
    key = np.int32(-2147483648)
    for j in range(bits.shape[0]):
        b = bits[j]
        key = max(key, b ^ ((b >> 31) & np.int32(0x7fffffff)))
    best = np.empty(1, dtype=np.int32)
    best[0] = key ^ ((key >> 31) & np.int32(0x7fffffff))
    return best.view(np.float32)[0]


@numba.njit(cache=True, fastmath=_FASTMATH)
def _exp_nonpositive(x, exponents, fast_exp):  # pragma: no cover
    """x ← eˣ for x ≤ 0: the vectorised float32 version, or ``math.exp`` (float64)."""
    if fast_exp:
        _exp_nonpositive_float32(x, exponents)
    else:
        for j in range(x.shape[0]):
            x[j] = math.exp(x[j])


@numba.njit(cache=True, fastmath=_FASTMATH)
def _exp_nonpositive_float32(x, exponents):  # pragma: no cover
    """x ← eˣ for float32 x ≤ 0 (``_exp_scaled_sum`` with no shift and no scale)."""
    _exp_scaled_sum(x, np.float32(0), np.float32(1), exponents)


@numba.njit(cache=True, fastmath=_FASTMATH)
def _exp_scaled_sum(x, shift, scale, exponents):  # pragma: no cover
    """x ← e^{(x − shift)·scale} for float32 arguments ≤ 0, in loops the compiler can vectorise (a loop calling
    ``math.exp`` cannot be, which made it the slowest part of the kernel); returns the sum of the results.

    Cephes' method: eʸ = 2ⁿ · eʳ with n = round(y / ln 2) and r = y − n ln 2 ∈ [−½ ln 2, ½ ln 2], where eʳ is a
    degree-7 polynomial accurate to float32 rounding, and 2ⁿ is built directly from its bits (exponent field
    n + 127). Below y = −87.3, eʸ < 1.2·10⁻³⁸ is under float32's normal range and becomes 0 (so does a masked −∞).
    """
    powers_of_two = exponents.view(np.float32)
    for j in range(x.shape[0]):
        y = (x[j] - shift) * scale
        underflow = y < np.float32(-87.3)
        value = max(y, np.float32(-87.3))
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
    total = np.float32(0)
    for j in range(x.shape[0]):
        x[j] *= powers_of_two[j]
        total += x[j]
    return total


@numba.njit(cache=True, fastmath=_FASTMATH)
def _sum(a):  # pragma: no cover
    total = np.float32(0)
    for j in range(a.shape[0]):
        total += a[j]
    return total


@numba.njit(cache=True, fastmath=_FASTMATH)
def _dot(a, b):  # pragma: no cover
    """Σⱼ a[j] b[j], accumulated in the arrays' precision (Numba widens the float32 zero for float64 arrays)."""
    total = np.float32(0)
    for j in range(a.shape[0]):
        total += a[j] * b[j]
    return total

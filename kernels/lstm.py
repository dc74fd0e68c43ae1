"""The LSTM's time step, fused: after the one product h_{t−1} W_hhᵀ, one pass computes all four gates, the cell and
the hidden state (forward), or all four gate gradients and the cell gradient (backward). A NumPy reference twin
of each (``*_reference``) writes the same lines with whole-array operations; the tests check the two agree.

Forward, per step (z_t = x_t W_ihᵀ + b_ih + b_hh: precomputed for all steps by ops/rnn.py, or per step by the
loop kernel):

    [z_i, z_f, z_g, z_o] = z_t + h_{t−1} W_hhᵀ
    i = σ(z_i),  f = σ(z_f),  g = tanh(z_g),  o = σ(z_o)
    c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

Backward, per step, with dh and dc what reaches h_t and c_t (from the output and from step t + 1):

    dc ← dc + dh ⊙ o ⊙ (1 − tanh² c_t)
    dz_i = dc ⊙ g ⊙ i(1 − i),   dz_f = dc ⊙ c_{t−1} ⊙ f(1 − f),   dz_g = dc ⊙ i ⊙ (1 − g²),
    dz_o = dh ⊙ tanh(c_t) ⊙ o(1 − o),   and step t − 1 receives dc ⊙ f (and dz W_hh, a product outside)

``forward_loops`` and ``backward_loops`` run the whole time loop, a block of batch rows per thread, float32:
the products of each step are cblas_sgemm called from the kernel (blas.py: MKL's where installed, else
OpenBLAS's), so a thread runs its loop without taking the GIL (ops/rnn.py runs the Python loop, product by
product, otherwise). The forward loop
writes the LSTM as the textbook does, one product of the stacked input with the stacked weights,

    z_t = [x_t, h_{t−1}, 1] · [W_ihᵀ; W_hhᵀ; bᵀ]      (b = b_ih + b_hh: the weight of an input that is always 1)

straight into the gates' rows, and keeps the rows [x_t, h_{t−1}, 1] of all steps: the backward loop's weight
gradients are then products with them, [dW_ih, dW_hh, db] = Σ_t dz_tᵀ [x_t, h_{t−1}, 1], each thread's share
on its own core, a chunk of steps at a time. Measured against the version before (two products per step, the
biases added by the gate kernel, the weight gradients one two-thread product after the loop): ten pairs of
processes in turn, whole step new/old 0.71–1.32, median 0.82.

The nonlinearities are one tanh: σ(z) = ½ + ½ tanh(z/2). In float32 the kernels compute tanh as a rational
function x P(x²) / Q(x²) fitted for this project (``_tanh_inplace``: within 6 units in the last place, one
division, a loop the compiler vectorises); in float64 with ``math.tanh``.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from tinygrad_edu.backend import get_array_module

from . import blas, threads
from .attention import _FASTMATH

threads.configure()


def step_forward(recurrent: Any, projected: Any, previous: Any, gates: Any, current: Any, tanh_c: Any) -> None:
    """z = recurrent + projected (h_{t−1} W_hhᵀ and the input side, (B, 4H) each); fill gates (B, 4H) with i, f, g,
    o, ``current`` (B, 2H) with [h_t, c_t] and tanh_c (B, H) with tanh(c_t). ``previous`` (B, 2H) holds
    [h_{t−1}, c_{t−1}]: the rows of the op's states array, as stored (C-contiguous)."""
    _step_forward(recurrent, projected, previous, gates, current, tanh_c, recurrent.dtype == np.float32)


def step_backward(grad_out: Any, grad_h: Any, grad_c: Any, gates: Any, previous: Any, tanh_c: Any,
                  grad_z: Any) -> None:
    """grad_out (B, 2H) is the output's gradient at [h_t, c_t], grad_h = dz_{t+1} W_hh and grad_c what step t + 1
    sent along the cell; ``previous`` (B, 2H) the rows [h_{t−1}, c_{t−1}]. Fills grad_z (B, 4H) with dz of the
    step; grad_c ← dc ⊙ f, for step t − 1."""
    _step_backward(grad_out, grad_h, grad_c, gates, previous, tanh_c, grad_z)


def step_forward_reference(recurrent: Any, projected: Any, previous: Any, gates: Any, current: Any,
                           tanh_c: Any) -> None:
    """``step_forward`` with whole-array NumPy/CuPy operations."""
    hidden = tanh_c.shape[1]
    xp = get_array_module(recurrent)
    z = recurrent + projected
    gates[...] = 0.5 + 0.5 * xp.tanh(0.5 * z)  # σ for i, f, o
    gates[:, 2 * hidden : 3 * hidden] = xp.tanh(z[:, 2 * hidden : 3 * hidden])  # tanh for g
    i, f, g, o = (gates[:, k * hidden : (k + 1) * hidden] for k in range(4))
    current[:, hidden:] = f * previous[:, hidden:] + i * g
    tanh_c[...] = xp.tanh(current[:, hidden:])
    current[:, :hidden] = o * tanh_c


def step_backward_reference(grad_out: Any, grad_h: Any, grad_c: Any, gates: Any, previous: Any, tanh_c: Any,
                            grad_z: Any) -> None:
    """``step_backward`` with whole-array NumPy/CuPy operations."""
    hidden = grad_h.shape[1]
    i, f, g, o = (gates[:, k * hidden : (k + 1) * hidden] for k in range(4))
    grad_h = grad_h + grad_out[:, :hidden]
    grad_c += grad_out[:, hidden:]
    grad_c += grad_h * o * (1 - tanh_c * tanh_c)
    grad_z[:, :hidden] = grad_c * g * i * (1 - i)
    grad_z[:, hidden : 2 * hidden] = grad_c * previous[:, hidden:] * f * (1 - f)
    grad_z[:, 2 * hidden : 3 * hidden] = grad_c * i * (1 - g * g)
    grad_z[:, 3 * hidden :] = grad_h * tanh_c * o * (1 - o)
    grad_c *= f


# error_model="numpy": a division by zero gives inf/nan instead of raising, so the compiler can drop the zero check
# that otherwise stops the loop below from being vectorised (its denominator is never 0 anyway)
@numba.njit(cache=True, fastmath=_FASTMATH, nogil=True, error_model="numpy")
def _tanh_inplace(x, fast):  # pragma: no cover
    """x ← tanh(x). ``fast`` (float32): the rational function x P(x²) / Q(x²) below, in one loop the compiler
    vectorises (written out in the loop: called as a function from it, the loop would not be); else ``math.tanh``.

    P (degree 6 in x²) and Q (degree 3) were fitted for this project to tanh on [0, 9], minimising the largest
    relative error (iteratively reweighted least squares, float64: 7·10⁻⁹); evaluated in float32 they are within
    6 units in the last place of tanh. |x| ≥ 9, where tanh x rounds to ±1 in float32, is clamped there (a NaN
    passes through: each clamp keeps its value unless a comparison is true). One division and eleven
    multiply-adds: 0.28 ns a value, against about 1 ns for the version before (an exponential e^{−2|x|}, a
    division and a polynomial near 0).
    """
    if not fast:
        for j in range(x.shape[0]):
            x[j] = math.tanh(x[j])
        return
    one, bound = np.float32(1), np.float32(9)
    for j in range(x.shape[0]):
        v = x[j]
        v = bound if v > bound else v
        v = -bound if v < -bound else v
        t = v * v
        p = np.float32(-8.488815486e-14) * t + np.float32(5.277988178e-11)  # Horner's rule, highest power first
        p = p * t + np.float32(-2.022530594e-08)
        p = p * t + np.float32(1.115432751e-05)
        p = p * t + np.float32(3.103958020e-03)
        p = p * t + np.float32(1.308401171e-01)
        p = p * t + one
        q = np.float32(2.546147871e-04) * t + np.float32(2.449518555e-02)
        q = q * t + np.float32(4.641733881e-01)
        q = q * t + one
        y = v * p / q
        y = one if y > one else y
        x[j] = -one if y < -one else y


# The kernels below index whole C-contiguous rows ([h, c] of the states array, the gates) with column offsets, and
# each loop writes one quantity: loops the compiler vectorises. Column slices (states[t, :, H:]) as arguments, or
# one loop writing five arrays, compiled to scalar code: the backward pass of 16 rows × 128 took 9.7 µs a step
# instead of 1.8 (cached; 10.8 → 3.4 µs walking the steps of the benchmark's sequence).
@numba.njit(cache=True, fastmath=_FASTMATH, nogil=True)  # nogil: two threads may run it (threads.run_blocks)
def _step_forward(recurrent, projected, previous, gates, current, tanh_c, fast):  # pragma: no cover
    for b in range(gates.shape[0]):
        for j in range(gates.shape[1]):
            gates[b, j] = recurrent[b, j] + projected[b, j]
    _activate(previous, gates, current, tanh_c, fast)


@numba.njit(cache=True, fastmath=_FASTMATH, nogil=True, error_model="numpy")
def _activate(previous, gates, current, tanh_c, fast):  # pragma: no cover
    """gates holds z on entry: i, f, g, o in place, then current ← [h_t, c_t] and tanh_c ← tanh(c_t), from
    previous = [h_{t−1}, c_{t−1}]."""
    batch, width = gates.shape
    hidden = width // 4
    half = gates.dtype.type(0.5)  # a Python 0.5 would turn float32 arithmetic into float64
    for b in range(batch):
        row = gates[b]  # σ(z) = ½ + ½ tanh(z/2) for i, f, o; tanh(z) for g
        for j in range(2 * hidden):
            row[j] *= half
        for j in range(3 * hidden, width):
            row[j] *= half
        _tanh_inplace(row, fast)
        for j in range(2 * hidden):
            row[j] = half + half * row[j]
        for j in range(3 * hidden, width):
            row[j] = half + half * row[j]
        for j in range(hidden):  # c_t = f ⊙ c_{t−1} + i ⊙ g
            cell = gates[b, hidden + j] * previous[b, hidden + j] + gates[b, j] * gates[b, 2 * hidden + j]
            current[b, hidden + j] = cell
            tanh_c[b, j] = cell
        _tanh_inplace(tanh_c[b], fast)
        for j in range(hidden):  # h_t = o ⊙ tanh(c_t)
            current[b, j] = gates[b, 3 * hidden + j] * tanh_c[b, j]


@numba.njit(cache=True, fastmath=_FASTMATH, nogil=True, error_model="numpy")
def _step_backward(grad_out, grad_h, grad_c, gates, previous, tanh_c, grad_z):  # pragma: no cover
    batch, hidden = grad_h.shape
    one = gates.dtype.type(1)
    for b in range(batch):
        for j in range(hidden):  # dc = dc + dh ⊙ o ⊙ (1 − tanh² c_t), kept in grad_c's row (dh = grad_h + grad_out)
            t = tanh_c[b, j]
            dh = grad_h[b, j] + grad_out[b, j]
            grad_c[b, j] += grad_out[b, hidden + j] + dh * gates[b, 3 * hidden + j] * (one - t * t)
        for j in range(hidden):  # dz_i = dc ⊙ g ⊙ i(1 − i)
            i = gates[b, j]
            grad_z[b, j] = grad_c[b, j] * gates[b, 2 * hidden + j] * i * (one - i)
        for j in range(hidden):  # dz_f = dc ⊙ c_{t−1} ⊙ f(1 − f)
            f = gates[b, hidden + j]
            grad_z[b, hidden + j] = grad_c[b, j] * previous[b, hidden + j] * f * (one - f)
        for j in range(hidden):  # dz_g = dc ⊙ i ⊙ (1 − g²)
            g = gates[b, 2 * hidden + j]
            grad_z[b, 2 * hidden + j] = grad_c[b, j] * gates[b, j] * (one - g * g)
        for j in range(hidden):  # dz_o = dh ⊙ tanh(c_t) ⊙ o(1 − o)
            o = gates[b, 3 * hidden + j]
            grad_z[b, 3 * hidden + j] = (grad_h[b, j] + grad_out[b, j]) * tanh_c[b, j] * o * (one - o)
        for j in range(hidden):  # the cell path to step t − 1: dc ⊙ f
            grad_c[b, j] *= gates[b, hidden + j]


# ------------------------------------------------------------------------------ the time loops, float32, OpenBLAS


def loops_available(array: Any) -> bool:
    """Whether ``forward_loops``/``backward_loops`` serve this array: float32 NumPy, with an sgemm (blas.py)."""
    return isinstance(array, np.ndarray) and array.dtype == np.float32 and blas.sgemm() is not None


def stacked_weights(w_ih: Any, w_hh: Any, bias: Any) -> Any:
    """[W_ihᵀ; W_hhᵀ; bᵀ], (I + H + 1, 4H) C-contiguous: z_t = [x_t, h_{t−1}, 1] · this, the step's one product
    (``bias`` (4H,) is b_ih + b_hh, zeros without biases)."""
    return np.ascontiguousarray(np.concatenate([w_ih.T, w_hh.T, bias[None]]))


def forward_loops(x: Any, weights: Any, gates: Any, states: Any, tanh_c: Any, operand: Any,
                  blocks: list[tuple[int, int]]) -> None:
    """The forward time loop, each block (start, stop) of batch rows on its own thread (``blocks``: consecutive,
    covering the batch): z_t = [x_t, h_{t−1}, 1] · ``weights`` (see ``stacked_weights``: one product per step,
    the biases included), then the step's nonlinearities as in ``step_forward``. ``x`` (T, B, I) C-contiguous.
    ``states`` (T + 1, B, 2H) holds [h_t, c_t] with [h₀, c₀] at t = 0 and receives the others; ``gates``
    (T, B, 4H) and ``tanh_c`` (T, B, H) as in ``step_forward``. ``operand`` (T·B, I + H + 1) receives the rows
    [x_t, h_{t−1}, 1] of each block, step after step in its rows T·start … T·stop − 1: ``backward_loops``' weight
    gradients are products with them.

    A row-major right operand: OpenBLAS's sgemm is 10–15% faster on these shapes than with the transposed flag
    (16 rows, 100 steps, 6.7 → 5.8 ms), and one product with K = I + H + 1 a little faster than two. The blocks run
    in one parallel Numba loop (its threads start in microseconds; Python threads, before, left the first block
    waiting 0.8 ms a step for the second)."""
    _forward_blocks(blas.sgemm(), x, weights, gates, states, tanh_c, operand, _bounds(blocks))


def backward_loops(w_ih: Any, w_hh: Any, grad: Any, gates: Any, states: Any, tanh_c: Any, operand: Any,
                   grad_h: Any, grad_c: Any, grad_x: Any, shares: Any, blocks: list[tuple[int, int]]) -> None:
    """Backward through time, each block of batch rows (``forward_loops``' blocks) on its own thread:
    ``step_backward`` then, per step, one product [dx_t, dh_{t−1}] = dz_t [W_ih, W_hh] (dx_t into ``grad_x``
    (T, B, I)), or dh_{t−1} = dz_t W_hh alone when ``grad_x`` is empty (the input needs no gradient); ``grad_h``,
    ``grad_c`` (B, H) end as the gradients at h₀, c₀.

    Block k's share of the weight gradients, ``shares[k]`` (4H, I + H + 1) ← Σ_t dz_tᵀ [x_t, h_{t−1}, 1] =
    [dW_ih, dW_hh, db] (the caller adds the blocks; db is the gradient of the weight of an input that is always
    1), is summed a chunk of steps at a time: dz of the last few steps waits in a buffer of 256 KiB, still in
    the core's cache when one product adds that chunk's share. ``operand`` is ``forward_loops``'. (Before: dz of
    all steps written to a (T·B, 4H) array, 6.5 MB at the benchmark's size, and one product after the loop read it
    back from memory.)"""
    steps, _, width = gates.shape
    rows = max(stop - start for start, stop in blocks)
    chunk = min(steps, max(1, CHUNK_FLOATS // (rows * width)))
    grad_z = np.empty((len(blocks), chunk * rows, width), dtype=gates.dtype)
    if grad_x.shape[0]:
        w_cat = np.ascontiguousarray(np.concatenate([w_ih, w_hh], axis=1))  # [W_ih, W_hh] (4H, I + H)
    else:
        w_cat = np.ascontiguousarray(w_hh)
    grad_hx = np.empty((len(blocks), rows, w_cat.shape[1]), dtype=gates.dtype)
    _backward_blocks(blas.sgemm(), w_cat, grad, gates, states, tanh_c, operand, grad_z, chunk, grad_hx, grad_h,
                     grad_c, grad_x, shares, _bounds(blocks))


def _bounds(blocks: list[tuple[int, int]]) -> np.ndarray:
    """[start₀, start₁, …, stop_last] of consecutive blocks."""
    return np.array([start for start, _ in blocks] + [blocks[-1][1]], dtype=np.int64)


@numba.njit(cache=True, parallel=True)
def _forward_blocks(gemm, x, weights, gates, states, tanh_c, operand, bounds):  # pragma: no cover
    for k in numba.prange(bounds.shape[0] - 1):
        _forward_loop(gemm, x, weights, gates, states, tanh_c, operand, bounds[k], bounds[k + 1])


@numba.njit(cache=True, parallel=True)
def _backward_blocks(gemm, w_cat, grad, gates, states, tanh_c, operand, grad_z, chunk, grad_hx, grad_h, grad_c,
                     grad_x, shares, bounds):  # pragma: no cover
    for k in numba.prange(bounds.shape[0] - 1):
        rows = bounds[k + 1] - bounds[k]
        _backward_loop(gemm, w_cat, grad, gates, states, tanh_c, operand, grad_z[k, : chunk * rows],
                       grad_hx[k, :rows], grad_h, grad_c, grad_x, shares[k], bounds[k], bounds[k + 1])


CHUNK_FLOATS = 1 << 16  # dz values (256 KiB) a backward thread keeps before adding their weight gradients: 8 steps
# of 16 rows (2^16, 2^15 and 2^18 gave step medians of 10.45, 10.73 and 10.89 ms, five processes each)


@numba.njit(cache=True, nogil=True)
def _forward_loop(gemm, x, weights, gates, states, tanh_c, operand, start, stop):  # pragma: no cover
    steps, _, width = gates.shape
    features = x.shape[2]
    hidden = width // 4
    inner = features + hidden + 1
    rows = stop - start
    block = operand[steps * start : steps * stop]
    for t in range(steps):
        rows_t = block[t * rows : (t + 1) * rows]
        for j in range(rows):  # [x_t, h_{t−1}, 1]
            for k in range(features):
                rows_t[j, k] = x[t, start + j, k]
            for k in range(hidden):
                rows_t[j, features + k] = states[t, start + j, k]
            rows_t[j, inner - 1] = 1
        z = gates[t, start:stop]  # the product straight into the gates' rows, turned into i, f, g, o in place
        gemm(blas.ROW_MAJOR, blas.NO_TRANS, blas.NO_TRANS, rows, width, inner, np.float32(1), rows_t.ctypes.data,
             inner, weights.ctypes.data, width, np.float32(0), z.ctypes.data, width)
        _activate(states[t, start:stop], z, states[t + 1, start:stop], tanh_c[t, start:stop], True)


@numba.njit(cache=True, nogil=True)
def _backward_loop(gemm, w_cat, grad, gates, states, tanh_c, operand, grad_z, grad_hx, grad_h, grad_c, grad_x,
                   grad_weights, start, stop):  # pragma: no cover
    steps, _, width = gates.shape
    hidden = width // 4
    features = w_cat.shape[1] - hidden  # 0 when the input needs no gradient (w_cat is W_hh alone)
    rows = stop - start
    chunk = grad_z.shape[0] // rows
    inner = operand.shape[1]
    block = operand[steps * start : steps * stop]  # this block's rows [x_t, h_{t−1}, 1], t = 0 … T − 1
    chunk_end = steps
    for t in range(steps - 1, -1, -1):
        slot = t % chunk
        dz = grad_z[slot * rows : (slot + 1) * rows]
        _step_backward(grad[t, start:stop], grad_h[start:stop], grad_c[start:stop], gates[t, start:stop],
                       states[t, start:stop], tanh_c[t, start:stop], dz)
        # [dx_t, dh_{t−1}] = dz_t [W_ih, W_hh] (dh replaces grad_h: step_backward has added what it held)
        gemm(blas.ROW_MAJOR, blas.NO_TRANS, blas.NO_TRANS, rows, w_cat.shape[1], width, np.float32(1),
             dz.ctypes.data, width, w_cat.ctypes.data, w_cat.shape[1], np.float32(0), grad_hx.ctypes.data,
             w_cat.shape[1])
        for j in range(rows):
            for k in range(features):
                grad_x[t, start + j, k] = grad_hx[j, k]
            for k in range(hidden):
                grad_h[start + j, k] = grad_hx[j, features + k]
        if slot == 0:  # steps t … chunk_end − 1 done (dz of step t + s in slot s): their share of [dW_ih, dW_hh, db]
            gemm(blas.ROW_MAJOR, blas.TRANS, blas.NO_TRANS, width, inner, (chunk_end - t) * rows, np.float32(1),
                 grad_z.ctypes.data, width, block[t * rows : chunk_end * rows].ctypes.data, inner,
                 np.float32(0) if chunk_end == steps else np.float32(1), grad_weights.ctypes.data, inner)
            chunk_end = t

"""im2col and col2im as Numba kernels: the two loops that turn a convolution into one matrix product.

im2col copies every receptive field of the input into one row of a matrix ("image to columns"):

    cols[(n, oh, ow), (c, i, j)] = x[n, c, oh·s_h − p_top + i·d_h, ow·s_w − p_left + j·d_w]    (0 outside x)

The rows are the output pixels (n, oh, ow), N·OH·OW of them; the columns follow a weight flattened to
(c, i, j), C·kh·kw of them. The convolution is then the matrix product  Y = cols · Wᵀ  (see ops/conv.py).

col2im is the transpose (adjoint) of im2col: every entry of a cols-shaped matrix is added back onto the pixel
it was copied from, so a pixel that lies in several windows collects the sum of its entries:

    x̄[n, c, h, w] = Σ cols[(n, oh, ow), (c, i, j)]   over all (oh, ow, i, j) with
                     oh·s_h − p_top + i·d_h = h  and  ow·s_w − p_left + j·d_w = w

That is how the gradient of the convolution reaches its input. Both kernels walk through cols row by row, in
memory order, and run their outer loop in parallel (``prange``; threads.py chooses the threading layer). They
index images as (N, C, H, W) in whatever memory layout they come; channels-last memory, (N, H, W, C) — the
layout of a convolution's output (layout.py) — is the faster one here (the c loop then steps through
neighbouring floats: im2col runs 1.5× faster than on NCHW memory), and col2im writes its result that way.
The readable NumPy versions are in reference.py; the tests check that the two agree bit for bit.
``NUMBA_DISABLE_JIT=1`` turns these kernels back into Python for a debugger, or ``TINYGRAD_EDU_KERNELS=numpy``
selects the reference (dispatch.py).

The window's offsets, (0, d, 2d, …) for the rows and for the columns, are passed as tuples: a tuple's length
is part of its type, so Numba compiles one version per kernel size in which the loops over the window are
unrolled. That made im2col 3.5× faster on 3×3 windows than loops of unknown length. (Both figures: one thread,
x of shape (64, 32, 13, 13), thread CPU time.)
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from . import threads

threads.configure()

Pair = tuple[int, int]


@numba.njit(parallel=True, cache=True)
def im2col_kernel(x, h_taps, w_taps, stride, padding, out_size, pad_value):
    """cols[(n, oh, ow), (c, i, j)] = x[n, c, top + h_taps[i], left + w_taps[j]], or ``pad_value`` outside."""
    batch, channels, height, width = x.shape
    out_h, out_w = out_size
    kernel_h, kernel_w = len(h_taps), len(w_taps)
    cols = np.empty((batch * out_h * out_w, channels * kernel_h * kernel_w), dtype=x.dtype)
    for block in prange(batch * out_h):  # one (n, oh) per iteration: out_w consecutive rows of cols
        n = block // out_h
        top = (block % out_h) * stride[0] - padding[0]
        rows_inside = top >= 0 and top + h_taps[kernel_h - 1] < height
        for ow in range(out_w):
            row = block * out_w + ow
            left = ow * stride[1] - padding[1]
            col = 0
            if rows_inside and left >= 0 and left + w_taps[kernel_w - 1] < width:  # the whole window is inside
                for c in range(channels):
                    for i in range(kernel_h):
                        for j in range(kernel_w):
                            cols[row, col] = x[n, c, top + h_taps[i], left + w_taps[j]]
                            col += 1
            else:  # the window overlaps the padding
                for c in range(channels):
                    for i in range(kernel_h):
                        h = top + h_taps[i]
                        for j in range(kernel_w):
                            w = left + w_taps[j]
                            if 0 <= h < height and 0 <= w < width:
                                cols[row, col] = x[n, c, h, w]
                            else:
                                cols[row, col] = pad_value
                            col += 1
    return cols


@numba.njit(parallel=True, cache=True)
def col2im_kernel(cols, out, h_taps, w_taps, stride, padding, out_size):
    """out[n, c, top + h_taps[i], left + w_taps[j]] += cols[(n, oh, ow), (c, i, j)] for the pixels inside.

    ``out`` starts at 0. Each thread owns whole samples n, so no two threads
    add to the same pixel; within a sample the rows are added in order, as the reference does, so both give the
    same floating-point sums.
    """
    batch, channels, height, width = out.shape
    out_h, out_w = out_size
    kernel_h, kernel_w = len(h_taps), len(w_taps)
    for n in prange(batch):
        for oh in range(out_h):
            top = oh * stride[0] - padding[0]
            rows_inside = top >= 0 and top + h_taps[kernel_h - 1] < height
            for ow in range(out_w):
                row = (n * out_h + oh) * out_w + ow
                left = ow * stride[1] - padding[1]
                col = 0
                if rows_inside and left >= 0 and left + w_taps[kernel_w - 1] < width:
                    for c in range(channels):
                        for i in range(kernel_h):
                            for j in range(kernel_w):
                                out[n, c, top + h_taps[i], left + w_taps[j]] += cols[row, col]
                                col += 1
                else:
                    for c in range(channels):
                        for i in range(kernel_h):
                            h = top + h_taps[i]
                            for j in range(kernel_w):
                                w = left + w_taps[j]
                                if 0 <= h < height and 0 <= w < width:
                                    out[n, c, h, w] += cols[row, col]
                                col += 1


def _taps(kernel_size: Pair, dilation: Pair) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The window's row and column offsets: (0, d_h, 2·d_h, …) and (0, d_w, 2·d_w, …)."""
    return (tuple(i * dilation[0] for i in range(kernel_size[0])),
            tuple(j * dilation[1] for j in range(kernel_size[1])))


def im2col(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
           pad_value: float = 0.0) -> np.ndarray:
    """The (N·OH·OW, C·kh·kw) matrix of receptive fields of ``x`` (N, C, H, W); ``padding`` = (top, left).

    ``out_size`` = (OH, OW) is given by the caller (the bottom/right padding only enters through it).
    """
    h_taps, w_taps = _taps(kernel_size, dilation)
    with numba.parallel_chunksize(threads.chunk_size(x.shape[0] * out_size[0])):
        return im2col_kernel(x, h_taps, w_taps, tuple(stride), tuple(padding), tuple(out_size), pad_value)


def col2im(cols: np.ndarray, input_shape: tuple[int, int, int, int], kernel_size: Pair, stride: Pair,
           padding: Pair, dilation: Pair, out_size: Pair) -> np.ndarray:
    """Add the rows of ``cols`` back into an (N, C, H, W) array (the adjoint of ``im2col``), stored
    channels-last."""
    batch, channels, height, width = input_shape
    out = np.zeros((batch, height, width, channels), dtype=cols.dtype).transpose(0, 3, 1, 2)
    h_taps, w_taps = _taps(kernel_size, dilation)
    with numba.parallel_chunksize(threads.chunk_size(batch)):
        col2im_kernel(np.ascontiguousarray(cols), out, h_taps, w_taps, tuple(stride), tuple(padding),
                      tuple(out_size))
    return out

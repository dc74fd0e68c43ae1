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
memory order, and run their outer loop in parallel (``prange``; threads.py chooses the threading layer).

The kernels read and write images stored channels-last, as contiguous (N, H, W, C) arrays — the layout of a
convolution's output (layout.py) — with the channel loop innermost, so that it walks neighbouring floats. The
Python wrappers take and return (N, C, H, W) arrays and copy an NCHW input to that layout first (a copy kh·kw
times smaller than cols, and none at all for one channel), so one compiled version per dtype and kernel size
serves every input. The readable NumPy versions are in reference.py; the tests check
that the two agree bit for bit.
``NUMBA_DISABLE_JIT=1`` turns these kernels back into Python for a debugger, or ``TINYGRAD_EDU_KERNELS=numpy``
selects the reference (dispatch.py).

The window's offsets, (0, d, 2d, …) for the rows and for the columns, are passed as tuples: a tuple's length
is part of its type, so Numba compiles one version per kernel size in which the loops over the window are
unrolled (1.4–1.6× faster on 3×3 windows than loops of unknown length, one thread). The work for one block of
rows is a plain (serial) function that the parallel loop calls: written inline in the ``prange`` loop, the same
code ran about 2× slower. Padding is added to a copy of the input beforehand, so the loops need no bounds
checks (which cost 1.5×). (Figures: x of shape (64, 32, 13, 13).)
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from . import threads
from .layout import channels_last_memory

threads.configure()

Pair = tuple[int, int]


@numba.njit(cache=True)
def im2col_block(pixels, cols, block, image_size, h_taps, w_taps, stride, out_size):
    """Rows (n, oh, 0 … OW − 1) of cols, for block = n·OH + oh: cols[(n, oh, ow), (c, i, j)] =
    pixels[(n·H + oh·s_h + h_taps[i])·W + ow·s_w + w_taps[j], c]."""
    height, width = image_size
    out_h, out_w = out_size
    kernel_h, kernel_w = len(h_taps), len(w_taps)
    window = kernel_h * kernel_w
    n = block // out_h
    top = (block % out_h) * stride[0]
    for ow in range(out_w):
        row = block * out_w + ow
        left = ow * stride[1]
        for i in range(kernel_h):
            for j in range(kernel_w):
                pixel = (n * height + top + h_taps[i]) * width + left + w_taps[j]
                for c in range(pixels.shape[1]):  # column (c, i, j) of cols is c·kh·kw + i·kw + j
                    cols[row, c * window + i * kernel_w + j] = pixels[pixel, c]


@numba.njit(parallel=True, cache=True)
def im2col_kernel(x, h_taps, w_taps, stride, out_size):
    """cols[(n, oh, ow), (c, i, j)] = x[n, oh·s_h + h_taps[i], ow·s_w + w_taps[j], c], with x channels-last and
    already padded (every window lies inside it, so the loops need no bounds checks)."""
    batch, height, width, channels = x.shape
    pixels = x.reshape((batch * height * width, channels))  # one row of C channels per pixel
    out_h, out_w = out_size
    cols = np.empty((batch * out_h * out_w, channels * len(h_taps) * len(w_taps)), dtype=x.dtype)
    for block in prange(batch * out_h):  # one (n, oh) per iteration: out_w consecutive rows of cols
        im2col_block(pixels, cols, int(block), (height, width), h_taps, w_taps, stride, out_size)
    return cols


@numba.njit(cache=True)
def col2im_sample(cols, pixels, n, image_size, h_taps, w_taps, stride, out_size):
    """pixels[(n·H + oh·s_h + h_taps[i])·W + ow·s_w + w_taps[j], c] += cols[(n, oh, ow), (c, i, j)] for all rows
    of sample n, in order."""
    height, width = image_size
    out_h, out_w = out_size
    kernel_h, kernel_w = len(h_taps), len(w_taps)
    window = kernel_h * kernel_w
    for oh in range(out_h):
        top = oh * stride[0]
        for ow in range(out_w):
            row = (n * out_h + oh) * out_w + ow
            left = ow * stride[1]
            for i in range(kernel_h):
                for j in range(kernel_w):
                    pixel = (n * height + top + h_taps[i]) * width + left + w_taps[j]
                    for c in range(pixels.shape[1]):
                        pixels[pixel, c] += cols[row, c * window + i * kernel_w + j]


@numba.njit(parallel=True, cache=True)
def col2im_kernel(cols, out, h_taps, w_taps, stride, out_size):
    """out[n, oh·s_h + h_taps[i], ow·s_w + w_taps[j], c] += cols[(n, oh, ow), (c, i, j)], with ``out`` a zeroed,
    padded, channels-last image.

    Each thread owns whole samples n, so no two threads add to the same pixel; within a sample the rows are
    added in order, as the reference does, so both give the same floating-point sums.
    """
    batch, height, width, channels = out.shape
    pixels = out.reshape((batch * height * width, channels))
    for n in prange(batch):
        col2im_sample(cols, pixels, int(n), (height, width), h_taps, w_taps, stride, out_size)


def _padding_after(size: int, before: int, out: int, step: int, span: int) -> int:
    """How many rows (or columns) after the image the last window reaches: (out − 1)·s + span − before − size."""
    return max(0, (out - 1) * step + span - before - size)


def im2col(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
           pad_value: float = 0.0) -> np.ndarray:
    """The (N·OH·OW, C·kh·kw) matrix of receptive fields of ``x`` (N, C, H, W); ``padding`` = (top, left).

    ``out_size`` = (OH, OW) is given by the caller (the bottom/right padding only enters through it). The input
    is made channels-last and, when there is padding, copied into a padded array first.
    """
    h_taps, w_taps = _taps(kernel_size, dilation)
    image = channels_last_memory(x)
    pads = _pads(x.shape, kernel_size, stride, padding, dilation, out_size)
    if any(pads):
        image = np.pad(image, ((0, 0), pads[:2], pads[2:], (0, 0)), constant_values=pad_value)
    with numba.parallel_chunksize(threads.chunk_size(x.shape[0] * out_size[0])):
        return im2col_kernel(image, h_taps, w_taps, tuple(stride), tuple(out_size))


def col2im(cols: np.ndarray, input_shape: tuple[int, int, int, int], kernel_size: Pair, stride: Pair,
           padding: Pair, dilation: Pair, out_size: Pair) -> np.ndarray:
    """Add the rows of ``cols`` back into an (N, C, H, W) array (the adjoint of ``im2col``), stored
    channels-last; with padding, into a padded array whose border is then cut away."""
    batch, channels, height, width = input_shape
    top, bottom, left, right = _pads(input_shape, kernel_size, stride, padding, dilation, out_size)
    out = np.zeros((batch, height + top + bottom, width + left + right, channels), dtype=cols.dtype)
    h_taps, w_taps = _taps(kernel_size, dilation)
    with numba.parallel_chunksize(threads.chunk_size(batch)):
        col2im_kernel(np.ascontiguousarray(cols), out, h_taps, w_taps, tuple(stride), tuple(out_size))
    if top or bottom or left or right:
        out = np.ascontiguousarray(out[:, top:top + height, left:left + width])
    return out.transpose(0, 3, 1, 2)


def _taps(kernel_size: Pair, dilation: Pair) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The window's row and column offsets: (0, d_h, 2·d_h, …) and (0, d_w, 2·d_w, …)."""
    return (tuple(i * dilation[0] for i in range(kernel_size[0])),
            tuple(j * dilation[1] for j in range(kernel_size[1])))


def _pads(shape: tuple[int, ...], kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
          out_size: Pair) -> tuple[int, int, int, int]:
    """(top, bottom, left, right): the padding before the image as given, after it as far as the windows reach."""
    spans = [dilation[a] * (kernel_size[a] - 1) + 1 for a in range(2)]
    return (padding[0], _padding_after(shape[2], padding[0], out_size[0], stride[0], spans[0]),
            padding[1], _padding_after(shape[3], padding[1], out_size[1], stride[1], spans[1]))

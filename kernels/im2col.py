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

The kernels work on channels-last memory — (N, H, W, C), the layout of a convolution's output (layout.py) —
with the channel loop innermost, so that it walks neighbouring floats. im2col takes one sample per parallel
iteration and first copies it, padded, into a small channels-last buffer, reading the input in whichever
order it lies in memory (NCHW or channels-last): the copy is kh·kw times smaller than that sample's rows of
cols, it replaces a separate padding copy and layout conversion of the whole batch (1.9 → 1.1 ms for an NCHW
x of shape (64, 32, 13, 13)), and the windows are then read from the core's cache with no bounds checks
(which cost 1.5×). col2im walks the same windows per sample, adding into a zeroed, padded buffer whose middle
becomes the sample's slice of the result: one function, ``walk_windows``, serves both, with = for im2col and
+= for col2im. The readable NumPy versions are in reference.py; the tests check that the two agree bit for bit.
``NUMBA_DISABLE_JIT=1`` turns these kernels back into Python for a debugger, or ``TINYGRAD_EDU_KERNELS=numpy``
selects the reference (dispatch.py).

The window's offsets, (0, d, 2d, …) for the rows and for the columns, are passed as tuples in float32: a
tuple's length is part of its type, so Numba compiles one version per kernel size in which the loops over the
window are unrolled (1.4× faster on 3×3 windows); other dtypes get arrays and one version for all sizes
(``taps``). An input that is not channels-last is typed 'A' whatever its layout (versions.py). The work for one sample
is a plain (serial) function that the parallel loop calls: written inline in the ``prange`` loop, the same
code ran about 2× slower. (Figures: x of shape (64, 32, 13, 13), this project's 2-core machine.)
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import prange

from . import threads, versions

threads.configure()

Pair = tuple[int, int]


@numba.njit(cache=True)
def copy_into_padded(image, n, padded, top, left, channels_fastest):
    """padded[top + h, left + w, c] = image[n, h, w, c]: sample n into the middle of a buffer whose border
    already holds the padding value, the loops in the order the input lies in memory (NCHW or channels-last)."""
    _, height, width, channels = image.shape
    if channels_fastest:
        for h in range(height):
            for w in range(width):
                for c in range(channels):
                    padded[top + h, left + w, c] = image[n, h, w, c]
    else:
        for c in range(channels):
            for h in range(height):
                for w in range(width):
                    padded[top + h, left + w, c] = image[n, h, w, c]


@numba.njit(cache=True)
def walk_windows(padded, cols, n, h_taps, w_taps, stride, out_size, scatter, tap_major):
    """The one loop of both kernels, over the rows (n, oh, ow) of sample n and their columns (c, i, j), each
    paired with the pixel it stands for: padded[oh·s_h + h_taps[i], ow·s_w + w_taps[j], c] of the padded,
    channels-last sample. im2col gathers, ``cols[row, col] = pixel``; col2im (``scatter``) adds back,
    ``pixel += cols[row, col]`` — the adjoint is the same walk with = turned into +=."""
    padded_width, channels = padded.shape[1], padded.shape[2]
    pixels = padded.reshape((padded.shape[0] * padded_width, channels))  # one row of C channels per pixel
    out_h, out_w = out_size
    kernel_h, kernel_w = len(h_taps), len(w_taps)
    window = kernel_h * kernel_w
    # column of (c, i, j): c·kh·kw + i·kw + j (PyTorch's order), or (i·kw + j)·C + c with tap_major (a tap's C
    # channels side by side: one contiguous copy per tap)
    channel_step, tap_step = (1, channels) if tap_major else (window, 1)
    for oh in range(out_h):
        top = oh * stride[0]
        for ow in range(out_w):
            row = (n * out_h + oh) * out_w + ow
            left = ow * stride[1]
            for i in range(kernel_h):
                for j in range(kernel_w):
                    pixel = (top + h_taps[i]) * padded_width + left + w_taps[j]
                    first = (i * kernel_w + j) * tap_step
                    if scatter and tap_major:  # the unit step written out, so that the compiler vectorises
                        for c in range(channels):
                            pixels[pixel, c] += cols[row, first + c]
                    elif scatter:
                        for c in range(channels):
                            pixels[pixel, c] += cols[row, first + c * channel_step]
                    elif tap_major:  # likewise: the compiler turns this loop into one copy
                        for c in range(channels):
                            cols[row, first + c] = pixels[pixel, c]
                    else:
                        for c in range(channels):
                            cols[row, first + c * channel_step] = pixels[pixel, c]


@numba.njit(parallel=True, cache=True)
def im2col_kernel(image, pads, channels_fastest, pad_value, h_taps, w_taps, stride, out_size, tap_major):
    """cols[(n, oh, ow), (c, i, j)] = x[n, c, oh·s_h − p_top + h_taps[i], ow·s_w − p_left + w_taps[j]], with
    ``image`` the (N, H, W, C) view of x (any strides) and pads = (top, bottom, left, right).

    One sample per iteration: it is first copied, padded, into a small channels-last buffer (it fits in the
    core's cache for MNIST-sized images), and every window is then read from there with no bounds checks.
    """
    batch, height, width, channels = image.shape
    top, bottom, left, right = pads
    out_h, out_w = out_size
    cols = np.empty((batch * out_h * out_w, channels * len(h_taps) * len(w_taps)), dtype=image.dtype)
    for p in prange(batch):
        n = np.int64(p)  # the parallel loop's index may be unsigned: one type for the functions it calls
        padded = np.empty((height + top + bottom, width + left + right, channels), dtype=image.dtype)
        if top or bottom or left or right:
            padded[:] = pad_value
        copy_into_padded(image, n, padded, top, left, channels_fastest)
        walk_windows(padded, cols, n, h_taps, w_taps, stride, out_size, False, tap_major)
    return cols


@numba.njit(parallel=True, cache=True)
def col2im_kernel(cols, out, pads, h_taps, w_taps, stride, out_size, tap_major):
    """out[n, h, w, c] = Σ cols[(n, oh, ow), (c, i, j)] over the windows that cover pixel (h, w), with ``out`` the
    (N, H, W, C) result and pads = (top, bottom, left, right).

    One sample per iteration, added into a zeroed, padded buffer whose middle is then copied out: each thread
    owns whole samples, so no two threads add to the same pixel; within a sample the rows are added in order, as
    the reference does, so both give the same floating-point sums.
    """
    batch, height, width, channels = out.shape
    top, bottom, left, right = pads
    for p in prange(batch):
        n = np.int64(p)
        padded = np.zeros((height + top + bottom, width + left + right, channels), dtype=out.dtype)
        walk_windows(padded, cols, n, h_taps, w_taps, stride, out_size, True, tap_major)
        out[n] = padded[top:top + height, left:left + width]


def _padding_after(size: int, before: int, out: int, step: int, span: int) -> int:
    """How many rows (or columns) after the image the last window reaches: (out − 1)·s + span − before − size."""
    return int(max(0, (out - 1) * step + span - before - size))


def im2col(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
           pad_value: float = 0.0, tap_major: bool = False) -> np.ndarray:
    """The (N·OH·OW, C·kh·kw) matrix of receptive fields of ``x`` (N, C, H, W); ``padding`` = (top, left).

    ``out_size`` = (OH, OW) is given by the caller (the bottom/right padding only enters through it). ``x`` may
    be stored NCHW or channels-last: the kernel reads it through its (N, H, W, C) view, in memory order.
    """
    h_taps, w_taps = taps(kernel_size, dilation, x.dtype)
    image = x.transpose(0, 2, 3, 1)
    channels_fastest = image.strides[3] <= min(image.strides[1], image.strides[2])
    pads = _pads(x.shape, kernel_size, stride, padding, dilation, out_size)
    args = (image, pads, channels_fastest, float(pad_value), h_taps, w_taps, pair(stride), pair(out_size),
            tap_major)
    with numba.parallel_chunksize(threads.chunk_size(x.shape[0])):
        return versions.call(im2col_kernel, args, strided=(0,))


def col2im(cols: np.ndarray, input_shape: tuple[int, int, int, int], kernel_size: Pair, stride: Pair,
           padding: Pair, dilation: Pair, out_size: Pair, tap_major: bool = False) -> np.ndarray:
    """Add the rows of ``cols`` back into an (N, C, H, W) array (the adjoint of ``im2col``), stored
    channels-last."""
    batch, channels, height, width = input_shape
    out = np.empty((batch, height, width, channels), dtype=cols.dtype)
    h_taps, w_taps = taps(kernel_size, dilation, cols.dtype)
    pads = _pads(input_shape, kernel_size, stride, padding, dilation, out_size)
    args = (np.ascontiguousarray(cols), out, pads, h_taps, w_taps, pair(stride), pair(out_size), tap_major)
    with numba.parallel_chunksize(threads.chunk_size(batch)):
        versions.call(col2im_kernel, args, strided=())
    return out.transpose(0, 3, 1, 2)


def pair(values: Any) -> Pair:
    """Two Python ints (NumPy integers would be typed, and compiled for, by their own width)."""
    return int(values[0]), int(values[1])


def taps(kernel_size: Pair, dilation: Pair, dtype: Any) -> tuple[Any, Any]:
    """The window's row and column offsets: (0, d_h, 2·d_h, …) and (0, d_w, 2·d_w, …).

    For float32, the dtype of training, as tuples: a tuple's length is part of its type, so Numba compiles one
    version per kernel size, with the loops over the window unrolled (col2im of (64, 32, 13, 13), 3×3:
    0.98 → 0.69 ms). For other dtypes (float64 is for gradient checks) as arrays: one version for every
    kernel size, each one saving the 3–6 s a parallel kernel takes to compile."""
    rows, columns = tap_offsets(kernel_size, dilation)
    if np.dtype(dtype) == np.float32:
        return tuple(rows.tolist()), tuple(columns.tolist())
    return rows, columns


def tap_offsets(kernel_size: Pair, dilation: Pair) -> tuple[np.ndarray, np.ndarray]:
    """The window's row and column offsets as int64 arrays: one compiled version for every kernel size."""
    return (np.arange(kernel_size[0], dtype=np.int64) * int(dilation[0]),
            np.arange(kernel_size[1], dtype=np.int64) * int(dilation[1]))


def _pads(shape: tuple[int, ...], kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
          out_size: Pair) -> tuple[int, int, int, int]:
    """(top, bottom, left, right): the padding before the image as given, after it as far as the windows reach."""
    spans = [dilation[a] * (kernel_size[a] - 1) + 1 for a in range(2)]
    return (int(padding[0]), _padding_after(shape[2], padding[0], out_size[0], stride[0], spans[0]),
            int(padding[1]), _padding_after(shape[3], padding[1], out_size[1], stride[1], spans[1]))

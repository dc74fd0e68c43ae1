"""Max and average pooling as Numba kernels (forward and backward); reference.py has the NumPy versions.

    max pooling:      y[n, c, oh, ow] = max_{i, j} x[n, c, oh·s_h − p_h + i·d_h, ow·s_w − p_w + j·d_w]
    average pooling:  y[n, c, oh, ow] = (1 / divisor[oh, ow]) Σ_{i, j} x[n, c, oh·s_h − p_h + i, ow·s_w − p_w + j]

Taps outside the image are skipped (max) or count as 0 (average). Backward, max pooling sends each output's
gradient to the one pixel that was the maximum (its index h·W + w is saved by the forward pass); average
pooling shares it equally among the pixels of the window.

The kernels work on channels-last arrays, (N, H, W, C) in memory, with the channel loop innermost: pooling
treats every channel alike, so that loop reads and writes consecutive memory (and a convolution's output is
already channels-last, see layout.py). The Python wrappers take (N, C, H, W) arrays, copying an input to
channels-last when it is not, and return (N, C, H, W) views of channels-last results. The forward kernels run
one (n, oh) row of outputs per parallel iteration; the backward kernels one sample n, because overlapping
windows of the same sample add into the same pixels. As in im2col.py (where it made the code about 2× faster),
each iteration's work is a plain function that the ``prange`` loop calls.
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
def max_pool2d_row(x, out, argmax, block, kernel_size, stride, padding, dilation):
    """Outputs (n, oh, ·, ·) for block = n·OH + oh: the window maximum, and h·W + w of the first pixel holding
    it (a NaN counts as the maximum)."""
    batch, height, width, channels = x.shape
    out_h, out_w = out.shape[1], out.shape[2]
    n, oh = block // out_h, block % out_h
    top = oh * stride[0] - padding[0]
    for ow in range(out_w):
        left = ow * stride[1] - padding[1]
        first = True
        for i in range(kernel_size[0]):
            h = top + i * dilation[0]
            if h < 0 or h >= height:
                continue
            for j in range(kernel_size[1]):
                w = left + j * dilation[1]
                if w < 0 or w >= width:
                    continue
                where = h * width + w
                if first:  # the window's first pixel inside the image starts the search
                    for c in range(channels):
                        out[n, oh, ow, c] = x[n, h, w, c]
                        argmax[n, oh, ow, c] = where
                    first = False
                    continue
                for c in range(channels):  # selects rather than branches, so that the loop vectorises
                    value, best = x[n, h, w, c], out[n, oh, ow, c]
                    # strictly larger (ties keep the first), or the first NaN
                    better = (value > best) | ((value != value) & (best == best))
                    out[n, oh, ow, c] = value if better else best
                    argmax[n, oh, ow, c] = where if better else argmax[n, oh, ow, c]


@numba.njit(parallel=True, cache=True)
def max_pool2d_kernel(x, out, argmax, kernel_size, stride, padding, dilation):
    """Max pooling of x (N, H, W, C) into out and argmax (N, OH, OW, C), one (n, oh) row per iteration."""
    for block in prange(out.shape[0] * out.shape[1]):
        max_pool2d_row(x, out, argmax, np.int64(block), kernel_size, stride, padding, dilation)


@numba.njit(cache=True)
def max_pool2d_backward_sample(grad, argmax, out, n):
    """out[n, argmax, c] += grad[n, oh, ow, c] for the outputs of sample n, in (oh, ow) order."""
    _, out_h, out_w, channels = grad.shape
    width = out.shape[2]
    for oh in range(out_h):
        for ow in range(out_w):
            for c in range(channels):
                where = argmax[n, oh, ow, c]
                out[n, where // width, where % width, c] += grad[n, oh, ow, c]


@numba.njit(parallel=True, cache=True)
def max_pool2d_backward_kernel(grad, argmax, out):
    """The gradient of max pooling into out (N, H, W, C), zeroed; one sample per iteration."""
    for n in prange(grad.shape[0]):
        max_pool2d_backward_sample(grad, argmax, out, np.int64(n))


@numba.njit(cache=True)
def max_pool2d_backward_tiled_sample(grad, argmax, covered, out, n, kernel_size, stride):
    """Windows that do not overlap (stride ≥ window): every input pixel gets its value once, the window's
    gradient at its arg-max and 0 elsewhere, with no zero-filled array to add into first. ``covered[h, w]`` is
    False for the pixels no window reaches (the right and bottom edge left over, gaps when stride > window)."""
    _, out_h, out_w, channels = grad.shape
    height, width = out.shape[1], out.shape[2]
    for h in range(height):
        for w in range(width):
            if not covered[h, w]:
                for c in range(channels):
                    out[n, h, w, c] = 0
    for oh in range(out_h):
        for ow in range(out_w):
            for i in range(kernel_size[0]):
                h = oh * stride[0] + i
                if h >= height:  # the last window may hang over the edge (ceil_mode)
                    continue
                for j in range(kernel_size[1]):
                    w = ow * stride[1] + j
                    if w >= width:
                        continue
                    where = h * width + w
                    for c in range(channels):
                        out[n, h, w, c] = grad[n, oh, ow, c] if argmax[n, oh, ow, c] == where else 0


@numba.njit(parallel=True, cache=True)
def max_pool2d_backward_tiled_kernel(grad, argmax, covered, out, kernel_size, stride):
    """The gradient of max pooling with non-overlapping windows into out (N, H, W, C), not zeroed beforehand."""
    for n in prange(grad.shape[0]):
        max_pool2d_backward_tiled_sample(grad, argmax, covered, out, np.int64(n), kernel_size, stride)


@numba.njit(cache=True, error_model="numpy")  # no ZeroDivisionError check: the division loop vectorises
def avg_pool2d_row(x, out, divisor, block, kernel_size, stride, padding):
    """Outputs (n, oh, ·, ·): (Σ of the window's pixels inside the image) / divisor[oh, ow], summed in (i, j)
    order in the input's precision (as the reference)."""
    batch, height, width, channels = x.shape
    out_h, out_w = out.shape[1], out.shape[2]
    n, oh = block // out_h, block % out_h
    top = oh * stride[0] - padding[0]
    for ow in range(out_w):
        left = ow * stride[1] - padding[1]
        for c in range(channels):
            out[n, oh, ow, c] = 0
        for i in range(kernel_size[0]):
            h = top + i
            if h < 0 or h >= height:
                continue
            for j in range(kernel_size[1]):
                w = left + j
                if 0 <= w < width:
                    for c in range(channels):
                        out[n, oh, ow, c] += x[n, h, w, c]
        for c in range(channels):
            out[n, oh, ow, c] /= divisor[oh, ow]


@numba.njit(parallel=True, cache=True)
def avg_pool2d_kernel(x, out, divisor, kernel_size, stride, padding):
    """Average pooling of x (N, H, W, C) into out (N, OH, OW, C), one (n, oh) row per iteration."""
    for block in prange(out.shape[0] * out.shape[1]):
        avg_pool2d_row(x, out, divisor, np.int64(block), kernel_size, stride, padding)


@numba.njit(cache=True, error_model="numpy")  # no ZeroDivisionError check: the division loop vectorises
def avg_pool2d_backward_sample(grad, divisor, out, n, kernel_size, stride, padding):
    """out[n, h, w, c] += grad[n, oh, ow, c] / divisor[oh, ow] for every pixel (h, w) of window (oh, ow), the
    windows in (oh, ow) order (as the reference's col2im)."""
    _, out_h, out_w, channels = grad.shape
    height, width = out.shape[1], out.shape[2]
    for oh in range(out_h):
        for ow in range(out_w):
            for i in range(kernel_size[0]):
                h = oh * stride[0] - padding[0] + i
                if h < 0 or h >= height:
                    continue
                for j in range(kernel_size[1]):
                    w = ow * stride[1] - padding[1] + j
                    if 0 <= w < width:
                        for c in range(channels):
                            out[n, h, w, c] += grad[n, oh, ow, c] / divisor[oh, ow]


@numba.njit(parallel=True, cache=True)
def avg_pool2d_backward_kernel(grad, divisor, out, kernel_size, stride, padding):
    """The gradient of average pooling into out (N, H, W, C), zeroed; one sample per iteration."""
    for n in prange(grad.shape[0]):
        avg_pool2d_backward_sample(grad, divisor, out, np.int64(n), kernel_size, stride, padding)


# ------------------------------------------------------------------------------------- Python wrappers


def max_pool2d(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
               out_size: Pair) -> tuple[np.ndarray, np.ndarray]:
    """(output, argmax) of max pooling ``x`` (N, C, H, W); argmax holds h·W + w of each maximum (int32 while H·W
    fits, which writes half the bytes of int64: ``F.max_pool2d(..., return_indices=True)`` widens it to PyTorch's
    int64). Both are stored channels-last."""
    batch, channels = x.shape[:2]
    out = np.empty((batch, *out_size, channels), dtype=x.dtype)
    argmax = np.empty(out.shape, dtype=np.int32 if x.shape[2] * x.shape[3] < 2**31 else np.int64)
    with numba.parallel_chunksize(threads.chunk_size(batch * out_size[0])):
        max_pool2d_kernel(channels_last_memory(x), out, argmax, kernel_size, stride, padding, dilation)
    return out.transpose(0, 3, 1, 2), argmax.transpose(0, 3, 1, 2)


def max_pool2d_backward(grad: np.ndarray, argmax: np.ndarray, input_shape: tuple[int, int, int, int]) -> np.ndarray:
    """The gradient of max pooling: ``grad`` added at the saved maxima of an (N, C, H, W) array of zeros."""
    batch, channels, height, width = input_shape
    out = np.zeros((batch, height, width, channels), dtype=grad.dtype)
    with numba.parallel_chunksize(threads.chunk_size(batch)):
        max_pool2d_backward_kernel(channels_last_memory(grad), channels_last_memory(argmax), out)
    return out.transpose(0, 3, 1, 2)


def max_pool2d_backward_tiled(grad: np.ndarray, argmax: np.ndarray, input_shape: tuple[int, int, int, int],
                              kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> np.ndarray | None:
    """``max_pool2d_backward`` for windows that do not overlap and need no padding or dilation (the usual 2×2,
    stride 2), writing each input pixel once; ``None`` for any other geometry (then use the general one)."""
    if padding != (0, 0) or dilation != (1, 1) or stride[0] < kernel_size[0] or stride[1] < kernel_size[1]:
        return None
    batch, channels, height, width = input_shape
    covered = np.zeros((height, width), dtype=np.bool_)
    out_h, out_w = grad.shape[2:]
    for i in range(kernel_size[0]):
        for j in range(kernel_size[1]):
            covered[i:i + out_h * stride[0]:stride[0], j:j + out_w * stride[1]:stride[1]] = True
    out = np.empty((batch, height, width, channels), dtype=grad.dtype)
    with numba.parallel_chunksize(threads.chunk_size(batch)):
        max_pool2d_backward_tiled_kernel(channels_last_memory(grad), channels_last_memory(argmax), covered, out,
                                         kernel_size, stride)
    return out.transpose(0, 3, 1, 2)


def avg_pool2d(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, out_size: Pair,
               divisor: np.ndarray) -> np.ndarray:
    """Average pooling of ``x`` (N, C, H, W); ``divisor`` (OH, OW) is each window's denominator."""
    batch, channels = x.shape[:2]
    out = np.empty((batch, *out_size, channels), dtype=x.dtype)
    with numba.parallel_chunksize(threads.chunk_size(batch * out_size[0])):
        avg_pool2d_kernel(channels_last_memory(x), out, np.ascontiguousarray(divisor, x.dtype), kernel_size, stride,
                          padding)
    return out.transpose(0, 3, 1, 2)


def avg_pool2d_backward(grad: np.ndarray, divisor: np.ndarray, input_shape: tuple[int, int, int, int],
                        kernel_size: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """The gradient of average pooling: each output's gradient / divisor, added to every pixel of its window."""
    batch, channels, height, width = input_shape
    out = np.zeros((batch, height, width, channels), dtype=grad.dtype)
    with numba.parallel_chunksize(threads.chunk_size(batch)):
        avg_pool2d_backward_kernel(channels_last_memory(grad), np.ascontiguousarray(divisor, grad.dtype), out,
                                   kernel_size, stride, padding)
    return out.transpose(0, 3, 1, 2)

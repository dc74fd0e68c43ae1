"""A convolution with one input channel, computed directly (no im2col, no matrix product), as Numba kernels.

The first layer of an image network sees one channel (a grey image): its im2col matrix has only kh·kw columns
(9 for a 3×3 window), a shape BLAS handles poorly, and building it costs more than the product. Here every
output pixel is computed straight from the (padded) image, with the output channels innermost so that each tap
adds one contiguous row of weights to one contiguous row of outputs (channels-last memory, layout.py):

    y[n, oh, ow, o] = b[o] + Σ_{i, j} x[n, oh·s_h + i·d_h, ow·s_w + j·d_w] · W[o, i, j]      (x padded)

The bias is the starting value of the sum (a fused epilogue: no separate pass over the output). Backward, the
weight and bias gradients come from one pass over the output gradient Ȳ:

    ∂L/∂W[o, i, j] = Σ_{n, oh, ow} Ȳ[n, oh, ow, o] · x[n, oh·s_h + i·d_h, ow·s_w + j·d_w]
    ∂L/∂b[o]       = Σ_{n, oh, ow} Ȳ[n, oh, ow, o]

Each sample is one parallel iteration writing its own partial sums; the partials are then added in sample order
(NumPy's sum), so the result does not depend on the number of threads. The input gradient, when one is needed,
goes through the im2col path's col2im (ops/conv.py).

``conv2d_relu_max_pool`` is the first block of an image network as one pass (ops.Conv2dReLUMaxPool2d): k rows of
the convolution computed into a buffer, then max pooling over k × k windows and ReLU there, so the convolution's
output is never stored. reference.py has the NumPy twins of all three.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from . import threads

threads.configure()

Pair = tuple[int, int]


@numba.njit(cache=True)  # no fastmath: each sum in the reference's order and roundings, so equal to the last bit
def conv_row(image, taps, bias, oh, stride, dilation, kernel_size, acc):
    """acc (OW, O) = bias + Σ_taps x · W for output row oh of one padded image; taps is W as (kh·kw, O).

    ``acc`` is a buffer of the thread's own: each tap adds x · W[tap] along the whole row, an inner loop over
    contiguous channels that the compiler vectorises (and it cannot mistake ``acc`` for another array, so it need
    not check that they overlap)."""
    out_w, channels = acc.shape
    for ow in range(out_w):
        for o in range(channels):
            acc[ow, o] = bias[o]
    for i in range(kernel_size[0]):
        source = image[oh * stride[0] + i * dilation[0]]
        for j in range(kernel_size[1]):
            tap = taps[i * kernel_size[1] + j]
            for ow in range(out_w):
                value = source[ow * stride[1] + j * dilation[1]]
                for o in range(channels):
                    acc[ow, o] += value * tap[o]


@numba.njit(cache=True)
def forward_sample(padded, taps, bias, out, n, stride, dilation, kernel_size, acc):
    """out[n] = bias + Σ_taps x · W for every output pixel of sample n, one output row (oh) at a time."""
    for oh in range(out.shape[1]):
        conv_row(padded[n], taps, bias, oh, stride, dilation, kernel_size, acc)
        target = out[n, oh]
        for ow in range(acc.shape[0]):  # element by element: a slice assignment `out[n, oh] = acc` would compile
            for o in range(acc.shape[1]):  # Numba's shape-mismatch error formatting (seconds per process)
                target[ow, o] = acc[ow, o]


@numba.njit(cache=True)
def relu_max_pool_block(padded, taps, bias, out, argmax, block, stride, dilation, kernel_size, window, conv_width,
                        rows, best, where):
    """Pooled row ph of sample n (block = n·PH + ph): the convolution's rows ph·k … ph·k + k − 1 into ``rows``
    (k, OW, O), then for each k × k window the maximum (the first one in row-major order, a NaN counting as the
    maximum, as pool.py), ReLU, and its position h·OW + w in the convolution's output."""
    pooled_h, pooled_w, channels = out.shape[1], out.shape[2], out.shape[3]
    n, ph = block // pooled_h, block % pooled_h
    for r in range(window):
        conv_row(padded[n], taps, bias, ph * window + r, stride, dilation, kernel_size, rows[r])
    zero = out.dtype.type(0)
    for pw in range(pooled_w):
        first = ph * window * conv_width + pw * window
        for o in range(channels):
            best[o], where[o] = rows[0, pw * window, o], first
        for tap in range(1, window * window):
            r, q = tap // window, tap % window
            position = first + r * conv_width + q
            for o in range(channels):  # selects rather than branches, so that the loop vectorises
                value = rows[r, pw * window + q, o]
                better = (value > best[o]) | ((value != value) & (best[o] == best[o]))
                where[o] = position if better else where[o]
                best[o] = value if better else best[o]
        for o in range(channels):
            value = best[o]
            out[n, ph, pw, o] = value if (value > zero or value != value) else zero  # ReLU as relu.py: NaN passes
            argmax[n, ph, pw, o] = where[o]


@numba.njit(parallel=True, cache=True)
def relu_max_pool_kernel(padded, taps, bias, out, argmax, stride, dilation, kernel_size, window, conv_width):
    for block in prange(out.shape[0] * out.shape[1]):
        rows = np.empty((window, conv_width, out.shape[3]), dtype=out.dtype)
        best = np.empty(out.shape[3], dtype=out.dtype)
        where = np.empty(out.shape[3], dtype=argmax.dtype)
        relu_max_pool_block(padded, taps, bias, out, argmax, np.int64(block), stride, dilation, kernel_size, window,
                            conv_width, rows, best, where)


@numba.njit(parallel=True, cache=True)
def forward_kernel(padded, taps, bias, out, stride, dilation, kernel_size):
    for n in prange(out.shape[0]):
        acc = np.empty(out.shape[2:], dtype=out.dtype)
        forward_sample(padded, taps, bias, out, np.int64(n), stride, dilation, kernel_size, acc)


@numba.njit(cache=True)  # no fastmath: the sums' order is fixed, so a sample's share never depends on its batch
def backward_sample(padded, grad, partial_w, partial_b, n, stride, dilation, kernel_size):
    """Sample n's share of ∂L/∂W (as (kh·kw, O)) and ∂L/∂b, summed over its output pixels in (oh, ow) order.

    Each tap walks a whole output row, an inner loop along contiguous channels, summing the row's OW terms in the
    input's precision; the rows' sums are added up in float64 (hundreds of float32 terms per sample would lose
    digits). The order is fixed (no fastmath), so a sample's share never depends on the batch around it: two
    ranks of 32 samples give what one process of 64 gives (tests/distributed/test_mpi.py)."""
    _, out_h, out_w, channels = grad.shape
    sum_w = np.zeros((partial_w.shape[1], channels), dtype=np.float64)
    sum_b = np.zeros(channels, dtype=np.float64)
    row = np.empty(channels, dtype=grad.dtype)  # one output row's sum for one tap, in the input's precision
    for oh in range(out_h):
        g = grad[n, oh]
        for ow in range(out_w):
            for o in range(channels):
                sum_b[o] += g[ow, o]
        for i in range(kernel_size[0]):
            source = padded[n, oh * stride[0] + i * dilation[0]]
            for j in range(kernel_size[1]):
                row[:] = 0
                for ow in range(out_w):
                    value = source[ow * stride[1] + j * dilation[1]]
                    for o in range(channels):
                        row[o] += value * g[ow, o]
                acc = sum_w[i * kernel_size[1] + j]
                for o in range(channels):
                    acc[o] += row[o]
    for o in range(channels):  # element by element, as in forward_sample
        partial_b[n, o] = sum_b[o]
    for tap in range(sum_w.shape[0]):
        for o in range(channels):
            partial_w[n, tap, o] = sum_w[tap, o]


@numba.njit(parallel=True, cache=True)
def backward_kernel(padded, grad, partial_w, partial_b, stride, dilation, kernel_size):
    for n in prange(grad.shape[0]):
        backward_sample(padded, grad, partial_w, partial_b, np.int64(n), stride, dilation, kernel_size)


# ------------------------------------------------------------------------------------- Python wrappers


def pad_image(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
              out_size: Pair) -> np.ndarray:
    """The (N, H', W') single-channel image with zeros before it (``padding``) and after it as far as the last
    window reaches; no copy when there is no padding to add."""
    _, _, height, width = x.shape
    bottom = max(0, (out_size[0] - 1) * stride[0] + (kernel_size[0] - 1) * dilation[0] + 1 - padding[0] - height)
    right = max(0, (out_size[1] - 1) * stride[1] + (kernel_size[1] - 1) * dilation[1] + 1 - padding[1] - width)
    image = x[:, 0]
    if padding[0] or padding[1] or bottom or right:
        image = np.pad(image, ((0, 0), (padding[0], bottom), (padding[1], right)))
    return np.ascontiguousarray(image)


def _forward_operands(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair, padding: Pair,
                      dilation: Pair, out_size: Pair) -> tuple[np.ndarray, np.ndarray, np.ndarray, Pair]:
    """What the forward kernels read: the padded image, W as taps (kh·kw, O), the bias as the sums' starting
    values (zeros without one), and the window size."""
    out_channels, kernel_size = weight.shape[0], (weight.shape[2], weight.shape[3])
    padded = pad_image(x, kernel_size, stride, padding, dilation, out_size)
    taps = np.ascontiguousarray(weight.reshape(out_channels, -1).T)
    start = np.zeros(out_channels, x.dtype) if bias is None else np.ascontiguousarray(bias, dtype=x.dtype)
    return padded, taps, start, kernel_size


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair, padding: Pair,
           dilation: Pair, out_size: Pair) -> np.ndarray:
    """y = conv(x, W) + b for x (N, 1, H, W) and W (O, 1, kh, kw): an (N, O, OH, OW) view of channels-last
    memory."""
    padded, taps, start, kernel_size = _forward_operands(x, weight, bias, stride, padding, dilation, out_size)
    out_channels = weight.shape[0]
    out = np.empty((x.shape[0], *out_size, out_channels), dtype=x.dtype)
    with numba.parallel_chunksize(threads.chunk_size(x.shape[0])):
        forward_kernel(padded, taps, start, out, tuple(stride), tuple(dilation), kernel_size)
    return out.transpose(0, 3, 1, 2)


def conv2d_relu_max_pool(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair, padding: Pair,
                         dilation: Pair, out_size: Pair, window: int) -> tuple[np.ndarray, np.ndarray]:
    """max_pool(relu(conv(x, W) + b)) with k × k windows and stride k, in one pass (the convolution's output is
    never stored): the (N, O, OH // k, OW // k) view of channels-last memory, and the int32 arg-max h·OW + w of
    each window in the convolution's output, as pool.py's max_pool2d."""
    padded, taps, start, kernel_size = _forward_operands(x, weight, bias, stride, padding, dilation, out_size)
    out_channels = weight.shape[0]
    pooled = (x.shape[0], out_size[0] // window, out_size[1] // window, out_channels)
    out, argmax = np.empty(pooled, dtype=x.dtype), np.empty(pooled, dtype=np.int32)
    with numba.parallel_chunksize(threads.chunk_size(pooled[0] * pooled[1])):
        relu_max_pool_kernel(padded, taps, start, out, argmax, tuple(stride), tuple(dilation), kernel_size, window,
                             out_size[1])
    return out.transpose(0, 3, 1, 2), argmax.transpose(0, 3, 1, 2)


def conv2d_weight_bias_grad(grad: np.ndarray, x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair,
                            dilation: Pair) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂W (O, 1, kh, kw), ∂L/∂b (O,)) from Ȳ (N, O, OH, OW) and the layer's input x (N, 1, H, W)."""
    batch, out_channels, out_h, out_w = grad.shape
    padded = pad_image(x, kernel_size, stride, padding, dilation, (out_h, out_w))
    taps = kernel_size[0] * kernel_size[1]
    partial_w = np.empty((batch, taps, out_channels), dtype=np.float64)
    partial_b = np.empty((batch, out_channels), dtype=np.float64)
    grad_last = np.ascontiguousarray(grad.transpose(0, 2, 3, 1))  # free when Ȳ is channels-last
    with numba.parallel_chunksize(threads.chunk_size(batch)):
        backward_kernel(padded, grad_last, partial_w, partial_b, tuple(stride), tuple(dilation), kernel_size)
    grad_w = partial_w.sum(axis=0).T.reshape(out_channels, 1, *kernel_size).astype(grad.dtype)
    return np.ascontiguousarray(grad_w), partial_b.sum(axis=0).astype(grad.dtype)

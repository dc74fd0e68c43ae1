"""Depthwise convolution (one filter per channel, ``groups = C``) as Numba kernels, with their NumPy twins.

MobileNet's 3×3 depthwise convolution filters each channel on its own:

    y[n, c, oh, ow] = Σ_{i, j} W[c, 0, i, j] · x[n, c, oh·s_h − p_top + i·d_h, ow·s_w − p_left + j·d_w]

(x is 0 outside the image). Written as a grouped im2col (ops/conv.py with groups = C) it becomes C matrix
products of shape (N·OH·OW, 9) · (9, 1): a matrix-vector product per channel, so the im2col copy — nine times
the input — is all the work, and the batched product over C groups of one column each runs far below BLAS
speed. Here the nine taps are added straight from the input instead, no copy, with the channel loop innermost
on channels-last memory (so it walks neighbouring floats and the compiler vectorises it).

Backward, with ȳ = ∂L/∂y:

    ∂L/∂x[n, c, h, w] = Σ_{(oh, ow, i, j) reaching (h, w)} W[c, 0, i, j] · ȳ[n, c, oh, ow]     (the adjoint)
    ∂L/∂W[c, 0, i, j] = Σ_{n, oh, ow} ȳ[n, c, oh, ow] · x[n, c, oh·s_h − p_top + i·d_h, ow·s_w − p_left + j·d_w]

``forward``, ``backward_input`` and ``backward_weight`` are the Numba versions (``FAST``); ``reference_*`` the
readable NumPy ones (``REFERENCE``; CuPy runs them as written). The forward pass and the input gradient add the
taps in the same order (i, then j) in both, so they agree bit for bit; the weight gradient sums over (n, oh, ow)
in a different order (NumPy sums pairwise), so the two agree to rounding (tests/kernels/test_depthwise.py).
All functions take and return (N, C, H, W) arrays; ``padding`` is (top, left), ``out_size`` (OH, OW), both
checked and computed by the calling op (ops/conv.py), and the results are channels-last (layout.py).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numba
import numpy as np
from numba import prange

from tinygrad_edu.backend import get_array_module

from . import reference, threads, versions
from .im2col import _pads, copy_into_padded, pair, tap_offsets

threads.configure()

Pair = tuple[int, int]


# ------------------------------------------------------------------------------------------ the reference


def reference_forward(x: Any, weight: Any, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair) -> Any:
    """y = Σ_{i, j} W[:, 0, i, j] · (the (i, j) tap of every window), one whole-array product per tap."""
    kernel_size = weight.shape[2:]
    view = reference.windows(x, kernel_size, stride, padding, dilation, out_size)  # (N, C, OH, OW, kh, kw)
    xp = get_array_module(x)
    out = xp.zeros(view.shape[:4], dtype=x.dtype).transpose(0, 2, 3, 1)  # channels-last, as the kernel
    for i in range(kernel_size[0]):
        for j in range(kernel_size[1]):
            out += view[:, :, :, :, i, j].transpose(0, 2, 3, 1) * weight[:, 0, i, j]
    return out.transpose(0, 3, 1, 2)


def _tap_slices(i: int, j: int, stride: Pair, dilation: Pair, out_size: Pair) -> tuple[slice, slice]:
    """Rows and columns of the padded image that tap (i, j) reads, one per output pixel."""
    top, left = i * dilation[0], j * dilation[1]
    return (slice(top, top + (out_size[0] - 1) * stride[0] + 1, stride[0]),
            slice(left, left + (out_size[1] - 1) * stride[1] + 1, stride[1]))


def reference_backward_input(grad: Any, weight: Any, input_shape: tuple[int, int, int, int], stride: Pair,
                             padding: Pair, dilation: Pair, out_size: Pair) -> Any:
    """x̄ = Σ_{i, j} (ȳ · W[:, 0, i, j] added back onto the pixels tap (i, j) read), then the padding cut off."""
    xp = get_array_module(grad)
    batch, channels, height, width = input_shape
    kernel_size = weight.shape[2:]
    zeros = xp.zeros((batch, height, width, channels), dtype=grad.dtype).transpose(0, 3, 1, 2)
    padded = reference._padded(zeros, padding, kernel_size, stride, dilation, out_size, 0.0).transpose(0, 2, 3, 1)
    grad_last = grad.transpose(0, 2, 3, 1)
    for i in range(kernel_size[0]):
        for j in range(kernel_size[1]):
            rows, columns = _tap_slices(i, j, stride, dilation, out_size)
            padded[:, rows, columns, :] += grad_last * weight[:, 0, i, j]
    inside = padded[:, padding[0]:padding[0] + height, padding[1]:padding[1] + width, :]
    return xp.ascontiguousarray(inside).transpose(0, 3, 1, 2)


def reference_backward_weight(grad: Any, x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
                              out_size: Pair) -> Any:
    """W̄[c, 0, i, j] = Σ_{n, oh, ow} ȳ · (tap (i, j) of the windows), one reduction per tap."""
    xp = get_array_module(x)
    view = reference.windows(x, kernel_size, stride, padding, dilation, out_size)
    out = xp.empty((x.shape[1], 1, *kernel_size), dtype=x.dtype)
    for i in range(kernel_size[0]):
        for j in range(kernel_size[1]):
            out[:, 0, i, j] = (grad * view[:, :, :, :, i, j]).sum(axis=(0, 2, 3))
    return out


# --------------------------------------------------------------------------------------- the Numba kernels


@numba.njit(cache=True)
def _forward_sample(padded, taps, out, n, h_taps, w_taps, stride):
    """out[n, oh, ow, c] = Σ_{i, j} taps[i, j, c] · padded[oh·s_h + h_taps[i], ow·s_w + w_taps[j], c]."""
    out_h, out_w, channels = out.shape[1], out.shape[2], out.shape[3]
    for oh in range(out_h):
        for ow in range(out_w):
            for c in range(channels):
                out[n, oh, ow, c] = 0.0
            for i in range(len(h_taps)):
                row = oh * stride[0] + h_taps[i]
                for j in range(len(w_taps)):
                    column = ow * stride[1] + w_taps[j]
                    for c in range(channels):
                        out[n, oh, ow, c] += taps[i, j, c] * padded[row, column, c]


@numba.njit(parallel=True, cache=True)
def forward_kernel(image, taps, pads, channels_fastest, h_taps, w_taps, stride, out_size):
    """The forward pass for ``image`` (N, H, W, C) of any strides and ``taps`` (kh, kw, C): one sample per
    parallel iteration, first copied (padded, channels-last) into a buffer that stays in the core's cache."""
    batch, height, width, channels = image.shape
    top, bottom, left, right = pads
    out = np.empty((batch, out_size[0], out_size[1], channels), dtype=image.dtype)
    for p in prange(batch):
        n = np.int64(p)  # the parallel loop's index may be unsigned: one type for the functions it calls
        padded = np.zeros((height + top + bottom, width + left + right, channels), dtype=image.dtype)
        copy_into_padded(image, n, padded, top, left, channels_fastest)
        _forward_sample(padded, taps, out, n, h_taps, w_taps, stride)
    return out


@numba.njit(parallel=True, cache=True)
def backward_input_kernel(grad, taps, out, pads, h_taps, w_taps, stride):
    """out[n, h, w, c] = Σ taps[i, j, c] · grad[n, oh, ow, c] over the (oh, ow, i, j) that read pixel (h, w);
    taps in the outer loops, so each pixel receives its terms in the reference's order (i, then j)."""
    batch, height, width, channels = out.shape
    top, bottom, left, right = pads
    out_h, out_w = grad.shape[1], grad.shape[2]
    for n in prange(batch):
        padded = np.zeros((height + top + bottom, width + left + right, channels), dtype=out.dtype)
        for i in range(len(h_taps)):
            for j in range(len(w_taps)):
                for oh in range(out_h):
                    row = oh * stride[0] + h_taps[i]
                    for ow in range(out_w):
                        column = ow * stride[1] + w_taps[j]
                        for c in range(channels):
                            padded[row, column, c] += taps[i, j, c] * grad[n, oh, ow, c]
        for h in range(height):  # element by element: a slice assignment would compile Numba's shape-mismatch
            for w in range(width):  # error formatting (seconds per process)
                for c in range(channels):
                    out[n, h, w, c] = padded[top + h, left + w, c]


@numba.njit(cache=True)
def _weight_sample(padded, grad_n, acc, h_taps, w_taps, stride):
    """acc[i, j, c] += Σ_{oh, ow} grad_n[oh, ow, c] · padded[oh·s_h + h_taps[i], ow·s_w + w_taps[j], c] for one
    sample; ``acc`` is the sample's own (kh, kw, C) array, so the channel loop runs on local, contiguous memory."""
    out_h, out_w, channels = grad_n.shape
    for oh in range(out_h):
        for ow in range(out_w):
            for i in range(len(h_taps)):
                row = oh * stride[0] + h_taps[i]
                for j in range(len(w_taps)):
                    column = ow * stride[1] + w_taps[j]
                    for c in range(channels):
                        acc[i, j, c] += grad_n[oh, ow, c] * padded[row, column, c]


@numba.njit(parallel=True, cache=True)
def backward_weight_kernel(grad, image, pads, channels_fastest, h_taps, w_taps, stride):
    """partial[n, i, j, c] = Σ_{oh, ow} grad[n, oh, ow, c] · padded_n[oh·s_h + h_taps[i], ow·s_w + w_taps[j], c],
    one sample per parallel iteration (no two threads add into the same sum); the caller sums over n."""
    batch, height, width, channels = image.shape
    top, bottom, left, right = pads
    partial = np.empty((batch, len(h_taps), len(w_taps), channels), dtype=image.dtype)
    for p in prange(batch):
        n = np.int64(p)  # the parallel loop's index may be unsigned: one type for the functions it calls
        padded = np.zeros((height + top + bottom, width + left + right, channels), dtype=image.dtype)
        copy_into_padded(image, n, padded, top, left, channels_fastest)
        acc = np.zeros((len(h_taps), len(w_taps), channels), dtype=image.dtype)
        _weight_sample(padded, grad[n], acc, h_taps, w_taps, stride)
        partial[n] = acc
    return partial


def _geometry(shape: tuple[int, ...], kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
              out_size: Pair) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """The taps' row and column offsets and the four paddings. The offsets are arrays in every dtype (im2col
    unrolls float32 windows with tuples, one compiled version per kernel size): here the inner loops run along
    the channels, so unrolling the window gained nothing measurable (MobileNet's 3×3 on (32, 64, 56, 56) and
    (32, 256, 14, 14): within the run-to-run noise), while each extra version of these three parallel kernels
    cost 4–8 s of compiling."""
    h_taps, w_taps = tap_offsets(kernel_size, dilation)
    return h_taps, w_taps, _pads(shape, kernel_size, stride, padding, dilation, out_size)


def _channels_last_view(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """The (N, H, W, C) view of an (N, C, H, W) array, and whether its channels are the fastest axis."""
    image = x.transpose(0, 2, 3, 1)
    return image, image.strides[3] <= min(image.strides[1], image.strides[2])


def forward(x: np.ndarray, weight: np.ndarray, stride: Pair, padding: Pair, dilation: Pair,
            out_size: Pair) -> np.ndarray:
    """The depthwise convolution of ``x`` (N, C, H, W) with ``weight`` (C, 1, kh, kw): (N, C, OH, OW)."""
    kernel_size = weight.shape[2:]
    h_taps, w_taps, pads = _geometry(x.shape, kernel_size, stride, padding, dilation, out_size)
    image, channels_fastest = _channels_last_view(x)
    weights = np.ascontiguousarray(weight[:, 0].transpose(1, 2, 0))  # (kh, kw, C)
    args = (image, weights, pads, channels_fastest, h_taps, w_taps, pair(stride), pair(out_size))
    with numba.parallel_chunksize(threads.chunk_size(x.shape[0])):
        out = versions.call(forward_kernel, args, strided=(0,))
    return out.transpose(0, 3, 1, 2)


def backward_input(grad: np.ndarray, weight: np.ndarray, input_shape: tuple[int, int, int, int], stride: Pair,
                   padding: Pair, dilation: Pair, out_size: Pair) -> np.ndarray:
    """∂L/∂x (N, C, H, W), stored channels-last, from ∂L/∂y (N, C, OH, OW)."""
    batch, channels, height, width = input_shape
    h_taps, w_taps, pads = _geometry(input_shape, weight.shape[2:], stride, padding, dilation, out_size)
    weights = np.ascontiguousarray(weight[:, 0].transpose(1, 2, 0))
    out = np.empty((batch, height, width, channels), dtype=grad.dtype)
    args = (np.ascontiguousarray(grad.transpose(0, 2, 3, 1)), weights, out, pads, h_taps, w_taps, pair(stride))
    with numba.parallel_chunksize(threads.chunk_size(batch)):
        versions.call(backward_input_kernel, args, strided=())
    return out.transpose(0, 3, 1, 2)


def backward_weight(grad: np.ndarray, x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair,
                    dilation: Pair, out_size: Pair) -> np.ndarray:
    """∂L/∂W (C, 1, kh, kw) from ∂L/∂y (N, C, OH, OW) and the input x."""
    h_taps, w_taps, pads = _geometry(x.shape, kernel_size, stride, padding, dilation, out_size)
    image, channels_fastest = _channels_last_view(x)
    args = (np.ascontiguousarray(grad.transpose(0, 2, 3, 1)), image, pads, channels_fastest, h_taps, w_taps,
            pair(stride))
    with numba.parallel_chunksize(threads.chunk_size(x.shape[0])):
        partial = versions.call(backward_weight_kernel, args, strided=(1,))
    return partial.sum(axis=0).transpose(2, 0, 1)[:, None].copy()


FAST = SimpleNamespace(forward=forward, backward_input=backward_input, backward_weight=backward_weight)
REFERENCE = SimpleNamespace(forward=reference_forward, backward_input=reference_backward_input,
                            backward_weight=reference_backward_weight)


def timing_case(batch: int = 32, channels: int = 96, side: int = 14, stride: int = 1,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray, Pair]:
    """A MobileNet-sized input (channels-last, as a convolution's output lies) and 3×3 depthwise weight."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, side, side, channels)).astype(np.float32).transpose(0, 3, 1, 2)
    weight = rng.standard_normal((channels, 1, 3, 3)).astype(np.float32)
    out_side = (side + 2 - 3) // stride + 1
    return x, weight, (out_side, out_side)


"""Pooling: max, average and adaptive average over windows of an (N, C, H, W) input, channel by channel.

A window of kh × kw pixels moves with stride s over the input padded by p (dilation d spaces its taps):

    max pooling      y[n, c, oh, ow] = max_{i, j} x[n, c, oh·s_h − p_h + i·d_h, ow·s_w − p_w + j·d_w]
    average pooling  y[n, c, oh, ow] = (1 / divisor) Σ_{i, j} x[n, c, oh·s_h − p_h + i, ow·s_w − p_w + j]

    OH = ⌊(H + 2p_h − d_h·(kh − 1) − 1) / s_h⌋ + 1   (⌈…⌉ with ceil_mode, as long as the last window starts
                                                      inside the input or its left padding; likewise OW)

The loops are kernels (kernels/pool.py, reference in kernels/reference.py).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Function, OpError
from ..backend import get_array_module
from ..kernels import dispatch as kernels
from .conv import pair

Pair = tuple[int, int]


def check_pool_input(shape: tuple[int, ...], layer: str) -> None:
    if len(shape) != 4:
        hint = " (one image: add the batch axis with x.unsqueeze(0))" if len(shape) == 3 else ""
        raise OpError(f"{layer} got input of shape {tuple(shape)}: the input must be 4-D (N, C, H, W){hint}")


def pool_geometry(shape: tuple[int, ...], kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                  ceil_mode: bool, layer: str) -> tuple[Pair, Pair, Pair, Pair, Pair]:
    """Check a pooling window against the input; return (kernel_size, stride, padding, dilation, out_size).

    ``stride=None`` means stride = kernel_size (non-overlapping windows), as in PyTorch.
    """
    check_pool_input(shape, layer)
    kernel_size = pair(kernel_size, "kernel_size", layer)
    stride = kernel_size if stride is None else pair(stride, "stride", layer)
    padding, dilation = pair(padding, "padding", layer), pair(dilation, "dilation", layer)
    if min(kernel_size) < 1 or min(stride) < 1 or min(dilation) < 1:
        raise OpError(f"{layer}: kernel_size={kernel_size}, stride={stride} and dilation={dilation} must be at least 1")
    out = []
    for axis, name in ((0, "height"), (1, "width")):
        span = dilation[axis] * (kernel_size[axis] - 1) + 1
        if not 0 <= padding[axis] <= span // 2:
            raise OpError(f"{layer}: padding={padding} must be between 0 and half the window ({span} pixels in "
                          f"{name}), so that every window holds at least one pixel of the input")
        padded = shape[2 + axis] + 2 * padding[axis]
        if span > padded:
            raise OpError(
                f"{layer} got input of shape {tuple(shape)}: the window spans {span} pixels in {name} but the "
                f"padded input has only {padded} ({shape[2 + axis]} + 2·{padding[axis]}): the window must fit in the "
                "padded input; use a smaller kernel_size or more padding"
            )
        steps = padded - span
        size = (-(-steps // stride[axis]) if ceil_mode else steps // stride[axis]) + 1
        if ceil_mode and (size - 1) * stride[axis] >= shape[2 + axis] + padding[axis]:
            size -= 1  # the last window would start in the right padding: dropped, as in PyTorch
        out.append(size)
    return kernel_size, stride, padding, dilation, (out[0], out[1])


class MaxPool2d(Function):
    """Max pooling  y = max over the window of x  (padding never wins).

    Backward:  ∂L/∂x[n, c, h, w] = Σ over the outputs whose maximum was (h, w) of ∂L/∂y[n, c, oh, ow] — the gradient
    goes to the arg-max only. In a tie the first maximum of the window (in row-major order) wins, as in PyTorch.
    """

    def forward(self, x: Any, kernel_size: Any = 2, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                ceil_mode: bool = False, layer: str = "max_pool2d") -> Any:
        kernel_size, stride, padding, dilation, out_size = pool_geometry(x.shape, kernel_size, stride, padding,
                                                                          dilation, ceil_mode, layer)
        self.input_shape, self.window = x.shape, (kernel_size, stride, padding, dilation)
        out, self.argmax = kernels.max_pool2d(x, kernel_size, stride, padding, dilation, out_size)
        return out

    def backward(self, grad: Any) -> Any:
        return kernels.max_pool2d_backward(grad, self.argmax, self.input_shape, self.window)


class ReLUMaxPool2d(MaxPool2d):
    """Max pooling of ReLU(x), one op: ReLU is monotone, so the largest rectified value of a window is the
    rectified largest value,

        max_{i, j} max(x[…], 0) = max(max_{i, j} x[…], 0),

    and ReLU runs on the pooled output (a quarter of the pixels for 2 × 2 windows) instead of the whole input:
    no rectified copy of x is written, read back and kept for backward. ``nn.Sequential`` runs a ``ReLU`` followed
    by a ``MaxPool2d`` as this op (``nn/fusion.py``).

    Backward:  ∂L/∂x = MaxPool2d's backward of ∂L/∂y ⊙ [y > 0] — the numbers of ReLU's backward after MaxPool2d's:
    a window whose maximum is ≤ 0 (or NaN) passes no gradient either way, any other sends it to its arg-max.
    """

    def forward(self, x: Any, **options: Any) -> Any:
        out = kernels.relu_forward(super().forward(x, **options))
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return super().backward(kernels.relu_backward(grad, out))


def avg_pool_divisor(xp: Any, shape: tuple[int, ...], kernel_size: Pair, stride: Pair, padding: Pair,
                     out_size: Pair, count_include_pad: bool, divisor_override: int | None, dtype: Any) -> Any:
    """The denominator of every window, (OH, OW):

    divisor_override if given; else the window's size clipped to the padded input (kh·kw unless ceil_mode lets
    the last window hang over) with count_include_pad; else the number of real input pixels in the window.
    """
    if divisor_override is not None:
        return xp.full(out_size, divisor_override, dtype=dtype)
    counts = []
    for axis in (0, 1):
        size, pad = shape[2 + axis], padding[axis]
        start = np.arange(out_size[axis]) * stride[axis] - pad
        end = np.minimum(start + kernel_size[axis], size + pad)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    return xp.asarray(np.outer(counts[0], counts[1]).astype(dtype))


class AvgPool2d(Function):
    """Average pooling  y = (1 / divisor) Σ over the window of x  (padding counts as 0).

    Backward:  ∂L/∂x[n, c, h, w] = Σ over the windows holding (h, w) of ∂L/∂y[n, c, oh, ow] / divisor[oh, ow].
    """

    def forward(self, x: Any, kernel_size: Any = 2, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                count_include_pad: bool = True, divisor_override: int | None = None,
                layer: str = "avg_pool2d") -> Any:
        kernel_size, stride, padding, _, out_size = pool_geometry(x.shape, kernel_size, stride, padding, 1,
                                                                   ceil_mode, layer)
        if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override == 0):
            raise OpError(f"{layer}: divisor_override={divisor_override!r} must be a non-zero int")
        xp = get_array_module(x)
        self.divisor = avg_pool_divisor(xp, x.shape, kernel_size, stride, padding, out_size, count_include_pad,
                                        divisor_override, x.dtype)
        self.geometry = (kernel_size, stride, padding)
        self.input_shape = x.shape
        return kernels.avg_pool2d(x, kernel_size, stride, padding, out_size, self.divisor)

    def backward(self, grad: Any) -> Any:
        kernel_size, stride, padding = self.geometry
        return kernels.avg_pool2d_backward(grad, self.divisor, self.input_shape, kernel_size, stride, padding)


def adaptive_pool_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
    """A (out, size) averaging matrix: row i holds 1/(end − start) on the window start = ⌊i·size/out⌋ …
    end = ⌈(i + 1)·size/out⌉ (PyTorch's windows; they overlap when size is not a multiple of out)."""
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, math.ceil((i + 1) * size / out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


class AdaptiveAvgPool2d(Function):
    """Adaptive average pooling to a fixed output size (OH, OW): output (oh, ow) averages the input window
    rows ⌊oh·H/OH⌋ … ⌈(oh + 1)·H/OH⌉ − 1 and columns likewise. ``output_size=1`` is global average pooling.

    The windows are a product of a row interval and a column interval, so the average factors into two
    averaging matrices:  y = A_H · x · A_Wᵀ  per (n, c) plane,  A_H (OH, H), A_W (OW, W).
    Backward:  ∂L/∂x = A_Hᵀ · ∂L/∂y · A_W.
    """

    def forward(self, x: Any, output_size: Any = 1, layer: str = "adaptive_avg_pool2d") -> Any:
        check_pool_input(x.shape, layer)
        if isinstance(output_size, int) or output_size is None:
            output_size = (output_size, output_size)
        if len(output_size) != 2:
            raise OpError(f"{layer}: output_size={output_size!r} must be an int or a pair (None keeps the input's)")
        out_h, out_w = (x.shape[2 + a] if s is None else s for a, s in enumerate(output_size))
        if not (isinstance(out_h, int) and isinstance(out_w, int) and out_h >= 1 and out_w >= 1):
            raise OpError(f"{layer}: output_size={output_size!r} must hold positive ints")
        xp = get_array_module(x)
        self.rows = xp.asarray(adaptive_pool_matrix(x.shape[2], out_h, x.dtype))
        self.columns = xp.asarray(adaptive_pool_matrix(x.shape[3], out_w, x.dtype))
        if (out_h, out_w) == (1, 1):
            return x.mean(axis=(2, 3), keepdims=True)  # global average pooling: the same formula, one call
        along_w = xp.tensordot(x, self.columns, axes=([3], [1]))  # (N, C, H, OW)
        return xp.tensordot(along_w, self.rows, axes=([2], [1])).transpose(0, 1, 3, 2)

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        along_w = xp.tensordot(grad, self.columns, axes=([3], [0]))  # (N, C, OH, W)
        return xp.tensordot(along_w, self.rows, axes=([2], [0])).transpose(0, 1, 3, 2)

"""2-D convolution as im2col + one matrix product (the kernels are in ``kernels/``).

Deep-learning "convolution" is a cross-correlation (the kernel is not flipped; docs/convolution.md shows the
link with the documents' y(x, y) = Σₘ Σₙ x(m, n)·k(x − m, y − n)). With input x (N, C, H, W) and weight W
(O, C/G, kh, kw) in G groups:

    y[n, o, oh, ow] = b[o] + Σ_{c ∈ group(o)} Σ_{i, j} W[o, c, i, j] · x[n, c, h, w]
    with  h = oh·s_h − p_top + i·d_h,  w = ow·s_w − p_left + j·d_w   (x is 0 outside the image)

    OH = ⌊(H + p_top + p_bottom − d_h·(kh − 1) − 1) / s_h⌋ + 1     (likewise OW)

im2col lays every receptive field out as a row of cols (N·OH·OW, C·kh·kw), so that each group is one product

    Y = cols · Wᵀ          (N·OH·OW, O),  W reshaped to (O, C/G·kh·kw)

and Y, one row of O channels per output pixel, is already the output in channels-last memory: it is returned
as an (N, O, OH, OW) view without a copy (kernels/layout.py).

Backward, with Ȳ = ∂L/∂Y laid out the same way:
    ∂L/∂W = Ȳᵀ · cols        (a matrix product: O × C·kh·kw)
    ∂L/∂b = Σ_rows Ȳ
    ∂L/∂x = col2im(Ȳ · W)    (the matrix product gives ∂L/∂cols; col2im adds each entry back to its pixel)

A convolution of a one-channel input (the first layer of a grey-image network) skips im2col as well: its
cols would have only kh·kw columns, too skinny for BLAS, so kernels/direct.py computes y = b + Σ taps directly,
the bias in the same pass, and ∂L/∂W, ∂L/∂b in one pass over Ȳ.

A depthwise convolution (groups = C_in = C_out, MobileNet's) skips im2col: its per-group products are
matrix-vector products too small for BLAS, so kernels/depthwise.py adds the taps straight from the input
(10–40× faster forward + backward at MobileNet's sizes, docs/transfer-learning.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import Function, OpError
from ..backend import get_array_module
from ..kernels import dispatch as kernels

Pair = tuple[int, int]


def pair(value: Any, name: str, layer: str) -> Pair:
    """``3`` → (3, 3); ``(3, 2)`` stays; anything else is an error naming the argument."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, tuple | list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    raise OpError(f"{layer}: {name}={value!r} must be an int or a pair of ints (height, width)")


def conv_padding(padding: Any, kernel_size: Pair, stride: Pair, dilation: Pair, layer: str) -> tuple[int, ...]:
    """(top, bottom, left, right) from an int, a pair, ``"valid"`` (no padding) or ``"same"`` (stride 1 only).

    "same" pads d·(k − 1) in total so that the output has the input's size; an odd total puts the extra row
    and column at the bottom and right (as PyTorch).
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise OpError(f"{layer}: padding={padding!r} must be an int, a pair, 'same' or 'valid'")
        if stride != (1, 1):
            raise OpError(f"{layer}: padding='same' is not supported for strided convolutions (stride={stride}): "
                          "use stride=1, or give the padding as numbers")
        total_h, total_w = dilation[0] * (kernel_size[0] - 1), dilation[1] * (kernel_size[1] - 1)
        return (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
    ph, pw = pair(padding, "padding", layer)
    if ph < 0 or pw < 0:
        raise OpError(f"{layer}: padding={padding!r} must not be negative")
    return (ph, ph, pw, pw)


def output_size(size: Pair, padding: tuple[int, ...], kernel_size: Pair, stride: Pair, dilation: Pair,
                layer: str, input_shape: tuple[int, ...]) -> Pair:
    """OH = ⌊(H + p_top + p_bottom − d·(k − 1) − 1) / s⌋ + 1, and the same for the width; at least 1."""
    out = []
    for axis, name in ((0, "height"), (1, "width")):
        padded = size[axis] + padding[2 * axis] + padding[2 * axis + 1]
        span = dilation[axis] * (kernel_size[axis] - 1) + 1
        if span > padded:
            raise OpError(
                f"{layer} got input of shape {tuple(input_shape)}: the kernel spans {span} pixels in {name} "
                f"(kernel {kernel_size[axis]}, dilation {dilation[axis]}) but the padded input has only {padded} "
                f"({size[axis]} + padding {padding[2 * axis]} + {padding[2 * axis + 1]}): the kernel must fit in the "
                "padded input; use a smaller kernel, more padding or a larger input"
            )
        out.append((padded - span) // stride[axis] + 1)
    return (out[0], out[1])


@dataclass(frozen=True)
class ConvGeometry:
    kernel_size: Pair
    stride: Pair
    padding: tuple[int, int, int, int]  # top, bottom, left, right
    dilation: Pair
    groups: int
    out_size: Pair

    @property
    def before(self) -> Pair:
        """The padding before the image, (top, left): all im2col needs besides the output size."""
        return (self.padding[0], self.padding[2])


def check_conv2d(input_shape: tuple[int, ...], weight_shape: tuple[int, ...], bias_shape: tuple[int, ...] | None,
                 stride: Any, padding: Any, dilation: Any, groups: int, layer: str) -> ConvGeometry:
    """Check every argument of a convolution against the shapes; return the geometry or raise an ``OpError``
    that names the layer, the shapes and the rule."""
    if len(weight_shape) != 4:
        raise OpError(f"{layer}: the weight must be 4-D (out_channels, in_channels/groups, kh, kw), got shape "
                      f"{tuple(weight_shape)}")
    if len(input_shape) != 4:
        hint = " (one image: add the batch axis with x.unsqueeze(0))" if len(input_shape) == 3 else ""
        raise OpError(f"{layer} got input of shape {tuple(input_shape)}: the input must be 4-D (N, C, H, W){hint}")
    if not isinstance(groups, int) or groups < 1:
        raise OpError(f"{layer}: groups={groups!r} must be a positive int")
    out_channels, group_channels = weight_shape[:2]
    in_channels = input_shape[1]
    if in_channels % groups or out_channels % groups:
        raise OpError(f"{layer} with groups={groups}: in_channels={in_channels} and out_channels={out_channels} "
                      f"must both be divisible by groups (input {tuple(input_shape)}, weight {tuple(weight_shape)})")
    if in_channels != group_channels * groups:
        raise OpError(
            f"{layer} got input of shape {tuple(input_shape)} with {in_channels} channels, but its weight of shape "
            f"{tuple(weight_shape)} expects in_channels = weight.shape[1] · groups = {group_channels} · {groups} = "
            f"{group_channels * groups}: axis 1 of the input must be {group_channels * groups}"
            + ("; the input looks channels-last (N, H, W, C): convert it with x.permute(0, 3, 1, 2)"
               if len(input_shape) == 4 and input_shape[-1] == group_channels * groups else "")
        )
    if bias_shape is not None and tuple(bias_shape) != (out_channels,):
        raise OpError(f"{layer}: the bias must have shape ({out_channels},) (one per output channel), got "
                      f"{tuple(bias_shape)}")
    kernel_size = (weight_shape[2], weight_shape[3])
    stride, dilation = pair(stride, "stride", layer), pair(dilation, "dilation", layer)
    if min(stride) < 1 or min(dilation) < 1:
        raise OpError(f"{layer}: stride={stride} and dilation={dilation} must be at least 1")
    pads = conv_padding(padding, kernel_size, stride, dilation, layer)
    out_size = output_size(input_shape[2:], pads, kernel_size, stride, dilation, layer, input_shape)
    return ConvGeometry(kernel_size, stride, pads, dilation, groups, out_size)


def is_depthwise(input_shape: tuple[int, ...], weight_shape: tuple[int, ...], groups: int) -> bool:
    """One filter per channel and one output channel per input channel: groups = C_in = C_out > 1."""
    return groups > 1 and input_shape[1] == groups and weight_shape[0] == groups and weight_shape[1] == 1


def per_group_matmul(a: Any, b: Any, groups: int) -> Any:
    """out[:, block g] = a[:, block g] · b[g] for each group g: a (M, G·K), b (G, K, P) → (M, G·P).

    One batched product over the groups (one BLAS call when G = 1) whose result is written straight into the
    (M, G·P) layout: no transposed copies.
    """
    xp = get_array_module(a)
    rows, inner = a.shape[0], a.shape[1] // groups
    if groups == 1:
        return kernels.matmul(a, b[0])
    per_group = a.reshape(rows, groups, inner).transpose(1, 0, 2)  # (G, M, K), a view
    if xp is not np:  # CuPy: let it choose the layout, then interleave the groups
        return xp.matmul(per_group, b).transpose(1, 0, 2).reshape(rows, groups * b.shape[2])
    out = xp.empty((rows, groups, b.shape[2]), dtype=a.dtype)
    xp.matmul(per_group, b, out=out.transpose(1, 0, 2))
    return out.reshape(rows, groups * b.shape[2])


class Conv2d(Function):
    """2-D convolution (cross-correlation) with stride, padding, dilation and groups, as im2col + matmul.

        y[n, o, oh, ow] = b[o] + Σ_{c ∈ group(o), i, j} W[o, c, i, j] · x[n, c, h, w]

    Forward:   cols = im2col(x) (N·OH·OW, C·kh·kw),   Y = cols · Wᵀ + b   per group.
    Backward:  ∂L/∂W = Ȳᵀ · cols,   ∂L/∂b = Σ_rows Ȳ,   ∂L/∂x = col2im(Ȳ · W).
    ``bias=None`` (a layer built with ``bias=False``) leaves the b[o] term out.
    """

    optional_inputs = 1  # the bias


    def forward(self, x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                groups: int = 1, layer: str = "conv2d") -> Any:
        geometry = check_conv2d(x.shape, weight.shape, None if bias is None else bias.shape, stride, padding,
                                dilation, groups, layer)
        self.geometry, self.input_shape = geometry, x.shape
        self.depthwise = is_depthwise(x.shape, weight.shape, groups)
        self.direct = None
        if self.depthwise:
            self.save_for_backward(x, weight)
            out = kernels.depthwise(x).forward(x, weight, geometry.stride, geometry.before, geometry.dilation,
                                               geometry.out_size)
            return out if bias is None else out + bias.reshape(1, -1, 1, 1)
        self.direct = kernels.single_channel_conv(x, weight, groups)
        if self.direct is not None:  # one input channel: computed directly, the bias added in the same pass
            self.save_for_backward(x, weight)
            return self.direct.conv2d(x, weight, bias, geometry.stride, geometry.before, geometry.dilation,
                                      geometry.out_size)
        batch = x.shape[0]
        out_channels = weight.shape[0]
        cols = kernels.im2col(x, geometry.kernel_size, geometry.stride, geometry.before, geometry.dilation,
                              geometry.out_size, tap_major=groups == 1)
        weight_rows = _weight_rows(weight, groups)  # (G, O/G, C/G·kh·kw), columns in the order of cols'
        out = per_group_matmul(cols, weight_rows.transpose(0, 2, 1), groups)  # (N·OH·OW, O)
        if bias is not None:
            out += bias
        needs = self.needs_input_grad
        self.save_for_backward(cols if needs and needs[1] else None, weight)
        return out.reshape(batch, *geometry.out_size, out_channels).transpose(0, 3, 1, 2)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        if self.depthwise:
            return self._depthwise_backward(grad)
        if self.direct is not None:
            return self._direct_backward(grad)
        cols, weight = self.saved
        geometry, groups = self.geometry, self.geometry.groups
        needs = self.needs_input_grad
        out_channels = weight.shape[0]
        grad_rows = grad.transpose(0, 2, 3, 1).reshape(-1, out_channels)  # (N·OH·OW, O); free when channels-last
        grad_x = grad_w = grad_b = None
        if needs[1]:
            if groups == 1:  # ∂L/∂Wᵀ = colsᵀ · Ȳ, rows (i, j, c) (see _weight_rows): to PyTorch's (O, C, kh, kw)
                kernel_h, kernel_w = geometry.kernel_size  # (OpenBLAS: 7–9% faster than Ȳᵀ · cols on the CNN's shapes)
                grad_w = kernels.matmul(cols.T, grad_rows).reshape(kernel_h, kernel_w, -1, out_channels).transpose(
                    3, 2, 0, 1)
            else:
                grad_w = _weight_grad(grad_rows, cols, groups)
            grad_w = get_array_module(grad_w).ascontiguousarray(grad_w).reshape(weight.shape)
        if len(needs) > 2 and needs[2]:
            grad_b = grad_rows.sum(axis=0)
        if needs[0]:
            grad_cols = per_group_matmul(grad_rows, _weight_rows(weight, groups), groups)  # ∂L/∂cols
            grad_x = kernels.col2im(grad_cols, self.input_shape, geometry.kernel_size, geometry.stride,
                                    geometry.before, geometry.dilation, geometry.out_size, tap_major=groups == 1)
        return grad_x, grad_w, grad_b

    def _direct_backward(self, grad: Any) -> tuple[Any, ...]:
        """∂L/∂W and ∂L/∂b of a one-channel convolution in one pass over Ȳ (kernels/direct.py); ∂L/∂x, rarely
        needed for a first layer, through im2col's adjoint as in the general case."""
        x, weight = self.saved
        geometry, needs = self.geometry, self.needs_input_grad
        grad_w, grad_b = self.direct.conv2d_weight_bias_grad(grad, x, geometry.kernel_size, geometry.stride,
                                                             geometry.before, geometry.dilation)
        grad_x = None
        if needs[0]:
            grad_rows = grad.transpose(0, 2, 3, 1).reshape(-1, weight.shape[0])
            grad_x = kernels.col2im(grad_rows @ weight.reshape(weight.shape[0], -1), self.input_shape,
                                    geometry.kernel_size, geometry.stride, geometry.before, geometry.dilation,
                                    geometry.out_size)
        return grad_x, grad_w if needs[1] else None, grad_b if len(needs) > 2 and needs[2] else None

    def _depthwise_backward(self, grad: Any) -> tuple[Any, ...]:
        """∂L/∂x and ∂L/∂W of a depthwise convolution (formulas in kernels/depthwise.py), ∂L/∂b = Σ_{n,h,w} Ȳ."""
        x, weight = self.saved
        geometry, needs = self.geometry, self.needs_input_grad
        fn = kernels.depthwise(grad)
        where = (geometry.stride, geometry.before, geometry.dilation, geometry.out_size)
        grad_x = fn.backward_input(grad, weight, self.input_shape, *where) if needs[0] else None
        grad_w = fn.backward_weight(grad, x, geometry.kernel_size, *where) if needs[1] else None
        grad_b = grad.sum(axis=(0, 2, 3)) if len(needs) > 2 and needs[2] else None
        return grad_x, grad_w, grad_b


class Conv2dReLUMaxPool2d(Conv2d):
    """A one-channel convolution, ReLU and k × k max pooling with stride k as one op — the first block of the
    documents' CNN, ``Conv2d(1, C, 3) → ReLU → MaxPool2d(2)``, which ``nn.Sequential`` runs this way:

        y = max_{k × k window} relu(conv(x, W) + b)

    kernels/direct.py computes k rows of the convolution at a time into a buffer and pools them there: the
    convolution's output (4× the pooled size for k = 2) is never written to memory or read back.

    Backward, the layers' rules in turn: ∂L/∂y ⊙ [y > 0] (ReLU, ``ops.ReLUMaxPool2d``), sent to each window's
    arg-max (max pooling), then the convolution's ∂L/∂W, ∂L/∂b (and ∂L/∂x) from that, as ``Conv2d``. Outputs and
    gradients are those of the three layers run one by one, to the bit.
    """

    def forward(self, x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                groups: int = 1, layer: str = "conv2d", window: int = 2) -> Any:
        geometry = check_conv2d(x.shape, weight.shape, None if bias is None else bias.shape, stride, padding,
                                dilation, groups, layer)
        self.direct = kernels.single_channel_conv(x, weight, groups)
        if self.direct is None or min(geometry.out_size) < window:
            raise OpError(f"{layer}: the fused convolution, ReLU and pooling takes one-channel NumPy float inputs "
                          f"whose output covers a {window}×{window} window; got {x.shape} ({x.dtype})")
        self.geometry, self.input_shape, self.depthwise, self.window = geometry, x.shape, False, window
        out, self.argmax = self.direct.conv2d_relu_max_pool(x, weight, bias, geometry.stride, geometry.before,
                                                            geometry.dilation, geometry.out_size, window)
        self.save_for_backward(x, weight)
        self.pooled = out
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        batch, out_channels = self.pooled.shape[:2]
        window = (self.window, self.window)
        grad = kernels.relu_backward(grad, self.pooled)
        grad_conv = kernels.max_pool2d_backward(grad, self.argmax, (batch, out_channels, *self.geometry.out_size),
                                                (window, window, (0, 0), (1, 1)))
        return self._direct_backward(grad_conv)


def _weight_rows(weight: Any, groups: int) -> Any:
    """W as (G, O/G, C/G·kh·kw) matrices whose columns follow those of cols: (c, i, j) per group, or for one group
    (i, j, c) — im2col's tap-major order, each tap's channels side by side, which it copies from channels-last
    images in contiguous runs (a copy of W, small beside the activations)."""
    out_channels = weight.shape[0]
    if groups == 1:
        return weight.transpose(0, 2, 3, 1).reshape(1, out_channels, -1)
    return weight.reshape(groups, out_channels // groups, -1)


def _weight_grad(grad_rows: Any, cols: Any, groups: int) -> Any:
    """∂L/∂W = Ȳᵀ · cols for each of G > 1 groups: (O/G, C/G·kh·kw) blocks stacked to (G, O/G, C/G·kh·kw)."""
    xp = get_array_module(grad_rows)
    rows = grad_rows.shape[0]
    grad_per_group = grad_rows.reshape(rows, groups, -1).transpose(1, 2, 0)  # (G, O/G, M)
    cols_per_group = cols.reshape(rows, groups, -1).transpose(1, 0, 2)  # (G, M, C/G·kh·kw)
    return xp.matmul(grad_per_group, cols_per_group)

"""Transposed 2-D convolution ("deconvolution"): the convolution's kernels run the other way.

A convolution with weight W maps x ↦ y = conv(x, W); as a linear map it is a matrix C, y = C x. The transposed
convolution is Cᵀ: it maps an (N, C_in, H, W) input up to (N, C_out, OH, OW) with

    OH = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1      (likewise OW)

and it is exactly the input-gradient of that convolution: every input pixel x[n, c, h, w] is multiplied by the
kernel and *added* onto the output window it maps to. With the weight in PyTorch's layout (C_in, C_out/G, kh, kw)
— which is conv2d's (O, C/G, kh, kw) with O = C_in — the same two kernels of ``ops/conv.py`` do it:

    Forward:   cols = X_rows · W   (N·H·W, C_out·kh·kw) per group,   y = col2im(cols) + b
    Backward:  ∂L/∂x = conv2d(∂L/∂y, W)  (im2col(∂L/∂y) · Wᵀ: a transposed convolution's gradient is a convolution)
               ∂L/∂W = X_rowsᵀ · im2col(∂L/∂y)   per group,    ∂L/∂b = Σ_{n,h,w} ∂L/∂y
"""

from __future__ import annotations

from typing import Any

from ..autograd import Function, OpError
from ..backend import get_array_module
from ..kernels import dispatch as kernels
from .conv import ConvGeometry, pair, per_group_matmul


def transposed_geometry(input_shape: tuple[int, ...], weight_shape: tuple[int, ...], bias_shape: Any, stride: Any,
                        padding: Any, output_padding: Any, dilation: Any, groups: int,
                        layer: str) -> tuple[ConvGeometry, tuple[int, int, int, int]]:
    """The geometry of the convolution whose input-gradient this is (its ``out_size`` is our input's H, W), and
    our output shape (N, C_out, OH, OW); errors name the layer, the shapes and the rule."""
    if len(input_shape) != 4:
        raise OpError(f"{layer} got input of shape {tuple(input_shape)}: the input must be 4-D (N, C_in, H, W)")
    if len(weight_shape) != 4:
        raise OpError(f"{layer}: the weight must be 4-D (in_channels, out_channels/groups, kh, kw), got shape "
                      f"{tuple(weight_shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise OpError(f"{layer}: groups={groups!r} must be a positive int")
    if input_shape[1] != weight_shape[0]:
        raise OpError(f"{layer} got input of shape {tuple(input_shape)} with {input_shape[1]} channels, but its weight "
                      f"of shape {tuple(weight_shape)} expects in_channels = weight.shape[0] = {weight_shape[0]}")
    if weight_shape[0] % groups:
        raise OpError(f"{layer}: in_channels={weight_shape[0]} must be divisible by groups={groups}")
    out_channels = weight_shape[1] * groups
    if bias_shape is not None and tuple(bias_shape) != (out_channels,):
        raise OpError(f"{layer}: the bias must have shape ({out_channels},), got {tuple(bias_shape)}")
    stride, dilation = pair(stride, "stride", layer), pair(dilation, "dilation", layer)
    padding, output_padding = pair(padding, "padding", layer), pair(output_padding, "output_padding", layer)
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or min(output_padding) < 0:
        raise OpError(f"{layer}: stride={stride} and dilation={dilation} must be ≥ 1, padding={padding} and "
                      f"output_padding={output_padding} ≥ 0")
    for axis in (0, 1):
        if output_padding[axis] >= max(stride[axis], dilation[axis]):
            raise OpError(f"{layer}: output padding must be smaller than either stride or dilation, but got "
                          f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    kernel_size = (weight_shape[2], weight_shape[3])
    out_size = tuple((input_shape[2 + a] - 1) * stride[a] - 2 * padding[a] + dilation[a] * (kernel_size[a] - 1)
                     + output_padding[a] + 1 for a in (0, 1))
    if min(out_size) < 1:
        raise OpError(f"{layer} got input of shape {tuple(input_shape)}: the output size {out_size} is not positive; "
                      "reduce the padding")
    geometry = ConvGeometry(kernel_size, stride, (padding[0], padding[0], padding[1], padding[1]), dilation, groups,
                            (input_shape[2], input_shape[3]))
    return geometry, (input_shape[0], out_channels, out_size[0], out_size[1])


class ConvTranspose2d(Function):
    """Transposed convolution  y = Cᵀ x  (the input-gradient of conv2d), through col2im; module docstring has the
    output size, the forward and the backward (a conv2d and a weight product)."""

    optional_inputs = 1  # the bias

    def forward(self, x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                output_padding: Any = 0, groups: int = 1, dilation: Any = 1, layer: str = "conv_transpose2d") -> Any:
        geometry, out_shape = transposed_geometry(x.shape, weight.shape, None if bias is None else bias.shape, stride,
                                                  padding, output_padding, dilation, groups, layer)
        self.geometry, self.out_shape = geometry, out_shape
        in_channels = x.shape[1]
        x_rows = x.transpose(0, 2, 3, 1).reshape(-1, in_channels)  # (N·H·W, C_in)
        weight_rows = weight.reshape(groups, in_channels // groups, -1)  # (G, C_in/G, C_out/G·kh·kw)
        cols = per_group_matmul(x_rows, weight_rows, groups)  # (N·H·W, C_out·kh·kw)
        out = kernels.col2im(cols, out_shape, geometry.kernel_size, geometry.stride, geometry.before,
                             geometry.dilation, geometry.out_size)
        self.save_for_backward(x_rows, weight)
        return out if bias is None else out + bias.reshape(1, -1, 1, 1)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x_rows, weight = self.saved
        geometry, groups = self.geometry, self.geometry.groups
        needs = self.needs_input_grad
        batch, height, width = self.out_shape[0], *geometry.out_size
        in_channels = weight.shape[0]
        grad_cols = kernels.im2col(grad, geometry.kernel_size, geometry.stride, geometry.before, geometry.dilation,
                                   geometry.out_size)  # (N·H·W, C_out·kh·kw)
        grad_x = grad_w = grad_b = None
        if needs[0]:
            weight_rows = weight.reshape(groups, in_channels // groups, -1).transpose(0, 2, 1)
            grad_rows = per_group_matmul(grad_cols, weight_rows, groups)  # (N·H·W, C_in): a conv2d of ∂L/∂y
            grad_x = grad_rows.reshape(batch, height, width, in_channels).transpose(0, 3, 1, 2)
        if needs[1]:
            xp = get_array_module(grad)
            rows = x_rows.shape[0]
            x_groups = x_rows.reshape(rows, groups, -1).transpose(1, 2, 0)  # (G, C_in/G, M)
            col_groups = grad_cols.reshape(rows, groups, -1).transpose(1, 0, 2)  # (G, M, C_out/G·kh·kw)
            grad_w = xp.matmul(x_groups, col_groups).reshape(weight.shape)
        if len(needs) > 2 and needs[2]:
            grad_b = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_w, grad_b

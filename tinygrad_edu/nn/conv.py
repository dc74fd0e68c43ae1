"""The convolutional layer of the documents' CNN: ``Conv2d`` and its functional form ``conv2d``.

PyTorch's names, defaults and layouts: input (N, C, H, W), weight (out_channels, in_channels/groups, kh, kw),
so a PyTorch state_dict loads unchanged. The formula and its backward are in ``ops/conv.py``.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..tensor import Tensor
from . import init
from .module import Module, add_weight_and_bias

IntOrPair = int | tuple[int, int]


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrPair = 1,  # noqa: A002
           padding: IntOrPair | str = 0, dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in every deep-learning library): the formula, with stride s,
    padding p and dilation d, and its backward are those of ``ops.Conv2d`` (ops/conv.py).

    ``padding``: an int or (ph, pw) of zeros on both sides, ``"valid"`` (none) or ``"same"`` (output as large as
    the input; stride 1 only). ``groups=G`` splits the channels into G independent convolutions;
    ``groups=in_channels`` is the depthwise convolution of MobileNet's separable blocks.
    """
    layer = f"conv2d(weight of shape {tuple(weight.shape)}, groups={groups})"
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, layer=layer)
    return ops.Conv2d.apply(input, weight, bias, **options)


class Conv2d(Module):
    """2-D convolution layer: ``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    groups=1, bias=True)`` on inputs (N, in_channels, H, W), giving (N, out_channels, OH, OW) (the output size
    and the formula are in ``ops.Conv2d``; padding="same" keeps OH = H).

    Parameters: ``weight`` (out_channels, in_channels/groups, kh, kw) and ``bias`` (out_channels,), initialised
    as PyTorch: U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels/groups · kh · kw. The documents' Conv2D(32,
    (3, 3)) on 1-channel images is ``Conv2d(1, 32, 3)``: 32·1·3·3 + 32 = 320 parameters.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair, stride: IntOrPair = 1,
                 padding: IntOrPair | str = 0, dilation: IntOrPair = 1, groups: int = 1, bias: bool = True,
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        kernel_size = ops.conv.pair(kernel_size, "kernel_size", "Conv2d")
        name = f"Conv2d({in_channels}, {out_channels}, kernel_size={kernel_size})"
        if min(in_channels, out_channels, *kernel_size) <= 0:
            raise ValueError(f"{name}: channels and kernel_size must be positive")
        if not isinstance(groups, int) or groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: groups={groups} must be a positive int that divides both in_channels "
                             f"({in_channels}) and out_channels ({out_channels})")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.stride = ops.conv.pair(stride, "stride", name)
        self.padding = padding if isinstance(padding, str) else ops.conv.pair(padding, "padding", name)
        self.dilation = ops.conv.pair(dilation, "dilation", name)
        self.groups = groups
        ops.conv.conv_padding(self.padding, kernel_size, self.stride, self.dilation, name)  # reject bad padding now
        add_weight_and_bias(self, (out_channels, in_channels // groups, *kernel_size), bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(W, a=√5), i.e. U(±1/√fan_in), and the same bound for b."""
        init.layer_default_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        options = dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups,
                       layer=f"Conv2d({self.extra_repr()})")
        return ops.Conv2d.apply(input, self.weight, self.bias, **options)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0, 0), "valid"):
            text += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text

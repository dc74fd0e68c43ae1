"""Pooling layers and their functional forms: max, average and adaptive (global) average pooling.

PyTorch's names and defaults; the formulas and backward rules are in ``ops/pool.py``. The documents' CNN uses
MaxPooling2D((2, 2)), i.e. ``MaxPool2d(2)``: windows of 2 × 2 with stride 2 halve the height and the width.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..tensor import Tensor
from .module import Module

IntOrPair = int | tuple[int, int]


def max_pool2d(input: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,  # noqa: A002
               padding: IntOrPair = 0, dilation: IntOrPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """y = max over each kh × kw window (stride defaults to the window size). With ``return_indices`` also the
    position h·W + w of each maximum in its input plane (int64, PyTorch's format for ``max_unpool2d``)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     f"max_pool2d(kernel_size={kernel_size})")


def _max_pool(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,  # noqa: A002
              ceil_mode: bool, return_indices: bool, layer: str, relu_first: bool = False
              ) -> Tensor | tuple[Tensor, Tensor]:
    op = ops.ReLUMaxPool2d if relu_first else ops.MaxPool2d
    out = op.apply(input, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                   ceil_mode=ceil_mode, layer=layer)
    if not return_indices:
        return out
    fn = out._ctx
    if fn is None:  # no graph was recorded: compute the indices without it
        fn = ops.MaxPool2d()
        fn.forward(input.data, kernel_size, stride, padding, dilation, ceil_mode, layer)
    return out, Tensor._from_op(fn.argmax.astype("int64", copy=False), None)  # the kernels may keep int32


def avg_pool2d(input: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,  # noqa: A002
               padding: IntOrPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """y = (1/divisor) Σ over each window; the divisor is kh·kw (padding zeros included, PyTorch's default),
    the number of real pixels with ``count_include_pad=False``, or ``divisor_override``."""
    return ops.AvgPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
                               count_include_pad=count_include_pad, divisor_override=divisor_override,
                               layer=f"avg_pool2d(kernel_size={kernel_size})")


def adaptive_avg_pool2d(input: Tensor, output_size: int | tuple[int | None, int | None]) -> Tensor:  # noqa: A002
    """Average over windows chosen so that the output is ``output_size``; 1 gives global average pooling."""
    return ops.AdaptiveAvgPool2d.apply(input, output_size=output_size,
                                       layer=f"adaptive_avg_pool2d(output_size={output_size})")


class MaxPool2d(Module):
    """Max pooling layer: ``MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False)``; y = max over each window, the gradient goes to the arg-max. No parameters."""

    def __init__(self, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,
                 dilation: IntOrPair = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:  # noqa: A002
        return _max_pool(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                         self.return_indices, f"MaxPool2d({self.extra_repr()})")

    def forward_after_relu(self, input: Tensor) -> Tensor:  # noqa: A002
        """``self(relu(input))`` as one op, ``ops.ReLUMaxPool2d`` (what ``nn.Sequential`` runs for ReLU → MaxPool2d)."""
        return _max_pool(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, False,
                         f"MaxPool2d({self.extra_repr()})", relu_first=True)

    def extra_repr(self) -> str:
        stride = self.kernel_size if self.stride is None else self.stride
        text = f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"
        return text + (f", dilation={self.dilation}" if self.dilation != 1 else "") + (
            ", ceil_mode=True" if self.ceil_mode else "")


class AvgPool2d(Module):
    """Average pooling layer: ``AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None)``. No parameters."""

    def __init__(self, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.ceil_mode = kernel_size, stride, padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return ops.AvgPool2d.apply(input, kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                                   ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad,
                                   divisor_override=self.divisor_override, layer=f"AvgPool2d({self.extra_repr()})")

    def extra_repr(self) -> str:
        stride = self.kernel_size if self.stride is None else self.stride
        text = f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"
        if self.ceil_mode:
            text += ", ceil_mode=True"
        if not self.count_include_pad:
            text += ", count_include_pad=False"
        if self.divisor_override is not None:
            text += f", divisor_override={self.divisor_override}"
        return text


class AdaptiveAvgPool2d(Module):
    """Adaptive average pooling to ``output_size`` (an int, or a pair whose None entries keep the input size).
    ``AdaptiveAvgPool2d(1)`` is the global average pooling of MobileNet-style heads: (N, C, H, W) → (N, C, 1, 1).
    No parameters."""

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return ops.AdaptiveAvgPool2d.apply(input, output_size=self.output_size,
                                           layer=f"AdaptiveAvgPool2d({self.extra_repr()})")

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

"""Runs of layers that ``nn.Sequential`` runs as one op: the same numbers as the layers one by one, with fewer
passes over memory.

    ReLU → MaxPool2d(k)                  ops.ReLUMaxPool2d: ReLU on the pooled quarter, no rectified copy kept
    Linear → ReLU                        ops.LinearReLU: the rectification in the layer's own output, one op
    Conv2d(1, C) → ReLU → MaxPool2d(k)   ops.Conv2dReLUMaxPool2d: the convolution's output is never stored

A run is fused only where nothing could tell the difference: plain layers (no subclass), no hooks (a hook must see
each layer's output), no autocast or anomaly detection (they act op by op), and geometries the fused kernels
cover; anywhere else the layers run one by one. The tests check the outputs and gradients bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops
from ..autograd import OpError, interceptors
from ..kernels import dispatch
from ..tensor import Tensor
from .activation import ReLU
from .conv import Conv2d
from .linear import Linear
from .module import Module
from .pooling import MaxPool2d


def run_layers(layers: Sequence[Module], input: Any) -> Any:  # noqa: A002
    """``input`` through ``layers`` in order, a fusable run as its one op (``nn.Sequential.forward``)."""
    index, count = 0, len(layers)
    while index < count:
        layer = layers[index]
        kind = type(layer)  # the cheap test first: most layers start no run
        if kind is Conv2d and index + 2 < count and fuses_conv_relu_max_pool(layer, *layers[index + 1:index + 3],
                                                                            input):
            input = conv_relu_max_pool(layer, layers[index + 2], input)
            index += 3
        elif kind is ReLU and index + 1 < count and fuses_relu_then_max_pool(layer, layers[index + 1]):
            input = layers[index + 1].forward_after_relu(input)
            index += 2
        elif kind is Linear and index + 1 < count and fuses_linear_relu(layer, layers[index + 1]):
            input = ops.LinearReLU.apply(input, layer.weight, layer.bias)
            index += 2
        else:
            input = layer(input)
            index += 1
    return input


def fuses_relu_then_max_pool(first: Module, second: Module) -> bool:
    """True when ``second(first(x))`` may run as one ``ops.ReLUMaxPool2d``: a plain ``ReLU`` then a plain
    ``MaxPool2d`` that returns no indices, no hook on either, no autocast or anomaly detection."""
    return (type(first) is ReLU and type(second) is MaxPool2d and not second.return_indices
            and not _has_hooks(first) and not _has_hooks(second) and not interceptors.active)


def fuses_linear_relu(linear: Module, relu: Module) -> bool:
    """True when ``relu(linear(x))`` may run as one ``ops.LinearReLU``: a plain ``Linear`` without DropConnect,
    then a plain ``ReLU``, no hook on either, no autocast or anomaly detection."""
    return (type(linear) is Linear and type(relu) is ReLU and not linear.dropconnect and not _has_hooks(linear)
            and not _has_hooks(relu) and not interceptors.active)


def fuses_conv_relu_max_pool(conv: Module, relu: Module, pool: Module, input: Any) -> bool:  # noqa: A002
    """True when ``pool(relu(conv(input)))`` may run as one ``ops.Conv2dReLUMaxPool2d``: a plain one-channel
    ``Conv2d`` that kernels/direct.py computes for this input (a NumPy array), then a plain ``ReLU``, then a
    plain ``MaxPool2d`` whose k × k windows tile the image (stride k, no padding, dilation or ceil_mode); float32."""
    if not (type(conv) is Conv2d and fuses_relu_then_max_pool(relu, pool) and not _has_hooks(conv)
            and isinstance(input, Tensor)):
        return False
    try:  # a malformed pooling argument: the layers one by one say what is wrong
        window = _pair(pool.kernel_size, "kernel_size")
        stride = window if pool.stride is None else _pair(pool.stride, "stride")
        padding, dilation = _pair(pool.padding, "padding"), _pair(pool.dilation, "dilation")
    except OpError:
        return False
    if not (window[0] == window[1] == stride[0] == stride[1] and padding == (0, 0) and dilation == (1, 1)
            and not pool.ceil_mode):
        return False
    if getattr(conv, "padding_mode", "zeros") != "zeros" or isinstance(conv.padding, str) or input.ndim != 4:
        return False
    if input.data.dtype != np.float32:  # float64 is for gradient checks: one compiled kernel fewer, same numbers
        return False
    if dispatch.single_channel_conv(input.data, conv.weight.data, conv.groups) is None:
        return False
    try:  # a bad input or an output smaller than the window: the layers one by one say what is wrong
        geometry = ops.conv.check_conv2d(input.shape, conv.weight.shape, None, conv.stride, conv.padding,
                                         conv.dilation, conv.groups, "")
    except (ValueError, TypeError):
        return False
    return min(geometry.out_size) >= window[0]


def conv_relu_max_pool(conv: Conv2d, pool: MaxPool2d, input: Tensor) -> Tensor:  # noqa: A002
    """``pool(relu(conv(input)))`` as one op (``fuses_conv_relu_max_pool`` said it may)."""
    return ops.Conv2dReLUMaxPool2d.apply(input, conv.weight, conv.bias, stride=conv.stride, padding=conv.padding,
                                         dilation=conv.dilation, groups=conv.groups,
                                         layer=f"Conv2d({conv.extra_repr()})",
                                         window=_pair(pool.kernel_size, "kernel_size")[0])


def _has_hooks(module: Module) -> bool:
    return bool(module._forward_hooks or module._forward_pre_hooks or module._backward_hooks)


def _pair(value: Any, name: str) -> tuple[int, int]:
    return ops.conv.pair(value, name, "MaxPool2d")

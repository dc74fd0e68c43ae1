"""More layers with PyTorch's names, defaults and weight layouts: 1-D convolution and pooling, the transposed
convolution, group and instance normalisation, pixel (un)shuffle and ``Unflatten``.

The 1-D layers are their 2-D twins on a height-1 image: (N, C, L) → (N, C, 1, L), a (1, k) kernel, the result
squeezed back (one code path, the same kernels). The normalisations and the pixel shuffles are composed from
differentiable Tensor ops (reshape, mean, var, permute), so their gradients come from the pieces. Formulas
are in each docstring; the transposed convolution's in ``ops/conv_transpose.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend, ops
from ..ops.broadcast import normalize_dim
from ..ops.conv_transpose import ConvTranspose2d as ConvTranspose2dOp
from ..tensor import Tensor
from . import init
from .batchnorm import add_affine_parameters, add_normalization_state
from .conv import conv2d
from .module import Module, Parameter
from .pooling import _max_pool, avg_pool2d

IntOrPair = int | tuple[int, int]


def _single(value: Any, name: str, layer: str) -> int:
    """``3`` or ``(3,)`` → 3 (a 1-D layer's size argument)."""
    if isinstance(value, tuple | list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{layer}: {name}={value!r} must be an int (or a 1-tuple)")
    return int(value)


def _batched(input: Tensor, ndim: int, layer: str) -> tuple[Tensor, bool]:  # noqa: A002
    """Accept PyTorch's unbatched inputs (one axis fewer): add the batch axis, and say to remove it after."""
    if input.ndim == ndim - 1:
        return input.unsqueeze(0), True
    if input.ndim != ndim:
        raise ValueError(f"{layer}: expected a {ndim - 1}-D (unbatched) or {ndim}-D (batched) input, got shape "
                         f"{tuple(input.shape)}")
    return input, False


# ---------------------------------------------------------------------------------------------- convolutions


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1,  # noqa: A002
           padding: int | str = 0, dilation: int = 1, groups: int = 1) -> Tensor:
    """1-D convolution  y[n, o, t] = b[o] + Σ_{c, i} W[o, c, i] · x[n, c, t·s − p + i·d]  of (N, C, L) with weight
    (O, C/G, k): conv2d on a height-1 image (weight (O, C/G, 1, k)), so formula and backward are ``ops.Conv2d``'s."""
    layer = f"conv1d(weight of shape {tuple(weight.shape)})"
    x, unbatched = _batched(input, 3, layer)
    if weight.ndim != 3:
        raise ValueError(f"{layer}: the weight must be 3-D (out_channels, in_channels/groups, k)")
    pad = padding if isinstance(padding, str) else (0, _single(padding, "padding", layer))
    out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, stride=(1, _single(stride, "stride", layer)),
                 padding=pad, dilation=(1, _single(dilation, "dilation", layer)), groups=groups).squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrPair = 1,  # noqa: A002
                     padding: IntOrPair = 0, output_padding: IntOrPair = 0, groups: int = 1,
                     dilation: IntOrPair = 1) -> Tensor:
    """Transposed 2-D convolution of (N, C_in, H, W) with weight (C_in, C_out/G, kh, kw) → (N, C_out, OH, OW),
    OH = (H − 1)s − 2p + d(kh − 1) + output_padding + 1; ``ops.conv_transpose.ConvTranspose2d`` (col2im forward,
    conv2d backward)."""
    layer = f"conv_transpose2d(weight of shape {tuple(weight.shape)}, groups={groups})"
    x, unbatched = _batched(input, 4, layer)
    out = ConvTranspose2dOp.apply(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                  groups=groups, dilation=dilation, layer=layer)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1,  # noqa: A002
                     padding: int = 0, output_padding: int = 0, groups: int = 1, dilation: int = 1) -> Tensor:
    """Transposed 1-D convolution of (N, C_in, L) with weight (C_in, C_out/G, k): ``conv_transpose2d`` on a
    height-1 image."""
    layer = f"conv_transpose1d(weight of shape {tuple(weight.shape)})"
    x, unbatched = _batched(input, 3, layer)
    if weight.ndim != 3:
        raise ValueError(f"{layer}: the weight must be 3-D (in_channels, out_channels/groups, k)")
    out = ConvTranspose2dOp.apply(
        x.unsqueeze(2), weight.unsqueeze(2), bias, stride=(1, _single(stride, "stride", layer)),
        padding=(0, _single(padding, "padding", layer)),
        output_padding=(0, _single(output_padding, "output_padding", layer)), groups=groups,
        dilation=(1, _single(dilation, "dilation", layer)), layer=layer).squeeze(2)
    return out.squeeze(0) if unbatched else out


def _conv_parameters(module: Module, weight_shape: tuple[int, ...], bias_size: int, bias: bool, device: Any,
                     dtype: Any) -> None:
    xp = backend.array_module(None if device is None else backend.normalize_device(device))
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    module.weight = Parameter(xp.empty(weight_shape, dtype=dtype))
    if bias:
        module.bias = Parameter(xp.empty(bias_size, dtype=dtype))
    else:
        module.register_parameter("bias", None)
    init.layer_default_(module.weight, module.bias)  # PyTorch's: U(±1/√fan_in), fan_in = weight.shape[1]·k…


def _check_channels(layer: str, in_channels: int, out_channels: int, groups: int) -> None:
    if min(in_channels, out_channels) <= 0:
        raise ValueError(f"{layer}: in_channels and out_channels must be positive")
    if not isinstance(groups, int) or groups <= 0 or in_channels % groups or out_channels % groups:
        raise ValueError(f"{layer}: groups={groups} must be a positive int that divides both in_channels "
                         f"({in_channels}) and out_channels ({out_channels})")


class Conv1d(Module):
    """1-D convolution layer ``Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    groups=1, bias=True)`` on (N, C_in, L) → (N, C_out, L_out). Weight (out_channels, in_channels/groups, k),
    bias (out_channels,), PyTorch's initialisation U(±1/√fan_in). Computed as a conv2d of height 1."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int | str = 0, dilation: int = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        layer = f"Conv1d({in_channels}, {out_channels}, kernel_size={kernel_size})"
        if padding_mode != "zeros":
            raise NotImplementedError(f"{layer}: padding_mode={padding_mode!r}: only 'zeros' is implemented")
        _check_channels(layer, in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = (_single(kernel_size, "kernel_size", layer),)
        self.stride, self.dilation = (_single(stride, "stride", layer),), (_single(dilation, "dilation", layer),)
        self.padding = padding if isinstance(padding, str) else (_single(padding, "padding", layer),)
        _conv_parameters(self, (out_channels, in_channels // groups, self.kernel_size[0]), out_channels, bias,
                         device, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return conv1d(input, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
                + (f", padding={self.padding}" if self.padding != (0,) else ""))


class ConvTranspose2d(Module):
    """Transposed convolution layer ``ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1)``: (N, C_in, H, W) → (N, C_out, OH, OW), the decoder's
    upsampling layer (formula: ``ops/conv_transpose.py``). Weight (in_channels, out_channels/groups, kh, kw) —
    PyTorch's layout, transposed against Conv2d's — and bias (out_channels,), initialised as PyTorch."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair, stride: IntOrPair = 1,
                 padding: IntOrPair = 0, output_padding: IntOrPair = 0, groups: int = 1, bias: bool = True,
                 dilation: IntOrPair = 1, padding_mode: str = "zeros", device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        layer = f"ConvTranspose2d({in_channels}, {out_channels}, kernel_size={kernel_size})"
        if padding_mode != "zeros":
            raise ValueError(f'{layer}: only "zeros" padding mode is supported for ConvTranspose2d')
        _check_channels(layer, in_channels, out_channels, groups)
        pair = ops.conv.pair
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", layer)
        self.stride, self.padding = pair(stride, "stride", layer), pair(padding, "padding", layer)
        self.output_padding, self.dilation = pair(output_padding, "output_padding", layer), pair(dilation, "dilation",
                                                                                                  layer)
        _conv_parameters(self, (in_channels, out_channels // groups, *self.kernel_size), out_channels, bias, device,
                         dtype)

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:  # noqa: A002
        output_padding = self.output_padding
        if output_size is not None:  # PyTorch's way to pick among the sizes a strided convolution maps from
            wanted = tuple(output_size)[-2:]
            smallest = [(input.shape[-2 + a] - 1) * self.stride[a] - 2 * self.padding[a]
                        + self.dilation[a] * (self.kernel_size[a] - 1) + 1 for a in (0, 1)]
            output_padding = (wanted[0] - smallest[0], wanted[1] - smallest[1])
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                self.groups, self.dilation)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"


class ConvTranspose1d(Module):
    """Transposed 1-D convolution layer: weight (in_channels, out_channels/groups, k); ``conv_transpose1d``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 output_padding: int = 0, groups: int = 1, bias: bool = True, dilation: int = 1,
                 padding_mode: str = "zeros", device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        layer = f"ConvTranspose1d({in_channels}, {out_channels}, kernel_size={kernel_size})"
        _check_channels(layer, in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = (_single(kernel_size, "kernel_size", layer),)
        self.stride, self.padding = (_single(stride, "stride", layer),), (_single(padding, "padding", layer),)
        self.output_padding = (_single(output_padding, "output_padding", layer),)
        self.dilation = (_single(dilation, "dilation", layer),)
        _conv_parameters(self, (in_channels, out_channels // groups, self.kernel_size[0]), out_channels, bias, device,
                         dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return conv_transpose1d(input, self.weight, self.bias, self.stride[0], self.padding[0],
                                self.output_padding[0], self.groups, self.dilation[0])


# ---------------------------------------------------------------------------------------------- 1-D pooling


def max_pool1d(input: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0,  # noqa: A002
               dilation: int = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """y[n, c, t] = max over the window of k samples (stride defaults to k): max_pool2d with a (1, k) window;
    the gradient goes to the arg-max. Indices (``return_indices``) are positions along L."""
    layer = f"max_pool1d(kernel_size={kernel_size})"
    x, unbatched = _batched(input, 3, layer)
    k = _single(kernel_size, "kernel_size", layer)
    s = k if stride is None or stride == [] else _single(stride, "stride", layer)
    out = _max_pool(x.unsqueeze(2), (1, k), (1, s), (0, _single(padding, "padding", layer)),
                    (1, _single(dilation, "dilation", layer)), ceil_mode, return_indices, layer)
    if return_indices:
        values, indices = out
        values, indices = values.squeeze(2), indices.squeeze(2)
        return (values.squeeze(0), indices.squeeze(0)) if unbatched else (values, indices)
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """y[n, c, t] = (1/k) Σ over the window of k samples: avg_pool2d with a (1, k) window."""
    layer = f"avg_pool1d(kernel_size={kernel_size})"
    x, unbatched = _batched(input, 3, layer)
    k = _single(kernel_size, "kernel_size", layer)
    s = k if stride is None or stride == [] else _single(stride, "stride", layer)
    out = avg_pool2d(x.unsqueeze(2), (1, k), (1, s), (0, _single(padding, "padding", layer)), ceil_mode,
                     count_include_pad).squeeze(2)
    return out.squeeze(0) if unbatched else out


class MaxPool1d(Module):
    """``MaxPool1d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False)`` on
    (N, C, L); ``max_pool1d``. No parameters."""

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0, dilation: int = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class AvgPool1d(Module):
    """``AvgPool1d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)`` on (N, C, L);
    ``avg_pool1d``. No parameters."""

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


# ---------------------------------------------------------------------------------------------- normalisation


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """y = γ_c · x̂ + β_c with one γ, β per channel (axis 1)."""
    shape = (1, -1) + (1,) * (out.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(*shape)
    if bias is not None:
        out = out + bias.reshape(*shape)
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,  # noqa: A002
               eps: float = 1e-5) -> Tensor:
    """Group normalisation: the C channels of each sample split into G groups of C/G, each normalised over its
    channels and positions,  x̂ = (x − μ_g)/√(σ²_g + ε)  (σ² biased),  then y = γ_c x̂ + β_c per channel.
    Independent of the batch size (G = 1: layer norm over (C, …); G = C: instance norm). Composed (Reshape, Mean,
    Var, Sub, Div, Mul, Add), so the backward is the pieces'."""
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected at least 2 axes (N, C, …), got shape {tuple(input.shape)}")
    channels = input.shape[1]
    if not isinstance(num_groups, int) or num_groups <= 0 or channels % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups} must divide the number of channels ({channels}) of "
                         f"the input of shape {tuple(input.shape)}")
    grouped = input.reshape(input.shape[0], num_groups, -1)
    mean = grouped.mean(dim=2, keepdim=True)
    var = grouped.var(dim=2, keepdim=True, correction=0)
    normalized = ((grouped - mean) / (var + eps).sqrt()).reshape(*input.shape)
    return _affine(normalized, weight, bias)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,  # noqa: A002
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalisation: each (sample, channel) plane normalised over its own positions,
    x̂ = (x − μ_{n,c})/√(σ²_{n,c} + ε), y = γ_c x̂ + β_c (style transfer's normalisation). With running statistics
    given, training updates them in place with the batch-averaged μ and the unbiased σ² (momentum), and
    ``use_input_stats=False`` uses them instead. Composed (Mean, Var, …)."""
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected an input (N, C, …) with at least one spatial axis, got shape "
                         f"{tuple(input.shape)}")
    axes = tuple(range(2, input.ndim))
    if use_input_stats:
        mean = input.mean(dim=axes, keepdim=True)
        var = input.var(dim=axes, keepdim=True, correction=0)
        if running_mean is not None or running_var is not None:
            count = math.prod(input.shape[2:])
            with_grad_off = mean.data.mean(axis=0).reshape(-1)
            if running_mean is not None:
                running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * with_grad_off
            if running_var is not None:
                unbiased = var.data.mean(axis=0).reshape(-1) * count / max(count - 1, 1)
                running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm(use_input_stats=False) needs running_mean and running_var")
        shape = (1, -1) + (1,) * (input.ndim - 2)
        mean, var = running_mean.detach().reshape(*shape), running_var.detach().reshape(*shape)
    return _affine((input - mean) / (var + eps).sqrt(), weight, bias)


class GroupNorm(Module):
    """``GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)``: ``group_norm`` with learned per-channel
    ``weight`` γ (ones) and ``bias`` β (zeros), PyTorch's names."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by num_groups={num_groups}")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        add_affine_parameters(self, num_channels, affine, device, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm({self.num_groups}, {self.num_channels}) got input of shape "
                             f"{tuple(input.shape)}: axis 1 must be {self.num_channels}")
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(Module):
    """Shared by InstanceNorm1d/2d: ``affine=False`` and ``track_running_stats=False`` by default, as PyTorch."""

    spatial = 1

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        add_normalization_state(self, num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = f"{type(self).__name__}({self.num_features})"
        x, unbatched = _batched(input, self.spatial + 2, name)
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(f"{name} got input of shape {tuple(input.shape)}: the channel axis must be "
                             f"{self.num_features}")
        use_input_stats = self.training or not self.track_running_stats
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
        out = instance_norm(x, self.running_mean if self.track_running_stats else None,
                            self.running_var if self.track_running_stats else None, self.weight, self.bias,
                            use_input_stats, self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) inputs, per sample and channel over L."""

    spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) inputs, per sample and channel over H, W."""

    spatial = 2


# ---------------------------------------------------------------------------------------------- rearranging


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """(…, C·r², H, W) → (…, C, H·r, W·r):  y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w]  (sub-pixel
    convolution's upsampling). Composed (Reshape, Permute): the backward is the inverse rearrangement."""
    r = upscale_factor
    if input.ndim < 3:
        raise ValueError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                         f"{input.ndim} dimension(s)")
    *batch, channels, height, width = input.shape
    if r <= 0 or channels % (r * r):
        raise ValueError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                         f"upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    b = len(batch)
    x = input.reshape(*batch, channels // (r * r), r, r, height, width)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return x.reshape(*batch, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """(…, C, H·r, W·r) → (…, C·r², H, W), the inverse of ``pixel_shuffle``. Composed (Reshape, Permute)."""
    r = downscale_factor
    if input.ndim < 3:
        raise ValueError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                         f"{input.ndim} dimension(s)")
    *batch, channels, height, width = input.shape
    if r <= 0 or height % r or width % r:
        raise ValueError(f"pixel_unshuffle expects height ({height}) and width ({width}) to be divisible by "
                         f"downscale_factor={r}")
    b = len(batch)
    x = input.reshape(*batch, channels, height // r, r, width // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return x.reshape(*batch, channels * r * r, height // r, width // r)


class PixelShuffle(Module):
    """``PixelShuffle(upscale_factor)``: (N, C·r², H, W) → (N, C, H·r, W·r). No parameters."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``PixelUnshuffle(downscale_factor)``: (N, C, H·r, W·r) → (N, C·r², H, W). No parameters."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class Unflatten(Module):
    """``Unflatten(dim, unflattened_size)``: split axis ``dim`` into ``unflattened_size`` (−1 once: inferred), the
    inverse of ``Flatten``. No parameters."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        dim = normalize_dim(self.dim, input.ndim, "Unflatten")
        return input.reshape(*input.shape[:dim], *self.unflattened_size, *input.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"

"""MobileNetV2 (Sandler et al., 2018): inverted residual blocks of depthwise-separable convolutions.

The backbone of document 001's transfer-learning project, with torchvision's names (``features.N.conv.M``,
``classifier.1``) and layouts, so that weights travel between the two (``docs/transfer-learning.md``).

**Depthwise-separable convolution.** A k×k convolution from C to O channels on an H×W map costs
H·W·k²·C·O multiply-adds. Splitting it into a k×k *depthwise* convolution (one filter per channel,
``groups=C``) and a 1×1 *pointwise* one costs H·W·C·(k² + O), a factor 1/O + 1/k² of the full one (≈ 1/8 for
k = 3, O = 64).

**Inverted residual block** (expansion t, stride s), for an input x with C channels:

    h = ReLU6(BN(W_expand · x))            1×1 expansion to t·C channels (skipped when t = 1)
    h = ReLU6(BN(depthwise₃ₓ₃,s(h)))       3×3 depthwise, stride s
    y = BN(W_project · h)                  1×1 linear bottleneck: no activation, ReLU would destroy
                                           information in the few (C_out) channels
    out = x + y   when s = 1 and C_out = C (the residual connects the narrow ends), else y

"Inverted" because the classic residual block is wide → narrow → wide, this one narrow → wide → narrow.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import nn
from ..tensor import Tensor

# torchvision's ImageNet configuration: (expansion t, output channels c, repeats n, first stride s)
IMAGENET_SETTING: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)
# ours, for 28×28 and 32×32 images: after a stride-2 stem (28 → 14), one more stride 2 (14 → 7)
SMALL_SETTING: tuple[tuple[int, int, int, int], ...] = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 2, 1), (6, 64, 1, 1))


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to the nearest multiple of ``divisor`` (at least ``min_value``), never more than
    10 % below ``value`` (torchvision's ``_make_divisible``, which the width multiplier goes through)."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class ConvBNReLU6(nn.Sequential):
    """Conv2d (no bias: BatchNorm's β replaces it) → BatchNorm2d → ReLU6, torchvision's ``Conv2dNormActivation``
    (sub-module names 0, 1, 2). ``groups=in_channels`` makes it the depthwise convolution."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 groups: int = 1) -> None:
        padding = (kernel_size - 1) // 2
        super().__init__(nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups=groups, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU6())
        self.out_channels = out_channels


class InvertedResidual(nn.Module):
    """1×1 expansion → 3×3 depthwise → 1×1 linear bottleneck, plus the input when the shapes allow:

        out = x + BN(W_project · ReLU6(BN(dw₃ₓ₃,s(ReLU6(BN(W_expand · x))))))   if s = 1 and C_out = C_in
        out =     BN(W_project · ReLU6(BN(dw₃ₓ₃,s(ReLU6(BN(W_expand · x))))))   otherwise

    ``InvertedResidual(in_channels, out_channels, stride, expand_ratio)`` as torchvision; the layers are in
    ``self.conv`` (an nn.Sequential), the expansion absent when ``expand_ratio == 1``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"InvertedResidual: stride={stride} must be 1 or 2 (MobileNetV2's strides)")
        if expand_ratio < 1:
            raise ValueError(f"InvertedResidual: expand_ratio={expand_ratio} must be at least 1")
        hidden = int(round(in_channels * expand_ratio))
        self.stride, self.out_channels = stride, out_channels
        self.use_res_connect = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNReLU6(in_channels, hidden, kernel_size=1))
        layers += [ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)

    def extra_repr(self) -> str:
        return f"stride={self.stride}, residual={self.use_res_connect}"


class MobileNetV2(nn.Module):
    """MobileNetV2: ``features`` (stem, inverted residual blocks, 1×1 conv to ``last_channel``), global average
    pooling, ``classifier`` = Dropout → Linear. torchvision's arguments and names, plus three of ours for small
    images: ``in_channels`` (1 for MNIST), ``stem_stride`` (torchvision's 2; 1 keeps 28×28 detail) and
    ``last_channel`` (1280 for ImageNet).

    ``width_mult`` α multiplies every channel count (rounded by ``make_divisible``), so the cost falls about
    as α²; ``last_channel`` is scaled only when α > 1, as torchvision.
    """

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0,
                 inverted_residual_setting: Sequence[Sequence[int]] | None = None, round_nearest: int = 8,
                 dropout: float = 0.2, *, in_channels: int = 3, stem_stride: int = 2,
                 last_channel: int = 1280) -> None:
        super().__init__()
        setting = IMAGENET_SETTING if inverted_residual_setting is None else inverted_residual_setting
        if len(setting) == 0 or any(len(row) != 4 for row in setting):
            raise ValueError(f"MobileNetV2: inverted_residual_setting must be a non-empty list of (t, c, n, s) "
                             f"rows, got {setting!r}")
        if width_mult <= 0:
            raise ValueError(f"MobileNetV2: width_mult={width_mult} must be positive")
        channels = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(last_channel * max(1.0, width_mult), round_nearest)
        layers: list[nn.Module] = [ConvBNReLU6(in_channels, channels, stride=stem_stride)]
        for expand_ratio, c, repeats, stride in setting:
            out_channels = make_divisible(c * width_mult, round_nearest)
            for i in range(repeats):
                layers.append(InvertedResidual(channels, out_channels, stride if i == 0 else 1, expand_ratio))
                channels = out_channels
        layers.append(ConvBNReLU6(channels, self.last_channel, kernel_size=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.last_channel, num_classes))
        self.apply(init_like_torchvision)

    def forward(self, x: Tensor) -> Tensor:
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(x.reshape(x.shape[0], -1))


def init_like_torchvision(module: nn.Module) -> None:
    """torchvision's MobileNetV2 initialisation: convolutions Kaiming-normal (fan_out), BatchNorm γ = 1, β = 0,
    Linear N(0, 0.01²), biases 0."""
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, mode="fan_out")
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.01)
        nn.init.zeros_(module.bias)


def mobilenet_v2_small(num_classes: int = 10, width_mult: float = 0.5, in_channels: int = 1,
                       dropout: float = 0.2, last_channel: int = 256) -> MobileNetV2:
    """Ours: a MobileNetV2 for 28×28 (MNIST) and 32×32 (CIFAR-sized) images — ``SMALL_SETTING``'s six blocks
    (28 → 14 → 7, or 32 → 16 → 8), ``last_channel`` 256 — sized to train on two CPU cores in about a minute."""
    return MobileNetV2(num_classes, width_mult, SMALL_SETTING, dropout=dropout, in_channels=in_channels,
                       stem_stride=2, last_channel=last_channel)


def separable_cost(height: int, width: int, in_channels: int, out_channels: int, kernel: int = 3) -> dict[str, int]:
    """Multiply-adds of a full k×k convolution and of its depthwise-separable replacement (stride 1):
    full = H·W·k²·C·O, separable = H·W·C·k² + H·W·C·O; ratio = 1/O + 1/k²."""
    full = height * width * kernel * kernel * in_channels * out_channels
    separable = height * width * in_channels * kernel * kernel + height * width * in_channels * out_channels
    return {"full": full, "separable": separable}

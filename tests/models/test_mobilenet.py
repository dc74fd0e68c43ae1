"""MobileNetV2: shapes for 28×28 and 32×32, torchvision's names and layouts (checked against a PyTorch replica),
the inverted residual block's gradients, and the width multiplier."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tests.helpers import require_torch
from tinygrad_edu import nn
from tinygrad_edu.models import InvertedResidual, MobileNetV2, make_divisible, mobilenet_v2_small
from tinygrad_edu.models.mobilenet import SMALL_SETTING, separable_cost


@pytest.mark.parametrize(("in_channels", "side", "final_side"), [(1, 28, 7), (3, 32, 8)])
def test_small_network_on_28_and_32_pixel_images(in_channels, side, final_side):
    model = mobilenet_v2_small(num_classes=10, in_channels=in_channels).eval()
    x = tg.tensor(np.random.default_rng(0).normal(size=(2, in_channels, side, side)).astype(np.float32))
    assert model(x).shape == (2, 10)
    assert model.features(x).shape == (2, 256, final_side, final_side)


def test_torchvision_names():
    keys = list(mobilenet_v2_small().state_dict())
    # block 1 has t = 1, so no expansion: its conv.0 is the depthwise convolution
    for name in ("features.0.0.weight", "features.0.1.running_mean", "features.1.conv.0.0.weight",
                 "features.1.conv.1.weight", "features.2.conv.0.0.weight", "features.2.conv.1.0.weight",
                 "features.2.conv.2.weight", "features.2.conv.3.num_batches_tracked", "features.7.0.weight",
                 "classifier.1.weight", "classifier.1.bias"):
        assert name in keys, name
    assert not any(k.endswith("conv.0.0.bias") for k in keys)  # convolutions before BatchNorm have no bias


def test_residual_only_where_shapes_allow():
    blocks = [m for m in mobilenet_v2_small().features if isinstance(m, InvertedResidual)]  # width 0.5
    # channels 16 → 8 → 16 (stride 2) → 16 → 16 → 16 → 32: the residual joins the equal, unstrided ones
    assert [b.use_res_connect for b in blocks] == [False, False, True, True, True, False]
    assert len(blocks) == sum(n for _, _, n, _ in SMALL_SETTING)


def test_width_multiplier_and_make_divisible():
    assert make_divisible(32 * 0.5) == 16 and make_divisible(24 * 0.35) == 8 and make_divisible(100) == 104
    assert make_divisible(10, 8) == 16  # never more than 10 % below the value: 8 would be 20 % below
    sizes = [sum(p.data.size for p in mobilenet_v2_small(width_mult=w).parameters()) for w in (0.5, 1.0)]
    assert sizes[0] < sizes[1]
    with pytest.raises(ValueError, match="width_mult"):
        MobileNetV2(width_mult=0)
    with pytest.raises(ValueError, match="stride"):
        InvertedResidual(8, 8, stride=3, expand_ratio=6)


def test_separable_cost_ratio():
    cost = separable_cost(14, 14, 32, 64)
    assert cost["full"] == 14 * 14 * 9 * 32 * 64
    assert cost["separable"] / cost["full"] == pytest.approx(1 / 64 + 1 / 9)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(("in_channels", "out_channels", "stride", "expand"), [(2, 2, 1, 2), (2, 3, 2, 1)])
def test_inverted_residual_gradcheck(training, in_channels, out_channels, stride, expand):
    """∂L/∂x by tg.gradcheck, and ∂L/∂θ of every parameter by central differences, in float64."""
    tg.manual_seed(0)
    block = InvertedResidual(in_channels, out_channels, stride, expand).double().train(training)
    rng = np.random.default_rng(1)
    for name, buffer in block.named_buffers():  # non-trivial running statistics for evaluation mode
        if name.endswith("running_mean") or name.endswith("running_var"):
            buffer.data[...] = rng.uniform(0.5, 1.5, size=buffer.shape)
    for param in block.parameters():
        param.data[...] = rng.normal(size=param.shape) * 0.7
    x = tg.tensor(rng.normal(size=(2, in_channels, 5, 5)), requires_grad=True)
    buffers = dict(block.named_buffers())
    saved = {k: v.data.copy() for k, v in buffers.items()}

    def restore():  # training mode updates running statistics: every evaluation starts from the same ones
        for k, v in buffers.items():
            v.data[...] = saved[k]

    def loss(inp):
        restore()
        return block(inp)

    tg.gradcheck(loss, x)
    weights = np.random.default_rng(2).uniform(0.5, 1.5, size=loss(x).shape)
    block.zero_grad()
    (loss(x) * tg.tensor(weights)).sum().backward()
    for name, param in block.named_parameters():
        analytic = np.asarray(param.grad)
        flat = param.data.reshape(-1)
        for k in range(flat.size):
            original = flat[k]
            flat[k] = original + 1e-6
            plus = float((loss(x).data * weights).sum())
            flat[k] = original - 1e-6
            minus = float((loss(x).data * weights).sum())
            flat[k] = original
            numeric = (plus - minus) / 2e-6
            assert abs(analytic.reshape(-1)[k] - numeric) <= 1e-5 + 1e-4 * abs(numeric), (name, k)


def _torch_mobilenet(torch, model: MobileNetV2):
    """A PyTorch replica with torchvision's module tree (Conv2dNormActivation = Sequential(conv, BN, ReLU6))."""
    tnn = torch.nn

    def conv_bn(cin, cout, k=3, s=1, groups=1):
        return tnn.Sequential(tnn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=False),
                              tnn.BatchNorm2d(cout), tnn.ReLU6())

    class Block(tnn.Module):
        def __init__(self, ours):
            super().__init__()
            layers = []
            for m in ours.conv:
                if isinstance(m, nn.Sequential):
                    conv = m[0]
                    layers.append(conv_bn(conv.in_channels, conv.out_channels, conv.kernel_size[0], conv.stride[0],
                                          conv.groups))
                elif isinstance(m, nn.Conv2d):
                    layers.append(tnn.Conv2d(m.in_channels, m.out_channels, 1, bias=False))
                else:
                    layers.append(tnn.BatchNorm2d(m.num_features))
            self.conv, self.res = tnn.Sequential(*layers), ours.use_res_connect

        def forward(self, x):
            return x + self.conv(x) if self.res else self.conv(x)

    features = []
    for m in model.features:
        if isinstance(m, InvertedResidual):
            features.append(Block(m))
        else:
            conv = m[0]
            features.append(conv_bn(conv.in_channels, conv.out_channels, conv.kernel_size[0], conv.stride[0]))

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.features = tnn.Sequential(*features)
            self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(model.last_channel, 10))

        def forward(self, x):
            x = tnn.functional.adaptive_avg_pool2d(self.features(x), 1)
            return self.classifier(torch.flatten(x, 1))

    return Net()


@pytest.mark.slow
@pytest.mark.torch
def test_same_outputs_as_a_pytorch_replica_with_the_same_weights():
    torch = require_torch()
    tg.manual_seed(0)
    ours = mobilenet_v2_small().double()
    rng = np.random.default_rng(0)
    for name, buffer in ours.named_buffers():
        if name.endswith("running_mean") or name.endswith("running_var"):
            buffer.data[...] = rng.uniform(0.5, 1.5, size=buffer.shape)
    theirs = _torch_mobilenet(torch, ours).double()
    state = {k: torch.tensor(np.asarray(v.data)) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=True)  # the names and shapes line up one to one
    x = rng.normal(size=(3, 1, 28, 28))
    for mode in ("eval", "train"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        ours.classifier[0].p = theirs.classifier[0].p = 0.0  # dropout off, so that train mode compares too
        np.testing.assert_allclose(ours(tg.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-9, atol=1e-10)

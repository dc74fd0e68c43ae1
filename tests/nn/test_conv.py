"""Convolution: gradients against finite differences, PyTorch's outputs and gradients, the layer, the errors,
and the documents' CNN (93,322 parameters)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import require_torch
from tests.kernels.geometry import KERNEL_SIZES
from tinygrad_edu import nn
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.models import DocumentsCNN
from tinygrad_edu.nn import functional as F


@st.composite
def conv_cases(draw, max_side: int = 6) -> dict:
    """Every argument of conv2d: groups (incl. depthwise), stride, padding (int, pair, "same", "valid"),
    dilation, with or without bias, on an input large enough for the dilated kernel."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    in_per_group, out_per_group = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = draw(st.sampled_from(KERNEL_SIZES))
    stride = draw(st.sampled_from([1, 2, (1, 2), (2, 1)]))
    dilation = draw(st.sampled_from([1, 2, (1, 2)]))
    choices = [0, 1, (0, 1), (1, 2), "valid"] + (["same"] if stride == 1 else [])
    padding = draw(st.sampled_from(choices))
    pad = (0, 0) if isinstance(padding, str) else (padding, padding) if isinstance(padding, int) else padding
    dil = (dilation, dilation) if isinstance(dilation, int) else dilation
    smallest = [max(1, dil[a] * (kernel[a] - 1) + 1 - 2 * pad[a]) for a in range(2)]
    sides = [draw(st.integers(smallest[a], max(smallest[a], max_side))) for a in range(2)]
    return dict(x_shape=(draw(st.integers(1, 2)), groups * in_per_group, *sides),
                w_shape=(groups * out_per_group, in_per_group, *kernel), bias=draw(st.booleans()),
                options=dict(stride=stride, padding=padding, dilation=dilation, groups=groups))


def _tensors(case: dict, dtype=np.float64, seed: int = 0) -> list[tg.Tensor]:
    rng = np.random.default_rng(seed)
    shapes = [case["x_shape"], case["w_shape"]] + ([(case["w_shape"][0],)] if case["bias"] else [])
    return [tg.Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]


@given(case=conv_cases())
def test_conv2d_gradcheck(case):
    tg.gradcheck(lambda *t: F.conv2d(*t, **case["options"]), *_tensors(case))


@pytest.mark.slow
@given(case=conv_cases(max_side=8))
def test_conv2d_matches_pytorch_outputs_and_gradients(case):
    torch = require_torch()
    ours = _tensors(case)
    theirs = [torch.tensor(t.numpy(), requires_grad=True) for t in ours]
    y = F.conv2d(*ours, **case["options"])
    expected = torch.nn.functional.conv2d(*theirs, **case["options"])
    assert y.shape == tuple(expected.shape)
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    grad = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(grad)
    expected.backward(torch.tensor(grad))
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv2d_float32_on_a_channels_last_input_matches_pytorch():
    """The fast path: float32, and an input that is the output of another convolution (channels-last memory)."""
    torch = require_torch()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 12, 12)).astype(np.float32)
    w1, w2 = rng.standard_normal((8, 3, 3, 3)).astype(np.float32), rng.standard_normal((5, 8, 3, 3)).astype(np.float32)
    ours = [tg.Tensor(a, requires_grad=True) for a in (x, w1, w2)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w1, w2)]
    y = F.conv2d(F.conv2d(ours[0], ours[1], padding=1), ours[2], stride=2)
    expected = torch.nn.functional.conv2d(torch.nn.functional.conv2d(theirs[0], theirs[1], padding=1), theirs[2],
                                          stride=2)
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-4)
    y.sum().backward()
    expected.sum().backward()
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_depthwise_convolution_filters_each_channel_alone():
    """groups = in_channels (MobileNet's depthwise convolution): channel c only sees filter c."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((3, 1, 3, 3))
    y = F.conv2d(tg.Tensor(x), tg.Tensor(w), padding=1, groups=3).numpy()
    for c in range(3):
        alone = F.conv2d(tg.Tensor(x[:, c:c + 1]), tg.Tensor(w[c:c + 1]), padding=1).numpy()
        np.testing.assert_allclose(y[:, c:c + 1], alone, rtol=1e-12, atol=1e-12)


def test_the_documents_true_convolution_is_cross_correlation_with_the_kernel_flipped():
    """y(x, y) = Σₘ Σₙ x(m, n)·k(x − m, y − n) (the documents' formula, a true convolution) equals the layer's
    cross-correlation with the kernel flipped in both axes, padded by k − 1 to get every overlap ("full")."""
    rng = np.random.default_rng(0)
    image, kernel = rng.standard_normal((5, 6)), rng.standard_normal((2, 3))
    full = np.zeros((5 + 2 - 1, 6 + 3 - 1))
    for p in range(full.shape[0]):
        for q in range(full.shape[1]):
            for m in range(5):
                for n in range(6):
                    if 0 <= p - m < 2 and 0 <= q - n < 3:
                        full[p, q] += image[m, n] * kernel[p - m, q - n]
    flipped = kernel[::-1, ::-1].copy()
    y = F.conv2d(tg.Tensor(image[None, None]), tg.Tensor(flipped[None, None]), padding=(1, 2))
    np.testing.assert_allclose(y.numpy()[0, 0], full, rtol=1e-12, atol=1e-12)
    unflipped = F.conv2d(tg.Tensor(image[None, None]), tg.Tensor(kernel[None, None]), padding=(1, 2))
    assert not np.allclose(unflipped.numpy()[0, 0], full)  # without the flip it is a different operation


def test_padding_same_keeps_the_size_and_puts_the_odd_pixel_last():
    torch = require_torch()
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 5, 7)), rng.standard_normal((3, 2, 2, 3))  # the even height pads (0, 1)
    y = F.conv2d(tg.Tensor(x), tg.Tensor(w), padding="same", dilation=(1, 1))
    assert y.shape == (1, 3, 5, 7)
    with warnings.catch_warnings():  # PyTorch warns that it pads a copy for even kernels
        warnings.simplefilter("ignore")
        expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding="same")
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_conv2d_layer_is_pytorchs():
    torch = require_torch()
    theirs = torch.nn.Conv2d(4, 6, (2, 3), stride=(2, 1), padding=1, dilation=(1, 2), groups=2).double()
    ours = nn.Conv2d(4, 6, (2, 3), stride=(2, 1), padding=1, dilation=(1, 2), groups=2).double()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 7))
    np.testing.assert_allclose(ours(tg.Tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    assert repr(ours) == "Conv2d(4, 6, kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), dilation=(1, 2), groups=2)"


def test_conv2d_initialisation_is_pytorchs_uniform_bound():
    layer = nn.Conv2d(8, 16, 3)
    bound = 1 / np.sqrt(8 * 3 * 3)  # 1/√fan_in
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert values.dtype == np.float32 and np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.9 * bound  # the whole range is used
    assert nn.Conv2d(8, 16, 3, bias=False).bias is None


def test_conv2d_layer_gradcheck():
    gradcheck(nn.Conv2d(2, 4, 3, padding="same", groups=2), tg.randn(1, 2, 4, 4, requires_grad=True), params=True)


# ---------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("x_shape, layer_args, fragments", [
    ((2, 4, 8, 8), (3, 8, 3), ["Conv2d(3, 8, kernel_size=(3, 3)", "(2, 4, 8, 8)", "4 channels",
                               "axis 1 of the input must be 3"]),
    ((1, 3, 2, 9), (3, 8, 3), ["Conv2d(3, 8", "(1, 3, 2, 9)", "spans 3 pixels in height",
                               "padded input has only 2", "must fit in the padded input"]),
    ((3, 8, 8), (3, 8, 3), ["Conv2d(3, 8", "(3, 8, 8)", "must be 4-D (N, C, H, W)", "unsqueeze(0)"]),
    ((1, 3, 9, 9, 2), (3, 8, 3), ["Conv2d(3, 8", "(1, 3, 9, 9, 2)", "must be 4-D"]),
])
def test_conv2d_errors_name_the_layer_the_shapes_and_the_rule(x_shape, layer_args, fragments):
    with pytest.raises(tg.OpError) as error:
        nn.Conv2d(*layer_args)(tg.zeros(*x_shape))
    for fragment in fragments:
        assert fragment in str(error.value)


def test_groups_that_do_not_divide_the_channels_are_rejected():
    with pytest.raises(ValueError, match=r"groups=2 must be a positive int that divides both in_channels \(3\)"):
        nn.Conv2d(3, 8, 3, groups=2)
    with pytest.raises(tg.OpError) as error:
        F.conv2d(tg.zeros(1, 3, 5, 5), tg.zeros(4, 1, 3, 3), groups=3)
    message = str(error.value)
    assert "conv2d(weight of shape (4, 1, 3, 3), groups=3)" in message
    assert "in_channels=3 and out_channels=4 must both be divisible by groups" in message


def test_padding_same_needs_stride_one():
    with pytest.raises(tg.OpError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(1, 2, 3, stride=2, padding="same")


# ---------------------------------------------------------------------------------------- the documents' CNN


def test_documents_cnn_has_93322_parameters_and_the_documented_shapes():
    model = DocumentsCNN()
    table = nn.summary(model, (1, 28, 28), print_fn=None)
    assert table.total_parameters == 93_322 == sum(p.size for p in model.parameters())
    shapes = [row.output_shape for row in table.rows]
    assert shapes == [(-1, 32, 26, 26), (-1, 32, 26, 26), (-1, 32, 13, 13), (-1, 64, 11, 11), (-1, 64, 11, 11),
                      (-1, 64, 5, 5), (-1, 64, 3, 3), (-1, 64, 3, 3), (-1, 576), (-1, 64), (-1, 64), (-1, 10)]


def test_documents_cnn_loss_and_gradients_match_pytorch():
    torch = require_torch()
    from tinygrad_edu.bench.kernels import torch_documents_cnn

    model, theirs = DocumentsCNN(), torch_documents_cnn(torch)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    rng = np.random.default_rng(0)
    x, labels = rng.random((4, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 4)
    loss = F.cross_entropy(model(tg.Tensor(x)), tg.Tensor(labels))
    loss.backward()
    expected = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(labels))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-5)
    for (name, p), q in zip(model.named_parameters(), theirs.parameters(), strict=True):
        scale = np.abs(q.grad.numpy()).max()
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-4 * scale, err_msg=name)

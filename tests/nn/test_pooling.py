"""Pooling: gradients against finite differences, PyTorch's outputs and gradients (including its tie rule and
count_include_pad), global average pooling, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_fused_run_matches, require_torch
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


@st.composite
def pool_cases(draw, max_side: int = 7) -> dict:
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.sampled_from([None, 1, 2, (1, 2)]))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    sides = [draw(st.integers(max(1, kernel[a] - 2 * padding[a]), max_side)) for a in range(2)]
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), *sides), kernel_size=kernel,
                stride=stride, padding=padding, ceil_mode=draw(st.booleans()))


def _distinct(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Values at least 0.05 apart: no ties within a window, so max pooling is differentiable everywhere."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.05 + rng.uniform(0, 0.01, shape)) - 1.0


def _max_options(case: dict, dilation: int) -> dict:
    return dict(kernel_size=case["kernel_size"], stride=case["stride"], padding=case["padding"],
                ceil_mode=case["ceil_mode"], dilation=dilation)


def _avg_options(case: dict, count_include_pad: bool, divisor_override: int | None) -> dict:
    return dict(kernel_size=case["kernel_size"], stride=case["stride"], padding=case["padding"],
                ceil_mode=case["ceil_mode"], count_include_pad=count_include_pad, divisor_override=divisor_override)


@given(case=pool_cases(), dilation=st.sampled_from([1, 2]))
def test_max_pool2d_gradcheck(case, dilation):
    if dilation > 1 and min(case["shape"][2:]) < 2 * max(case["kernel_size"]):
        dilation = 1  # keep the dilated window inside small inputs
    x = tg.Tensor(_distinct(case["shape"]), requires_grad=True)
    tg.gradcheck(lambda t: F.max_pool2d(t, **_max_options(case, dilation)), x)


@given(case=pool_cases(), count_include_pad=st.booleans(), divisor_override=st.sampled_from([None, 3]))
def test_avg_pool2d_gradcheck(case, count_include_pad, divisor_override):
    x = tg.Tensor(np.random.default_rng(0).standard_normal(case["shape"]), requires_grad=True)
    tg.gradcheck(lambda t: F.avg_pool2d(t, **_avg_options(case, count_include_pad, divisor_override)), x)


@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 7), st.integers(1, 7)),
       output_size=st.sampled_from([1, 2, 3, (2, 1), (None, 2)]))
def test_adaptive_avg_pool2d_gradcheck(shape, output_size):
    x = tg.Tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    tg.gradcheck(lambda t: F.adaptive_avg_pool2d(t, output_size), x)


def _compare_with_torch(ours_fn, theirs_fn, x: np.ndarray, rtol: float = 1e-12) -> None:
    torch = require_torch()
    mine, theirs = tg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, expected = ours_fn(mine), theirs_fn(theirs)
    assert y.shape == tuple(expected.shape)
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=rtol, atol=rtol)
    grad = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(grad)
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=rtol, atol=rtol)


@given(case=pool_cases(max_side=9), dilation=st.sampled_from([1, 2]), ties=st.booleans())
def test_max_pool2d_matches_pytorch_including_ties(case, dilation, ties):
    torch = require_torch()
    x = np.random.default_rng(0).standard_normal(case["shape"])
    if ties:
        x = np.round(x)  # equal values in a window: the first maximum gets the gradient, as in PyTorch
    span = [dilation * (k - 1) + 1 for k in case["kernel_size"]]
    if any(case["padding"][a] > span[a] // 2 or case["shape"][2 + a] + 2 * case["padding"][a] < span[a]
           for a in range(2)):
        dilation = 1
    options = _max_options(case, dilation)
    _compare_with_torch(lambda t: F.max_pool2d(t, **options),
                        lambda t: torch.nn.functional.max_pool2d(t, **options), x)


@given(case=pool_cases(max_side=9), count_include_pad=st.booleans(), divisor_override=st.sampled_from([None, 3]))
def test_avg_pool2d_matches_pytorch(case, count_include_pad, divisor_override):
    torch = require_torch()
    options = _avg_options(case, count_include_pad, divisor_override)
    x = np.random.default_rng(0).standard_normal(case["shape"])
    _compare_with_torch(lambda t: F.avg_pool2d(t, **options), lambda t: torch.nn.functional.avg_pool2d(t, **options),
                        x)


@pytest.mark.parametrize("output_size", [1, 2, 3, 4, (5, 2), (None, 3)])
def test_adaptive_avg_pool2d_matches_pytorch(output_size):
    torch = require_torch()
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 5))
    _compare_with_torch(lambda t: F.adaptive_avg_pool2d(t, output_size),
                        lambda t: torch.nn.functional.adaptive_avg_pool2d(t, output_size), x)


def test_global_average_pooling_is_the_mean_of_each_channel():
    x = np.random.default_rng(0).standard_normal((2, 5, 4, 3)).astype(np.float32)
    y = nn.AdaptiveAvgPool2d(1)(tg.Tensor(x))
    assert y.shape == (2, 5, 1, 1)
    np.testing.assert_allclose(y.numpy()[:, :, 0, 0], x.mean(axis=(2, 3)), rtol=1e-6)


def test_max_pool_backward_routes_the_gradient_to_the_first_maximum():
    x = tg.Tensor(np.array([[[[1.0, 3.0], [3.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[0, 1], [0, 0]])


def test_max_pool_return_indices_are_pytorchs():
    torch = require_torch()
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 5))
    out, indices = nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)(tg.Tensor(x))
    expected, expected_indices = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    with tg.no_grad():
        _, indices = F.max_pool2d(tg.Tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())


def test_pooling_layers_have_no_parameters_and_pytorch_reprs():
    assert list(nn.MaxPool2d(2).parameters()) == []
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AvgPool2d(3, 1, 1, count_include_pad=False)) == \
        "AvgPool2d(kernel_size=3, stride=1, padding=1, count_include_pad=False)"
    assert repr(nn.AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=1)"


@pytest.mark.parametrize("layer, shape, fragments", [
    (nn.MaxPool2d(2), (4, 6, 6), ["MaxPool2d(kernel_size=2", "(4, 6, 6)", "must be 4-D (N, C, H, W)"]),
    (nn.AvgPool2d(5), (1, 2, 3, 8), ["AvgPool2d(kernel_size=5", "(1, 2, 3, 8)", "spans 5 pixels in height",
                                     "padded input has only 3", "must fit in the padded input"]),
    (nn.MaxPool2d(2, padding=2), (1, 1, 6, 6), ["MaxPool2d(kernel_size=2", "padding=(2, 2)",
                                                "between 0 and half the window"]),
    (nn.AdaptiveAvgPool2d(1), (6, 6), ["AdaptiveAvgPool2d(output_size=1)", "(6, 6)", "must be 4-D"]),
])
def test_pooling_errors_name_the_layer_the_shapes_and_the_rule(layer, shape, fragments):
    with pytest.raises(tg.OpError) as error:
        layer(tg.zeros(*shape))
    for fragment in fragments:
        assert fragment in str(error.value)


@given(case=pool_cases(max_side=9), values=st.sampled_from(["normal", "ties", "non-positive", "nan"]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_sequential_relu_then_max_pool_is_one_op_with_the_same_numbers(case, values, dtype):
    """nn.Sequential runs ReLU → MaxPool2d as ops.ReLUMaxPool2d: outputs and gradients equal to the two layers run
    one by one, bit for bit, with ties (including windows whose maxima are all rectified to 0) and NaNs."""
    x = np.random.default_rng(0).standard_normal(case["shape"])
    if values == "ties":
        x = np.round(x)
    elif values == "non-positive":
        x = -np.abs(np.round(x))
    elif values == "nan":
        x[np.random.default_rng(1).random(x.shape) < 0.2] = np.nan
    x = x.astype(dtype)
    pool = nn.MaxPool2d(case["kernel_size"], case["stride"], case["padding"], ceil_mode=case["ceil_mode"])
    model = nn.Sequential(nn.ReLU(), pool)
    grad = np.random.default_rng(2).standard_normal(model(tg.Tensor(x)).shape).astype(dtype)
    results = []
    for run in (model, lambda t: pool(nn.ReLU()(t))):
        t = tg.Tensor(x, requires_grad=True)
        y = run(t)
        y.backward(grad)
        results.append((y, t.grad.numpy()))
    (fused, fused_grad), (plain, plain_grad) = results
    assert type(fused._ctx).__name__ == "ReLUMaxPool2d" and type(plain._ctx).__name__ == "MaxPool2d"
    np.testing.assert_array_equal(fused.numpy(), plain.numpy())
    np.testing.assert_array_equal(fused_grad, plain_grad)


def test_relu_then_max_pool_is_not_fused_where_a_hook_must_see_the_relu():
    relu, pool = nn.ReLU(), nn.MaxPool2d(2)
    seen = []
    relu.register_forward_hook(lambda module, args, out: seen.append(out.shape))
    y = nn.Sequential(relu, pool)(tg.Tensor(np.ones((1, 1, 4, 4), np.float32), requires_grad=True))
    assert seen == [(1, 1, 4, 4)] and type(y._ctx).__name__ == "MaxPool2d"
    y = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2, return_indices=True))(tg.Tensor(np.ones((1, 1, 4, 4), np.float32)))
    assert isinstance(y, tuple)
    with tg.detect_anomaly():  # it checks op by op: each layer keeps its own op
        y = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(tg.Tensor(np.ones((1, 1, 4, 4), np.float32), requires_grad=True))
    assert type(y._ctx).__name__ == "MaxPool2d"


@given(case=pool_cases())
def test_relu_max_pool_gradcheck(case):
    x = tg.Tensor(_distinct(case["shape"]), requires_grad=True)  # values ±1: some windows rectified to 0
    pool = nn.MaxPool2d(case["kernel_size"], case["stride"], case["padding"], ceil_mode=case["ceil_mode"])
    tg.gradcheck(nn.Sequential(nn.ReLU(), pool), x)


@given(channels=st.integers(1, 5), kernel=st.integers(1, 3), stride=st.integers(1, 2), padding=st.integers(0, 1),
       window=st.integers(2, 3), side=st.integers(6, 11), bias=st.booleans(), input_grad=st.booleans(),
       values=st.sampled_from(["normal", "ties", "nan"]))
def test_sequential_conv_relu_max_pool_is_one_op_with_the_same_numbers(channels, kernel, stride, padding, window,
                                                                     side, bias, input_grad, values):
    """nn.Sequential runs Conv2d(1, C) → ReLU → MaxPool2d(k) as ops.Conv2dReLUMaxPool2d (the convolution's output
    never stored): outputs and every gradient equal to the three layers run one by one, bit for bit."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 1, side, side))
    if values == "ties":
        x = np.round(x)
    elif values == "nan":
        x[rng.random(x.shape) < 0.05] = np.nan
    x, dtype = x.astype(np.float32), np.float32
    assume((side + 2 * padding - kernel) // stride + 1 >= window)  # else MaxPool2d refuses the input
    conv, pool = nn.Conv2d(1, channels, kernel, stride=stride, padding=padding, bias=bias), nn.MaxPool2d(window)
    for parameter in conv.parameters():
        parameter.data = parameter.data.astype(dtype)
    upstream = np.random.default_rng(2).standard_normal(pool(nn.ReLU()(conv(tg.Tensor(x)))).shape).astype(dtype)
    assert_fused_run_matches(conv, nn.Sequential(conv, nn.ReLU(), pool), lambda t: pool(nn.ReLU()(conv(t))), x,
                             upstream, input_grad, ("Conv2dReLUMaxPool2d", "MaxPool2d"))


def test_conv_relu_max_pool_is_not_fused_where_it_would_change_what_runs():
    """More than one input channel, overlapping windows, a hook on the convolution, float64 (gradient checks): the
    layers run one by one."""
    x1, x3 = (tg.Tensor(np.ones((1, c, 8, 8), np.float32)) for c in (1, 3))
    cases = [(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2), x3), (nn.Conv2d(1, 4, 3), nn.MaxPool2d(3, stride=2), x1)]
    double = nn.Conv2d(1, 4, 3)
    for parameter in double.parameters():
        parameter.data = parameter.data.astype(np.float64)
    cases.append((double, nn.MaxPool2d(2), tg.Tensor(np.ones((1, 1, 8, 8)))))
    hooked = nn.Conv2d(1, 4, 3)
    hooked.register_forward_hook(lambda module, args, out: None)
    cases.append((hooked, nn.MaxPool2d(2), x1))
    for conv, pool, x in cases:
        y = nn.Sequential(conv, nn.ReLU(), pool)(x)
        assert type(y._ctx).__name__ == "ReLUMaxPool2d"

"""int8 post-training quantisation: the round trip within s/2, per-channel scales, the int32 kernel against
NumPy's integer matmul, quantised Linear/Conv2d against the float layers on the dequantised values,
requantisation, quantize() on a small CNN, and the 4× smaller weights."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.kernels.int8 import INT32_SAFE_K, matmul_int8, matmul_int8_numpy
from tinygrad_edu.quantization import QuantizedConv2d, QuantizedLinear, int8, quantize, saved_bytes, weight_bytes

finite = st.floats(-1e4, 1e4, width=32, allow_subnormal=True)


@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=4, max_side=5), elements=finite),
       st.integers(0, 3))
def test_per_channel_round_trip_error_is_at_most_half_a_step(weight, axis):
    axis = axis % weight.ndim
    q, scale = int8.quantize_per_channel(weight, axis=axis)
    assert q.dtype == np.int8 and scale.shape == (weight.shape[axis],)
    assert np.abs(q).max() <= 127
    shape = [1] * weight.ndim
    shape[axis] = -1
    step = scale.reshape(shape)
    error = np.abs(int8.dequantize(q, step).astype(np.float64) - weight)
    assert np.all(error <= step.astype(np.float64) / 2 * (1 + 1e-6) + 1e-30)
    # the largest weight of each channel is ±127 exactly (unless the channel is all zeros)
    others = tuple(a for a in range(weight.ndim) if a != axis)
    nonzero = np.abs(weight).max(axis=others) > 1e-12
    assert np.all(np.abs(q).max(axis=others)[nonzero] == 127)


def test_per_channel_scales_follow_each_filter():
    weight = np.stack([np.full((2, 3, 3), 0.01), np.full((2, 3, 3), 10.0)]).astype(np.float32)
    q, scale = int8.quantize_per_channel(weight, axis=0)
    np.testing.assert_allclose(scale, [0.01 / 127, 10.0 / 127], rtol=1e-6)
    assert np.all(q == 127)  # a per-tensor scale (10/127) would have rounded the small filter to 0


@given(st.integers(1, 40), st.integers(1, 70), st.integers(1, 20), st.integers(0, 2**16))
def test_the_int8_kernel_equals_numpy_integer_matmul(m, k, n, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, size=(m, k), dtype=np.int8)
    b = rng.integers(-128, 128, size=(n, k), dtype=np.int8)
    out = matmul_int8(a, b)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, matmul_int8_numpy(a, b))


def test_int32_accumulation_does_not_overflow_at_the_safe_length():
    a = np.full((1, INT32_SAFE_K), -128, dtype=np.int8)
    assert matmul_int8(a, a)[0, 0] == 128 * 128 * INT32_SAFE_K  # the worst case, still below 2³¹
    with pytest.raises(ValueError, match="overflow"):
        matmul_int8(np.zeros((1, INT32_SAFE_K + 1), np.int8), np.zeros((1, INT32_SAFE_K + 1), np.int8))
    with pytest.raises(TypeError, match="int8"):
        matmul_int8(np.zeros((2, 2), np.float32), np.zeros((2, 2), np.int8))


def test_quantized_linear_is_the_float_layer_on_dequantised_values():
    tg.manual_seed(0)
    layer = nn.Linear(12, 5)
    x = tg.randn(7, 12)
    s_x = float(int8.scale_for(np.abs(x.data).max()))
    small = QuantizedLinear.from_float(layer, s_x)
    x_hat = int8.dequantize(int8.quantize(x.data, s_x), s_x)
    w_hat = int8.dequantize(small.weight_int8.data, small.weight_scale.data[:, None])
    np.testing.assert_allclose(small(x).data, x_hat @ w_hat.T + layer.bias.data, rtol=1e-5, atol=1e-6)
    assert np.abs(small(x).data - layer(x).data).max() < 0.02 * np.abs(layer(x).data).max()


def test_quantized_conv2d_is_the_float_convolution_on_dequantised_values():
    tg.manual_seed(1)
    conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
    x = tg.randn(2, 3, 9, 9)
    s_x = float(int8.scale_for(np.abs(x.data).max()))
    small = QuantizedConv2d.from_float(conv, s_x)
    reference = nn.Conv2d(3, 4, 3, stride=2, padding=1)
    reference.weight.data = int8.dequantize(small.weight_int8.data, small.weight_scale.data[:, None]).reshape(
        conv.weight.shape)
    reference.bias.data = conv.bias.data
    x_hat = tg.tensor(int8.dequantize(int8.quantize(x.data, s_x), s_x))
    np.testing.assert_allclose(small(x).data, reference(x_hat).data, rtol=1e-5, atol=1e-5)
    assert small(x).shape == conv(x).shape == (2, 4, 5, 5)
    with pytest.raises(tg.OpError, match="channels"):
        small(tg.randn(2, 5, 9, 9))


def test_requantisation_gives_the_integers_of_the_float_output():
    rng = np.random.default_rng(2)
    acc = rng.integers(-50_000, 50_000, size=(6, 4)).astype(np.int32)
    s_x, s_w, s_y = 0.02, rng.uniform(0.001, 0.01, size=4), 0.5
    bias = rng.normal(size=4)
    direct = int8.requantize(acc, s_x, s_w, s_y, bias)
    two_steps = int8.quantize(acc * (s_x * s_w) + bias, s_y)
    assert np.abs(direct.astype(int) - two_steps.astype(int)).max() <= 1  # float rounding of M only
    assert (direct == two_steps).mean() > 0.95


def _small_cnn():
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(16 * 2 * 2, 32), nn.ReLU(), nn.Linear(32, 10))


def test_quantize_converts_every_layer_and_leaves_the_original_alone():
    tg.manual_seed(3)
    model = _small_cnn()
    batches = [(tg.randn(16, 1, 10, 10), tg.tensor(np.zeros(16, np.int64))) for _ in range(3)]
    small = quantize(model, batches)
    kinds = [type(m).__name__ for m in small]
    assert kinds.count("QuantizedConv2d") == 2 and kinds.count("QuantizedLinear") == 2
    assert isinstance(model[0], nn.Conv2d) and model.training  # untouched
    x = tg.randn(32, 1, 10, 10)
    with tg.no_grad():
        expected = model.eval()(x).data
    got = small(x).data
    assert np.abs(got - expected).max() < 0.05 * np.abs(expected).max()
    assert (got.argmax(1) == expected.argmax(1)).mean() >= 0.9
    layers = [m for m in model if isinstance(m, nn.Linear | nn.Conv2d)]
    # 1 byte per weight; per output channel a float32 scale and a float32 bias; one float32 input scale per layer
    assert weight_bytes(small) == sum(m.weight.size + 8 * m.weight.shape[0] + 4 for m in layers)
    assert weight_bytes(model) == sum(4 * (m.weight.size + m.weight.shape[0]) for m in layers)
    assert saved_bytes(model) > saved_bytes(small)


def test_quantize_needs_calibration_batches_and_keeps_grouped_convolutions_in_float():
    model = nn.Sequential(nn.Conv2d(4, 4, 3, groups=4), nn.Conv2d(4, 2, 1))
    with pytest.raises(ValueError, match="calibration_batches is empty"):
        quantize(model, [])
    small = quantize(model, [np.random.default_rng(0).normal(size=(2, 4, 6, 6))])
    assert small.float_layers == ["0"] and isinstance(small[1], QuantizedConv2d)

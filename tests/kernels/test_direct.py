"""The one-channel convolution kernels (kernels/direct.py) against their NumPy twins (reference.py), and the
convolution op taking that path against the im2col path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.kernels.geometry import geometries, random_array
from tests.kernels.run_in_subprocess import run_python
from tinygrad_edu.kernels import direct, dispatch, reference


def _one_channel(geometry, out_channels: int, dtype: type, seed: int = 0):
    shape = (geometry.input_shape[0], 1, *geometry.input_shape[2:])
    x = random_array(shape, dtype, seed=seed)
    weight = random_array((out_channels, 1, *geometry.kernel_size), dtype, seed=seed + 1)
    return x, weight


@given(geometry=geometries(), out_channels=st.integers(1, 5), dtype=st.sampled_from([np.float32, np.float64]),
       with_bias=st.booleans())
def test_forward_kernel_equals_reference_exactly(geometry, out_channels, dtype, with_bias):
    x, weight = _one_channel(geometry, out_channels, dtype)
    bias = random_array((out_channels,), dtype, seed=7) if with_bias else None
    where = (geometry.stride, geometry.padding, geometry.dilation, geometry.out_size)
    expected = reference.single_channel_conv2d(x, weight, bias, *where)
    actual = direct.conv2d(x, weight, bias, *where)
    assert actual.dtype == dtype and actual.shape == expected.shape == (x.shape[0], out_channels, *geometry.out_size)
    np.testing.assert_array_equal(actual, expected)


@given(geometry=geometries(), out_channels=st.integers(1, 5), window=st.integers(2, 3), with_bias=st.booleans())
def test_fused_relu_max_pool_kernel_equals_reference_exactly(geometry, out_channels, window, with_bias):
    """The first block's fused kernel (convolution rows pooled in a buffer) against the three references in turn."""
    assume(min(geometry.out_size) >= window)
    x, weight = _one_channel(geometry, out_channels, np.float32)
    bias = random_array((out_channels,), np.float32, seed=7) if with_bias else None
    where = (geometry.stride, geometry.padding, geometry.dilation, geometry.out_size, window)
    expected, expected_argmax = reference.single_channel_conv2d_relu_max_pool(x, weight, bias, *where)
    actual, argmax = direct.conv2d_relu_max_pool(x, weight, bias, *where)
    np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(argmax, expected_argmax)


@given(geometry=geometries(), out_channels=st.integers(1, 5))
def test_forward_is_the_im2col_product_plus_bias(geometry, out_channels):
    x, weight = _one_channel(geometry, out_channels, np.float64)
    bias = random_array((out_channels,), np.float64, seed=3)
    where = (geometry.stride, geometry.padding, geometry.dilation, geometry.out_size)
    cols = reference.im2col(x, geometry.kernel_size, *where)
    expected = (cols @ weight.reshape(out_channels, -1).T + bias).reshape(x.shape[0], *geometry.out_size, -1)
    np.testing.assert_allclose(direct.conv2d(x, weight, bias, *where), expected.transpose(0, 3, 1, 2), rtol=1e-12,
                               atol=1e-12)


@given(geometry=geometries(), out_channels=st.integers(1, 5), dtype=st.sampled_from([np.float32, np.float64]))
def test_weight_and_bias_grads_equal_reference(geometry, out_channels, dtype):
    """The sums run in another order than the reference's einsum: equal to rounding."""
    x, _ = _one_channel(geometry, out_channels, dtype)
    grad = random_array((x.shape[0], out_channels, *geometry.out_size), dtype, seed=5)
    where = (geometry.kernel_size, geometry.stride, geometry.padding, geometry.dilation)
    expected_w, expected_b = reference.single_channel_conv2d_weight_bias_grad(grad, x, *where)
    actual_w, actual_b = direct.conv2d_weight_bias_grad(grad, x, *where)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    assert actual_w.dtype == dtype and actual_w.shape == (out_channels, 1, *geometry.kernel_size)
    np.testing.assert_allclose(actual_w, expected_w, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(actual_b, expected_b, rtol=tolerance, atol=tolerance)


@settings(deadline=None, max_examples=20)
@given(geometry=geometries(), out_channels=st.integers(1, 4), input_grad=st.booleans())
def test_conv2d_op_on_the_direct_path_matches_the_im2col_path(geometry, out_channels, input_grad):
    x, weight = _one_channel(geometry, out_channels, np.float64)
    bias = random_array((out_channels,), np.float64, seed=9)
    spans = [geometry.dilation[a] * (geometry.kernel_size[a] - 1) + 1 for a in range(2)]
    assume(all(spans[a] <= x.shape[2 + a] + 2 * geometry.padding[a] for a in range(2)))  # symmetric padding fits
    options = dict(stride=geometry.stride, dilation=geometry.dilation, padding=geometry.padding)
    results = []
    for choice in ("numba", "numpy"):  # numba: the direct kernels; numpy: im2col + matmul
        with dispatch.using(choice):
            xt = tg.tensor(x, requires_grad=input_grad)
            wt, bt = tg.tensor(weight, requires_grad=True), tg.tensor(bias, requires_grad=True)
            out = tg.nn.functional.conv2d(xt, wt, bt, **options)
            out.backward(random_array(out.shape, np.float64, seed=4))
            results.append([out.numpy(), wt.grad, bt.grad, xt.grad if input_grad else None])
    for ours, im2col_path in zip(*results, strict=True):
        if ours is None:
            assert im2col_path is None
            continue
        np.testing.assert_allclose(np.asarray(ours), np.asarray(im2col_path), rtol=1e-10, atol=1e-10)


def test_dispatch_takes_the_direct_path_only_for_one_channel_numpy_float_inputs():
    x1, x3 = np.zeros((2, 1, 5, 5), np.float32), np.zeros((2, 3, 5, 5), np.float32)
    w = np.zeros((4, 1, 3, 3), np.float32)
    assert dispatch.single_channel_conv(x1, w, 1) is direct
    assert dispatch.single_channel_conv(x3, w, 1) is None
    assert dispatch.single_channel_conv(x1.astype(np.float16), w, 1) is None
    with dispatch.using("numpy"):
        assert dispatch.single_channel_conv(x1, w, 1) is None


DISABLED_JIT_CHECK = """
import numpy as np
from tinygrad_edu.kernels import direct, pool, reference
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 1, 6, 5))
w, b = rng.standard_normal((3, 1, 3, 2)), rng.standard_normal(3)
where = ((2, 1), (1, 0), (1, 2), (2, 2))
np.testing.assert_array_equal(direct.conv2d(x, w, b, *where), reference.single_channel_conv2d(x, w, b, *where))
grad = rng.standard_normal((2, 3, 2, 2))
for ours, theirs in zip(direct.conv2d_weight_bias_grad(grad, x, (3, 2), *where[:3]),
                        reference.single_channel_conv2d_weight_bias_grad(grad, x, (3, 2), *where[:3])):
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
y = rng.standard_normal((2, 3, 5, 5))
out, argmax = reference.max_pool2d(y, (2, 2), (2, 2), (0, 0), (1, 1), (2, 2))
g = rng.standard_normal(out.shape)
np.testing.assert_array_equal(pool.max_pool2d_backward_tiled(g, argmax, y.shape, (2, 2), (2, 2), (0, 0), (1, 1)),
                              reference.max_pool2d_backward(g, argmax, y.shape))
print("ok")
"""


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_kernels_run_as_plain_python_with_the_jit_disabled():
    """NUMBA_DISABLE_JIT=1 (the debugging mode) runs the same kernels as Python: same results."""
    result = run_python(DISABLED_JIT_CHECK, NUMBA_DISABLE_JIT="1")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")

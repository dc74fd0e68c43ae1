"""The pooling kernels against the NumPy reference, bit for bit, forward and backward."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.kernels.geometry import geometries, random_array
from tinygrad_edu.kernels import pool as fast
from tinygrad_edu.kernels import reference


@given(geometry=geometries(pool_padding=True), dtype=st.sampled_from([np.float32, np.float64]),
       channels_last=st.booleans(), ties=st.booleans())
def test_max_pool_kernels_equal_reference_exactly(geometry, dtype, channels_last, ties):
    x = random_array(geometry.input_shape, dtype, channels_last)
    if ties:
        x = np.round(x)  # many equal values: the first maximum of each window must win in both
    out, argmax = fast.max_pool2d(x, *geometry.args())
    expected_out, expected_argmax = reference.max_pool2d(x, *geometry.args())
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_array_equal(argmax, expected_argmax)
    grad = random_array(out.shape, dtype, seed=3)
    np.testing.assert_array_equal(fast.max_pool2d_backward(grad, argmax, x.shape),
                                  reference.max_pool2d_backward(grad, expected_argmax, x.shape))


@given(geometry=geometries(pool_padding=True, dilation=False), dtype=st.sampled_from([np.float32, np.float64]),
       channels_last=st.booleans())
def test_avg_pool_kernels_equal_reference_exactly(geometry, dtype, channels_last):
    x = random_array(geometry.input_shape, dtype, channels_last)
    kernel, stride, padding, _, out_size = geometry.args()
    divisor = (np.arange(out_size[0] * out_size[1]).reshape(out_size) % 5 + 1).astype(dtype)  # any positive
    out = fast.avg_pool2d(x, kernel, stride, padding, out_size, divisor)
    np.testing.assert_array_equal(out, reference.avg_pool2d(x, kernel, stride, padding, out_size, divisor))
    grad = random_array(out.shape, dtype, seed=3)
    np.testing.assert_array_equal(
        fast.avg_pool2d_backward(grad, divisor, x.shape, kernel, stride, padding),
        reference.avg_pool2d_backward(grad, divisor, x.shape, kernel, stride, padding))


def test_max_pool_finds_the_maximum_and_where_it_is():
    x = np.array([[1, 5, 2, 0], [3, 4, 7, 7], [0, 0, 1, 2], [9, 0, 3, 2]], dtype=np.float32)[None, None]
    for module in (fast, reference):
        out, argmax = module.max_pool2d(x, (2, 2), (2, 2), (0, 0), (1, 1), (2, 2))
        np.testing.assert_array_equal(out[0, 0], [[5, 7], [9, 3]])
        np.testing.assert_array_equal(argmax[0, 0], [[1, 6], [12, 14]])  # h·W + w; the tie 7, 7 → the first


def test_max_pool_ignores_padding_and_propagates_nan():
    x = np.full((1, 1, 2, 2), -5.0)
    x[0, 0, 1, 1] = np.nan
    for module in (fast, reference):
        out, argmax = module.max_pool2d(x, (2, 2), (1, 1), (1, 1), (1, 1), (3, 3))
        assert out[0, 0, 0, 0] == -5.0 and argmax[0, 0, 0, 0] == 0  # the padding (−∞) never wins
        assert np.isnan(out[0, 0, 1, 1]) and argmax[0, 0, 1, 1] == 3


@given(geometry=geometries(pool_padding=True, dilation=False), dtype=st.sampled_from([np.float32, np.float64]),
       channels_last=st.booleans(), ties=st.booleans(), ceil_mode=st.booleans())
def test_max_pool_backward_writing_each_pixel_once_equals_reference(geometry, dtype, channels_last, ties, ceil_mode):
    """Non-overlapping windows (stride ≥ window, no padding): the write-once kernel gives the reference's
    scatter-add result; other geometries are refused (None) and go to the general kernel."""
    kernel, stride, padding, dilation, out_size = geometry.args()
    x = random_array(geometry.input_shape, dtype, channels_last)
    if ties:
        x = np.round(x)
    if ceil_mode:  # one more window per axis where it still starts inside the image
        out_size = tuple(out_size[a] + ((out_size[a]) * stride[a] < x.shape[2 + a]) for a in range(2))
    _, argmax = reference.max_pool2d(x, kernel, stride, (0, 0), dilation, out_size)
    grad = random_array(argmax.shape, dtype, seed=3)
    tiled = fast.max_pool2d_backward_tiled(grad, argmax, x.shape, kernel, stride, (0, 0), dilation)
    if stride[0] < kernel[0] or stride[1] < kernel[1]:
        assert tiled is None
        return
    np.testing.assert_array_equal(tiled, reference.max_pool2d_backward(grad, argmax, x.shape))
    assert fast.max_pool2d_backward_tiled(grad, argmax, x.shape, kernel, stride, (1, 0), dilation) is None

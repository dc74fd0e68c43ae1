"""im2col and col2im: the Numba kernels against the NumPy reference, bit for bit, and what they compute."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.kernels.geometry import geometries, random_array
from tinygrad_edu.kernels import im2col as fast
from tinygrad_edu.kernels import reference
from tinygrad_edu.kernels.layout import channels_last_memory, is_channels_last


@given(geometry=geometries(), dtype=st.sampled_from([np.float32, np.float64]), channels_last=st.booleans(),
       pad_value=st.sampled_from([0.0, -np.inf]), tap_major=st.booleans())
def test_im2col_kernel_equals_reference_exactly(geometry, dtype, channels_last, pad_value, tap_major):
    x = random_array(geometry.input_shape, dtype, channels_last)
    expected = reference.im2col(x, *geometry.args(), pad_value=pad_value, tap_major=tap_major)
    actual = fast.im2col(x, *geometry.args(), pad_value=pad_value, tap_major=tap_major)
    assert actual.dtype == dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


@given(geometry=geometries(), dtype=st.sampled_from([np.float32, np.float64]), tap_major=st.booleans())
def test_col2im_kernel_equals_reference_exactly(geometry, dtype, tap_major):
    batch, channels = geometry.input_shape[:2]
    rows = batch * geometry.out_size[0] * geometry.out_size[1]
    cols = random_array((rows, channels * geometry.kernel_size[0] * geometry.kernel_size[1]), dtype)
    expected = reference.col2im(cols, geometry.input_shape, *geometry.args(), tap_major=tap_major)
    actual = fast.col2im(cols, geometry.input_shape, *geometry.args(), tap_major=tap_major)
    assert actual.dtype == dtype and actual.shape == geometry.input_shape
    np.testing.assert_array_equal(actual, expected)


@given(geometry=geometries(), tap_major=st.booleans())
def test_col2im_is_the_adjoint_of_im2col(geometry, tap_major):
    """⟨im2col(x), C⟩ = ⟨x, col2im(C)⟩ for all x, C: col2im is im2col transposed, hence the gradient rule."""
    x = random_array(geometry.input_shape, np.float64, seed=1)
    cols = fast.im2col(x, *geometry.args(), tap_major=tap_major)
    other = random_array(cols.shape, np.float64, seed=2)
    left = np.sum(cols * other)
    right = np.sum(x * fast.col2im(other, geometry.input_shape, *geometry.args(), tap_major=tap_major))
    np.testing.assert_allclose(left, right, rtol=1e-12, atol=1e-12)


def test_im2col_puts_each_receptive_field_in_one_row():
    x = np.arange(2 * 2 * 4 * 4, dtype=np.float32).reshape(2, 2, 4, 4)
    cols = fast.im2col(x, (3, 3), (1, 1), (0, 0), (1, 1), (2, 2))
    assert cols.shape == (2 * 2 * 2, 2 * 3 * 3)  # rows (n, oh, ow), columns (c, i, j)
    row = (1 * 2 + 0) * 2 + 1  # n = 1, oh = 0, ow = 1
    np.testing.assert_array_equal(cols[row], x[1, :, 0:3, 1:4].reshape(-1))


def test_im2col_padding_and_stride_read_the_right_pixels():
    x = np.arange(1, 10, dtype=np.float64).reshape(1, 1, 3, 3)
    # padding 1 all round, stride 2, 3×3 window: output (0, 0) sees the top-left corner with its padding
    cols = fast.im2col(x, (3, 3), (2, 2), (1, 1), (1, 1), (2, 2), pad_value=-1.0)
    np.testing.assert_array_equal(cols[0], [-1, -1, -1, -1, 1, 2, -1, 4, 5])
    np.testing.assert_array_equal(cols[3], [5, 6, -1, 8, 9, -1, -1, -1, -1])


def test_col2im_counts_how_often_each_pixel_was_read():
    """col2im of all ones = how many windows contain each pixel: 1, 2, 3, 2, 1 along a row of 5 for a window
    3 wide, on an image as high as the window (2)."""
    counts = fast.col2im(np.ones((3, 6)), (1, 1, 2, 5), (2, 3), (1, 1), (0, 0), (1, 1), (1, 3))
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 3, 2, 1]] * 2)


def test_channels_last_memory_is_free_for_channels_last_and_single_channel_arrays():
    nchw = np.zeros((2, 3, 4, 5), dtype=np.float32)
    channels_last = np.zeros((2, 4, 5, 3), dtype=np.float32).transpose(0, 3, 1, 2)
    single = np.zeros((2, 1, 4, 5), dtype=np.float32)
    assert is_channels_last(channels_last) and not is_channels_last(nchw) and not is_channels_last(single)
    for array, free in ((channels_last, True), (single, True), (nchw, False)):
        memory = channels_last_memory(array)
        assert memory.shape == (2, 4, 5, array.shape[1]) and memory.flags.c_contiguous
        assert np.shares_memory(memory, array) == free
    assert is_channels_last(fast.col2im(np.ones((2, 3)), (2, 3, 1, 1), (1, 1), (1, 1), (0, 0), (1, 1), (1, 1)))


def test_im2col_reads_any_strided_view():
    """A sliced or transposed input (neither NCHW- nor channels-last-contiguous) goes through the same kernel."""
    base = np.random.default_rng(3).random((3, 4, 9, 10))
    for x in (base[::2, 1:, ::2, 1::3], base.transpose(0, 1, 3, 2)[:, ::-1]):
        geometry = ((3, 3), (1, 1), (1, 0), (1, 1), (x.shape[2], x.shape[3] - 2))
        np.testing.assert_array_equal(fast.im2col(x, *geometry), reference.im2col(x, *geometry))


def test_tap_major_columns_are_the_channel_major_ones_reordered():
    """Column (i·kw + j)·C + c of the tap-major matrix is column c·kh·kw + i·kw + j of PyTorch's order."""
    x = random_array((2, 3, 5, 4), np.float32, seed=3)
    args = ((2, 3), (1, 1), (1, 0), (1, 1), (6, 2))
    channel_major = fast.im2col(x, *args)
    tap_major = fast.im2col(x, *args, tap_major=True)
    reordered = channel_major.reshape(-1, 3, 2, 3).transpose(0, 2, 3, 1).reshape(channel_major.shape)
    np.testing.assert_array_equal(tap_major, reordered)

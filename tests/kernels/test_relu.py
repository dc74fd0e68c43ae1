"""The one-pass ReLU kernels (kernels/relu.py) against their NumPy references, bit for bit: hypothesis-drawn
shapes, layouts (C order, channels-last, strided views that are not dense) and values with NaN, ±∞ and ±0."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.kernels import dispatch, relu

SPECIAL = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-45, -1e-45, 1e300, -1.0, 2.0])


def _values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape)
    flat = values.reshape(-1)
    picks = rng.integers(0, flat.size, size=max(1, flat.size // 8))
    flat[picks] = SPECIAL[rng.integers(0, SPECIAL.size, size=picks.size)]
    with np.errstate(over="ignore"):
        return values.astype(dtype)


LAYOUTS = ("c", "channels_last", "strided")


def _laid_out(array, layout):
    if layout == "channels_last":  # the memory of an (N, H, W, C) array seen as (N, C, H, W), as conv outputs
        return np.ascontiguousarray(array.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    if layout == "strided":
        return np.repeat(array, 2, axis=-1)[..., ::2]  # every other element: not dense
    return array


shapes = st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 6), st.integers(1, 7))


@given(shape=shapes, dtype=st.sampled_from([np.float32, np.float64]), layout=st.sampled_from(LAYOUTS),
       seed=st.integers(0, 2**16))
def test_forward_and_backward_equal_the_references_bit_for_bit(shape, dtype, layout, seed):
    x = _laid_out(_values(shape, dtype, seed), layout)
    out = relu.relu_forward(x)
    expected = relu.relu_forward_reference(x)
    assert out.dtype == dtype and out.tobytes() == expected.tobytes()
    if layout != "strided":  # a dense input keeps its layout (the strides of axes of size 1 do not matter)
        assert all(a == b for a, b, size in zip(out.strides, x.strides, x.shape, strict=True) if size > 1)
    grad = _laid_out(_values(shape, dtype, seed + 1), layout)
    with np.errstate(invalid="ignore"):  # ∞ · 0 = NaN in both
        assert relu.relu_backward(grad, out).tobytes() == relu.relu_backward_reference(grad, out).tobytes()


def test_flat_view_is_a_view_of_dense_memory_and_none_otherwise():
    x = _laid_out(np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5), "channels_last")
    flat = relu.flat_view(x)
    assert flat is not None and np.shares_memory(flat, x) and flat.size == x.size
    assert relu.flat_view(x[:, :, ::2]) is None


def test_gradients_of_mismatched_layouts_take_the_reference():
    x = _laid_out(_values((2, 3, 4, 5), np.float32, 0), "channels_last")
    out = relu.relu_forward(x)
    grad = np.ascontiguousarray(_values((2, 3, 4, 5), np.float32, 1))  # NCHW, while out is channels-last
    assert relu.relu_backward(grad, out).tobytes() == relu.relu_backward_reference(grad, out).tobytes()


@pytest.mark.parametrize("kernels", ["numba", "numpy"])
def test_the_relu_op_gives_the_same_numbers_on_either_kernel_choice(kernels):
    """Large enough for dispatch to pick the kernel (RELU_KERNEL_MIN_SIZE), through the op and its backward."""
    values = _values((4, 8, 64, 64), np.float32, 3)
    assert values.size >= dispatch.RELU_KERNEL_MIN_SIZE
    grad = _values(values.shape, np.float32, 4)
    x = tg.tensor(values, requires_grad=True)
    with dispatch.using(kernels), np.errstate(invalid="ignore"):
        y = x.relu()
        y.backward(grad)
        expected = np.maximum(values, 0)
        assert y.numpy().tobytes() == expected.tobytes()
        assert x.grad.numpy().tobytes() == (grad * (expected > 0)).tobytes()

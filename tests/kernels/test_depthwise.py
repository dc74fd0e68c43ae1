"""Depthwise convolution: the Numba kernels against their NumPy twins, the conv op against its definition and
against finite differences, and the dispatch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests.helpers import require_torch
from tests.kernels.geometry import geometries, random_array
from tinygrad_edu.kernels import depthwise, dispatch


def _weight(geometry, dtype, seed=3):
    channels = geometry.input_shape[1]
    return random_array((channels, 1, *geometry.kernel_size), dtype, seed=seed)


@given(geometry=geometries(max_channels=5), dtype=st.sampled_from([np.float32, np.float64]),
       channels_last=st.booleans())
@pytest.mark.slow
def test_forward_kernel_equals_reference_exactly(geometry, dtype, channels_last):
    x = random_array(geometry.input_shape, dtype, channels_last)
    weight = _weight(geometry, dtype)
    where = geometry.args()[1:]  # stride, padding, dilation, out_size
    expected = depthwise.reference_forward(x, weight, *where)
    actual = depthwise.forward(x, weight, *where)
    assert actual.dtype == dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.slow
@given(geometry=geometries(max_channels=5), dtype=st.sampled_from([np.float32, np.float64]))
def test_backward_kernels_equal_reference(geometry, dtype):
    x = random_array(geometry.input_shape, dtype, channels_last=True)
    weight = _weight(geometry, dtype)
    batch, channels = geometry.input_shape[:2]
    grad = random_array((batch, channels, *geometry.out_size), dtype, seed=5)
    where = geometry.args()[1:]
    np.testing.assert_array_equal(depthwise.backward_input(grad, weight, x.shape, *where),
                                  depthwise.reference_backward_input(grad, weight, x.shape, *where))
    tolerance = 1e-5 if dtype == np.float32 else 1e-12  # the sums over (n, oh, ow) run in different orders
    np.testing.assert_allclose(depthwise.backward_weight(grad, x, geometry.kernel_size, *where),
                               depthwise.reference_backward_weight(grad, x, geometry.kernel_size, *where),
                               rtol=tolerance, atol=tolerance)


@given(geometry=geometries(max_channels=4))
def test_forward_is_the_definition(geometry):
    """y[n, c, oh, ow] = Σ_{i, j} W[c, 0, i, j] · x[n, c, oh·s − p + i·d, ow·s − p + j·d], summed by loops."""
    x = random_array(geometry.input_shape, np.float64)
    weight = _weight(geometry, np.float64)
    actual = depthwise.forward(x, weight, *geometry.args()[1:])
    (sh, sw), (top, left), (dh, dw), (oh_count, ow_count) = geometry.args()[1:]
    batch, channels, height, width = x.shape
    expected = np.zeros((batch, channels, oh_count, ow_count))
    for oh in range(oh_count):
        for ow in range(ow_count):
            for i in range(geometry.kernel_size[0]):
                for j in range(geometry.kernel_size[1]):
                    h, w = oh * sh - top + i * dh, ow * sw - left + j * dw
                    if 0 <= h < height and 0 <= w < width:
                        expected[:, :, oh, ow] += weight[:, 0, i, j] * x[:, :, h, w]
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


@given(geometry=geometries(max_channels=4))
def test_backward_input_is_the_adjoint_of_forward(geometry):
    """⟨forward(x), ȳ⟩ = ⟨x, backward_input(ȳ)⟩: the input gradient is the transposed operator."""
    x = random_array(geometry.input_shape, np.float64, seed=1)
    weight = _weight(geometry, np.float64)
    where = geometry.args()[1:]
    grad = random_array(depthwise.forward(x, weight, *where).shape, np.float64, seed=2)
    left = np.sum(depthwise.forward(x, weight, *where) * grad)
    right = np.sum(x * depthwise.backward_input(grad, weight, x.shape, *where))
    np.testing.assert_allclose(left, right, rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(channels=st.integers(2, 3), side=st.integers(3, 5), stride=st.integers(1, 2), padding=st.integers(0, 1),
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_depthwise_conv_op_gradcheck(channels, side, stride, padding, bias, seed):
    rng = np.random.default_rng(seed)
    x = tg.tensor(rng.normal(size=(2, channels, side, side)), requires_grad=True)
    weight = tg.tensor(rng.normal(size=(channels, 1, 3, 3)), requires_grad=True)
    b = tg.tensor(rng.normal(size=channels), requires_grad=True) if bias else None
    inputs = (x, weight, b) if bias else (x, weight)
    tg.gradcheck(lambda *a: F.conv2d(a[0], a[1], a[2] if bias else None, stride=stride, padding=padding,
                                     groups=channels), *inputs)


@pytest.mark.parametrize("kernels", ["numba", "numpy"])
def test_the_op_takes_the_depthwise_path_and_equals_the_grouped_im2col(kernels):
    """groups = C goes to kernels/depthwise.py; the result equals a convolution with the same filters laid out
    as a dense, block-diagonal weight (groups = 1), values and gradients."""
    rng = np.random.default_rng(0)
    values, w = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(3, 1, 3, 3))
    dense = np.zeros((3, 3, 3, 3))
    for c in range(3):
        dense[c, c] = w[c, 0]
    with dispatch.using(kernels):
        x1, w1 = tg.tensor(values, requires_grad=True), tg.tensor(w, requires_grad=True)
        out = F.conv2d(x1, w1, stride=2, padding=1, groups=3)
        out.sum().backward()
        x2, w2 = tg.tensor(values, requires_grad=True), tg.tensor(dense, requires_grad=True)
        ref = F.conv2d(x2, w2, stride=2, padding=1)
        ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x1.grad, x2.grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w1.grad[:, 0], np.stack([w2.grad[c, c] for c in range(3)]), rtol=1e-12, atol=1e-12)


def test_dispatch_picks_numba_or_the_reference():
    x = np.zeros((1, 2, 3, 3), dtype=np.float32)
    assert dispatch.depthwise(x) is depthwise.FAST
    assert dispatch.depthwise(x.astype(np.float16)) is depthwise.REFERENCE  # Numba has no float16
    with dispatch.using("numpy"):
        assert dispatch.depthwise(x) is depthwise.REFERENCE


@pytest.mark.torch
def test_depthwise_conv_matches_pytorch():
    torch = require_torch()
    rng = np.random.default_rng(1)
    values, w, b = rng.normal(size=(2, 4, 7, 7)), rng.normal(size=(4, 1, 3, 3)), rng.normal(size=4)
    grad = rng.normal(size=(2, 4, 4, 4))
    ours = [tg.tensor(a, requires_grad=True) for a in (values, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (values, w, b)]
    F.conv2d(*ours, stride=2, padding=1, groups=4).backward(grad)
    out = torch.nn.functional.conv2d(*theirs, stride=2, padding=1, groups=4)
    out.backward(torch.tensor(grad))
    np.testing.assert_allclose(F.conv2d(*[tg.tensor(a) for a in (values, w, b)], stride=2, padding=1,
                                        groups=4).data, out.detach().numpy(), rtol=1e-12, atol=1e-12)
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-11, atol=1e-12)

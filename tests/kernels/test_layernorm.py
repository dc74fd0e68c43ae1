"""The LayerNorm row kernels (kernels/layernorm.py) against their NumPy references, on hypothesis-drawn shapes
and values (float32: the kernels sum a row in another order than NumPy's pairwise mean, hence the tolerances)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu.kernels import dispatch, layernorm


@given(rows=st.integers(1, 300), features=st.integers(1, 200), affine=st.sampled_from(["both", "weight", "none"]),
       scale=st.sampled_from([1e-3, 1.0, 100.0]), seed=st.integers(0, 2**16))
@settings(max_examples=40, deadline=None)
def test_row_kernels_match_the_references(rows, features, affine, scale, seed):
    rng = np.random.default_rng(seed)
    x = (scale * rng.standard_normal((rows, features)) + rng.standard_normal()).astype(np.float32)
    weight = rng.standard_normal(features).astype(np.float32) if affine != "none" else None
    bias = rng.standard_normal(features).astype(np.float32) if affine == "both" else None
    grad = rng.standard_normal((rows, features)).astype(np.float32)
    got = layernorm.layer_norm_forward(x, weight, bias, 1e-5)
    expected = layernorm.layer_norm_forward_reference(x, weight, bias, (1,), 1e-5)
    for name, a, e in zip(("y", "x̂", "r"), got, expected, strict=True):
        np.testing.assert_allclose(a, e, rtol=2e-4, atol=2e-4, err_msg=name)
    grads = layernorm.layer_norm_backward(grad, *expected[1:], weight)
    grads_expected = layernorm.layer_norm_backward_reference(grad, *expected[1:], weight, (1,), (0,))
    for name, a, e in zip(("dx", "dγ", "dβ"), grads, grads_expected, strict=True):
        bound = 2e-4 * (1 + np.abs(e).max()) * (np.sqrt(rows) if name != "dx" else 1)
        np.testing.assert_allclose(a, e, rtol=2e-4, atol=bound, err_msg=name)


def test_dispatch_flattens_the_normalised_axes_and_keeps_small_arrays_on_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 64, 4, 16)).astype(np.float32)  # normalised over the last two axes
    weight, bias = rng.standard_normal((4, 16)).astype(np.float32), rng.standard_normal((4, 16)).astype(np.float32)
    assert x.size >= dispatch.LAYER_NORM_KERNEL_MIN_SIZE
    out, normalized, inv_std = dispatch.layer_norm_forward(x, weight, bias, 2, 1e-5)
    ref = layernorm.layer_norm_forward_reference(x, weight, bias, (2, 3), 1e-5)
    assert inv_std.shape == (8, 64, 1, 1) and out.shape == x.shape
    np.testing.assert_allclose(out, ref[0], rtol=1e-4, atol=1e-4)
    grad = rng.standard_normal(x.shape).astype(np.float32)
    got = dispatch.layer_norm_backward(grad, normalized, inv_std, weight, 2, (True, True, True))
    expected = layernorm.layer_norm_backward_reference(grad, *ref[1:], weight, (2, 3), (0, 1))
    for a, e in zip(got, expected, strict=True):
        assert a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-3)
    small = x[:1, :1]
    assert isinstance(dispatch.layer_norm_forward(small, None, None, 1, 1e-5)[0], np.ndarray)

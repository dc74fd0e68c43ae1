"""The GELU kernels (kernels/gelu.py) against their NumPy references, on hypothesis-drawn values.

The kernel's erf is a rational function (within 8 float32 units in the last place of the C library's), its
exponential attention.py's polynomial one: both agree with the references to float32 rounding. Special values:
±0, ±∞ (GELU(−∞) = −∞·0 is NaN in the reference too: we compare with ``equal_nan``), NaN, values beyond the
erf clamp.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu.kernels import dispatch, gelu

VALUES = st.floats(-12, 12, width=32, allow_nan=False)


FORMS = {  # (forward, its reference, backward, its reference)
    "none": (gelu.gelu_forward, gelu.gelu_forward_reference, gelu.gelu_backward, gelu.gelu_backward_reference),
    "tanh": (gelu.gelu_tanh_forward, gelu.gelu_tanh_forward_reference, gelu.gelu_tanh_backward,
             gelu.gelu_tanh_backward_reference),
}


@given(x=hnp.arrays(np.float32, st.integers(1, 20_000), elements=VALUES), seed=st.integers(0, 2**16),
       form=st.sampled_from(sorted(FORMS)))
@settings(max_examples=40, deadline=None)
def test_kernels_match_the_references(x, seed, form):
    """What the forward pass keeps (Φ within 3e-7, absolute; the tanh form's t within 6 ulp), the output
    (z·Φ(z) within 3e-7 |z|) and the gradient, for both forms (the tanh form's tanh is lstm.py's rational one)."""
    forward, forward_reference, backward, backward_reference = FORMS[form]
    grad = np.random.default_rng(seed).standard_normal(x.shape).astype(np.float32)
    (out, kept), (out_ref, kept_ref) = forward(x), forward_reference(x)
    size = np.maximum(1, np.abs(x))
    assert np.all(np.abs(kept - kept_ref) <= (3e-7 if form == "none" else 8e-7 * np.abs(kept_ref) + 1e-7))
    assert np.all(np.abs(out - out_ref) <= 1e-6 * np.abs(out_ref) + 4e-7 * size)
    result, expected = backward(grad, x, kept), backward_reference(grad, x, kept_ref)
    assert np.all(np.abs(result - expected) <= 2e-5 * np.abs(expected) + 1e-6 * size * np.abs(grad) + 1e-6)


def test_erf_is_accurate_over_float32s_range():
    """Φ(z) = ½ (1 + erf(z/√2)) on a fine grid of [−10, 10], against the C library's erf in float64."""
    x = np.linspace(-10, 10, 400_001, dtype=np.float32)
    _, cdf = gelu.gelu_forward(x)
    exact = np.array([0.5 * (1 + math.erf(float(v) / math.sqrt(2))) for v in x[::17]])
    assert np.max(np.abs(cdf[::17] - exact)) < 3e-7
    assert cdf[0] == 0 and cdf[-1] == 1 and cdf[200_000] == 0.5


def test_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5.0, -5.0, 100.0, -100.0], dtype=np.float32)
    out, cdf = gelu.gelu_forward(x)
    out_ref, cdf_ref = gelu.gelu_forward_reference(x)
    np.testing.assert_allclose(out, out_ref, rtol=1e-6, atol=2e-6, equal_nan=True)
    np.testing.assert_allclose(cdf, cdf_ref, rtol=1e-6, atol=3e-7, equal_nan=True)
    grad = np.ones_like(x)
    np.testing.assert_allclose(gelu.gelu_backward(grad, x, cdf), gelu.gelu_backward_reference(grad, x, cdf_ref),
                               rtol=1e-6, atol=1e-6, equal_nan=True)


def test_channels_last_layout_is_kept_and_strided_input_takes_the_reference():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8, 16, 32), dtype=np.float32).transpose(0, 3, 1, 2)  # dense, not C-ordered
    out, cdf = gelu.gelu_forward(x)
    assert out.strides == x.strides
    np.testing.assert_allclose(out, gelu.gelu_forward_reference(x)[0], rtol=1e-6, atol=5e-7)
    strided = rng.standard_normal((64, 64), dtype=np.float32)[:, ::2]
    np.testing.assert_allclose(gelu.gelu_forward(strided)[0], gelu.gelu_forward_reference(strided)[0], rtol=1e-6,
                               atol=5e-7)


def test_dispatch_sends_only_large_float32_arrays_to_the_kernel(monkeypatch):
    called = []
    monkeypatch.setattr(gelu, "gelu_forward", lambda x: called.append(x.size) or gelu.gelu_forward_reference(x))
    dispatch.gelu_forward(np.ones(dispatch.GELU_KERNEL_MIN_SIZE, np.float32))
    dispatch.gelu_forward(np.ones(dispatch.GELU_KERNEL_MIN_SIZE - 1, np.float32))
    dispatch.gelu_forward(np.ones(dispatch.GELU_KERNEL_MIN_SIZE, np.float64))
    assert called == [dispatch.GELU_KERNEL_MIN_SIZE]

"""The fused LSTM step kernels (kernels/lstm.py) against their NumPy twins, on hypothesis-drawn shapes and values.

float32 runs the vectorised tanh (from the polynomial exponential), float64 ``math.tanh``: both agree with the
twins to rounding. tests/nn/test_lstm.py checks the whole op (gradcheck, PyTorch, the per-step graph).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.kernels import lstm


def step_inputs(batch, hidden, dtype, seed, spread):
    rng = np.random.default_rng(seed)
    arrays = [(spread * rng.standard_normal(shape)).astype(dtype)
              for shape in ((batch, 4 * hidden), (batch, 4 * hidden), (batch, hidden), (batch, 2 * hidden),
                            (batch, hidden), (batch, hidden))]
    return arrays


@given(batch=st.integers(1, 5), hidden=st.integers(1, 40), dtype=st.sampled_from([np.float32, np.float64]),
       spread=st.sampled_from([0.1, 1.0, 4.0]), seed=st.integers(0, 2**16))
def test_step_kernels_match_their_numpy_twins(batch, hidden, dtype, spread, seed):
    recurrent, projected, c_previous, grad_out, grad_h, grad_c = step_inputs(batch, hidden, dtype, seed, spread)
    results = []
    for forward, backward in ((lstm.step_forward, lstm.step_backward),
                              (lstm.step_forward_reference, lstm.step_backward_reference)):
        gates = np.empty((batch, 4 * hidden), dtype)
        states = np.empty((batch, 2 * hidden), dtype)  # [h, c] side by side, as the op stores them
        tanh_c = np.empty((batch, hidden), dtype)
        forward(recurrent, projected, c_previous, gates, states[:, hidden:], states[:, :hidden], tanh_c)
        grad_z, carried = np.empty((batch, 4 * hidden), dtype), grad_c.copy()
        backward(grad_out, grad_h, carried, gates, c_previous, tanh_c, grad_z)
        results.append((gates, states, tanh_c, grad_z, carried))
    tolerance = 2e-6 if dtype == np.float32 else 1e-14
    for name, kernel, twin in zip(("gates", "states", "tanh_c", "grad_z", "grad_c"), *results, strict=True):
        np.testing.assert_allclose(kernel, twin, rtol=tolerance, atol=tolerance * max(1, spread), err_msg=name)


def test_float32_tanh_is_accurate():
    x = np.linspace(-20, 20, 400_001, dtype=np.float32)
    actual = x.copy()
    lstm._tanh_inplace(actual, np.empty_like(x), np.empty(x.size, np.int32), True)
    expected = np.tanh(x.astype(np.float64))
    np.testing.assert_allclose(actual, expected, rtol=5e-7, atol=1e-7)
    assert actual[0] == -1 and actual[-1] == 1 and actual[200_000] == 0

"""The fused LSTM step kernels (kernels/lstm.py) against their NumPy twins, on hypothesis-drawn shapes and values.

float32 runs the vectorised tanh (from the polynomial exponential), float64 ``math.tanh``: both agree with the
twins to rounding. tests/nn/test_lstm.py checks the whole op (gradcheck, PyTorch, the per-step graph).
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.kernels import dispatch, lstm


def step_inputs(batch, hidden, dtype, seed, spread):
    rng = np.random.default_rng(seed)
    arrays = [(spread * rng.standard_normal(shape)).astype(dtype)
              for shape in ((batch, 4 * hidden), (batch, 4 * hidden), (batch, 2 * hidden), (batch, 2 * hidden),
                            (batch, hidden), (batch, hidden))]
    return arrays


@given(batch=st.integers(1, 5), hidden=st.integers(1, 40), dtype=st.sampled_from([np.float32, np.float64]),
       spread=st.sampled_from([0.1, 1.0, 4.0]), seed=st.integers(0, 2**16))
def test_step_kernels_match_their_numpy_twins(batch, hidden, dtype, spread, seed):
    recurrent, projected, previous, grad_out, grad_h, grad_c = step_inputs(batch, hidden, dtype, seed, spread)
    results = []
    for forward, backward in ((lstm.step_forward, lstm.step_backward),
                              (lstm.step_forward_reference, lstm.step_backward_reference)):
        gates = np.empty((batch, 4 * hidden), dtype)
        current = np.empty((batch, 2 * hidden), dtype)  # [h, c] side by side, as the op stores them
        tanh_c = np.empty((batch, hidden), dtype)
        forward(recurrent, projected, previous, gates, current, tanh_c)
        grad_z, carried = np.empty((batch, 4 * hidden), dtype), grad_c.copy()
        backward(grad_out, grad_h, carried, gates, previous, tanh_c, grad_z)
        results.append((gates, current, tanh_c, grad_z, carried))
    tolerance = 2e-6 if dtype == np.float32 else 1e-14
    for name, kernel, twin in zip(("gates", "states", "tanh_c", "grad_z", "grad_c"), *results, strict=True):
        np.testing.assert_allclose(kernel, twin, rtol=tolerance, atol=tolerance * max(1, spread), err_msg=name)


def test_float32_tanh_is_accurate():
    x = np.linspace(-20, 20, 400_001, dtype=np.float32)
    actual = x.copy()
    lstm._tanh_inplace(actual, True)
    expected = np.tanh(x.astype(np.float64))
    np.testing.assert_allclose(actual, expected, rtol=5e-7, atol=1e-7)
    assert actual[0] == -1 and actual[-1] == 1 and actual[200_000] == 0


@contextmanager
def loop_choice(use_loops, split):
    """The op with or without the whole-loop kernels, its rows in one block or shared out in two (as on two
    threads, whatever the problem's size)."""
    original = dispatch.lstm_loops
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dispatch, "lstm_loops", original if use_loops else (lambda array: None))
        if split:
            patch.setattr(dispatch, "row_blocks", lambda array, rows, work_per_row=1:
                          [(0, rows // 2), (rows // 2, rows)] if rows > 1 else [(0, rows)])
        yield


@pytest.mark.skipif(not lstm.loops_available(np.zeros(1, np.float32)),
                    reason="NumPy's BLAS is not an OpenBLAS with a 64-bit cblas_sgemm: the LSTM keeps its Python loop")
@given(steps=st.integers(1, 6), batch=st.integers(1, 7), hidden=st.integers(1, 24), seed=st.integers(0, 2**16),
       split=st.booleans(), biases=st.booleans(), x_grad=st.booleans())
@settings(max_examples=25, deadline=None)
def test_whole_loop_kernels_equal_the_python_loop(steps, batch, hidden, seed, split, biases, x_grad):
    """The op with forward_loops/backward_loops (sgemm called from the kernel, rows shared out between threads; the
    input's projection and its gradient inside the loops) gives the numbers of its Python loop (NumPy's products,
    then the step kernel) to rounding: the products are the same BLAS routine, their operands grouped otherwise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, batch, 3)).astype(np.float32)
    h0, c0 = (rng.standard_normal((batch, hidden)).astype(np.float32) for _ in range(2))
    w_ih = (0.5 * rng.standard_normal((4 * hidden, 3))).astype(np.float32)
    w_hh = (0.5 * rng.standard_normal((4 * hidden, hidden))).astype(np.float32)
    bias = [rng.standard_normal(4 * hidden).astype(np.float32) for _ in range(2)] if biases else []
    seed_grad = rng.standard_normal((steps, batch, 2 * hidden)).astype(np.float32)
    results = []
    for loops in (True, False):
        with loop_choice(loops, split):
            inputs = [tg.tensor(a, requires_grad=k > 0 or x_grad) for k, a in enumerate((x, h0, c0, w_ih, w_hh, *bias))]
            out = ops.LSTMSequence.apply(*inputs)
            out.backward(seed_grad)
            results.append([out.numpy()] + [t.grad.numpy() if t.requires_grad else 0 for t in inputs])
    names = ("out", "x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh")[:len(results[0])]
    for name, with_loops, python_loop in zip(names, *results, strict=True):
        np.testing.assert_allclose(with_loops, python_loop, rtol=1e-5, atol=1e-5, err_msg=name)

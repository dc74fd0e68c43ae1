"""The short path and the flash kernel against the matrix-product reference (kernels/attention.py).

All compute the same formulas; they sum in different orders, so float32 results agree to rounding (1e-5).
Shapes, masks and dropout masks are drawn by hypothesis; the flash NumPy twin runs with tiny tiles so that its
online softmax crosses many tiles, the Numba kernel on one case longer than its key tile and query block.
(float64 inputs take the reference path, see ``kernels.dispatch.attention_path``; compiling the kernels for them
too would only lengthen the test run.)
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu.kernels import attention as kernel


@st.composite
def attention_case(draw, with_mask: bool = True):
    """Shapes (batch, heads, Lq, Lk, d, dᵥ), causal flag, an optional mask layout and an optional dropout mask."""
    batch, heads = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    lq, lk = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    d, dv = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    causal = draw(st.booleans())
    mask = draw(st.sampled_from(["none", "padding", "full", "2d", "heads only", "float"]) if with_mask
                else st.just("none"))
    dropout = draw(st.booleans()) if with_mask else False
    seed = draw(st.integers(0, 2**16))
    return batch, heads, lq, lk, d, dv, causal, mask, dropout, seed


def make_inputs(case, dtype=np.float32):
    batch, heads, lq, lk, d, dv, causal, mask, dropout, seed = case
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((batch, heads, lq, d)).astype(dtype)
    k = rng.standard_normal((batch, heads, lk, d)).astype(dtype)
    v = rng.standard_normal((batch, heads, lk, dv)).astype(dtype)
    grad_out = rng.standard_normal((batch, heads, lq, dv)).astype(dtype)
    minus_inf = np.array(-np.inf, dtype=dtype)
    layouts = {  # every layout the kernel handles: compact along leading axes, or expanded
        "none": None,
        "padding": np.where(rng.random((batch, 1, 1, lk)) < 0.3, minus_inf, 0).astype(dtype),
        "full": np.where(rng.random((batch, heads, lq, lk)) < 0.3, minus_inf, 0).astype(dtype),
        "2d": np.where(rng.random((lq, lk)) < 0.3, minus_inf, 0).astype(dtype),
        "heads only": rng.standard_normal((heads, 1, lk)).astype(dtype),  # (1, h, 1, Lk): not a prefix layout
        "float": rng.standard_normal((batch, 1, lq, lk)).astype(dtype),
    }
    keep = None
    if dropout:
        keep = ((rng.random((batch, heads, lq, lk)) >= 0.25) / 0.75).astype(dtype)
    return q, k, v, grad_out, layouts[mask], causal, keep


def both_paths(q, k, v, grad_out, bias, causal, keep):
    """(reference, short path, flash kernel, flash NumPy twin): each (O, dQ, dK, dV), and P or L as a fifth."""
    out_ref, probs_ref = kernel.attention_forward_reference(q, k, v, bias, causal, keep=keep)
    grads_ref = kernel.attention_backward_reference(grad_out, q, k, v, probs_ref, keep=keep)[:3]
    out, probs = kernel.attention_forward(q, k, v, bias, causal, keep=keep)
    grads = kernel.attention_backward(grad_out, q, k, v, probs, out, causal, keep=keep)
    out_flash, lse = kernel.flash_attention_forward(q, k, v, bias, causal, keep=keep)
    grads_flash = kernel.flash_attention_backward(grad_out, q, k, v, out_flash, lse, bias, causal, keep=keep)
    out_twin, lse_twin = kernel.flash_attention_forward_reference(q, k, v, bias, causal, keep=keep, tile=2)
    grads_twin = kernel.flash_attention_backward_reference(grad_out, q, k, v, out_twin, lse_twin, bias, causal,
                                                          keep=keep, tile=3)
    return ((out_ref, *grads_ref, probs_ref), (out, *grads, probs), (out_flash, *grads_flash, lse),
            (out_twin, *grads_twin, lse_twin))


def assert_paths_agree(case_inputs):
    reference, short, flash, twin = both_paths(*case_inputs)
    for path, results in (("short", short), ("flash", flash), ("flash twin", twin)):
        for name, e, a in zip(("out", "dq", "dk", "dv"), reference, results, strict=False):
            assert a.dtype == np.float32
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5, err_msg=f"{path} {name}")
    np.testing.assert_allclose(short[4], reference[4], rtol=1e-5, atol=1e-5, err_msg="short P")
    np.testing.assert_allclose(flash[4], twin[4], rtol=1e-5, atol=1e-5, err_msg="flash L")


@given(attention_case())
def test_kernels_match_reference_float32(case):
    assert_paths_agree(make_inputs(case))


def test_flash_kernel_across_tiles_and_query_blocks():
    """Longer than one key tile and one query block of the Numba kernel, causal, masked and with dropout."""
    for causal, mask, dropout in ((True, "padding", True), (False, "float", False)):
        case = (1, 2, kernel.QUERY_BLOCK + 9, 2 * kernel.KEY_TILE + 5, 4, 3, causal, mask, dropout, 7)
        assert_paths_agree(make_inputs(case))


def test_flash_log_sum_exp_is_the_softmax_normaliser():
    """L = log Σ_j e^{S_ij}, so P = e^{S − L} sums to 1 along the keys; −∞ for a query that sees no key."""
    q, k, v, _, bias, _, _ = make_inputs((2, 1, 5, 6, 3, 2, False, "none", False, 3))
    bias = np.zeros((5, 6), np.float32)
    bias[2] = -np.inf
    _, lse = kernel.flash_attention_forward(q, k, v, bias)
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(3) + bias
    with np.errstate(divide="ignore"):
        expected = np.log(np.exp(scores.astype(np.float64)).sum(-1))
    np.testing.assert_allclose(lse, expected, rtol=1e-5)
    assert np.all(lse[..., 2] == -np.inf)


def test_causal_rows_see_only_the_past():
    q = k = v = np.random.default_rng(0).standard_normal((1, 2, 6, 4)).astype(np.float32)
    _, probs = kernel.attention_forward(q, k, v, causal=True)
    assert np.all(probs[..., np.triu_indices(6, 1)[0], np.triu_indices(6, 1)[1]] == 0)
    np.testing.assert_allclose(probs.sum(-1), 1, rtol=1e-6)


def test_fully_masked_row_gives_zeros_and_no_gradient():
    """A query that may see no key: P = 0 and O = 0 (PyTorch's scaled_dot_product_attention), never nan."""
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((1, 1, 3, 4)).astype(np.float32) for _ in range(3))
    bias = np.zeros((3, 3), dtype=np.float32)
    bias[1] = -np.inf
    for forward in (kernel.attention_forward, kernel.attention_forward_reference):
        out, probs = forward(q, k, v, bias)
        assert np.all(out[0, 0, 1] == 0) and np.all(probs[0, 0, 1] == 0)
        assert np.isfinite(out).all()
    grad_q, _, _ = kernel.attention_backward(np.ones_like(out), q, k, v, probs, out)
    assert np.all(grad_q[0, 0, 1] == 0)
    out, lse = kernel.flash_attention_forward(q, k, v, bias)
    assert np.all(out[0, 0, 1] == 0) and np.isfinite(out).all()
    grad_q, _, _ = kernel.flash_attention_backward(np.ones_like(out), q, k, v, out, lse, bias)
    assert np.all(grad_q[0, 0, 1] == 0) and np.isfinite(grad_q).all()


def test_vectorised_exp_is_accurate_over_float32_range():
    x = np.linspace(-100, 0, 200_001, dtype=np.float32)
    expected = np.exp(x.astype(np.float64))
    actual = x.copy()
    kernel._exp_nonpositive_float32(actual, np.empty(x.size, dtype=np.int32))
    normal = x >= -87.3  # below, eˣ is under float32's normal range and the kernel returns 0
    np.testing.assert_allclose(actual[normal], expected[normal], rtol=4e-7)  # a few float32 ulp
    assert np.all(actual[~normal] == 0)
    edge = np.array([-np.inf, 0.0], dtype=np.float32)
    kernel._exp_nonpositive_float32(edge, np.empty(2, dtype=np.int32))
    assert edge.tolist() == [0.0, 1.0]


def test_mismatched_shapes_are_refused():
    q = np.zeros((2, 3, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="same leading axes"):
        kernel.attention_forward(q, np.zeros((1, 3, 4), np.float32), np.zeros((1, 3, 4), np.float32))
    with pytest.raises(ValueError, match="same last axis"):
        kernel.attention_forward(q, np.zeros((2, 3, 5), np.float32), np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match="same leading axes"):
        kernel.flash_attention_forward(q, np.zeros((1, 3, 4), np.float32), np.zeros((1, 3, 4), np.float32))


@given(attention_case(), st.booleans())
def test_short_path_in_head_groups_and_thread_blocks(case, many_threads):
    """One head per group (``_head_groups``) and, when asked, heads shared out over threads at any boundary: each
    group must find its own rows of a compacted mask (the ``first`` offset of the softmax passes)."""
    from tinygrad_edu.kernels import threads

    group_scores, min_work = kernel.GROUP_SCORES, threads.MIN_BLOCK_WORK
    kernel.GROUP_SCORES = 1
    threads.MIN_BLOCK_WORK = 1 if many_threads else min_work
    try:
        q, k, v, grad_out, bias, causal, keep = make_inputs(case)
        reference, short, _, _ = both_paths(q, k, v, grad_out, bias, causal, keep)
    finally:
        kernel.GROUP_SCORES, threads.MIN_BLOCK_WORK = group_scores, min_work
    for name, e, a in zip(("out", "dq", "dk", "dv", "P"), reference, short, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5, err_msg=name)


@given(st.lists(st.floats(width=32, allow_nan=False), min_size=1, max_size=40))
def test_vectorised_row_max_is_the_maximum(values):
    """``_row_max`` compares float32 bit patterns as integers: it must agree with np.max on every float,
    ±∞, ±0 and subnormals included."""
    row = np.array(values, dtype=np.float32)
    assert kernel._row_max(row) == row.max()


@given(attention_case())
@settings(max_examples=20, deadline=None)
def test_short_backward_without_the_output_computes_d_itself(case):
    """Without O the short path's backward takes D = rowsum(dP ⊙ M ⊙ P) from P: the same gradients."""
    q, k, v, grad_out, bias, causal, keep = make_inputs(case)
    out, probs = kernel.attention_forward(q, k, v, bias, causal, keep=keep)
    with_out = kernel.attention_backward(grad_out, q, k, v, probs, out, causal, keep=keep)
    without = kernel.attention_backward(grad_out, q, k, v, probs, None, causal, keep=keep)
    for name, e, a in zip(("dq", "dk", "dv"), with_out, without, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5, err_msg=name)

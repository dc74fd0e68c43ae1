"""scaled_dot_product_attention and MultiHeadAttention: gradients, PyTorch's numbers and mask conventions, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch
from tinygrad_edu import nn, ops
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.kernels import dispatch
from tinygrad_edu.nn import functional as F


def normal(rng, *shape, dtype=np.float64):
    return rng.normal(size=shape).astype(dtype)


# ------------------------------------------------------------------------------ scaled_dot_product_attention


@given(lead=st.sampled_from([(1,), (2,), (2, 2)]), lq=st.integers(1, 4), lk=st.integers(1, 4), d=st.integers(1, 3),
       dv=st.integers(1, 3), mask=st.sampled_from(["none", "causal", "bool", "float"]), seed=st.integers(0, 999))
def test_sdpa_gradcheck(lead, lq, lk, d, dv, mask, seed):
    rng = np.random.default_rng(seed)
    q = tg.tensor(normal(rng, *lead, lq, d), requires_grad=True)
    k = tg.tensor(normal(rng, *lead, lk, d), requires_grad=True)
    v = tg.tensor(normal(rng, *lead, lk, dv), requires_grad=True)
    if mask == "float":  # an additive mask that requires grad gets one
        bias = tg.tensor(normal(rng, lq, lk), requires_grad=True)
        tg.gradcheck(lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, attn_mask=b, scale=0.7), q, k, v, bias)
        return
    allowed = rng.random((lq, lk)) < 0.7
    allowed[:, 0] = True  # every query sees at least one key (else its output is the constant 0)
    options = {"none": {}, "causal": {"is_causal": True}, "bool": {"attn_mask": allowed}}[mask]
    tg.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **options), q, k, v)


def test_sdpa_op_gradcheck_with_a_fixed_dropout_mask():
    """With the dropout mask M fixed, O = (P ⊙ M) V is a function to differentiate like any other. (float64 runs
    the reference; tests/kernels/test_attention.py checks the kernel against it, dropout masks included.)"""
    rng = np.random.default_rng(3)
    q, k, v = (tg.tensor(normal(rng, 2, 3, 2), requires_grad=True) for _ in range(3))
    keep = (rng.random((2, 3, 3)) > 0.3) / 0.7
    tg.gradcheck(lambda q, k, v: ops.ScaledDotProductAttention.apply(q, k, v, keep=keep, causal=True,
                                                                     use_kernel=False), q, k, v)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask", ["none", "causal", "bool", "float", "padding"])
def test_sdpa_matches_pytorch(mask, dtype):
    torch = require_torch()
    rng = np.random.default_rng(0)
    q, k, v = normal(rng, 2, 3, 6, 8, dtype=dtype), normal(rng, 2, 3, 7, 8, dtype=dtype), normal(rng, 2, 3, 7, 5,
                                                                                               dtype=dtype)
    padding = np.ones((2, 1, 1, 7), dtype=bool)
    padding[0, ..., 5:] = False
    masks = {"none": {}, "causal": {"is_causal": True}, "bool": {"attn_mask": rng.random((6, 7)) < 0.8},
             "float": {"attn_mask": normal(rng, 2, 1, 6, 7, dtype=dtype)}, "padding": {"attn_mask": padding}}[mask]
    ours = [tg.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out_ours = F.scaled_dot_product_attention(*ours, **masks, scale=0.3)
    out_theirs = torch.nn.functional.scaled_dot_product_attention(
        *theirs, **{key: torch.tensor(m) if isinstance(m, np.ndarray) else m for key, m in masks.items()}, scale=0.3)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    assert_close(out_ours, out_theirs, rtol=tolerance, atol=tolerance)
    grad = normal(rng, *out_ours.shape, dtype=dtype)
    out_ours.backward(grad)
    out_theirs.backward(torch.tensor(grad))
    for a, b in zip(ours, theirs, strict=True):
        assert_close(a.grad, b.grad, rtol=10 * tolerance, atol=10 * tolerance)


def test_sdpa_paths_agree_through_the_op():
    rng = np.random.default_rng(1)
    arrays = [normal(rng, 2, 4, 9, 8, dtype=np.float32) for _ in range(3)]
    bias = np.where(rng.random((2, 1, 1, 9)) < 0.3, -np.inf, 0).astype(np.float32)
    results = []
    for path in ("flash", "short", "reference"):
        inputs = [tg.tensor(a, requires_grad=True) for a in arrays]
        out = ops.ScaledDotProductAttention.apply(*inputs, bias, causal=True, path=path)
        out.backward(np.ones(out.shape, dtype=np.float32))
        results.append([out.numpy()] + [t.grad for t in inputs])
    for path_results in results[:2]:
        for result, reference_result in zip(path_results, results[2], strict=True):
            np.testing.assert_allclose(result, reference_result, rtol=1e-5, atol=1e-5)


def test_sdpa_fully_masked_query_gives_zeros_as_pytorch():
    q = tg.randn(1, 3, 4)
    allowed = np.array([[True, False, True], [False, False, False], [True, True, True]])
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=allowed).numpy()
    assert np.all(out[0, 1] == 0) and np.isfinite(out).all()


def test_sdpa_dropout_keeps_the_expectation():
    rng = np.random.default_rng(2)
    q, k, v = (tg.tensor(normal(rng, 1, 4, 3, dtype=np.float32)) for _ in range(3))
    plain = F.scaled_dot_product_attention(q, k, v).numpy()
    draws = np.mean([F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy() for _ in range(2000)], axis=0)
    assert not np.allclose(F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy(), plain)
    np.testing.assert_allclose(draws, plain, atol=0.1)


def test_sdpa_errors():
    q, k = tg.randn(2, 5, 4), tg.randn(2, 6, 4)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(5, 5\) does not broadcast .* \(2, 5, 6\)"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=np.ones((5, 5), dtype=bool))
    with pytest.raises(ValueError, match="same feature size"):
        F.scaled_dot_product_attention(q, tg.randn(2, 6, 3), k)
    with pytest.raises(ValueError, match="same number of positions"):
        F.scaled_dot_product_attention(q, k, tg.randn(2, 5, 4))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=np.ones((5, 6), dtype=bool), is_causal=True)


# ------------------------------------------------------------------------------------ MultiHeadAttention


def test_mask_trap_is_stated_in_both_docstrings():
    assert "True = this query may attend" in F.scaled_dot_product_attention.__doc__.replace("**", "")
    assert "True = masked out" in nn.MultiHeadAttention.__doc__.replace("**", "")


def torch_twin(torch, ours: nn.MultiHeadAttention, rng, batch_first=True):
    """PyTorch's MultiheadAttention with our weights: its in_proj_weight is [W_Q; W_K; W_V] stacked."""
    theirs = torch.nn.MultiheadAttention(ours.embed_dim, ours.num_heads, batch_first=batch_first)
    for proj in (ours.q_proj, ours.k_proj, ours.v_proj, ours.out_proj):
        proj.bias.data[...] = rng.normal(size=proj.bias.shape)  # zero at initialisation: make them count
    stack = np.concatenate
    theirs.load_state_dict({
        "in_proj_weight": torch.tensor(stack([p.weight.numpy() for p in (ours.q_proj, ours.k_proj, ours.v_proj)])),
        "in_proj_bias": torch.tensor(stack([p.bias.numpy() for p in (ours.q_proj, ours.k_proj, ours.v_proj)])),
        "out_proj.weight": torch.tensor(ours.out_proj.weight.numpy()),
        "out_proj.bias": torch.tensor(ours.out_proj.bias.numpy()),
    })
    return theirs


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("masks", ["none", "padding", "causal bool", "padding and float", "per head"])
def test_multi_head_attention_matches_pytorch(masks, need_weights):
    torch = require_torch()
    rng = np.random.default_rng(0)
    ours = nn.MultiHeadAttention(12, 3)
    theirs = torch_twin(torch, ours, rng)
    batch, lq, lk = 2, 5, 6
    query, memory = normal(rng, batch, lq, 12, dtype=np.float32), normal(rng, batch, lk, 12, dtype=np.float32)
    padding = np.zeros((batch, lk), dtype=bool)
    padding[0, 4:] = True  # True = padding, ignored (this layer's convention)
    causal = np.triu(np.ones((lq, lk), dtype=bool), 1)  # True = may not attend
    kwargs = {"none": {}, "padding": {"key_padding_mask": padding}, "causal bool": {"attn_mask": causal},
              "padding and float": {"key_padding_mask": padding, "attn_mask": normal(rng, lq, lk, dtype=np.float32)},
              "per head": {"attn_mask": rng.random((batch * 3, lq, lk)) < 0.3}}[masks]
    if masks == "per head":
        kwargs["attn_mask"][..., 0] = False  # no query without keys (PyTorch gives nan there)
    x_ours = [tg.tensor(a, requires_grad=True) for a in (query, memory)]
    x_theirs = [torch.tensor(a, requires_grad=True) for a in (query, memory)]
    out_ours, w_ours = ours(x_ours[0], x_ours[1], x_ours[1], need_weights=need_weights, **kwargs)
    out_theirs, w_theirs = theirs(x_theirs[0], x_theirs[1], x_theirs[1], need_weights=need_weights,
                                  **{key: torch.tensor(m) for key, m in kwargs.items()})
    assert_close(out_ours, out_theirs, rtol=1e-5, atol=1e-5)
    if need_weights:
        assert_close(w_ours, w_theirs, rtol=1e-5, atol=1e-6)
    else:
        assert w_ours is None and w_theirs is None
    grad = normal(rng, *out_ours.shape, dtype=np.float32)
    out_ours.backward(grad)
    out_theirs.backward(torch.tensor(grad))
    for a, b in zip(x_ours, x_theirs, strict=True):
        assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)
    assert_close(ours.out_proj.weight.grad, theirs.out_proj.weight.grad, rtol=1e-4, atol=1e-5)
    in_proj_grad = np.concatenate([p.weight.grad for p in (ours.q_proj, ours.k_proj, ours.v_proj)])
    assert_close(in_proj_grad, theirs.in_proj_weight.grad, rtol=1e-4, atol=1e-5)


def test_multi_head_attention_per_head_weights_and_sequence_first_layout():
    torch = require_torch()
    rng = np.random.default_rng(4)
    ours = nn.MultiHeadAttention(8, 2, batch_first=False)
    theirs = torch_twin(torch, ours, rng, batch_first=False)
    x = normal(rng, 5, 3, 8, dtype=np.float32)  # (seq, batch, embed)
    out_ours, w_ours = ours(tg.tensor(x), tg.tensor(x), tg.tensor(x), average_attn_weights=False)
    out_theirs, w_theirs = theirs(*(torch.tensor(x),) * 3, average_attn_weights=False)
    assert_close(out_ours, out_theirs, rtol=1e-5, atol=1e-5)
    assert w_ours.shape == (3, 2, 5, 5)
    assert_close(w_ours, w_theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@given(need_weights=st.booleans(), causal=st.booleans(), seed=st.integers(0, 99))
def test_multi_head_attention_gradcheck(need_weights, causal, seed):
    rng = np.random.default_rng(seed)
    layer = nn.MultiHeadAttention(4, 2, kdim=3, vdim=2)
    for param in layer.parameters():
        param.data[...] = rng.normal(size=param.shape) * 0.5
    padding = np.array([[False, False, True], [False, False, False]])

    class Wrapped(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = layer

        def forward(self, query, key, value):
            return self.attn(query, key, value, key_padding_mask=padding, need_weights=need_weights,
                             is_causal=causal)[0]

    inputs = [tg.tensor(normal(rng, 2, n, dim), requires_grad=True) for n, dim in ((3, 4), (3, 3), (3, 2))]
    gradcheck(Wrapped(), *inputs, params=True)


def test_initialisation_follows_pytorch():
    tg.manual_seed(0)
    layer = nn.MultiHeadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))  # Glorot over the stacked (3·64, 64) in_proj_weight
    for proj in (layer.q_proj, layer.k_proj, layer.v_proj):
        assert np.abs(proj.weight.numpy()).max() <= bound and np.abs(proj.weight.numpy()).max() > 0.9 * bound
        assert np.all(proj.bias.numpy() == 0)
    assert np.all(layer.out_proj.bias.numpy() == 0)


def test_multi_head_attention_errors():
    with pytest.raises(ValueError, match="embed_dim=10 is not divisible by num_heads=4"):
        nn.MultiHeadAttention(10, 4)
    layer = nn.MultiHeadAttention(8, 2)
    x = tg.randn(2, 5, 8)
    with pytest.raises(ValueError, match=r"query of shape \(2, 5, 7\): its last axis must be 8"):
        layer(tg.randn(2, 5, 7), x, x)
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(2, 4\), expected .* \(2, 5\)"):
        layer(x, x, x, key_padding_mask=np.zeros((2, 4), dtype=bool))
    with pytest.raises(ValueError, match=r"attn_mask has shape \(5, 4\)"):
        layer(x, x, x, attn_mask=np.zeros((5, 4), dtype=bool))


def test_path_selection():
    """float64 and a bias needing a gradient take the reference, short float32 sequences the short path, long ones
    the flash kernel; the switch forces NumPy."""
    long, short = np.zeros((1, 2, 1024, 8), np.float32), np.zeros((8, 4, 128, 32), np.float32)
    assert dispatch.attention_path(long.astype(np.float64), long.astype(np.float64)) == "reference"
    assert dispatch.attention_path(short, short) == "short"
    assert dispatch.attention_path(long, long) == "flash"
    assert dispatch.attention_path(long, long, bias_needs_grad=True) == "reference"
    with dispatch.using("numpy"):
        assert dispatch.attention_path(long, long) == "reference"

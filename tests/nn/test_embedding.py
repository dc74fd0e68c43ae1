"""Embedding: look-up, scatter-add backward, padding_idx, PyTorch's initialisation and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch
from tinygrad_edu import nn
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F


@given(num=st.integers(2, 5), dim=st.integers(1, 4), index_shape=st.sampled_from([(3,), (2, 3), (1, 2, 2)]),
       padding=st.booleans(), seed=st.integers(0, 1000))
def test_embedding_gradcheck(num, dim, index_shape, padding, seed):
    """Indices repeat (a table of ≤ 5 rows, up to 6 look-ups): the scatter must add, not overwrite. (The padding
    row 0 is left out of the look-ups: by design it gets no gradient, which is not the derivative.)"""
    indices = np.random.default_rng(seed).integers(1 if padding else 0, num, index_shape)
    layer = nn.Embedding(num, dim, padding_idx=0 if padding else None)

    class LookUp(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = layer

        def forward(self):
            return self.table(indices)

    gradcheck(LookUp(), params=True)


def test_repeated_tokens_add_their_gradients_and_padding_gets_none():
    layer = nn.Embedding(4, 2, padding_idx=3)
    out = layer(tg.tensor([[1, 1, 3], [2, 1, 3]]))
    out.backward(np.ones(out.shape, dtype=np.float32))
    np.testing.assert_array_equal(layer.weight.grad, [[0, 0], [3, 3], [1, 1], [0, 0]])


def test_matches_pytorch_forward_and_gradients():
    torch = require_torch()
    theirs = torch.nn.Embedding(10, 3, padding_idx=2)
    ours = nn.Embedding(10, 3, padding_idx=2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    indices = np.random.default_rng(0).integers(0, 10, (4, 7))
    out_ours, out_theirs = ours(indices), theirs(torch.tensor(indices))
    assert_close(out_ours, out_theirs)
    grad = np.random.default_rng(1).normal(size=out_ours.shape).astype(np.float32)
    out_ours.backward(grad)
    out_theirs.backward(torch.tensor(grad))
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-5, atol=1e-6)


def test_initialisation_is_standard_normal_with_a_zero_padding_row():
    tg.manual_seed(5)
    layer = nn.Embedding(400, 50, padding_idx=-1)
    assert layer.padding_idx == 399
    assert np.all(layer.weight.numpy()[399] == 0)
    values = layer.weight.numpy()[:399]
    assert abs(values.mean()) < 0.02 and abs(values.std() - 1) < 0.02
    tg.manual_seed(5)
    expected = tg.backend.generator().normal(0, 1, (400, 50)).astype(np.float32)
    np.testing.assert_array_equal(values, expected[:399])


def test_functional_embedding_and_from_pretrained():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_array_equal(F.embedding(tg.tensor([3, 0]), tg.tensor(table)).numpy(), table[[3, 0]])
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(tg.tensor([[1]])).numpy(), table[[[1]]])


def test_out_of_range_index_names_the_index_and_the_table_size():
    layer = nn.Embedding(10, 4)
    with pytest.raises(IndexError, match=r"index 12 is out of range; the table has 10 rows"):
        layer(tg.tensor([[1, 12, 3]]))
    with pytest.raises(IndexError, match=r"index -1 is out of range"):
        layer(tg.tensor([-1]))
    with pytest.raises(tg.OpError, match="integer token indices"):
        layer(tg.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="padding_idx=10"):
        nn.Embedding(10, 4, padding_idx=10)

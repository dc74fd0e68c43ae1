"""Second derivatives (create_graph) through the ops of groups 8-10 that declare ``differentiable_backward``:
``gradgradcheck`` against finite differences of the first derivative, hypothesis-drawn, float64."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests.strategies import away_from
from tinygrad_edu.gradcheck import gradgradcheck

CASES = {
    "silu": (F.silu, [(2, 3)]),
    "elu": (F.elu, [(2, 3)]),
    "softplus": (F.softplus, [(2, 3)]),
    "mish": (F.mish, [(2, 3)]),
    "softsign": (F.softsign, [(2, 3)]),
    "logsigmoid": (F.logsigmoid, [(2, 3)]),
    "hardswish": (F.hardswish, [(2, 3)]),
    "einsum_matmul": (lambda a, b: tg.einsum("ij,jk->ik", a, b), [(2, 3), (3, 2)]),
    "einsum_diagonal": (lambda a: tg.einsum("ii->i", a) ** 2, [(3, 3)]),
    "einsum_summed_axis": (lambda a, b: tg.einsum("ij,j->", a, b), [(2, 3), (3,)]),
    "norm_2": (lambda a: tg.norm(a, dim=1), [(2, 3)]),
    "norm_3": (lambda a: tg.norm(a, p=3, dim=1), [(2, 3)]),
    "trace": (lambda a: tg.trace(a * a), [(3, 3)]),
    "interpolate_bilinear": (lambda a: F.interpolate(a * a, size=(3, 4), mode="bilinear"), [(1, 1, 2, 3)]),
    "group_norm": (lambda a: F.group_norm(a, 2), [(2, 4, 3)]),
}


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=5)
@given(data=st.data())
def test_gradgradcheck(name, data):
    fn, shapes = CASES[name]
    arrays = [data.draw(away_from(s, (0.0, -3.0, 3.0), margin=0.2)) for s in shapes]
    gradgradcheck(fn, *[tg.tensor(a, requires_grad=True) for a in arrays])

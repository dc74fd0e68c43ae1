"""ops/logic.py: masks, comparisons, bitwise and logical ops, closeness — gradchecks of the masking ops, PyTorch's
values, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch
from tests.strategies import shapes, values


def _tensor(array):
    return tg.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


@settings(max_examples=15)
@given(data=st.data())
def test_masked_fill_gradcheck_in_input_and_value(data):
    shape = data.draw(shapes())
    x = data.draw(values(shape))
    mask = data.draw(hnp.arrays(np.bool_, shape[data.draw(st.integers(0, len(shape))):]))
    tg.gradcheck(lambda t, v: t.masked_fill(tg.tensor(mask), v), _tensor(x), _tensor(0.5))
    tg.gradcheck(lambda t: tg.masked_fill(t, tg.tensor(mask), -1.0), _tensor(x))


@settings(max_examples=15)
@given(data=st.data())
def test_masked_select_tril_triu_gradcheck(data):
    shape = data.draw(shapes(min_dims=2))
    x = data.draw(values(shape))
    mask = data.draw(hnp.arrays(np.bool_, shape[-1:]))
    diagonal = data.draw(st.integers(-2, 2))
    tg.gradcheck(lambda t: tg.masked_select(t, tg.tensor(mask)), _tensor(x))
    tg.gradcheck(lambda t: tg.tril(t, diagonal), _tensor(x))
    tg.gradcheck(lambda t: t.triu(diagonal=diagonal), _tensor(x))


@pytest.mark.torch
def test_masking_matches_pytorch_forward_and_gradient():
    torch = require_torch()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    mask = rng.uniform(size=(3, 1)) > 0.5
    grad = rng.normal(size=(2, 3, 4))
    cases = [
        (lambda t, m: t.masked_fill(m, 2.5), grad), (lambda t, m: t.tril(1), grad), (lambda t, m: t.triu(-1), grad),
        (lambda t, m: t.tril(), grad), (lambda t, m: t.triu(diagonal=2), grad),
        (lambda t, m: t.masked_select(m), None),
    ]
    for fn, g in cases:
        ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = fn(ours, tg.tensor(mask)), fn(theirs, torch.tensor(mask))
        assert_close(out, expected, rtol=0, atol=0)
        g = rng.normal(size=out.shape) if g is None else g
        out.backward(g)
        expected.backward(torch.tensor(g))
        assert_close(ours.grad, theirs.grad, rtol=0, atol=0)
    value = tg.tensor(1.5, requires_grad=True)
    tvalue = torch.tensor(1.5, requires_grad=True, dtype=torch.float64)
    tg.tensor(x).masked_fill(tg.tensor(mask), value).backward(grad)
    torch.tensor(x).masked_fill(torch.tensor(mask), tvalue).backward(torch.tensor(grad))
    assert_close(value.grad, tvalue.grad.float(), rtol=1e-6)


@pytest.mark.torch
def test_logic_comparisons_and_closeness_match_pytorch():
    torch = require_torch()
    a, b = [True, False, True, False], [True, True, False, False]
    i, j = [5, -3, 12, 0], [3, 6, -1, 0]
    x, y = [1.0, np.nan, np.inf, 1.0 + 1e-7], [1.0, np.nan, np.inf, 1.0]
    pairs = [(a, b), (i, j), (x, y)]
    for name in ("logical_and", "logical_or", "logical_xor", "eq", "ne", "lt", "le", "gt", "ge", "greater", "less",
                 "greater_equal", "less_equal", "not_equal", "isclose"):
        for p, q in pairs:
            assert getattr(tg, name)(tg.tensor(p), tg.tensor(q)).tolist() == getattr(torch, name)(
                torch.tensor(p), torch.tensor(q)).tolist(), name
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        for p, q in pairs[:2]:
            ours = getattr(tg, name)(tg.tensor(p), tg.tensor(q))
            theirs = getattr(torch, name)(torch.tensor(p), torch.tensor(q))
            assert ours.tolist() == theirs.tolist() and ours.dtype == np.dtype(str(theirs.dtype)[6:])
    for p, q in pairs[:2]:
        tp, tq, op, oq = torch.tensor(p), torch.tensor(q), tg.tensor(p), tg.tensor(q)
        assert [(op & oq).tolist(), (op | oq).tolist(), (op ^ oq).tolist(), (~op).tolist()] == [
            (tp & tq).tolist(), (tp | tq).tolist(), (tp ^ tq).tolist(), (~tp).tolist()]
        assert (True & op).tolist() == (True & tp).tolist() and (1 | oq).tolist() == (1 | tq).tolist()
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "logical_not"):
        assert getattr(tg, name)(tg.tensor(x + [-np.inf])).tolist() == getattr(torch, name)(
            torch.tensor(x + [-np.inf])).tolist()
    assert tg.isclose(tg.tensor(x), tg.tensor(y), equal_nan=True).tolist() == torch.isclose(
        torch.tensor(x), torch.tensor(y), equal_nan=True).tolist()
    assert tg.allclose(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0 + 1e-9])) is True
    assert tg.allclose(tg.tensor(x), tg.tensor(y)) is False
    assert tg.equal(tg.tensor([1, 2]), tg.tensor([1, 2])) is True
    assert tg.equal(tg.tensor([1, 2]), tg.tensor([[1, 2]])) is False
    assert tg.tensor([1.0, 2.0]).eq(2.0).tolist() == [False, True]


def test_where_with_scalar_branches():
    condition = tg.tensor([True, False, True])
    assert tg.where(condition, 1.0, 0.0).tolist() == [1.0, 0.0, 1.0]
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tg.where(condition, x, 0.0).sum().backward()
    assert tg.to_numpy(x.grad).tolist() == [1.0, 0.0, 1.0]


def test_errors_name_the_op_and_the_fix():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match="bitwise_and: not implemented for dtype float32"):
        _ = x & x
    with pytest.raises(TypeError, match="bitwise_not: not implemented for dtype float32"):
        _ = ~x
    with pytest.raises(TypeError, match="masked_fill: the mask must be a bool tensor"):
        x.masked_fill(tg.tensor([1, 0]), 0.0)
    with pytest.raises(ValueError, match=r"masked_fill: the mask of shape \(3,\) does not broadcast"):
        x.masked_fill(tg.tensor([True, False, True]), 0.0)
    with pytest.raises(ValueError, match="would enlarge the input"):
        x.masked_fill(tg.tensor([[[True]], [[False]]]), 0.0)
    with pytest.raises(ValueError, match="only supports a 0-dimensional value tensor"):
        x.masked_fill(x > 2, tg.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="tril: input tensor must have at least 2 dimensions"):
        tg.tril(tg.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="rtol=-1 and atol=1e-08 must be non-negative"):
        tg.isclose(x, x, rtol=-1)

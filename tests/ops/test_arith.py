"""ops/arith.py: PyTorch's spellings, rounding division, remainder/fmod, casts — gradchecks, PyTorch, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch
from tests.strategies import away_from, broadcast_shapes, positive, values


def _tensor(array):
    return tg.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def _quotient_away_from_integers(x, y):
    """Move x so that x / y is at least 0.05 from an integer (where remainder and fmod jump)."""
    q = x / y
    nearest = np.round(q)
    too_close = np.abs(q - nearest) < 0.05
    return np.where(too_close, (nearest + 0.3) * y, x)


@settings(max_examples=15)
@given(data=st.data(), name=st.sampled_from(["remainder", "fmod"]))
def test_remainder_and_fmod_gradcheck(data, name):
    shape_x, shape_y = data.draw(broadcast_shapes())
    shape_x = np.broadcast_shapes(shape_x, shape_y)  # y broadcasts against x
    x = data.draw(values(shape_x, -4.0, 4.0))
    y = data.draw(away_from(shape_y, margin=0.5))
    x = _quotient_away_from_integers(x, y)
    tg.gradcheck(getattr(tg, name), _tensor(x), _tensor(y))


@settings(max_examples=15)
@given(data=st.data(), alpha=st.sampled_from([1, 2, -0.5]))
def test_add_sub_rsub_with_alpha_gradcheck(data, alpha):
    shape_x, shape_y = data.draw(broadcast_shapes())
    x, y = data.draw(values(shape_x)), data.draw(values(shape_y))
    for fn in (tg.add, tg.sub, tg.rsub):
        tg.gradcheck(lambda a, b, fn=fn: fn(a, b, alpha=alpha), _tensor(x), _tensor(y))
    tg.gradcheck(lambda a, b: a.add(b, alpha=alpha) * a.sub(b, alpha=alpha), _tensor(x), _tensor(y))


@settings(max_examples=15)
@given(data=st.data())
def test_wrappers_gradcheck(data):
    shape_x, shape_y = data.draw(broadcast_shapes())
    x, y = data.draw(positive(shape_x)), data.draw(positive(shape_y))
    for fn in (tg.mul, tg.multiply, tg.div, tg.divide, tg.true_divide, tg.pow, lambda a, b: a.pow(b) + a.div(b)):
        tg.gradcheck(fn, _tensor(x), _tensor(y))
    for fn in (tg.neg, tg.negative, tg.abs, tg.absolute, tg.exp, tg.log, tg.sqrt, tg.sin, tg.cos, tg.sigmoid,
               tg.tanh, tg.relu, lambda a: tg.sum(a, 0 if a.ndim else None), tg.mean,
               lambda a: tg.logsumexp(a, -1) if a.ndim else a,
               lambda a: tg.softmax(a, -1) if a.ndim else a, lambda a: tg.log_softmax(a, -1) if a.ndim else a,
               lambda a: tg.flatten(a), lambda a: tg.reshape(a, (-1,)), lambda a: tg.unsqueeze(a, 0)):
        tg.gradcheck(fn, _tensor(x))


@pytest.mark.torch
def test_spellings_match_pytorch_forward_and_gradient():
    torch = require_torch()
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 2, size=(2, 3)), rng.uniform(0.5, 2, size=(3,))
    cases = [
        ("add", (a, b), {"alpha": 2}), ("sub", (a, b), {"alpha": 0.5}), ("rsub", (a, b), {"alpha": 3}),
        ("mul", (a, b), {}), ("multiply", (a, b), {}), ("div", (a, b), {}), ("divide", (a, b), {}),
        ("true_divide", (a, b), {}), ("subtract", (a, b), {}), ("pow", (a, b), {}), ("remainder", (a * 5, -b), {}),
        ("fmod", (-a * 5, b), {}), ("neg", (a,), {}), ("negative", (a,), {}), ("abs", (-a,), {}),
        ("absolute", (-a,), {}), ("exp", (a,), {}), ("log", (a,), {}), ("sqrt", (a,), {}), ("sin", (a,), {}),
        ("cos", (a,), {}), ("sigmoid", (a,), {}), ("tanh", (a,), {}), ("relu", (a - 1,), {}),
        ("matmul", (a, a.T), {}), ("sum", (a, 1), {"keepdim": True}), ("mean", (a, 0), {}),
        ("var", (a, 1), {"correction": 0}), ("std", (a,), {}), ("logsumexp", (a, 1), {}), ("softmax", (a, 0), {}),
        ("log_softmax", (a, 1), {}), ("clamp", (a, 0.8, 1.5), {}), ("clip", (a, 0.8), {}),
        ("reshape", (a, (3, 2)), {}), ("transpose", (a, 0, 1), {}), ("permute", (a, (1, 0)), {}),
        ("flatten", (a,), {}), ("squeeze", (a[None],), {}), ("unsqueeze", (a, -1), {}),
    ]
    for name, args, kwargs in cases:
        ours = [tg.tensor(v, requires_grad=True) if isinstance(v, np.ndarray) else v for v in args]
        theirs = [torch.tensor(v, requires_grad=True) if isinstance(v, np.ndarray) else v for v in args]
        out, expected = getattr(tg, name)(*ours, **kwargs), getattr(torch, name)(*theirs, **kwargs)
        assert_close(out, expected, rtol=1e-10, atol=1e-12)
        out.sum().backward()
        expected.sum().backward()
        for mine, reference in zip(ours, theirs, strict=True):
            if isinstance(mine, tg.Tensor):
                assert_close(mine.grad, reference.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_rounding_division_and_remainders_match_pytorch_signs_and_dtypes():
    torch = require_torch()
    pairs = [([7, -7, 7, -7, 0], [2, 2, -2, -2, 3]), ([7.5, -7.5, 7.5, -7.5, 0.0], [2.0, 2.0, -2.0, -2.0, 3.0])]
    for x, y in pairs:
        ours_x, ours_y, tx, ty = tg.tensor(x), tg.tensor(y), torch.tensor(x), torch.tensor(y)
        for mode in ("trunc", "floor"):
            out, expected = tg.div(ours_x, ours_y, rounding_mode=mode), torch.div(tx, ty, rounding_mode=mode)
            assert out.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
            assert_close(out, expected, rtol=0, atol=0)
        for ours, theirs in ((ours_x % ours_y, tx % ty), (ours_x // ours_y, tx // ty), (tg.fmod(ours_x, ours_y),
                             torch.fmod(tx, ty)), (7 % ours_y, 7 % ty), (7 // ours_y, 7 // ty)):
            assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
            assert_close(ours, theirs, rtol=0, atol=0)
    x = tg.tensor([5.0, -5.0, 3.5], requires_grad=True)
    y = tg.tensor([2.0, 2.0, -1.5], requires_grad=True)
    tg.div(x, y, rounding_mode="floor").sum().backward()  # piecewise constant: zero gradients, as PyTorch
    np.testing.assert_array_equal(tg.to_numpy(x.grad), 0)
    np.testing.assert_array_equal(tg.to_numpy(y.grad), 0)


@pytest.mark.torch
def test_casts_match_pytorch():
    torch = require_torch()
    values_ = [1.7, -2.2, 0.0]
    ours, theirs = tg.tensor(values_), torch.tensor(values_)
    for name in ("int", "long", "short", "char", "byte", "bool", "half", "float", "double"):
        if name == "byte":
            ours, theirs = tg.tensor([1.7, 2.2, 0.0]), torch.tensor([1.7, 2.2, 0.0])
        out, expected = getattr(ours, name)(), getattr(theirs, name)()
        assert out.dtype == np.dtype(str(expected.dtype).removeprefix("torch.")), name
        assert_close(out.astype(np.float64), expected.double())
    assert tg.tensor([1, 2]).type() == "tinygrad_edu.LongTensor"
    assert tg.tensor([1.5]).type(tg.int64).dtype == np.int64
    assert tg.tensor([1.5]).type("torch.IntTensor").dtype == np.int32
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.half().double().sum().backward()
    np.testing.assert_array_equal(tg.to_numpy(x.grad), [1, 1])
    assert (tg.float32, tg.float, tg.int64, tg.long, tg.bool) == (np.float32, np.float32, np.int64, np.int64, np.bool_)


def test_reductions_and_shapes_wrap_the_tensor_methods():
    x = tg.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    assert tg.numel(x) == 6
    assert tg.argmax(x).item() == 5 and tg.argmin(x, 1).tolist() == [0, 1]
    assert tg.max(x).item() == 6 and tg.min(x).item() == 1
    assert tg.max(x, tg.tensor(3.0)).tolist() == [[3, 5, 3], [4, 3, 6]]
    assert tg.sum(tg.tensor([1, 2]), dtype=tg.float64).dtype == np.float64
    assert_close(tg.var(x, 1, False), np.var(x.numpy(), axis=1))
    assert_close(tg.std(x, True), np.std(x.numpy(), ddof=1))
    assert tg.transpose(x, 0, 1).shape == (3, 2) and tg.squeeze(x[None], 0).shape == (2, 3)


def test_errors_name_the_op_and_the_fix():
    x = tg.tensor([1, 2])
    with pytest.raises(ValueError, match="rounding_mode to be one of None, 'trunc', or 'floor'"):
        tg.div(x, 2, rounding_mode="round")
    with pytest.raises(ZeroDivisionError, match="integer division by zero"):
        x // 0
    with pytest.raises(ZeroDivisionError, match=r"remainder: integer division by zero"):
        x % tg.tensor([1, 0])
    with pytest.raises(TypeError, match=r"add\(\): alpha='2' must be a number"):
        tg.add(x, x, alpha="2")
    with pytest.raises(TypeError, match="pass either unbiased or correction"):
        tg.var(tg.tensor([1.0, 2.0]), 0, True, correction=0)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"):
        tg.transpose(tg.tensor([1.0]), 0, 1)

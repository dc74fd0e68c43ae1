"""PyTorch as the oracle for the core semantics (issue #16): the promotion table, the reduction signatures, the
in-place (version counter) error and ``.grad`` semantics, each run side by side (skipped without PyTorch)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import optim

from .helpers import require_torch

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 3, 2.5]
OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
       "pow": lambda a, b: a**b, "rpow": lambda a, b: b**a}


def _ours(dtype: str, zero_d: bool) -> tg.Tensor:
    values = np.array(2) if zero_d else np.array([1, 2, 3])
    return tg.tensor(values.astype(dtype))


def _theirs(torch, dtype: str, zero_d: bool):
    values = np.array(2) if zero_d else np.array([1, 2, 3])
    return torch.tensor(values.astype(dtype))


def _torch_ok(fn, *args) -> object:
    try:
        return fn(*args)
    except RuntimeError:
        return None  # an op PyTorch refuses (e.g. bool − bool): not part of the table


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("left", DTYPES)
@pytest.mark.parametrize("right", DTYPES)
def test_promotion_table_tensor_with_tensor(op, left, right):
    torch = require_torch()
    for zero_d in (False, True):  # a 0-d right operand is weaker than a dimensioned one
        expected = _torch_ok(OPS[op], _theirs(torch, left, False), _theirs(torch, right, zero_d))
        if expected is None:
            continue
        with np.errstate(all="ignore"):
            ours = OPS[op](_ours(left, False), _ours(right, zero_d))
        assert str(ours.dtype) == str(expected.dtype).removeprefix("torch."), (op, left, right, zero_d)


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", SCALARS, ids=["bool", "int", "float"])
def test_promotion_table_tensor_with_python_number(op, dtype, scalar):
    torch = require_torch()
    expected = _torch_ok(OPS[op], _theirs(torch, dtype, False), scalar)
    if expected is None:
        return
    with np.errstate(all="ignore"):
        ours = OPS[op](_ours(dtype, False), scalar)
    assert str(ours.dtype) == str(expected.dtype).removeprefix("torch.")


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), data=st.data())
def test_reduction_signatures_match(shape, data):
    torch = require_torch()
    array = np.random.default_rng(len(shape)).standard_normal(shape)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    x, t = tg.tensor(array), torch.tensor(array)
    for name in ("sum", "mean", "logsumexp", "std", "var", "argmax", "argmin"):
        ours, theirs = getattr(x, name)(dim, keepdim=keepdim), getattr(t, name)(dim, keepdim=keepdim)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, err_msg=name)
    for name in ("max", "min"):
        ours, theirs = getattr(x, name)(dim, keepdim), getattr(t, name)(dim, keepdim)
        np.testing.assert_allclose(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        np.testing.assert_allclose(ours[0].numpy(), theirs[0].numpy())
    np.testing.assert_allclose(x.sum(dim=(0,)).numpy(), t.sum(dim=(0,)).numpy())


def test_version_counter_error_matches():
    torch = require_torch()
    messages = []
    for lib, opt_class in ((tg, optim.SGD), (torch, torch.optim.SGD)):
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        hidden = lib.tensor([[1.0, 1.0]]) @ w
        loss1, loss2 = hidden.sum(), (hidden @ w).sum()
        loss1.backward(retain_graph=True)
        opt_class([w], lr=0.1).step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as caught:
            loss2.backward()
        messages.append(str(caught.value))
    assert "version 1; expected version 0" in messages[0] and "version 1; expected version 0" in messages[1]


def test_grad_semantics_match():
    torch = require_torch()
    for lib in (tg, torch):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        (w * w).sum().backward()
        (w * w).sum().backward()  # accumulates
        assert isinstance(w.grad, lib.Tensor) and w.grad.requires_grad is False and w.grad.grad_fn is None
        np.testing.assert_allclose(np.asarray(w.grad.detach().numpy() if lib is torch else w.grad.numpy()),
                                   [4.0, -8.0])
        w.grad.zero_()
        with lib.no_grad():
            w -= 0.5 * w
        assert w.is_leaf and w.requires_grad
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            w += 1
        with pytest.raises(RuntimeError):
            w.grad = lib.ones(3)
        y = w * w
        y.backward(lib.ones(2), create_graph=True)
        assert w.grad.grad_fn is not None  # a recorded gradient carries its graph

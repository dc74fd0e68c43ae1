"""ops/gather.py: gather, scatter (+ add / reduce), index_select/add/fill, take(_along_dim), nonzero, argwhere."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.ops.oracle import same_as_torch
from tests.strategies import shapes, values
from tinygrad_edu.gradcheck import gradcheck

rng = np.random.default_rng(0)
X = rng.normal(size=(3, 4))
IDX = np.array([[0, 3, 3], [1, 1, 0], [2, 0, 1]])  # repeats: gradients must add up
SRC = rng.normal(size=(3, 4))
VEC = np.array([2, 0, 2])

CASES = {
    "gather": (lambda x, i: tg.gather(x, 1, i), lambda x, i: __import__("torch").gather(x, 1, i), (X, IDX)),
    "gather_dim0": (lambda x, i: x.gather(0, i), lambda x, i: x.gather(0, i), (X, IDX[:, :2] % 3)),
    "gather_neg_dim": (lambda x, i: x.gather(-1, i), lambda x, i: x.gather(-1, i), (X, IDX)),
    "gather_empty_index": (lambda x, i: x.gather(1, i), lambda x, i: x.gather(1, i),
                           (X, np.zeros((3, 0), dtype=np.int64))),
    "scatter": (lambda x, i, s: x.scatter(1, i, s), lambda x, i, s: x.scatter(1, i, s),
                (X, np.array([[0, 3, 1], [1, 2, 0], [2, 0, 1]]), SRC[:, :3])),  # PyTorch fails on a larger src
    "scatter_value": (lambda x, i: x.scatter(1, i, 2.5), lambda x, i: x.scatter(1, i, 2.5), (X, IDX)),
    "scatter_add": (lambda x, i, s: tg.scatter_add(x, 1, i, s), lambda x, i, s: x.scatter_add(1, i, s),
                    (X, IDX, SRC[:, :3])),
    "index_select": (lambda x, i: tg.index_select(x, 1, i), lambda x, i: x.index_select(1, i), (X, VEC)),
    "index_select_dim0": (lambda x, i: x.index_select(0, i), lambda x, i: x.index_select(0, i), (X, VEC)),
    "index_add": (lambda x, i, s: tg.index_add(x, 0, i, s, alpha=2.0),
                  lambda x, i, s: x.index_add(0, i, s, alpha=2.0), (X, VEC, SRC)),
    "index_fill": (lambda x, i: x.index_fill(1, i, -1.5), lambda x, i: x.index_fill(1, i, -1.5), (X, VEC)),
    "index_fill_negative": (lambda x, i: x.index_fill(0, i, 2.0), lambda x, i: x.index_fill(0, i, 2.0),
                            (X, np.array([-1, 0]))),
    "take_along_dim": (lambda x, i: tg.take_along_dim(x, i, 1),
                       lambda x, i: __import__("torch").take_along_dim(x, i, 1), (X, IDX)),
    "take_along_dim_broadcast": (lambda x, i: x.take_along_dim(i, 1),
                                 lambda x, i: x.take_along_dim(i, 1), (X, np.array([[3, 0]]))),
    "take_along_dim_flat": (lambda x, i: x.take_along_dim(i), lambda x, i: x.take_along_dim(i),
                            (X, np.array([11, 0, 5, 5]))),
    "take": (lambda x, i: tg.take(x, i), lambda x, i: __import__("torch").take(x, i),
             (X, np.array([[0, 11], [-1, 5]]))),
    "nonzero": (lambda x: tg.nonzero(x), lambda x: __import__("torch").nonzero(x),
                (np.array([[0, 1.5, 0], [2, 0, 3]]),)),
    "nonzero_tuple": (lambda x: tg.nonzero(x, as_tuple=True), lambda x: __import__("torch").nonzero(x, as_tuple=True),
                      (np.array([[0, 1.5, 0], [2, 0, 3]]),)),
    "argwhere": (lambda x: tg.argwhere(x), lambda x: __import__("torch").argwhere(x), (np.array([0, 1, 0, 2]),)),
    "nonzero_0d": (lambda x: tg.nonzero(x), lambda x: __import__("torch").nonzero(x), (np.array(2.0),)),
}
for reduce in ("sum", "prod", "mean", "amax", "amin"):
    for include_self in (True, False):
        CASES[f"scatter_reduce_{reduce}_{include_self}"] = (
            lambda x, i, s, r=reduce, k=include_self: x.scatter_reduce(0, i, s, r, include_self=k),
            lambda x, i, s, r=reduce, k=include_self: x.scatter_reduce(0, i, s, r, include_self=k),
            (X, np.array([[0, 1, 0, 0], [0, 1, 2, 0]]), SRC[:2]))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    ours, theirs, inputs = CASES[name]
    same_as_torch(ours, theirs, *inputs)


@pytest.mark.torch
@pytest.mark.parametrize("reduce", ["prod", "amax", "amin", "mean"])
def test_scatter_reduce_with_zeros_and_ties_matches_pytorch(reduce):
    x = np.array([[0.0, 2.0, 1.0], [3.0, 0.0, 1.0]])
    src = np.array([[2.0, 0.0, 1.0], [2.0, 5.0, 0.0], [1.0, 2.0, 1.0]])
    index = np.array([[0, 0, 0], [0, 1, 0], [1, 1, 0]])
    same_as_torch(lambda a, s: a.scatter_reduce(0, tg.tensor(index), s, reduce),
                  lambda a, s: a.scatter_reduce(0, __import__("torch").tensor(index), s, reduce), x, src)


@pytest.mark.torch
def test_integer_scatter_and_legacy_reduce_match_pytorch():
    x = np.arange(6).reshape(2, 3)
    index = np.array([[1, 0, 1]])
    src = np.array([[5, 6, 7]])
    same_as_torch(lambda a, i, s: a.scatter_add(0, i, s), lambda a, i, s: a.scatter_add(0, i, s), x, index, src)
    same_as_torch(lambda a, i, s: a.scatter_reduce(0, i, s, "mean"), lambda a, i, s: a.scatter_reduce(0, i, s, "mean"),
                  x, index, src)
    xf = np.arange(6.0).reshape(2, 3) + 1
    same_as_torch(lambda a, i: a.scatter(0, i, 2.0, reduce="multiply"),
                  lambda a, i: a.scatter(0, i, 2.0, reduce="multiply"), xf, index, grad=False)  # no derivative there


# ------------------------------------------------------------------------------------------ gradchecks


@st.composite
def tensor_and_index(draw, min_dims=1):
    shape = draw(shapes(min_dims=min_dims))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    x = draw(values(shape))
    index_shape = tuple(draw(st.integers(1, 3)) if i == dim % len(shape) else draw(st.integers(1, n))
                        for i, n in enumerate(shape))
    index = draw(st.lists(st.integers(0, shape[dim] - 1), min_size=int(np.prod(index_shape)),
                          max_size=int(np.prod(index_shape))))
    return x, dim, np.array(index, dtype=np.int64).reshape(index_shape)


@settings(max_examples=15)
@given(tensor_and_index())
def test_gather_gradcheck(case):
    x, dim, index = case
    gradcheck(lambda t: tg.gather(t, dim, tg.tensor(index)), tg.tensor(x, requires_grad=True))


@settings(max_examples=15)
@given(tensor_and_index(), st.sampled_from(["sum", "mean", "amax", "amin", "prod"]), st.booleans())
def test_scatter_reduce_gradcheck(case, reduce, include_self):
    x, dim, index = case
    src = np.random.default_rng(1).uniform(0.5, 2.0, size=index.shape) * np.where(index % 2, 1, -1)
    src += np.arange(src.size).reshape(src.shape) * 0.37  # distinct values: no ties at the kink of amax/amin
    x = x + 10 * (np.arange(x.size).reshape(x.shape) % 3 - 1)
    gradcheck(lambda a, s: tg.scatter_reduce(a, dim, tg.tensor(index), s, reduce, include_self=include_self),
              tg.tensor(x, requires_grad=True), tg.tensor(src, requires_grad=True))


@settings(max_examples=15)
@given(tensor_and_index())
def test_scatter_and_scatter_add_gradcheck(case):
    x, dim, index = case
    src = np.random.default_rng(2).normal(size=index.shape)
    gradcheck(lambda a, s: tg.scatter_add(a, dim, tg.tensor(index), s), tg.tensor(x, requires_grad=True),
              tg.tensor(src, requires_grad=True))
    first = np.take_along_axis(index, np.zeros_like(index)[tuple(slice(0, 1) if i == dim % index.ndim else slice(None)
                                                                  for i in range(index.ndim))], dim)
    gradcheck(lambda a, s: tg.scatter(a, dim, tg.tensor(first), s), tg.tensor(x, requires_grad=True),
              tg.tensor(np.random.default_rng(3).normal(size=first.shape), requires_grad=True))


@settings(max_examples=15)
@given(tensor_and_index(), st.integers(0, 3))
def test_index_ops_gradcheck(case, seed):
    x, dim, _ = case
    size = x.shape[dim]
    index = np.random.default_rng(seed).integers(0, size, size=3)
    source_shape = list(x.shape)
    source_shape[dim] = 3
    source = np.random.default_rng(seed).normal(size=source_shape)
    gradcheck(lambda a: tg.index_select(a, dim, tg.tensor(index)), tg.tensor(x, requires_grad=True))
    gradcheck(lambda a, s: tg.index_add(a, dim, tg.tensor(index), s, alpha=-0.5), tg.tensor(x, requires_grad=True),
              tg.tensor(source, requires_grad=True))
    gradcheck(lambda a, v: tg.index_fill(a, dim, tg.tensor(index), v), tg.tensor(x, requires_grad=True),
              tg.tensor(np.array(0.3), requires_grad=True))
    gradcheck(lambda a: tg.take(a, tg.tensor(index)), tg.tensor(x, requires_grad=True))
    gradcheck(lambda a: tg.take_along_dim(a, tg.tensor(index % 1)), tg.tensor(x, requires_grad=True))


def test_gather_and_scatter_add_are_adjoint():
    """⟨gather(x), y⟩ = ⟨x, scatter_add(0, y)⟩: the identity that makes each the other's backward."""
    x = rng.normal(size=(3, 4))
    y = rng.normal(size=IDX.shape)
    left = (tg.gather(tg.tensor(x), 1, tg.tensor(IDX)).numpy() * y).sum()
    right = (x * tg.scatter_add(tg.zeros(3, 4).double(), 1, tg.tensor(IDX), tg.tensor(y)).numpy()).sum()
    np.testing.assert_allclose(left, right)


def test_nonzero_shapes_and_dtypes():
    out = tg.nonzero(tg.tensor([[0, 1], [1, 1]]))
    assert out.dtype == np.int64 and out.shape == (3, 2)
    assert tg.nonzero(tg.zeros(2, 3)).shape == (0, 2)
    rows, cols = tg.nonzero(tg.tensor([[0, 1], [1, 0]]), as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]


# ------------------------------------------------------------------------------------------ errors


def test_errors_name_the_op_and_the_fix():
    x = tg.tensor(X)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        tg.gather(x, 2, tg.tensor(IDX))
    with pytest.raises(IndexError, match="out of bounds for dimension 1 with size 4"):
        tg.gather(x, 1, tg.tensor([[4]]))
    with pytest.raises(TypeError, match=r"integer tensor.*\.long\(\)"):
        tg.gather(x, 1, tg.tensor([[0.0]]))
    with pytest.raises(tg.OpError, match="as many axes"):
        tg.gather(x, 1, tg.tensor([0, 1]))
    with pytest.raises(tg.OpError, match="no larger than src"):
        tg.scatter(x, 1, tg.tensor(IDX), tg.tensor(np.ones((1, 1))))
    with pytest.raises(ValueError, match="reduce must be one of"):
        tg.scatter_reduce(x, 0, tg.tensor(IDX), tg.tensor(SRC), "max")
    with pytest.raises(tg.OpError, match="must be a vector"):
        tg.index_select(x, 0, tg.tensor(IDX))
    with pytest.raises(IndexError, match="out of range"):
        tg.index_select(x, 0, tg.tensor([3]))
    with pytest.raises(IndexError, match="out of range"):
        tg.index_select(x, 0, tg.tensor([-1]))  # as PyTorch (index_fill accepts it)
    with pytest.raises(tg.OpError, match="source of shape"):
        tg.index_add(x, 0, tg.tensor([0]), tg.tensor(SRC))
    with pytest.raises(IndexError, match="out of range"):
        tg.take(x, tg.tensor([12]))
    with pytest.raises(TypeError, match="not both"):
        tg.scatter(x, 1, tg.tensor(IDX), tg.tensor(SRC), value=1.0)


# ------------------------------------------------------------------------------------------ in place


IN_PLACE = {  # name: (call on x with module m = tinygrad_edu or torch, the shape of x)
    "scatter_": (lambda x, m: x.scatter_(1, m.tensor([[0, 2], [1, 1]]), m.tensor(SRC[:2, :2])), (2, 3)),
    "scatter_add_": (lambda x, m: x.scatter_add_(1, m.tensor([[0, 2], [1, 1]]), m.tensor(SRC[:2, :2])), (2, 3)),
    "index_add_": (lambda x, m: x.index_add_(0, m.tensor([2, 0]), m.tensor(SRC[:2, :3]), alpha=3.0), (3, 3)),
    "index_fill_": (lambda x, m: x.index_fill_(1, m.tensor([2, 0]), -1.5), (2, 3)),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_forms_match_pytorch(name):
    """Recorded on a non-leaf: the gradient reaches the leaf through the change, as in PyTorch."""
    call, shape = IN_PLACE[name]
    x = rng.normal(size=shape)
    same_as_torch(lambda a: call(a * 2, tg), lambda a: call(a * 2, __import__("torch")), x)


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_forms_write_into_a_leaf_under_no_grad(name):
    call, shape = IN_PLACE[name]
    x = rng.normal(size=shape)
    leaf = tg.tensor(x.copy(), requires_grad=True)
    expected = call(tg.tensor(x.copy()), tg).numpy()  # (a tensor without grad: written in place too)
    with tg.no_grad():
        returned = call(leaf, tg)
    assert returned is leaf and leaf.is_leaf and leaf.requires_grad and leaf._version == 1
    np.testing.assert_array_equal(leaf.detach().numpy(), expected)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        call(leaf, tg)

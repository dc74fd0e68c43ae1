"""ops/sort.py: sort, argsort, topk, kthvalue, median, nanmedian, mode, amax/amin/aminmax, var_mean/std_mean,
count_nonzero, unique, searchsorted, bucketize, bincount, histc."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.ops.oracle import same_as_torch
from tests.strategies import shapes, values
from tinygrad_edu.gradcheck import gradcheck


def torch():
    return __import__("torch")


rng = np.random.default_rng(0)
A = rng.normal(size=(2, 3, 5))
M = rng.normal(size=(4, 5))
TIES = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [0.0, -1.0, -1.0, 2.0, -1.0]])
WITH_NAN = np.array([[1.0, np.nan, 0.5, 2.0], [3.0, 1.0, 2.0, 0.0]])
INTS = np.array([[3, 1, 2, 3], [0, 0, 5, 1]])

CASES = {
    "sort": (lambda x: tg.sort(x), lambda x: torch().sort(x), (A,)),
    "sort_dim0_descending": (lambda x: x.sort(0, descending=True), lambda x: x.sort(0, descending=True), (M,)),
    "sort_stable_ties": (lambda x: x.sort(stable=True), lambda x: x.sort(stable=True), (TIES,)),
    "sort_stable_ties_descending": (lambda x: x.sort(descending=True, stable=True),
                                    lambda x: x.sort(descending=True, stable=True), (TIES,)),
    "sort_nan": (lambda x: x.sort(descending=True), lambda x: x.sort(descending=True), (WITH_NAN,)),
    "sort_int": (lambda x: x.sort(0), lambda x: x.sort(0), (INTS,)),
    "argsort": (lambda x: tg.argsort(x, 1, descending=True), lambda x: torch().argsort(x, 1, descending=True), (A,)),
    "msort": (lambda x: tg.msort(x), lambda x: torch().msort(x), (M,)),
    "topk": (lambda x: tg.topk(x, 2), lambda x: torch().topk(x, 2), (A,)),
    "topk_smallest_dim": (lambda x: x.topk(3, dim=0, largest=False), lambda x: x.topk(3, dim=0, largest=False), (M,)),
    "kthvalue": (lambda x: tg.kthvalue(x, 2), lambda x: torch().kthvalue(x, 2), (A,)),
    "kthvalue_keepdim": (lambda x: x.kthvalue(4, 0, keepdim=True), lambda x: x.kthvalue(4, 0, keepdim=True), (M,)),
    "median_all": (lambda x: tg.median(x), lambda x: torch().median(x), (A,)),
    "median_even": (lambda x: x.median(), lambda x: x.median(), (M[:, :4],)),
    "median_dim": (lambda x: x.median(1), lambda x: x.median(1), (M,)),
    "median_dim_even_keepdim": (lambda x: x.median(0, keepdim=True), lambda x: x.median(0, keepdim=True), (M,)),
    "median_nan": (lambda x: x.median(1), lambda x: x.median(1), (WITH_NAN,)),
    "nanmedian": (lambda x: tg.nanmedian(x, 1), lambda x: torch().nanmedian(x, 1), (WITH_NAN,)),
    "nanmedian_all": (lambda x: x.nanmedian(), lambda x: x.nanmedian(), (WITH_NAN,)),
    "mode": (lambda x: tg.mode(x, 1), lambda x: torch().mode(x, 1), (np.array([[1.0, 2, 2, 1, 3], [0, 0, 1, 1, 1]]),)),
    "amax": (lambda x: tg.amax(x, (0, 2)), lambda x: torch().amax(x, (0, 2)), (A,)),
    "amax_all_ties": (lambda x: x.amax(), lambda x: x.amax(), (TIES,)),
    "amin_keepdim_ties": (lambda x: x.amin(-1, keepdim=True), lambda x: x.amin(-1, keepdim=True), (TIES,)),
    "aminmax": (lambda x: tg.aminmax(x), lambda x: torch().aminmax(x), (A,)),
    "aminmax_dim": (lambda x: x.aminmax(dim=1, keepdim=True), lambda x: x.aminmax(dim=1, keepdim=True), (TIES,)),
    "var_mean": (lambda x: tg.var_mean(x, 1), lambda x: torch().var_mean(x, 1), (A,)),
    "var_mean_correction": (lambda x: tg.var_mean(x, (0, 2), correction=0, keepdim=True),
                            lambda x: torch().var_mean(x, (0, 2), correction=0, keepdim=True), (A,)),
    "var_mean_unbiased_positional": (lambda x: tg.var_mean(x, False), lambda x: torch().var_mean(x, False), (A,)),
    "std_mean": (lambda x: tg.std_mean(x), lambda x: torch().std_mean(x), (A,)),
    "std_mean_dim_unbiased": (lambda x: tg.std_mean(x, 0, unbiased=False),
                              lambda x: torch().std_mean(x, 0, unbiased=False), (M,)),
    "count_nonzero": (lambda x: tg.count_nonzero(x), lambda x: torch().count_nonzero(x), (INTS,)),
    "count_nonzero_dims": (lambda x: x.count_nonzero((0, 1)), lambda x: x.count_nonzero((0, 1)), (INTS[None],)),
    "unique": (lambda x: tg.unique(x, return_inverse=True, return_counts=True),
               lambda x: torch().unique(x, return_inverse=True, return_counts=True), (INTS,)),
    "unique_plain": (lambda x: x.unique(), lambda x: x.unique(), (TIES,)),
    "unique_dim": (lambda x: tg.unique(x, dim=0, return_inverse=True),
                   lambda x: torch().unique(x, dim=0, return_inverse=True), (np.array([[1, 2], [0, 1], [1, 2]]),)),
    "searchsorted": (lambda s, v: tg.searchsorted(s, v), lambda s, v: torch().searchsorted(s, v),
                     (np.array([1.0, 2.0, 2.0, 5.0]), np.array([[0.0, 2.0], [5.0, 6.0]]))),
    "searchsorted_right_2d": (lambda s, v: tg.searchsorted(s, v, right=True),
                              lambda s, v: torch().searchsorted(s, v, right=True),
                              (np.array([[1.0, 2.0, 2.0], [0.0, 1.0, 4.0]]), np.array([[2.0, 0.0], [4.0, 5.0]]))),
    "searchsorted_side": (lambda s, v: tg.searchsorted(s, v, side="right", out_int32=True),
                          lambda s, v: torch().searchsorted(s, v, side="right", out_int32=True),
                          (np.array([1, 3, 3, 7]), np.array([3, 8]))),
    "bucketize": (lambda v, b: tg.bucketize(v, b), lambda v, b: torch().bucketize(v, b),
                  (np.array([0.5, 2.0, 9.0]), np.array([1.0, 2.0, 3.0]))),
    "bincount": (lambda x: tg.bincount(x, minlength=7), lambda x: torch().bincount(x, minlength=7),
                 (np.array([0, 2, 2, 5]),)),
    "bincount_weights": (lambda x, w: tg.bincount(x, w), lambda x, w: torch().bincount(x, w),
                         (np.array([0, 2, 2, 5]), np.array([0.5, 1.0, 2.0, -1.0]))),
    "histc": (lambda x: tg.histc(x, bins=4, min=-1, max=1), lambda x: torch().histc(x, bins=4, min=-1, max=1), (A,)),
    "histc_data_range": (lambda x: x.histc(5), lambda x: x.histc(5), (A,)),
}
SKIP_GRAD = {"bincount_weights", "unique_plain"}  # PyTorch has no derivative for them


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    ours, theirs, inputs = CASES[name]
    same_as_torch(ours, theirs, *inputs, grad=name not in SKIP_GRAD, rtol=1e-6)


@pytest.mark.torch
def test_zero_dim_inputs_match_pytorch():
    s = np.array(1.5)
    for ours, theirs in [
        (lambda x: x.sort(), lambda x: x.sort()), (lambda x: x.topk(1), lambda x: x.topk(1)),
        (lambda x: x.kthvalue(1), lambda x: x.kthvalue(1)), (lambda x: x.median(0), lambda x: x.median(0)),
        (lambda x: x.amax(0), lambda x: x.amax(0)), (lambda x: x.median(), lambda x: x.median()),
    ]:
        same_as_torch(ours, theirs, s)


distinct = shapes(min_dims=1).flatmap(lambda s: st.tuples(
    st.integers(-len(s), len(s) - 1),
    st.permutations(range(int(np.prod(s)))).map(lambda p, s=s: np.array(p, dtype=np.float64).reshape(s) * 0.5)))


@settings(max_examples=20)
@given(distinct, st.booleans())
def test_order_statistics_gradcheck(case, flag):
    dim, x = case  # distinct values: the order does not change under the finite-difference step
    t = tg.tensor(x, requires_grad=True)
    size = x.shape[dim]
    gradcheck(lambda a: a.sort(dim, descending=flag).values, t)
    gradcheck(lambda a: a.topk(max(size - 1, 1), dim, largest=flag).values, t)
    gradcheck(lambda a: a.kthvalue(size // 2 + 1, dim, keepdim=flag).values, t)
    gradcheck(lambda a: a.median(dim).values, t)
    gradcheck(lambda a: a.median(), t)
    gradcheck(lambda a: a.amax(dim), t)
    gradcheck(lambda a: tg.aminmax(a).min, t)
    gradcheck(lambda a: a.amin(dim, keepdim=flag), t)
    gradcheck(lambda a: a.nanmedian(dim).values, t)
    gradcheck(lambda a: a.msort() if flag else a.mode(dim).values, t)


@settings(max_examples=20)
@given(shapes(min_dims=1).flatmap(lambda s: st.tuples(values(s), st.integers(-len(s), len(s) - 1))))
def test_moments_gradcheck(case):
    x, dim = case
    t = tg.tensor(x, requires_grad=True)
    gradcheck(lambda a: tg.var_mean(a, dim, correction=0)[0] + tg.var_mean(a, dim, correction=0)[1], t)
    if x.size > 1:  # the std of one element is 0, where √ has no derivative (NaN, as PyTorch)
        gradcheck(lambda a: tg.std_mean(a + tg.tensor(np.arange(x.size).reshape(x.shape)), correction=0)[0], t)


def test_amax_shares_the_gradient_among_ties_as_pytorch():
    x = tg.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.amax(1).sum().backward()
    np.testing.assert_allclose(tg.to_numpy(x.grad), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_results_are_named_tuples():
    x = tg.tensor(M)
    assert x.sort().values.shape == (4, 5) and x.sort().indices.dtype == np.int64
    assert x.topk(2).indices.shape == (4, 2)
    assert x.median(1).values.shape == (4,)
    low, high = tg.aminmax(x)
    assert tg.aminmax(x).min.item() == low.item() and high.item() == M.max()
    assert x.median().shape == ()


def test_errors_name_the_op_and_the_fix():
    x = tg.tensor(M)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.sort(2)
    with pytest.raises(tg.OpError, match="k=6 out of range"):
        x.topk(6)
    with pytest.raises(tg.OpError, match=r"k must be in \[1, 5\]"):
        x.kthvalue(0)
    with pytest.raises(tg.OpError, match="non-empty"):
        tg.amax(tg.zeros(0))
    with pytest.raises(TypeError, match="not both"):
        tg.var_mean(x, 0, unbiased=True, correction=1)
    with pytest.raises(tg.OpError, match="non-negative ints"):
        tg.bincount(tg.tensor([1, -1]))
    with pytest.raises(tg.OpError, match="1-D"):
        tg.bincount(tg.tensor([[1]]))
    with pytest.raises(ValueError, match="'left' or 'right'"):
        tg.searchsorted(tg.tensor([1.0]), tg.tensor([1.0]), side="middle")
    with pytest.raises(tg.OpError, match="bins must be > 0"):
        tg.histc(x, bins=0)

"""ops/scan.py: cumsum, cumprod (zeros in the input), cummax, cummin, logcumsumexp, prod."""

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
A = rng.normal(size=(2, 3, 4))
ZEROS = np.array([[1.5, 0.0, 2.0, 0.0, -1.0], [0.0, 2.0, 3.0, 1.0, 0.5], [2.0, -1.0, 0.5, 3.0, 0.0]])
TIES = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [0.0, -1.0, -1.0, 2.0, -1.0]])

CASES = {
    "cumsum": (lambda x: tg.cumsum(x, 1), lambda x: torch().cumsum(x, 1), (A,)),
    "cumsum_method_neg": (lambda x: x.cumsum(-1), lambda x: x.cumsum(-1), (A,)),
    "cumsum_int": (lambda x: x.cumsum(0), lambda x: x.cumsum(0), (np.arange(6, dtype=np.int32).reshape(2, 3),)),
    "cumsum_bool": (lambda x: x.cumsum(0), lambda x: x.cumsum(0), (np.array([True, False, True]),)),
    "cumsum_dtype": (lambda x: x.cumsum(0, dtype=tg.tensor(1.0).dtype),
                     lambda x: x.cumsum(0, dtype=torch().float32), (np.arange(4),)),
    "cumsum_0d": (lambda x: x.cumsum(0), lambda x: x.cumsum(0), (np.array(2.5),)),
    "cumprod": (lambda x: tg.cumprod(x, 2), lambda x: torch().cumprod(x, 2), (A,)),
    "cumprod_zeros": (lambda x: x.cumprod(1), lambda x: x.cumprod(1), (ZEROS,)),
    "cumprod_zeros_dim0": (lambda x: x.cumprod(0), lambda x: x.cumprod(0), (ZEROS,)),
    "cummax": (lambda x: tg.cummax(x, 1), lambda x: torch().cummax(x, 1), (TIES,)),
    "cummin": (lambda x: x.cummin(-1), lambda x: x.cummin(-1), (TIES,)),
    "cummax_random": (lambda x: x.cummax(0), lambda x: x.cummax(0), (A,)),
    "logcumsumexp": (lambda x: tg.logcumsumexp(x, 2), lambda x: torch().logcumsumexp(x, 2), (A,)),
    "logcumsumexp_wide_range": (lambda x: x.logcumsumexp(0), lambda x: x.logcumsumexp(0),
                                (np.array([-800.0, 0.0, 700.0, -5.0, 710.0]),)),
    "prod_all": (lambda x: tg.prod(x), lambda x: torch().prod(x), (A,)),
    "prod_dim": (lambda x: x.prod(1), lambda x: x.prod(1), (A,)),
    "prod_keepdim": (lambda x: x.prod(-1, keepdim=True), lambda x: x.prod(-1, keepdim=True), (A,)),
    "prod_zeros": (lambda x: x.prod(1), lambda x: x.prod(1), (ZEROS,)),
    "prod_two_zeros": (lambda x: x.prod(), lambda x: x.prod(), (np.array([0.0, 2.0, 0.0, 3.0]),)),
    "prod_one_zero": (lambda x: x.prod(), lambda x: x.prod(), (np.array([0.0, 2.0, 1.5, 3.0]),)),
    "prod_empty": (lambda x: x.prod(), lambda x: x.prod(), (np.zeros((2, 0)),)),
    "prod_empty_dim": (lambda x: x.prod(1), lambda x: x.prod(1), (np.zeros((2, 0)),)),
    "cumsum_empty": (lambda x: x.cumsum(1), lambda x: x.cumsum(1), (np.zeros((2, 0)),)),
    "prod_int": (lambda x: x.prod(0), lambda x: x.prod(0), (np.arange(1, 7, dtype=np.int32).reshape(3, 2),)),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    ours, theirs, inputs = CASES[name]
    same_as_torch(ours, theirs, *inputs)


@settings(max_examples=20)
@given(shapes(min_dims=1).flatmap(lambda s: st.tuples(values(s), st.integers(-len(s), len(s) - 1))),
       st.floats(0.0, 1.0))
def test_scans_and_prod_gradcheck(case, zero_fraction):
    x, dim = case
    x = np.where(np.random.default_rng(0).random(x.shape) < zero_fraction, 0.0, x)  # zeros: the hard case
    t = tg.tensor(x, requires_grad=True)
    gradcheck(lambda a: a.cumsum(dim), t)
    gradcheck(lambda a: a.cumprod(dim), t)
    gradcheck(lambda a: a.prod(dim), t)
    gradcheck(lambda a: a.prod(), t)
    gradcheck(lambda a: a.logcumsumexp(dim), t)


@settings(max_examples=20)
@given(shapes(min_dims=1).flatmap(lambda s: st.tuples(st.integers(-len(s), len(s) - 1),
                                                       st.permutations(range(int(np.prod(s)))).map(
                                                           lambda p, s=s: np.array(p, dtype=np.float64).reshape(s)))))
def test_cummax_cummin_gradcheck(case):
    dim, x = case  # distinct values: no ties, so the derivative exists everywhere
    t = tg.tensor(x, requires_grad=True)
    gradcheck(lambda a: a.cummax(dim).values, t)
    gradcheck(lambda a: a.cummin(dim).values, t)


def test_results_are_named_tuples_with_int64_indices():
    values, indices = tg.cummax(tg.tensor([1.0, 3.0, 2.0]), 0)
    assert tg.cummax(tg.tensor([1.0, 3.0, 2.0]), 0).indices.dtype == np.int64
    assert values.tolist() == [1.0, 3.0, 3.0] and indices.tolist() == [0, 1, 1]
    assert tg.tensor([1, 2, 3]).cumsum(0).dtype == np.int64
    assert tg.tensor([True, True]).prod().dtype == np.int64


def test_errors_name_the_range():
    x = tg.tensor(A)
    for op in (tg.cumsum, tg.cumprod, tg.cummax, tg.cummin, tg.logcumsumexp, tg.prod):
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], but "
                                              r"got 3\)"):
            op(x, 3)
    with pytest.raises(TypeError, match="must be an int"):
        tg.cumsum(x, 1.5)

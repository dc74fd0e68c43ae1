"""Every differentiable operation: forward against a plain NumPy expression, backward against central
differences (``gradcheck`` in float64, on hypothesis-drawn inputs with broadcasting), and both against
PyTorch in one table at the end (including the kinks, where the derivative is a convention, and max ties).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests import strategies as S
from tests.helpers import assert_close, require_torch
from tinygrad_edu import gradcheck

erf = np.vectorize(math.erf, otypes=[np.float64])


def leaf(array) -> tg.Tensor:
    return tg.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def check_forward(out: tg.Tensor, expected) -> None:
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------------------ elementwise, one input


@dataclass(frozen=True)
class Unary:
    name: str
    fn: Callable  # on a Tensor
    reference: Callable  # the same formula on a NumPy array
    domain: Callable = S.values  # shape -> strategy of arrays where the function is smooth

    def __repr__(self) -> str:
        return self.name


def _gelu_tanh(a):
    return 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a**3)))


UNARY = [
    Unary("neg", lambda x: -x, lambda a: -a),
    Unary("exp", lambda x: x.exp(), np.exp),
    Unary("log", lambda x: x.log(), np.log, S.positive),
    Unary("sqrt", lambda x: x.sqrt(), np.sqrt, S.positive),
    Unary("abs", lambda x: x.abs(), np.abs, S.away_from),
    Unary("sin", lambda x: x.sin(), np.sin),
    Unary("cos", lambda x: x.cos(), np.cos),
    Unary("tanh", lambda x: x.tanh(), np.tanh),
    Unary("sigmoid", lambda x: x.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), partial(S.values, low=-30, high=30)),
    Unary("relu", lambda x: x.relu(), lambda a: np.maximum(a, 0), S.away_from),
    Unary("leaky_relu", lambda x: x.leaky_relu(), lambda a: np.where(a > 0, a, 0.01 * a), S.away_from),
    Unary("leaky_relu(0.2)", lambda x: x.leaky_relu(0.2), lambda a: np.where(a > 0, a, 0.2 * a), S.away_from),
    Unary("gelu", lambda x: x.gelu(), lambda a: 0.5 * a * (1 + erf(a / math.sqrt(2)))),
    Unary("gelu(tanh)", lambda x: x.gelu(approximate="tanh"), _gelu_tanh),
    Unary("clip", lambda x: x.clip(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), partial(S.away_from, kinks=(-.5, .5))),
    Unary("clip(min)", lambda x: x.clip(min=-0.5), lambda a: np.maximum(a, -0.5), partial(S.away_from, kinks=(-.5,))),
    Unary("clamp(max)", lambda x: x.clamp(max=0.5), lambda a: np.minimum(a, 0.5), partial(S.away_from, kinks=(.5,))),
    Unary("x ** 3", lambda x: x**3, lambda a: a**3),
    Unary("x ** 2.5", lambda x: x**2.5, lambda a: a**2.5, S.positive),
    Unary("x ** -1.5", lambda x: x**-1.5, lambda a: a**-1.5, S.positive),
    Unary("2 ** x", lambda x: 2**x, lambda a: 2.0**a),
    Unary("x + 1.5", lambda x: x + 1.5, lambda a: a + 1.5),
    Unary("1.5 + x", lambda x: 1.5 + x, lambda a: 1.5 + a),
    Unary("x - 1.5", lambda x: x - 1.5, lambda a: a - 1.5),
    Unary("1.5 - x", lambda x: 1.5 - x, lambda a: 1.5 - a),
    Unary("x * 3", lambda x: x * 3, lambda a: a * 3),
    Unary("3 * x", lambda x: 3 * x, lambda a: 3 * a),
    Unary("x / 4", lambda x: x / 4, lambda a: a / 4),
    Unary("4 / x", lambda x: 4 / x, lambda a: 4 / a, partial(S.away_from, margin=0.5)),
]


@pytest.mark.parametrize("op", UNARY, ids=repr)
@given(data=st.data())
def test_unary_forward_and_gradcheck(op: Unary, data) -> None:
    array = data.draw(op.domain(data.draw(S.shapes())))
    check_forward(op.fn(tg.tensor(array)), op.reference(array))
    gradcheck(op.fn, leaf(array))


# ------------------------------------------------------------------------ elementwise, two inputs, broadcast


def _grid(shape, offset: float):
    """Multiples of ½ plus ``offset``: two grids with different offsets never tie."""
    return S.hnp.arrays(np.float64, shape, elements=st.integers(-4, 4).map(lambda k: k * 0.5 + offset))


@dataclass(frozen=True)
class Binary:
    name: str
    fn: Callable
    reference: Callable
    left: Callable = S.values
    right: Callable = S.values

    def __repr__(self) -> str:
        return self.name


BINARY = [
    Binary("add", lambda x, y: x + y, np.add),
    Binary("sub", lambda x, y: x - y, np.subtract),
    Binary("mul", lambda x, y: x * y, np.multiply),
    Binary("div", lambda x, y: x / y, np.divide, right=partial(S.away_from, margin=0.5)),
    Binary("pow", lambda x, y: x**y, np.power, left=S.positive),
    Binary("maximum", tg.maximum, np.maximum, partial(_grid, offset=0.25), partial(_grid, offset=0.0)),
    Binary("minimum", lambda x, y: x.minimum(y), np.minimum, partial(_grid, offset=0.25), partial(_grid, offset=0)),
]


@pytest.mark.parametrize("op", BINARY, ids=repr)
@given(data=st.data())
def test_binary_broadcast_forward_and_gradcheck(op: Binary, data) -> None:
    left_shape, right_shape = data.draw(S.broadcast_shapes(2))
    a, b = data.draw(op.left(left_shape)), data.draw(op.right(right_shape))
    check_forward(op.fn(tg.tensor(a), tg.tensor(b)), op.reference(a, b))
    gradcheck(op.fn, leaf(a), leaf(b))


@given(data=st.data())
def test_where_broadcast_forward_and_gradcheck(data) -> None:
    condition_shape, x_shape, y_shape = data.draw(S.broadcast_shapes(3))
    condition = data.draw(S.hnp.arrays(np.bool_, condition_shape))
    a, b = data.draw(S.values(x_shape)), data.draw(S.values(y_shape))
    check_forward(tg.where(condition, tg.tensor(a), tg.tensor(b)), np.where(condition, a, b))
    check_forward(tg.tensor(a).where(tg.tensor(condition), tg.tensor(b)), np.where(condition, a, b))
    gradcheck(lambda x, y: tg.where(condition, x, y), leaf(a), leaf(b))


@st.composite
def matmul_shapes(draw):
    """Operand shapes for every matmul case: vector·vector, vector·matrix, matrix·vector, matrix·matrix, and
    batched with broadcast batch axes (and a vector against a batch)."""
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    left_batch, right_batch = draw(S.broadcast_shapes(2, max_dims=2))
    kind = draw(st.sampled_from(["vec@vec", "vec@mat", "mat@vec", "mat@mat", "batched", "vec@batch", "batch@vec"]))
    return {
        "vec@vec": ((k,), (k,)),
        "vec@mat": ((k,), (k, m)),
        "mat@vec": ((n, k), (k,)),
        "mat@mat": ((n, k), (k, m)),
        "batched": (left_batch + (n, k), right_batch + (k, m)),
        "vec@batch": ((k,), right_batch + (k, m)),
        "batch@vec": (left_batch + (n, k), (k,)),
    }[kind]


@given(shapes=matmul_shapes(), data=st.data())
def test_matmul_forward_and_gradcheck(shapes, data) -> None:
    a, b = (data.draw(S.values(shape)) for shape in shapes)
    check_forward(tg.tensor(a) @ tg.tensor(b), np.matmul(a, b))
    check_forward(tg.tensor(a).matmul(tg.tensor(b)), np.matmul(a, b))
    gradcheck(lambda x, y: x @ y, leaf(a), leaf(b))


def test_matmul_with_array_on_the_left_uses_rmatmul() -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
    x = tg.tensor(b, requires_grad=True)
    out = a @ x
    check_forward(out, a @ b)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, a.T @ np.ones((2, 2)))


# ------------------------------------------------------------------------------------------------ reductions


@dataclass(frozen=True)
class Reduction:
    name: str
    fn: Callable  # (Tensor, axis, keepdims) -> Tensor
    reference: Callable  # (array, axis, keepdims) -> array
    elements: Callable = S.values
    min_count: int = 1

    def __repr__(self) -> str:
        return self.name


def _logsumexp_reference(a, axis, keepdims):
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


REDUCTIONS = [
    Reduction("sum", lambda x, axis, k: x.sum(axis, k), lambda a, axis, k: np.sum(a, axis=axis, keepdims=k)),
    Reduction("mean", lambda x, axis, k: x.mean(axis, k), lambda a, axis, k: np.mean(a, axis=axis, keepdims=k)),
    Reduction("var", lambda x, axis, k: x.var(axis, keepdim=k),
              lambda a, axis, k: np.var(a, axis=axis, keepdims=k, ddof=1), min_count=2),
    Reduction("var(correction=0)", lambda x, axis, k: x.var(axis, keepdim=k, correction=0),
              lambda a, axis, k: np.var(a, axis=axis, keepdims=k)),
    Reduction("std", lambda x, axis, k: x.std(axis, keepdim=k),
              lambda a, axis, k: np.std(a, axis=axis, keepdims=k, ddof=1), S.distinct, min_count=2),
    Reduction("std(correction=0)", lambda x, axis, k: x.std(axis, keepdim=k, correction=0),
              lambda a, axis, k: np.std(a, axis=axis, keepdims=k), S.distinct, min_count=2),
    Reduction("max", lambda x, axis, k: x.max(axis=axis, keepdims=k),
              lambda a, axis, k: np.max(a, axis=axis, keepdims=k), S.distinct),
    Reduction("min", lambda x, axis, k: x.min(axis=axis, keepdims=k),
              lambda a, axis, k: np.min(a, axis=axis, keepdims=k), S.distinct),
    Reduction("logsumexp", lambda x, axis, k: x.logsumexp(axis, k), _logsumexp_reference),
]


@pytest.mark.parametrize("op", REDUCTIONS, ids=repr)
@given(data=st.data())
def test_reduction_forward_and_gradcheck(op: Reduction, data) -> None:
    array, axis, keepdims = data.draw(S.reduction_cases(min_count=op.min_count, elements=op.elements))
    check_forward(op.fn(tg.tensor(array), axis, keepdims), op.reference(array, axis, keepdims))
    gradcheck(lambda x: op.fn(x, axis, keepdims), leaf(array))


def test_max_splits_the_gradient_evenly_among_ties() -> None:
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    x.grad = None
    x.min().backward()  # the single minimum, 1.0, takes all of it
    np.testing.assert_array_equal(x.grad, [[1, 0, 0], [0, 0, 0]])


def _softmax_reference(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@given(data=st.data())
def test_softmax_and_log_softmax_forward_and_gradcheck(data) -> None:
    array = data.draw(S.values(data.draw(S.shapes(min_dims=1)), low=-5, high=5))
    axis = data.draw(S.one_axis(array.ndim))
    expected = _softmax_reference(array, axis)
    check_forward(tg.tensor(array).softmax(axis), expected)
    check_forward(tg.tensor(array).log_softmax(axis), np.log(expected))
    gradcheck(lambda x: x.softmax(axis), leaf(array))
    gradcheck(lambda x: x.log_softmax(axis), leaf(array))


def test_softmax_family_is_stable_for_logits_of_1e4() -> None:
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=np.float32)
    x = tg.tensor(logits, requires_grad=True)
    probabilities = x.softmax(axis=1)
    log_probabilities = x.log_softmax(axis=1)
    lse = x.logsumexp(axis=1)
    np.testing.assert_allclose(probabilities.numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]], atol=1e-7)
    np.testing.assert_allclose(log_probabilities.numpy()[:, 0], [0, -np.log(3), -np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(lse.numpy(), [1e4, -1e4 + np.log(3), 1e4 + np.log(2)], rtol=1e-6)
    (probabilities.sum() + log_probabilities.sum() + lse.sum()).backward()
    assert np.isfinite(x.grad).all()


# ---------------------------------------------------------------------------------------------- shape changes


@given(data=st.data())
def test_reshape_view_flatten_forward_and_gradcheck(data) -> None:
    array = data.draw(S.values(data.draw(S.shapes())))
    reversed_shape = array.shape[::-1]
    check_forward(tg.tensor(array).reshape(reversed_shape), array.reshape(reversed_shape))
    check_forward(tg.tensor(array).reshape(-1), array.reshape(-1))
    check_forward(tg.tensor(array).view(*reversed_shape), array.reshape(reversed_shape))
    gradcheck(lambda x: x.reshape(reversed_shape) * np.arange(array.size).reshape(reversed_shape), leaf(array))
    gradcheck(lambda x: x.view(-1), leaf(array))
    if array.ndim:
        start = data.draw(S.one_axis(array.ndim))
        end = data.draw(st.integers(start % array.ndim, array.ndim - 1))
        expected = array.reshape(array.shape[: start % array.ndim] + (-1,) + array.shape[end + 1 :])
        check_forward(tg.tensor(array).flatten(start, end), expected)
        gradcheck(lambda x: x.flatten(start, end), leaf(array))
    else:
        check_forward(tg.tensor(array).flatten(), array.reshape(1))


@given(data=st.data())
def test_permute_transpose_and_T_forward_and_gradcheck(data) -> None:
    array = data.draw(S.values(data.draw(S.shapes(min_dims=1))))
    order = tuple(data.draw(st.permutations(range(array.ndim))))
    first, second = data.draw(S.one_axis(array.ndim)), data.draw(S.one_axis(array.ndim))
    weights = np.arange(array.size, dtype=np.float64)  # makes a gradient routed to the wrong place visible
    check_forward(tg.tensor(array).permute(*order), np.transpose(array, order))
    check_forward(tg.tensor(array).permute(order), np.transpose(array, order))
    check_forward(tg.tensor(array).transpose(first, second), np.swapaxes(array, first, second))
    check_forward(tg.tensor(array).T, array.T)
    gradcheck(lambda x: x.permute(order) * weights.reshape(np.transpose(array, order).shape), leaf(array))
    gradcheck(lambda x: x.transpose(first, second).reshape(-1) * weights, leaf(array))
    gradcheck(lambda x: x.T.reshape(-1) * weights, leaf(array))


@given(data=st.data())
def test_squeeze_unsqueeze_forward_and_gradcheck(data) -> None:
    array = data.draw(S.values(data.draw(S.shapes())))
    check_forward(tg.tensor(array).squeeze(), np.squeeze(array))
    gradcheck(lambda x: x.squeeze(), leaf(array))
    if array.ndim:
        axis = data.draw(S.one_axis(array.ndim))  # an axis longer than 1 is left alone, as in PyTorch
        expected = np.squeeze(array, axis) if array.shape[axis] == 1 else array
        check_forward(tg.tensor(array).squeeze(axis), expected)
        gradcheck(lambda x: x.squeeze(axis), leaf(array))
    new_axis = data.draw(st.integers(-array.ndim - 1, array.ndim))
    check_forward(tg.tensor(array).unsqueeze(new_axis), np.expand_dims(array, new_axis))
    gradcheck(lambda x: x.unsqueeze(new_axis), leaf(array))


@given(data=st.data())
def test_expand_and_broadcast_to_forward_and_gradcheck(data) -> None:
    shape = data.draw(S.shapes())
    target = data.draw(S.broadcast_target(shape))
    array = data.draw(S.values(shape))
    weights = np.arange(1.0, 1.0 + np.prod(target)).reshape(target)  # each copy's gradient weighs differently
    check_forward(tg.tensor(array).expand(*target), np.broadcast_to(array, target))
    check_forward(tg.tensor(array).broadcast_to(target), np.broadcast_to(array, target))
    gradcheck(lambda x: x.expand(target) * weights, leaf(array))
    gradcheck(lambda x: x.broadcast_to(target) * weights, leaf(array))


def test_expand_keeps_axes_given_as_minus_one() -> None:
    x = leaf(np.arange(3.0).reshape(3, 1))
    out = x.expand(2, -1, 4)
    check_forward(out, np.broadcast_to(np.arange(3.0).reshape(3, 1), (2, 3, 4)))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((3, 1), 8.0))


@given(data=st.data())
def test_pad_forward_and_gradcheck(data) -> None:
    array = data.draw(S.values(data.draw(S.shapes(min_dims=1))))
    widths = tuple((data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))) for _ in range(array.ndim))
    value = data.draw(st.sampled_from([0.0, -1.5]))
    expected = np.pad(array, widths, constant_values=value)
    check_forward(tg.tensor(array).pad(widths, value=value), expected)
    gradcheck(lambda x: x.pad(widths, value=value) * np.arange(expected.size).reshape(expected.shape), leaf(array))


@given(data=st.data())
def test_cat_stack_split_forward_and_gradcheck(data) -> None:
    shape = data.draw(S.shapes(min_dims=1))
    axis = data.draw(S.one_axis(len(shape)))
    count = data.draw(st.integers(1, 3))
    lengths = [data.draw(st.integers(1, 3)) for _ in range(count)]
    pieces = [data.draw(S.values(shape[: axis % len(shape)] + (n,) + shape[axis % len(shape) + 1 :]))
              for n in lengths]
    joined = np.concatenate(pieces, axis=axis)
    check_forward(tg.cat([tg.tensor(p) for p in pieces], axis=axis), joined)
    check_forward(tg.concatenate([tg.tensor(p) for p in pieces], axis=axis), joined)
    weights = np.arange(joined.size, dtype=np.float64).reshape(joined.shape)
    gradcheck(lambda *xs: tg.cat(xs, axis=axis) * weights, *[leaf(p) for p in pieces])

    same = [data.draw(S.values(shape)) for _ in range(count)]
    stack_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    stacked = np.stack(same, axis=stack_axis)
    check_forward(tg.stack([tg.tensor(s) for s in same], axis=stack_axis), stacked)
    stack_weights = np.arange(stacked.size, dtype=np.float64).reshape(stacked.shape)
    gradcheck(lambda *xs: tg.stack(xs, axis=stack_axis) * stack_weights, *[leaf(s) for s in same])

    size = data.draw(st.integers(1, joined.shape[axis]))
    boundaries = list(range(size, joined.shape[axis], size))
    expected = np.split(joined, boundaries, axis=axis)
    for got, want in zip(tg.tensor(joined).split(size, axis=axis), expected, strict=True):
        check_forward(got, want)
    for got, want in zip(tg.split(tg.tensor(joined), lengths, axis=axis), pieces, strict=True):
        check_forward(got, want)

    def scaled_split(x):  # each piece weighted differently, joined again so gradcheck sees one tensor
        return tg.cat([piece * (i + 1) for i, piece in enumerate(x.split(size, axis=axis))], axis=axis)

    gradcheck(scaled_split, leaf(joined))


# ------------------------------------------------------------------------------------------------- indexing


@given(data=st.data())
def test_basic_indexing_forward_and_gradcheck(data) -> None:
    """Slices (with steps, negative too), ints, None and Ellipsis."""
    array = data.draw(S.values(data.draw(S.shapes(min_dims=1))))
    index = data.draw(S.hnp.basic_indices(array.shape, allow_newaxis=True))
    check_forward(tg.tensor(array)[index], array[index])
    gradcheck(lambda x: x[index], leaf(array))


@given(data=st.data())
def test_integer_array_indexing_accumulates_repeated_indices(data) -> None:
    array = data.draw(S.values(data.draw(S.shapes(min_dims=1))))
    index = data.draw(S.hnp.integer_array_indices(array.shape, result_shape=S.shapes(min_dims=1, max_side=4)))
    check_forward(tg.tensor(array)[index], array[index])
    gradcheck(lambda x: x[index], leaf(array))
    x = leaf(array)
    x[index].sum().backward()
    picked = np.zeros(array.shape)
    np.add.at(picked, index, 1.0)  # how often each element was picked
    np.testing.assert_array_equal(x.grad, picked)


@given(data=st.data())
def test_boolean_mask_indexing_forward_and_gradcheck(data) -> None:
    array = data.draw(S.values(data.draw(S.shapes(min_dims=1))))
    mask = data.draw(S.hnp.arrays(np.bool_, array.shape))
    row_mask = data.draw(S.hnp.arrays(np.bool_, array.shape[:1]))
    check_forward(tg.tensor(array)[mask], array[mask])
    check_forward(tg.tensor(array)[tg.tensor(mask)], array[mask])
    check_forward(tg.tensor(array)[row_mask], array[row_mask])
    gradcheck(lambda x: x[mask], leaf(array))
    gradcheck(lambda x: x[row_mask], leaf(array))


def test_mixed_indexing_and_index_forms() -> None:
    array = np.arange(24.0).reshape(2, 3, 4)
    cases = [  # (our index, the same index for NumPy)
        ((np.array([0, 0, 1]), slice(1, None)),) * 2,
        ((1, [2, 2, 0]), (1, np.array([2, 2, 0]))),
        ((Ellipsis, tg.tensor([3, -1])), (Ellipsis, np.array([3, -1]))),
        ((slice(None), np.array([[0], [2]]), np.array([1, 3])),) * 2,
        ((None, 1, slice(None, None, -2)),) * 2,
    ]
    for index, numpy_index in cases:
        check_forward(tg.tensor(array)[index], array[numpy_index])
        gradcheck(lambda x, index=index: x[index], leaf(array))


def test_iterating_over_a_tensor_yields_its_rows() -> None:
    rows = list(tg.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert [row.tolist() for row in rows] == [[1.0, 2.0], [3.0, 4.0]]


# ------------------------------------------------------------------------------------ against PyTorch


def _pad_torch(x):
    return require_torch().nn.functional.pad(x, (0, 2, 1, 0), value=-1.0)


def _functional(name, **options):
    return lambda x: getattr(require_torch().nn.functional, name)(x, **options)


RNG = np.random.default_rng(7)
A23, B23, B3, B31 = (RNG.standard_normal(shape).astype(np.float32) for shape in [(2, 3), (2, 3), (3,), (3, 1)])
POSITIVE = RNG.uniform(0.5, 2.0, (2, 3)).astype(np.float32)
KINKS = np.array([[-1.0, 0.0, 0.5], [2.0, -0.5, 0.0]], dtype=np.float32)  # 0 and the clip bounds ±0.5
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=np.float32)
MASK = np.array([[True, False, True], [False, False, True]])

# (id, tinygrad function, PyTorch function or None when the same expression works on both, inputs)
TORCH_CASES = [
    ("add broadcast", lambda x, y: x + y, None, [A23, B3]),
    ("sub broadcast", lambda x, y: x - y, None, [A23, B31[:2]]),
    ("mul broadcast", lambda x, y: x * y, None, [B31, B3]),
    ("div broadcast", lambda x, y: x / y, None, [A23, POSITIVE[0]]),
    ("pow tensor", lambda x, y: x**y, None, [POSITIVE, B3]),
    ("pow at base 0", lambda x: x**2.5, None, [np.abs(KINKS)]),
    ("rpow", lambda x: 2**x, None, [A23]),
    ("rsub rdiv", lambda x: (1 - x) + 2 / x, None, [POSITIVE]),
    ("neg", lambda x: -x, None, [A23]),
    ("matmul 2-D", lambda x, y: x @ y, None, [A23, B23.T.copy()]),
    ("matmul 1-D", lambda x, y: x @ y, None, [B3, B3 * 2]),
    ("matmul vec@mat", lambda x, y: x @ y, None, [A23[0, :2].copy(), A23]),
    ("matmul batched broadcast", lambda x, y: x @ y, None,
     [RNG.standard_normal((2, 1, 3, 4)).astype(np.float32), RNG.standard_normal((5, 4, 2)).astype(np.float32)]),
    ("exp log sqrt", lambda x: x.exp() + x.log() + x.sqrt(), None, [POSITIVE]),
        ("abs at 0", lambda x: x.abs(), None, [KINKS]),
    ("sin cos tanh sigmoid", lambda x: x.sin() * x.cos() + x.tanh() - x.sigmoid(), None, [A23 * 3]),
    ("relu at 0", lambda x: x.relu(), None, [KINKS]),
    ("leaky_relu at 0", lambda x: x.leaky_relu(0.1), _functional("leaky_relu", negative_slope=0.1), [KINKS]),
    ("gelu", lambda x: x.gelu(), _functional("gelu"), [A23 * 3]),
    ("gelu tanh", lambda x: x.gelu(approximate="tanh"), _functional("gelu", approximate="tanh"), [A23 * 3]),
    ("clip at bounds", lambda x: x.clip(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5), [KINKS]),
    ("maximum ties", tg.maximum, lambda x, y: require_torch().maximum(x, y), [KINKS, np.zeros((2, 3), np.float32)]),
    ("minimum ties", tg.minimum, lambda x, y: require_torch().minimum(x, y), [KINKS, np.zeros((3,), np.float32)]),
    ("where", lambda x, y: tg.where(MASK, x, y),
     lambda x, y: require_torch().where(require_torch().tensor(MASK), x, y), [A23, B3]),
    ("sum axis keepdims", lambda x: x.sum(axis=1, keepdims=True), lambda x: x.sum(dim=1, keepdim=True), [A23]),
    ("mean tuple", lambda x: x.mean(axis=(0, 1)), lambda x: x.mean(dim=(0, 1)), [A23]),
    ("var unbiased", lambda x: x.var(axis=0), lambda x: x.var(dim=0), [A23]),
    ("var all", lambda x: x.var(), lambda x: x.var(), [A23]),
    ("std keepdims", lambda x: x.std(axis=1, keepdims=True), lambda x: x.std(dim=1, keepdim=True), [A23]),
    ("std correction 0", lambda x: x.std(correction=0), lambda x: x.std(correction=0), [A23]),
    ("max ties axis", lambda x: x.max(axis=1), lambda x: x.amax(dim=1), [TIES]),
    ("max ties all", lambda x: x.max(), lambda x: x.amax(), [TIES]),
    ("min ties keepdims", lambda x: x.min(axis=0, keepdims=True), lambda x: x.amin(dim=0, keepdim=True), [TIES]),
    ("logsumexp", lambda x: x.logsumexp(axis=-1), lambda x: x.logsumexp(dim=-1), [A23 * 5]),
    ("softmax", lambda x: x.softmax(axis=0), lambda x: x.softmax(dim=0), [A23 * 5]),
    ("log_softmax", lambda x: x.log_softmax(axis=1), lambda x: x.log_softmax(dim=1), [A23 * 5]),
    ("reshape view flatten", lambda x: x.reshape(3, 2).view(6) + x.flatten(), None, [A23]),
    ("transpose permute T", lambda x: x.transpose(0, 1) * x.T + x.permute(1, 0), None, [A23]),
    ("squeeze unsqueeze", lambda x: x.unsqueeze(1).squeeze(1).unsqueeze(-1).squeeze(), None, [A23]),
    ("expand broadcast_to", lambda x: x.expand(2, 3, 3) + x.broadcast_to((2, 3, 3)), None, [B31]),
    ("pad", lambda x: x.pad(((1, 0), (0, 2)), value=-1.0), _pad_torch, [A23]),
    ("cat stack", lambda x, y: tg.cat([x, y], axis=0) * tg.stack([x, y], axis=1).reshape(4, 3),
     lambda x, y: (torch := require_torch()).cat([x, y], dim=0) * torch.stack([x, y], dim=1).reshape(4, 3),
     [A23, B23]),
    ("split", lambda x: tg.cat([p * (i + 1) for i, p in enumerate(x.split(2, axis=1))], axis=1),
     lambda x: require_torch().cat([p * (i + 1) for i, p in enumerate(x.split(2, dim=1))], dim=1), [A23]),
    ("index slices ints None", lambda x: x[None, 1, ::2] + x[0, 1:], None, [A23]),
    ("index repeated ints", lambda x: x[[0, 0, 1], [2, 2, 0]], None, [A23]),
    ("index mask", lambda x: x[MASK], lambda x: x[require_torch().tensor(MASK)], [A23]),
]


@pytest.mark.torch
@pytest.mark.parametrize(("tg_fn", "torch_fn", "inputs"), [case[1:] for case in TORCH_CASES],
                         ids=[case[0] for case in TORCH_CASES])
def test_forward_and_gradients_match_pytorch(tg_fn, torch_fn, inputs) -> None:
    torch = require_torch()
    torch_fn = torch_fn or tg_fn
    ours = [tg.tensor(array, requires_grad=True) for array in inputs]
    theirs = [torch.tensor(array, requires_grad=True) for array in inputs]
    out, expected = tg_fn(*ours), torch_fn(*theirs)
    assert out.dtype == np.float32
    assert_close(out, expected, rtol=1e-5, atol=1e-6)
    weights = np.random.default_rng(0).uniform(0.5, 1.5, expected.shape).astype(np.float32)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.grad.dtype == np.float32
        assert_close(mine.grad, reference.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.torch
@given(data=st.data())
def test_max_min_tie_rule_matches_torch_amax_amin(data) -> None:
    torch = require_torch()
    array = data.draw(S.ties(data.draw(S.shapes())))
    axis = data.draw(S.axes(array.ndim))
    keepdims = data.draw(st.booleans())
    dim = () if axis is None else axis
    for ours_name, torch_name in [("max", "amax"), ("min", "amin")]:
        x, reference = leaf(array), torch.tensor(array, requires_grad=True)
        out = getattr(x, ours_name)(axis=axis, keepdims=keepdims)  # NumPy spelling: values (amax rule)
        expected = getattr(reference, torch_name)(dim=dim, keepdim=keepdims)
        weights = np.random.default_rng(1).uniform(0.5, 1.5, expected.shape)
        (out * weights).sum().backward()
        (expected * torch.tensor(weights)).sum().backward()
        assert_close(out, expected, rtol=1e-12, atol=0)
        assert_close(x.grad, reference.grad, rtol=1e-12, atol=1e-15)

"""The Tensor itself: construction and dtype rules, attributes and conversions, and the backward engine
(accumulation, retain_graph, freed buffers, no_grad, detach, deep graphs, no shared gradient arrays)."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest

import tinygrad_edu as tg
from tests.helpers import require_torch

# ------------------------------------------------------------------------------------- construction, dtypes

# (data, the dtype torch.tensor(data) gives, which ours must match)
DTYPE_CASES = [
    (1.0, "float32"),
    ([1.0, 2.0], "float32"),
    ([1, 2.5], "float32"),
    ([[1.0], [2.0]], "float32"),
    (3, "int64"),
    ([1, 2], "int64"),
    (True, "bool"),
    ([True, False], "bool"),
    (np.array([1.0]), "float64"),
    (np.array([1.0], dtype=np.float32), "float32"),
    (np.array([1], dtype=np.int32), "int32"),
    (np.float64(2.0), "float64"),
    (np.array(2, dtype=np.int16), "int16"),
]


@pytest.mark.parametrize(("data", "expected"), DTYPE_CASES, ids=[repr(case[0]) for case in DTYPE_CASES])
def test_dtype_rules_follow_torch_tensor(data, expected) -> None:
    assert tg.Tensor(data).dtype == np.dtype(expected)
    assert tg.tensor(data).dtype == np.dtype(expected)
    np.testing.assert_array_equal(tg.tensor(data).numpy(), np.asarray(data))


@pytest.mark.torch
@pytest.mark.parametrize(("data", "expected"), DTYPE_CASES, ids=[repr(case[0]) for case in DTYPE_CASES])
def test_dtype_table_is_what_torch_does(data, expected) -> None:
    torch = require_torch()
    assert str(torch.tensor(data).dtype) == f"torch.{expected}"


def test_dtype_on_request_and_promotion() -> None:
    assert tg.tensor([1, 2], dtype="float64").dtype == np.float64
    assert tg.tensor([1.0], dtype=np.float64).dtype == np.float64
    assert tg.tensor(np.ones(2), dtype="float32").dtype == np.float32
    single, double = tg.tensor([1.0], requires_grad=True), tg.tensor(np.array([2.0]), requires_grad=True)
    assert (single + double).dtype == np.float64  # float32 with float64 gives float64, as NumPy and PyTorch
    assert (single * double).dtype == np.float64
    assert (single * 2.5).dtype == np.float32  # a Python number takes the tensor's dtype
    assert (2 * single).dtype == np.float32
    assert (tg.tensor([1, 2]) + 3).dtype == np.int64
    (single * double).sum().backward()
    assert single.grad.dtype == np.float32 and double.grad.dtype == np.float64  # each grad has its leaf's dtype


def test_tensor_from_a_tensor_and_non_numeric_data() -> None:
    source = tg.tensor([1.0, 2.0])
    assert tg.tensor(source).tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="not numeric"):
        tg.tensor(["a", "b"])


def test_factories() -> None:
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros((2, 3)).dtype == np.float32
    assert tg.ones(4).numpy().sum() == 4
    assert tg.full((2,), 1.5).tolist() == [1.5, 1.5] and tg.full((2,), 1.5).dtype == np.float32
    assert tg.full(3, 7).dtype == np.int64
    like = tg.tensor(np.ones((2, 2)))
    assert tg.zeros_like(like).dtype == np.float64 and tg.ones_like(like).numpy().sum() == 4
    assert tg.arange(5).tolist() == [0, 1, 2, 3, 4] and tg.arange(5).dtype == np.int64
    assert tg.arange(0, 1, 0.25).dtype == np.float32 and tg.arange(1, 7, 2).tolist() == [1, 3, 5]
    np.testing.assert_array_equal(tg.eye(3).numpy(), np.eye(3))
    assert tg.rand(3, 2).shape == (3, 2) and tg.randn(4).dtype == np.float32
    assert tg.randn(2, dtype="float64").dtype == np.float64
    assert (0 <= tg.rand(1000).numpy()).all() and (tg.rand(1000).numpy() < 1).all()
    for made in [tg.zeros(2, requires_grad=True), tg.ones(2, requires_grad=True),
                 tg.full((2,), 1.0, requires_grad=True), tg.zeros_like(like, requires_grad=True),
                 tg.ones_like(like, requires_grad=True),
                 tg.arange(0.0, 2.0, requires_grad=True), tg.eye(2, requires_grad=True),
                 tg.rand(2, requires_grad=True), tg.randn(2, requires_grad=True)]:
        assert made.requires_grad and made.is_leaf


# ------------------------------------------------------------------------------------------ attributes


def test_attributes() -> None:
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert isinstance(x.data, np.ndarray)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.numel() == 6 and len(x) == 2
    assert x.dtype == np.float64 and x.device == "cpu" and x.xp is np
    assert x.is_leaf and x.requires_grad and x.grad is None and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.requires_grad and type(y.grad_fn).__name__ == "Mul"
    x.grad = tg.ones(2, 3, dtype=x.dtype)  # assignable, as in PyTorch
    assert x.grad.sum() == 6


def test_repr_shows_values_dtype_and_the_op() -> None:
    x = tg.tensor([1.0, 2.5], requires_grad=True)
    assert repr(x) == "Tensor([1. , 2.5], requires_grad=True)"
    assert repr(x * 2) == "Tensor([2., 5.], grad_fn=<Mul>)"
    assert repr(tg.tensor([1, 2])) == "Tensor([1, 2])"
    assert repr(tg.tensor(np.array([0.5]))) == "Tensor([0.5], dtype=float64)"
    assert "grad_fn=<Sum>" in repr(x.sum())


def test_conversions() -> None:
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert x.sum().item() == 10.0 and isinstance(x.sum().item(), float)
    assert float(x[0, 1]) == 2.0 and int(tg.tensor(3)) == 3
    assert [1, 2, 3][tg.tensor(1)] == 2  # an integer tensor of one element is an index
    converted = x.astype("float64")
    assert converted.dtype == np.float64 and not converted.is_leaf
    as_int = x.astype("int32")
    assert as_int.dtype == np.int32 and not as_int.requires_grad
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32
    assert x.to("float64").dtype == np.float64 and x.to("cpu") is x and x.cpu() is x


def test_astype_is_differentiable_and_casts_the_gradient_back() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x.astype("float64") * np.array([3.0, 4.0])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_only_floating_point_tensors_can_require_grad() -> None:
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="int64"):
        tg.tensor([1, 2]).requires_grad_()
    x = tg.tensor([1.0]).requires_grad_()
    assert x.requires_grad and x.requires_grad_(False).requires_grad is False


def test_comparisons_and_argmax_carry_no_gradient() -> None:
    a = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    b = np.array([2.0, 5.0, 1.0])
    x = tg.tensor(a, requires_grad=True)
    for ours, theirs in [(x == b, a == b), (x != b, a != b), (x < b, a < b), (x <= b, a <= b),
                         (x > b, a > b), (x >= b, a >= b), (x > 2.5, a > 2.5)]:
        assert ours.dtype == np.bool_ and not ours.requires_grad and ours.is_leaf
        np.testing.assert_array_equal(ours.numpy(), theirs)
    for axis in (None, 0, 1, -1):
        for ours, theirs in [(x.argmax(axis), np.argmax(a, axis)), (x.argmin(axis), np.argmin(a, axis))]:
            assert not ours.requires_grad and ours.dtype == np.int64
            np.testing.assert_array_equal(ours.numpy(), theirs)
    assert x.argmax(1, keepdims=True).shape == (2, 1)
    assert bool((x > 0).all()) and not bool((x > 5).all()) and bool((x > 5).any())


# ------------------------------------------------------------------------------------------- backward


def test_gradients_accumulate_across_backward_calls_until_zeroed() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])  # 2x, twice
    x.zero_grad()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])


def test_gradients_along_several_paths_are_summed() -> None:
    x = tg.tensor([3.0], requires_grad=True)
    y = x * x
    (y + y * x + x).sum().backward()  # d/dx (x² + x³ + x) = 2x + 3x² + 1
    np.testing.assert_allclose(x.grad, [2 * 3 + 3 * 9 + 1])


def test_retain_graph_allows_a_second_backward() -> None:
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first)


def test_second_backward_through_a_freed_graph_raises() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        loss.backward()


def test_intermediate_buffers_are_freed_after_backward() -> None:
    x = tg.tensor(np.ones(1000), requires_grad=True)
    hidden = x.exp()  # Exp keeps its output for backward
    buffer = weakref.ref(hidden.data)
    function = hidden.grad_fn
    loss = (hidden * 2).sum()
    del hidden
    gc.collect()
    assert buffer() is not None  # still needed: the graph holds it
    loss.backward()
    gc.collect()
    assert buffer() is None
    assert function.saved == () and function.parents is None


def test_retained_graph_keeps_its_buffers() -> None:
    x = tg.tensor(np.ones(10), requires_grad=True)
    hidden = x.exp()
    buffer = weakref.ref(hidden.data)
    loss = hidden.sum()
    del hidden
    loss.backward(retain_graph=True)
    gc.collect()
    assert buffer() is not None


def test_backward_needs_a_scalar_or_an_explicit_grad() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs only.*shape \(2,\).*\.sum\(\)"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 20.0])
    (x * 2).backward(tg.tensor([1.0, 1.0]))
    np.testing.assert_array_equal(x.grad, [4.0, 22.0])


@pytest.mark.slow
def test_a_chain_of_100000_ops_backpropagates() -> None:
    x = tg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 0.5  # 100,000 graph nodes, far beyond Python's recursion limit
    assert 100_000 > sys.getrecursionlimit()
    y.backward()
    assert y.item() == 50_001.0 and x.grad == 1.0


def test_leaf_gradients_never_share_an_array() -> None:
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # Add passes the same incoming array on to both inputs
    assert a.grad is not b.grad and not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data += 1  # an optimizer updating one gradient in place must not touch the other
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])

    c = tg.tensor(np.ones((2, 3)), requires_grad=True)
    c.mean().backward()  # Mean's backward is a read-only broadcast view
    assert c.grad.data.flags.writeable and c.grad.data.flags.owndata
    c.grad.data *= 2

    d = tg.tensor([1.0, 2.0], requires_grad=True)
    upstream = np.array([5.0, 6.0], dtype=d.dtype)  # the tensor's dtype: nothing to convert
    d.backward(upstream)  # the caller's array is copied, not stored
    upstream[:] = 0
    np.testing.assert_array_equal(d.grad, [5.0, 6.0])

    e = tg.tensor([1.0, 2.0], requires_grad=True)
    upstream = np.array([5.0, 6.0], dtype=e.dtype)
    (e + 1).backward(upstream)  # Add hands the caller's (uncopied) array on unchanged: the leaf stores a copy
    upstream[:] = 0
    np.testing.assert_array_equal(e.grad, [5.0, 6.0])
    y = e * 2
    upstream = np.array([7.0, 8.0], dtype=e.dtype)
    (found,) = tg.autograd.grad(y, [y], grad_outputs=upstream)
    upstream[:] = 0
    np.testing.assert_array_equal(found, [7.0, 8.0])


def test_backward_never_writes_into_the_callers_gradient() -> None:
    """The engine uses the array given to backward() as it is (no copy): a read-only one passes through a
    network of many ops, which only read it."""
    rng = np.random.default_rng(0)
    lstm, head = tg.nn.LSTM(3, 4), tg.nn.Sequential(tg.nn.Linear(4, 5), tg.nn.ReLU(), tg.nn.Linear(5, 2))
    x = tg.tensor(rng.standard_normal((6, 2, 3)).astype(np.float32), requires_grad=True)
    out = head(lstm(x)[0]).softmax(-1)
    upstream = rng.standard_normal(out.shape).astype(np.float32)
    upstream.flags.writeable = False
    kept = upstream.copy()
    out.backward(upstream)
    np.testing.assert_array_equal(upstream, kept)
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()


def test_backward_without_any_input_requiring_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        (tg.tensor([1.0]) * 2).sum().backward()


def test_retain_grad_keeps_a_non_leaf_gradient() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    hidden = (x * 3).retain_grad()
    plain = x * 4
    (hidden * hidden + plain).sum().backward()
    np.testing.assert_array_equal(hidden.grad, [6.0, 12.0])
    assert plain.grad is None


# ------------------------------------------------------------------------------------ no_grad and detach


def test_no_grad_as_context_manager_builds_no_graph() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = (x * 2).exp().sum()
        with tg.enable_grad():
            z = x * 2
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_as_decorator_and_restored_after_an_exception() -> None:
    x = tg.tensor([1.0], requires_grad=True)

    @tg.no_grad()
    def evaluate(t):
        assert not tg.is_grad_enabled()
        return t * 2

    assert not evaluate(x).requires_grad and tg.is_grad_enabled()
    with pytest.raises(ZeroDivisionError), tg.no_grad():
        raise ZeroDivisionError
    assert tg.is_grad_enabled()


def test_detach_shares_data_and_stops_the_gradient() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    frozen = x.detach()
    assert not frozen.requires_grad and frozen.is_leaf and np.shares_memory(frozen.data, x.data)
    (frozen * x).sum().backward()  # only the second factor is differentiated: d/dx (c·x) = c
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


# ----------------------------------------------------------------------------------------- random seeds


def test_manual_seed_reproduces_random_draws_bit_for_bit() -> None:
    def draws():
        return [tg.rand(4, 3).numpy().tobytes(), tg.randn(5).numpy().tobytes(),
                tg.randn(2, dtype="float64").numpy().tobytes(), tg.randint(0, 10, (6,)).numpy().tobytes()]

    tg.manual_seed(1234)
    first = draws()
    tg.manual_seed(1234)
    assert draws() == first
    tg.manual_seed(1235)
    assert draws() != first
    assert tg.backend.initial_seed() == 1235


def test_rng_state_can_be_saved_and_restored() -> None:
    tg.manual_seed(5)
    state = tg.backend.get_rng_state()
    first = tg.randn(8).numpy()
    tg.backend.set_rng_state(state)
    np.testing.assert_array_equal(tg.randn(8).numpy(), first)


def test_backward_takes_a_gradient_of_any_layout() -> None:
    """The caller's gradient array is used as given (no copy): a broadcast view (all strides 0 on some axes) or a
    transposed one gives the gradients of the same values in a plain C-ordered array, bit for bit."""
    x_values = np.random.default_rng(1).standard_normal((5, 3, 8)).astype(np.float32)

    def gradients(kind: str) -> list[np.ndarray]:
        tg.manual_seed(0)
        lstm, head = tg.nn.LSTM(8, 16), tg.nn.Sequential(tg.nn.Linear(16, 16), tg.nn.ReLU(), tg.nn.Linear(16, 4))
        x = tg.tensor(x_values, requires_grad=True)
        out = head(lstm(x)[0])
        upstream = {"plain": np.full(out.shape, 0.5, np.float32),
                    "broadcast": np.broadcast_to(np.float32(0.5), out.shape),
                    "transposed": np.full(out.shape[::-1], 0.5, np.float32).T}[kind]
        out.backward(upstream)
        return [p.grad.numpy() for p in (*lstm.parameters(), *head.parameters())] + [x.grad.numpy()]

    expected = gradients("plain")
    for kind in ("broadcast", "transposed"):
        for a, b in zip(gradients(kind), expected, strict=True):
            np.testing.assert_array_equal(a, b)

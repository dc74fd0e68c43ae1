"""The core behaves as PyTorch does (issue #16): one test per row of the issue's table, named after the row."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim


def test_row_grad_is_a_tensor_numpy_zero_and_assignment():
    """`x.grad.numpy()`, `p.grad.zero_()`, `p.grad = tg.ones(2, 2)` then `opt.step()`."""
    p = tg.randn(2, 2, requires_grad=True)
    (p * p).sum().backward()
    assert isinstance(p.grad, tg.Tensor) and p.grad.grad_fn is None and not p.grad.requires_grad
    np.testing.assert_allclose(p.grad.numpy(), 2 * p.numpy(), rtol=1e-6)
    p.grad.zero_()
    assert float(p.grad.abs().sum()) == 0.0
    p.grad = tg.ones(2, 2)
    before = p.numpy().copy()
    optim.SGD([p], lr=0.5).step()
    np.testing.assert_allclose(p.numpy(), before - 0.5)
    p.grad = None
    with pytest.raises(TypeError, match="must be a Tensor or None"):
        p.grad = np.ones((2, 2))
    with pytest.raises(RuntimeError, match="different size"):
        p.grad = tg.ones(3)


def test_row_manual_update_under_no_grad_keeps_a_trainable_leaf():
    """`with no_grad(): w -= lr * w.grad` updates w in place; it stays a leaf that requires grad."""
    w = tg.tensor([1.0, -2.0], requires_grad=True)
    identity = id(w)
    for _ in range(3):
        (w * w).sum().backward()
        with tg.no_grad():
            w -= 0.25 * w.grad
        w.grad = None
    assert id(w) == identity and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(), [0.125, -0.25])  # w ← w − 0.25·2w = w/2, three times
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place"):
        w -= 1.0  # without no_grad: PyTorch's error, named


def test_row_backward_after_an_optimizer_step_is_refused():
    """`loss1.backward(); opt.step(); loss2.backward()` over shared activations: PyTorch's in-place error."""
    w = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = tg.tensor([[1.0, 1.0]])
    hidden = x @ w
    loss1, loss2 = hidden.sum(), (hidden @ w).sum()
    opt = optim.SGD([w], lr=0.1)
    loss1.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*shape \\(2, 2\\).*MatMul"):
        loss2.backward()


def test_row_grad_mode_is_per_thread():
    """Thread A inside no_grad() while thread B trains: B's graph is recorded; out-of-order exits are harmless."""
    a_inside, b_done, results = threading.Event(), threading.Event(), {}

    def thread_a() -> None:
        with tg.no_grad():
            a_inside.set()
            b_done.wait(5)
            results["a"] = (tg.tensor([1.0], requires_grad=True) * 2).requires_grad

    def thread_b() -> None:
        a_inside.wait(5)
        with tg.no_grad():
            pass  # exits before A's block: must not switch recording back on for A, nor leave it off for B
        results["b"] = (tg.tensor([1.0], requires_grad=True) * 2).requires_grad
        b_done.set()

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"a": False, "b": True}
    assert tg.is_grad_enabled()


def test_row_max_with_dim_returns_values_and_indices():
    x = tg.tensor([[1.0, 5.0, 3.0], [7.0, 2.0, 0.0]])
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    assert x.max(1)[0].shape == (2,) and x.max(1).values.shape == (2,) and x.min(0).indices.dtype == np.int64
    assert x.max().shape == ()
    assert x.max(1, keepdim=True).values.shape == (2, 1)


def test_row_sum_with_dim_and_keepdim():
    x = tg.ones(2, 3)
    assert x.sum(dim=1, keepdim=True).shape == (2, 1)
    assert x.mean(dim=(0, 1)).shape == ()
    assert x.sum(axis=1, keepdims=True).shape == (2, 1)  # NumPy's names stay accepted
    with pytest.raises(TypeError, match="both dim and axis"):
        x.sum(dim=0, axis=1)


@pytest.mark.parametrize(("expression", "expected"), [
    (lambda i: i / 2, np.float32), (lambda i: i + 0.5, np.float32), (lambda i: i**0.5, np.float32),
    (lambda i: 0.7**i, np.float32), (lambda i: i / i, np.float32), (lambda i: i * 2, np.int64),
    (lambda i: i + tg.tensor([0.5, 1.5, 2.5]), np.float32), (lambda i: tg.tensor([True, False, True]) + 1, np.int64),
    (lambda i: tg.tensor([1.0, 2.0, 3.0]) + tg.tensor(1.0, dtype="float64"), np.float32),
    (lambda i: i + tg.tensor(1.0, dtype="float64"), np.float64),
])
def test_row_integer_tensor_with_floats_gives_the_default_float(expression, expected):
    assert expression(tg.tensor([1, 2, 3])).dtype == expected


def test_default_dtype_can_be_changed():
    assert tg.get_default_dtype() == np.float32
    tg.set_default_dtype("float64")
    try:
        assert (tg.tensor([1, 2]) / 2).dtype == np.float64
        assert tg.tensor([1.5]).dtype == np.float64
    finally:
        tg.set_default_dtype("float32")
    with pytest.raises(TypeError, match="floating-point"):
        tg.set_default_dtype("int64")


def test_row_package_namespace():
    import tinygrad_edu

    assert tinygrad_edu.optim.SGD is optim.SGD
    assert callable(tinygrad_edu.autograd.grad) and tinygrad_edu.nn.Linear and tinygrad_edu.data


def test_row_item_assignment_and_masks():
    x = tg.tensor([1.0, -2.0, 3.0])
    x[0] = 10.0
    x[x < 0] = 0.0
    np.testing.assert_array_equal(x.numpy(), [10.0, 0.0, 3.0])
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = tg.tensor(5.0, requires_grad=True)
    y = w * 2
    y[1] = v  # recorded: the overwritten element sends no gradient to w; v gets the gradient at its place
    (y * tg.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 0.0, 200.0])
    assert float(v.grad) == 10.0


@pytest.mark.parametrize(("base", "exponent", "d_base", "d_exponent"), [
    (0.0, 0.0, 0.0, 0.0),          # d(x⁰)/dx = 0 at x = 0; 0ʸ is flat in y for y ≥ 0
    (0.0, 2.0, 0.0, 0.0),
    (0.0, 0.5, np.inf, 0.0),
    (0.0, -1.0, -np.inf, np.nan),  # 0⁻¹ = inf: inf·ln 0 = inf·(−inf)
    (-2.0, 2.0, -4.0, np.nan),     # ln of a negative base is NaN, as PyTorch
    (-2.0, 0.0, 0.0, np.nan),
    (2.0, 0.0, 0.0, np.log(2.0)),
])
def test_row_pow_gradients_at_the_edges(base, exponent, d_base, d_exponent):
    x = tg.tensor([base], requires_grad=True)
    y = tg.tensor([exponent], requires_grad=True)
    (x**y).sum().backward()
    with np.errstate(invalid="ignore"):
        expected_exponent = d_exponent if not (base == 0 and exponent == -1) else -np.inf
    np.testing.assert_allclose(x.grad.numpy(), [d_base])
    np.testing.assert_allclose(y.grad.numpy(), [expected_exponent])


def test_row_var_with_too_few_elements_is_nan_forward_and_backward():
    x = tg.tensor([3.0], requires_grad=True)
    v = x.var()
    assert np.isnan(float(v))
    v.backward()
    assert np.isnan(x.grad.numpy()).all()
    s = tg.tensor([[1.0], [2.0]], requires_grad=True)
    s.std(dim=1).sum().backward()
    assert np.isnan(s.grad.numpy()).all()


def test_row_reductions_of_a_0d_tensor():
    x = tg.tensor(2.0, requires_grad=True)
    assert float(x.sum(0)) == 2.0 and float(x.sum(-1)) == 2.0 and float(x.logsumexp(0)) == 2.0
    x.logsumexp(0).backward()
    assert float(x.grad) == 1.0
    with pytest.raises(IndexError, match=r"expected to be in range of \[-1, 0\], but got 1"):
        x.sum(1)


def test_row_advanced_indexing_places_axes_as_pytorch():
    a = np.arange(2 * 3 * 12 * 4 * 3, dtype=np.float32).reshape(2, 3, 12, 4, 3)
    d = np.array([0, 2, 1])
    out = tg.tensor(a)[1, :, 3:11:2, d, 0:2]
    assert out.shape == (3, 4, 3, 2)  # NumPy: (3, 3, 4, 2)
    np.testing.assert_array_equal(out.numpy(), a[1][:, 3:11:2, d, 0:2])

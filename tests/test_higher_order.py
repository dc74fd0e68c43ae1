"""Second derivatives: ``create_graph=True``, ``tg.autograd.grad`` and ``gradgradcheck`` (issue #16).

Every elementwise, reduction, matrix, shape and loss op is checked on hypothesis-drawn shapes and values in float64:
the gradient of its recorded backward pass must match central differences of its first derivative.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

from .strategies import away_from, broadcast_shapes, distinct, positive, shapes, values

TOLERANCE = dict(atol=1e-5, rtol=1e-4)
FEW = settings(max_examples=8, deadline=None)


def check(fn, *arrays) -> None:
    tg.gradgradcheck(fn, *[tg.Tensor(a, requires_grad=True) for a in arrays], **TOLERANCE)


UNARY = {
    "neg": (lambda x: -x * x, values), "exp": (lambda x: x.exp(), values), "log": (lambda x: x.log(), positive),
    "sqrt": (lambda x: x.sqrt(), positive), "abs": (lambda x: x.abs() * x, away_from),
    "sin": (lambda x: x.sin(), values), "cos": (lambda x: x.cos(), values), "tanh": (lambda x: x.tanh(), values),
    "sigmoid": (lambda x: x.sigmoid(), values), "relu": (lambda x: x.relu() * x, away_from),
    "relu6": (lambda x: F.relu6(x) * x, away_from), "leaky_relu": (lambda x: F.leaky_relu(x, 0.1) * x, away_from),
    "clip": (lambda x: x.clip(-1.0, 1.0) * x, lambda s: away_from(s, (-1.0, 1.0))),
    "pow_const": (lambda x: x**3, values), "rpow": (lambda x: 2.0**x, values),
    "gelu": (lambda x: F.gelu(x), values), "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), values),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@FEW
@given(data=st.data())
def test_elementwise_unary(name, data):
    fn, elements = UNARY[name]
    check(fn, data.draw(elements(data.draw(shapes()))))


BINARY = {
    "add": (lambda x, y: (x + y) * x, values, values), "sub": (lambda x, y: (x - y) * y, values, values),
    "mul": (lambda x, y: x * y, values, values), "div": (lambda x, y: x / y, values, positive),
    "pow": (lambda x, y: x**y, positive, away_from),  # at y = 0, ∂/∂x is pinned to 0 (PyTorch's rule): a kink
    "maximum": (lambda x, y: tg.maximum(x, y) * x, distinct, distinct),
    "minimum": (lambda x, y: tg.minimum(x, y) * y, distinct, distinct),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FEW
@given(data=st.data())
def test_elementwise_binary_with_broadcasting(name, data):
    fn, left, right = BINARY[name]
    shape_x, shape_y = data.draw(broadcast_shapes())
    x, y = data.draw(left(shape_x)), data.draw(right(shape_y))
    if name in ("maximum", "minimum"):
        assume(np.abs(np.subtract(x, y)).min(initial=1.0) > 0.05)  # ties are kinks: keep x and y apart
    check(fn, x, y)


@FEW
@given(data=st.data())
def test_where(data):
    shape = data.draw(shapes(min_dims=1))
    condition = data.draw(values(shape)) > 0
    check(lambda x, y: tg.where(condition, x * x, y * x), data.draw(values(shape)), data.draw(values(shape)))


REDUCTIONS = {
    "sum": lambda x, d: x.sum(d) ** 2, "mean": lambda x, d: x.mean(d) ** 2, "var": lambda x, d: x.var(d, correction=0),
    "std": lambda x, d: x.std(d, correction=0), "logsumexp": lambda x, d: x.logsumexp(d),
    "max": lambda x, d: x.max(d).values ** 2, "min": lambda x, d: x.min(d).values ** 2,
    "softmax": lambda x, d: x.softmax(d), "log_softmax": lambda x, d: x.log_softmax(d),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@FEW
@given(data=st.data())
def test_reductions(name, data):
    shape = data.draw(shapes(min_dims=1))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    elements = distinct if name in ("max", "min") else values
    x = data.draw(elements(shape))
    if name in ("var", "std"):
        assume(shape[dim] >= 2)  # one element: σ = 0, where √ has its kink
        x = x + np.arange(x.size).reshape(shape) * 0.3  # std has a kink where all values agree
    check(lambda t: REDUCTIONS[name](t, dim), x)


@FEW
@given(data=st.data(), batch=st.integers(1, 3), n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3))
def test_matmul_and_linear(data, batch, n, k, m):
    check(lambda a, b: a @ b, data.draw(values((batch, n, k))), data.draw(values((k, m))))
    check(lambda a, b: a @ b, data.draw(values((k,))), data.draw(values((k, m))))
    check(lambda x, w, b: F.linear(x, w, b).tanh(), data.draw(values((n, k))), data.draw(values((m, k))),
          data.draw(values((m,))))


@FEW
@given(data=st.data())
def test_shape_ops(data):
    x = data.draw(values((2, 3)))
    check(lambda t: t.reshape(3, 2) ** 2, x)
    check(lambda t: t.permute(1, 0) ** 2, x)
    check(lambda t: t.T.broadcast_to((4, 3, 2)) ** 2, x)
    check(lambda t: t[[0, 0, 1], 1:] ** 2, x)
    check(lambda t: tg.cat([t, t * t], axis=1) ** 2, x)
    check(lambda t: F.pad(t, (1, 2)) ** 2, x)
    check(lambda t: t.unsqueeze(0).squeeze(0).flatten() ** 2, x)


@FEW
@given(data=st.data(), n=st.integers(1, 3), classes=st.integers(2, 4))
def test_losses(data, n, classes):
    logits = data.draw(values((n, classes)))
    labels = tg.tensor(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    check(lambda z: F.cross_entropy(z, labels), logits)
    check(lambda z: F.cross_entropy(z, labels, label_smoothing=0.2, weight=tg.tensor(np.arange(1.0, classes + 1))),
          logits)
    check(lambda z, q: F.cross_entropy(z, q.softmax(-1)), logits, data.draw(values((n, classes))))
    check(lambda z: F.nll_loss(z.log_softmax(1), labels, reduction="sum"), logits)
    check(lambda p, t: F.mse_loss(p * p, t), logits, data.draw(values((n, classes))))
    check(lambda z, t: F.binary_cross_entropy_with_logits(z, t.sigmoid()), logits, data.draw(values((n, classes))))
    check(lambda z, t: F.binary_cross_entropy(z.sigmoid(), t.sigmoid()), logits, data.draw(values((n, classes))))


def test_hessian_of_a_small_mlps_loss_is_exact():
    """∂²L/∂W∂W for the first layer of a 3-4-2 MLP, row by row from grad(create_graph=True), against central
    differences of the first derivative."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    x = tg.randn(5, 3, dtype="float64")
    target = tg.tensor([0, 1, 1, 0, 1])
    weight = model[0].weight

    def gradient() -> tg.Tensor:
        (g,) = tg.autograd.grad(F.cross_entropy(model(x), target), weight, create_graph=True)
        return g

    g = gradient().reshape(-1)
    hessian = np.stack([tg.autograd.grad(g[i], weight, retain_graph=True)[0].numpy().reshape(-1)
                        for i in range(g.shape[0])])
    numeric = np.empty_like(hessian)
    flat = weight.data.reshape(-1)
    eps = 1e-6
    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + eps
        plus = gradient().numpy().reshape(-1)
        flat[j] = original - eps
        minus = gradient().numpy().reshape(-1)
        flat[j] = original
        numeric[:, j] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(hessian, numeric, atol=1e-7, rtol=1e-5)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-12)


def test_newtons_method_on_a_1d_function():
    """x ← x − f′(x)/f″(x) on f(x) = x⁴ − 3x² + x + 2, from x = 2: quadratic convergence to f′ = 0."""
    x = tg.tensor(2.0, dtype="float64", requires_grad=True)
    for _ in range(6):
        y = x**4 - 3 * x**2 + x + 2
        (first,) = tg.autograd.grad(y, x, create_graph=True)
        (second,) = tg.autograd.grad(first, x)
        with tg.no_grad():
            x -= first / second
    assert abs(4 * float(x) ** 3 - 6 * float(x) + 1) < 1e-12


def test_hessian_vector_product_and_backward_create_graph():
    """Hv = ∇(∇f · v) for f = Σ xᵢ³ is 6 x ⊙ v; backward(create_graph=True) leaves a .grad with a graph."""
    x = tg.tensor([1.0, -2.0, 0.5], dtype="float64", requires_grad=True)
    v = tg.tensor([1.0, 1.0, 2.0], dtype="float64")
    (x**3).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None
    (hv,) = tg.autograd.grad((x.grad * v).sum(), x)
    np.testing.assert_allclose(hv.numpy(), 6 * x.numpy() * v.numpy())


def test_gradient_penalty_trains_through_the_gradient():
    """A WGAN-GP style penalty (‖∂D/∂x‖ − 1)² reaches the weights of D through the recorded backward."""
    tg.manual_seed(1)
    critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    x = tg.randn(4, 2, dtype="float64", requires_grad=True)
    (g,) = tg.autograd.grad(critic(x).sum(), x, create_graph=True)
    penalty = (((g**2).sum(1).sqrt() - 1) ** 2).mean()
    penalty.backward()
    reached = [critic[0].weight, critic[0].bias, critic[2].weight]  # ∂D/∂x does not depend on the last bias
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in reached)
    assert critic[2].bias.grad is None


def test_ops_without_a_recorded_backward_say_so():
    x = tg.randn(1, 1, 5, 5, requires_grad=True)
    conv = nn.Conv2d(1, 1, 3)
    with pytest.raises(RuntimeError, match="create_graph=True: the backward of Conv2d"):
        tg.autograd.grad(conv(x).sum(), x, create_graph=True)


def test_grad_arguments():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    unused = tg.tensor([3.0], requires_grad=True)
    y = x * x
    (gx,) = tg.autograd.grad(y, x, grad_outputs=tg.tensor([1.0, 10.0]), retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), [2.0, 40.0])
    assert x.grad is None  # grad() never accumulates
    with pytest.raises(RuntimeError, match="not used to compute the outputs"):
        tg.autograd.grad(y.sum(), [x, unused], retain_graph=True)
    assert tg.autograd.grad(y.sum(), [x, unused], allow_unused=True)[1] is None


def test_gradient_penalty_in_float32_matches_float64():
    """The same penalty in float32, the default dtype, where Linear's products go to the fast matrix product
    (kernels/dispatch.matmul): under create_graph its backward sees Tensors, and their product must stay
    recorded. Checked against the float64 run of the same weights (and large enough for MKL where installed)."""
    def penalty_grads(dtype):
        tg.manual_seed(3)
        critic = nn.Sequential(nn.Linear(256, 512), nn.Tanh(), nn.Linear(512, 1))
        critic = critic.double() if dtype == "float64" else critic
        x = tg.tensor(np.random.default_rng(0).standard_normal((64, 256)), dtype=dtype, requires_grad=True)
        (g,) = tg.autograd.grad(critic(x).sum(), x, create_graph=True)
        (((g**2).sum(1).sqrt() - 1) ** 2).mean().backward()
        return [critic[0].weight.grad.numpy(), critic[2].weight.grad.numpy()]

    for single, double in zip(penalty_grads("float32"), penalty_grads("float64"), strict=True):
        assert single.dtype == np.float32
        np.testing.assert_allclose(single, double, rtol=2e-3, atol=1e-6 * float(np.abs(double).max()))

"""Hooks with PyTorch's semantics: tensor hooks (see and replace a gradient), module forward pre-hooks and forward
hooks, full backward hooks (grad_input, grad_output, replacement), and removable handles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.hooks import RemovableHandle

from .helpers import assert_close, require_torch

# ------------------------------------------------------------------------------------------- tensor hooks


@given(st.floats(-3, 3), st.integers(1, 5))
def test_tensor_hook_sees_the_gradient_and_its_return_replaces_it(factor, size):
    x = tg.randn(size, requires_grad=True)
    seen = []

    def hook(grad):
        seen.append(grad.numpy().copy())
        return grad * factor

    x.register_hook(hook)
    (x * x).sum().backward()
    assert_close(seen[0], 2 * x.numpy())
    assert_close(x.grad, 2 * x.numpy() * np.float32(factor), rtol=1e-6)


def test_hook_on_an_intermediate_tensor_changes_what_flows_to_the_inputs():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 3  # L = Σ y, so ∂L/∂y = 1; the hook makes it 10, and ∂L/∂x = 10 · 3
    y.register_hook(lambda grad: grad * 10)
    y.sum().backward()
    assert_close(x.grad, [30.0, 30.0, 30.0])


def test_hook_gets_the_total_gradient_once_when_a_tensor_feeds_two_paths():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    calls = []
    y.register_hook(lambda grad: calls.append(grad.numpy().copy()))
    (y + y * y).sum().backward()  # ∂L/∂y = 1 + 2y
    assert len(calls) == 1
    assert_close(calls[0], 1 + 2 * y.numpy())


def test_hooks_run_in_order_and_retain_grad_sees_the_replaced_gradient():
    x = tg.tensor([1.0, -1.0], requires_grad=True)
    y = (x * 1.0).retain_grad()
    order = []
    y.register_hook(lambda g: order.append("first") or g + 1)
    y.register_hook(lambda g: order.append("second") or g * 2)
    y.sum().backward()
    assert order == ["first", "second"]
    assert_close(y.grad, [4.0, 4.0])
    assert_close(x.grad, [4.0, 4.0])


def test_hook_cannot_modify_the_gradient_in_place():
    x = tg.randn(3, requires_grad=True)

    def in_place(grad):
        grad *= 2

    x.register_hook(in_place)
    with pytest.raises(ValueError, match="read-only"):
        (x * 1.0).sum().backward()


def test_handle_removes_the_hook_and_works_as_a_context_manager():
    x = tg.tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    assert isinstance(handle, RemovableHandle) and "active" in repr(handle)
    handle.remove()
    handle.remove()  # harmless twice
    (x * 2).sum().backward()
    assert_close(x.grad, [2.0])
    x.grad = None
    with x.register_hook(lambda g: g * 0):
        (x * 2).sum().backward()
    assert_close(x.grad, [0.0])
    x.grad = None
    (x * 2).sum().backward()
    assert_close(x.grad, [2.0])


def test_hook_errors_are_clear():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.zeros(2).register_hook(lambda g: g)
    x = tg.zeros(2, requires_grad=True)
    x.register_hook(lambda g: np.zeros(3, dtype=np.float32))
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*shape \(2,\)"):
        (x * 1.0).sum().backward()


def test_tensor_hook_matches_pytorch():
    torch = require_torch()
    data = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    x = tg.tensor(data, requires_grad=True)
    y = x.tanh()
    y.register_hook(lambda g: g * 3 + 1)
    (y * y).sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    ty = tx.tanh()
    ty.register_hook(lambda g: g * 3 + 1)
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-5)


# ------------------------------------------------------------------------------------------- module hooks


def test_forward_pre_hook_can_replace_the_input_and_forward_hook_the_output():
    layer = nn.Linear(2, 2)
    x = tg.randn(3, 2)
    expected = layer(x * 2).numpy()
    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] * 2,))
    post = layer.register_forward_hook(lambda module, args, output: output + 1)
    assert_close(layer(x), expected + 1)
    pre.remove()
    post()  # calling a handle removes the hook too (as the old API's remover function did)
    assert_close(layer(x), layer.forward(x))


def test_full_backward_hook_receives_grad_input_and_grad_output():
    torch = require_torch()
    layer = nn.Linear(3, 2)
    x_data = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    seen = {}

    def hook(module, grad_input, grad_output):
        seen["module"] = module
        seen["in"], seen["out"] = [g.numpy().copy() for g in grad_input], [g.numpy().copy() for g in grad_output]

    handle = layer.register_full_backward_hook(hook)
    x = tg.tensor(x_data, requires_grad=True)
    (layer(x) ** 2).sum().backward()
    handle.remove()

    t_layer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        t_layer.weight.copy_(torch.tensor(layer.weight.numpy()))
        t_layer.bias.copy_(torch.tensor(layer.bias.numpy()))
    t_seen = {}
    t_layer.register_full_backward_hook(lambda m, gi, go: t_seen.update(gin=gi, gout=go))
    tx = torch.tensor(x_data, requires_grad=True)
    (t_layer(tx) ** 2).sum().backward()
    assert seen["module"] is layer
    assert_close(seen["out"][0], t_seen["gout"][0], rtol=1e-5)
    assert_close(seen["in"][0], t_seen["gin"][0], rtol=1e-5)
    assert_close(x.grad, tx.grad, rtol=1e-5)


def test_full_backward_hook_can_replace_grad_input_of_several_inputs():
    class Product(nn.Module):
        def forward(self, a, scale, b):
            return a * b * scale, a + b

    module = Product()
    module.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0, None, gi[2] * 10))
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    product, total = module(a, 2.0, b)
    (product.sum() + total.sum()).backward()
    assert_close(a.grad, [0.0, 0.0])
    assert_close(b.grad, 10 * (2 * a.numpy() + 1))  # ∂/∂b (2ab + a + b) = 2a + 1, times 10


def test_full_backward_hook_without_input_grad_gets_none_and_grad_output():
    layer = nn.Linear(2, 3)
    seen = []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].shape)))
    layer(tg.randn(5, 2)).sum().backward()
    assert seen == [((None,), (5, 3))]
    layer.register_full_backward_hook(lambda m, gi, go: (None,))
    with pytest.raises(RuntimeError, match="no input of the module requires grad"):
        layer(tg.randn(5, 2)).sum().backward()


def test_full_backward_hook_checks_what_it_returns():
    layer = nn.Linear(2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="returned 2 gradients"):
        layer(tg.randn(1, 2, requires_grad=True)).sum().backward()


def test_backward_hooks_of_nested_modules_fire_from_the_output_back():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    order = []
    for name, module in model.named_modules():
        module.register_full_backward_hook(lambda m, gi, go, name=name: order.append(name or "model"))
    model(tg.randn(4, 2, requires_grad=True)).sum().backward()
    assert order == ["2", "1", "0", "model"]


def test_no_hook_leaves_the_call_path_and_the_gradients_unchanged():
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1))
    x = tg.randn(2, 3, requires_grad=True)
    handles = [m.register_full_backward_hook(lambda m, gi, go: None) for m in model.modules()]
    model(x).sum().backward()
    hooked = [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]
    for handle in handles:
        handle.remove()
    model.zero_grad()
    x.grad = None
    model(x).sum().backward()
    for with_hooks, without in zip(hooked, [p.grad for p in model.parameters()] + [x.grad], strict=True):
        assert_close(with_hooks, without, rtol=0, atol=0)

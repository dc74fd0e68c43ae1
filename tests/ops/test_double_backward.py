"""The ops of groups 3-5 that declare ``differentiable_backward = True`` really are differentiable twice.

Until the engine's ``create_graph`` arrives, this does by hand what it will do: run ``Function.backward`` with
Tensors (the incoming gradient, and every saved array that is an input's or the output's data replaced by that
Tensor), then ``gradcheck`` the map (inputs, ∂L/∂out) ↦ ∂L/∂inputs — the second derivatives.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.kernels import dispatch
from tinygrad_edu.ops import gather, movement, scan, sort

rng = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _reference_kernels():
    """Unfold/Fold on the NumPy reference im2col/col2im (no Numba compile for a few small images)."""
    with dispatch.using("numpy"):
        yield

INDEX = np.array([[0, 2, 2], [1, 0, 1]])


def recorded_backward(cls, *inputs, **options):
    """∂L/∂inputs as Tensors with history, from ``cls.backward`` run the way create_graph runs it."""
    out = cls.apply(*inputs, **options)
    fn = out._ctx
    grad = tg.tensor(np.random.default_rng(1).normal(size=out.shape), requires_grad=True)
    by_identity = {id(t.data): t for t in inputs}
    by_identity[id(out.data)] = out
    arrays = fn.saved
    fn.saved = tuple(by_identity.get(id(s), s) for s in arrays)
    grads = fn.backward(grad)
    fn.saved = arrays  # the node stays in the graph (through `out`): later passes give it arrays again
    grads = grads if isinstance(grads, tuple) else (grads,)
    return grads, grad


def check_second_order(cls, shapes, **options):
    tensors = [tg.tensor(rng.uniform(0.5, 2.0, size=s) * rng.choice([-1, 1], size=s), requires_grad=True)
               for s in shapes]
    assert cls.differentiable_backward

    def first_grads(*inputs):
        grads, _ = recorded_backward(cls, *inputs, **options)
        total = 0
        for g in grads:
            if g is not None:
                assert isinstance(g, tg.Tensor), f"{cls.__name__}.backward returned an array in create_graph mode"
                total = total + (g * tg.tensor(np.linspace(0.5, 1.5, g.size).reshape(g.shape))).sum()
        return total

    gradcheck(first_grads, *tensors)  # second derivatives w.r.t. the inputs
    # and ∂L/∂inputs as a function of ∂L/∂out (linear): differentiable too
    gradcheck(lambda g: _backward_with(cls, tensors, g, options), tg.tensor(
        np.random.default_rng(2).normal(size=cls.apply(*[t.detach() for t in tensors], **options).shape),
        requires_grad=True))


def _backward_with(cls, tensors, grad, options):
    out = cls.apply(*[t.detach().requires_grad_() for t in tensors], **options)
    grads = out._ctx.backward(grad)
    grads = grads if isinstance(grads, tuple) else (grads,)
    return next(g for g in grads if g is not None)


OPS = {
    "Gather": (gather.Gather, [(2, 3)], dict(dim=1, index=INDEX)),
    "ScatterAdd": (gather.ScatterAdd, [(2, 3)], dict(shape=(2, 4), dim=1, index=INDEX)),
    "Scatter": (gather.Scatter, [(2, 4), (2, 3)], dict(dim=1, index=np.array([[0, 2, 1], [3, 0, 1]]))),
    "ScatterExtreme": (gather.ScatterExtreme, [(2, 3), (2, 3)], dict(dim=1, index=INDEX, reduce="amax",
                                                                     include_self=True)),
    "IndexSelect": (gather.IndexSelect, [(3, 2)], dict(dim=0, index=np.array([2, 0, 2]))),
    "IndexAdd": (gather.IndexAdd, [(3, 2)], dict(shape=(4, 2), dim=0, index=np.array([3, 0, 3]))),
    "Flip": (movement.Flip, [(2, 3)], dict(dims=(0, 1))),
    "Roll": (movement.Roll, [(2, 3)], dict(shifts=(1, -1), dims=(0, 1))),
    "Diagonal": (movement.Diagonal, [(3, 4)], dict(offset=1, dim1=0, dim2=1)),
    "DiagonalScatter": (movement.DiagonalScatter, [(2, 3)], dict(shape=(2, 3, 4), offset=1, dim1=1, dim2=2)),
    "Unfold": (movement.Unfold, [(1, 2, 4, 4)], dict(window=movement._Window("unfold", (4, 4), 2, 1, 1, 2))),
    "Fold": (movement.Fold, [(1, 8, 9)], dict(window=movement._Window("fold", (4, 4), 2, 1, 1, 2),
                                              image_shape=(1, 2, 4, 4))),
    "Clone": (movement.Clone, [(2, 3)], {}),
    "SharedValue": (sort.SharedValue, [(3,)], dict(value=np.array(1.0), share=np.array([0.5, 0.5, 0.0]))),
    "Cumsum": (scan.Cumsum, [(2, 4)], dict(dim=1)),
    "Cumprod": (scan.Cumprod, [(3, 4)], dict(dim=1)),
    "Prod": (scan.Prod, [(3, 4)], dict(axes=(1,), keepdim=False)),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivatives(name):
    cls, shapes, options = OPS[name]
    check_second_order(cls, shapes, **options)


ZEROS = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 2.0, 0.0, 1.0], [2.0, 0.5, -1.5, 0.0]])


@pytest.mark.parametrize("options", [dict(axes=(1,), keepdim=True), dict(axes=(0,), keepdim=False),
                                     dict(axes=(0, 1), keepdim=False)])
def test_prod_second_derivatives_with_zeros(options):
    """One zero in a row: the other elements' gradients are 0 but not their derivatives; two zeros: likewise."""
    gradcheck(lambda a: recorded_backward(scan.Prod, a, **options)[0][0], tg.tensor(ZEROS, requires_grad=True))


def test_cumprod_second_derivative_through_a_zero_is_refused():
    with pytest.raises(NotImplementedError, match="exactly 0"):
        recorded_backward(scan.Cumprod, tg.tensor(ZEROS, requires_grad=True), dim=1)

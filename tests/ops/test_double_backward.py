"""The ops of groups 3-5 that declare ``differentiable_backward = True`` really are differentiable twice.

Until the engine's ``create_graph`` arrives, this does by hand what it will do: run ``Function.backward`` with
Tensors (the incoming gradient, and every saved array that is an input's or the output's data replaced by that
Tensor), then ``gradcheck`` the map (inputs, ∂L/∂out) ↦ ∂L/∂inputs — the second derivatives.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
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


# ------------------------------------------------------------------------------------------ through the engine

IDX = tg.tensor(INDEX)
VEC = tg.tensor(np.array([2, 0, 2]))
SECOND_ORDER = {
    "gather": (lambda x: tg.gather(x, 1, IDX) ** 2, (2, 3)),
    "scatter_add": (lambda x, s: tg.scatter_add(x, 1, IDX, s * s), (2, 3), (2, 3)),
    "scatter": (lambda x, s: tg.scatter(x * x, 1, tg.tensor(np.array([[0, 2, 1]])), s ** 3), (2, 3), (1, 3)),
    "scatter_reduce_amax": (lambda x, s: tg.scatter_reduce(x, 1, IDX, s, "amax") ** 2, (2, 3), (2, 3)),
    "scatter_reduce_mean": (lambda x, s: tg.scatter_reduce(x * x, 1, IDX, s, "mean", include_self=False), (2, 3),
                            (2, 3)),
    "index_select": (lambda x: tg.index_select(x, 0, VEC) ** 2, (3, 2)),
    "index_add": (lambda x, s: tg.index_add(x, 0, VEC, s * s, alpha=2.0), (3, 2), (3, 2)),
    "index_fill": (lambda x: tg.index_fill(x * x, 1, VEC[:1], 0.5), (3, 3)),
    "take": (lambda x: tg.take(x, IDX) ** 2, (2, 3)),
    "take_along_dim": (lambda x: tg.take_along_dim(x, IDX, 1) ** 2, (2, 3)),
    "flip": (lambda x: tg.flip(x, (0, 1)) ** 2, (2, 3)),
    "roll": (lambda x: tg.roll(x, 1) ** 2, (2, 3)),
    "repeat": (lambda x: x.repeat(2, 1, 2) ** 2, (2, 3)),
    "repeat_interleave": (lambda x: x.repeat_interleave(2, 1) ** 2, (2, 3)),
    "diagonal": (lambda x: x.diagonal(1) ** 2, (3, 4)),
    "diag_embed": (lambda x: tg.diag_embed(x * x, -1), (2, 3)),
    "unfold": (lambda x: x.unfold(1, 2, 1) ** 2, (2, 4)),
    "F.unfold": (lambda x: F.unfold(x, 2, padding=1) ** 2, (1, 2, 3, 3)),
    "F.fold": (lambda x: F.fold(x, (3, 3), 2) ** 2, (1, 8, 4)),
    "F.pad_reflect": (lambda x: F.pad(x, (2, 1), mode="reflect") ** 2, (1, 2, 4)),
    "F.pad_circular": (lambda x: F.pad(x, (1, -1), mode="circular") ** 2, (1, 2, 4)),
    "movedim": (lambda x: tg.movedim(x, 0, -1) ** 2, (2, 3)),
    "clone": (lambda x: x.clone() ** 2, (2, 3)),
    "cumsum": (lambda x: x.cumsum(1) ** 2, (2, 3)),
    "cumprod": (lambda x: x.cumprod(1), (2, 4)),
    "prod": (lambda x: x.prod(1), (3, 4)),
    "cummax": (lambda x: x.cummax(1).values ** 2, (2, 4)),
    "logcumsumexp": (lambda x: x.logcumsumexp(0), (4, 2)),
    "sort": (lambda x: x.sort(1).values ** 2, (2, 4)),
    "topk": (lambda x: x.topk(2).values ** 2, (2, 4)),
    "kthvalue": (lambda x: x.kthvalue(2, 0).values ** 2, (3, 2)),
    "median": (lambda x: x.median() ** 2, (5,)),
    "amax": (lambda x: tg.amax(x, 1) ** 2, (2, 4)),
    "var_mean": (lambda x: tg.var_mean(x, 1)[0], (2, 4)),
}
# not here: scatter_reduce "prod", whose backward is written on arrays (first order only)


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_gradgradcheck(name):
    fn, *shapes = SECOND_ORDER[name]
    # distinct values within and across inputs: no ties, so max, sort and median are smooth where checked
    inputs = [tg.tensor(rng.permutation(np.prod(s)).reshape(s) * 0.3 + 0.5 + 0.07 * k, requires_grad=True)
              for k, s in enumerate(shapes)]
    tg.gradgradcheck(fn, *inputs)


def test_prod_gradgradcheck_with_zeros():
    tg.gradgradcheck(lambda x: x.prod(1), tg.tensor(ZEROS, requires_grad=True))
    tg.gradgradcheck(lambda x: x.prod(), tg.tensor(ZEROS[1], requires_grad=True))

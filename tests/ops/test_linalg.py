"""ops/linalg.py: einsum, the matrix-product family, norms, cdist, trace, cross — gradchecks, PyTorch, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.ops.torch_compare import compare_with_torch
from tests.strategies import values
from tinygrad_edu.autograd import OpError
from tinygrad_edu.gradcheck import gradcheck

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 2, 2)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij,jk", [(2, 3), (3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
    ("i...->...", [(2, 3, 2)]),
    ("ij,ij->i", [(2, 3), (1, 3)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("bn,anm,bm->ba", [(2, 3), (2, 3, 2), (2, 2)]),
    ("Ab,bA->", [(2, 3), (3, 2)]),
]


def _draw(data, shapes):
    return [data.draw(values(shape)) for shape in shapes]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
@settings(max_examples=10)
@given(data=st.data())
def test_einsum_gradcheck(equation, shapes, data):
    arrays = _draw(data, shapes)
    gradcheck(lambda *xs: tg.einsum(equation, *xs), *[tg.tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.torch
@pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_matches_torch(equation, shapes):
    import torch

    rng = np.random.default_rng(1)
    compare_with_torch(lambda *xs: tg.einsum(equation, *xs), lambda *xs: torch.einsum(equation, *xs),
                       [rng.standard_normal(s) for s in shapes])


def test_einsum_operand_list_and_sublist_forms():
    a, b = tg.randn(2, 3), tg.randn(3, 4)
    expected = (a @ b).numpy()
    np.testing.assert_allclose(tg.einsum("ij,jk->ik", [a, b]).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(tg.einsum(a, [0, 1], b, [1, 2], [0, 2]).numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("equation,shapes,message", [
    ("ij,jk->ik", [(2, 3), (4, 5)], "size"),
    ("ij,jk->ik", [(2, 3)], "operand"),
    ("ijk->ij", [(2, 3)], "axes"),
    ("ij->ii", [(2, 2)], "once"),
    ("ij->k", [(2, 2)], "once"),
    ("i$->i", [(2, 2)], "letters"),
])
def test_einsum_errors(equation, shapes, message):
    with pytest.raises(ValueError, match=message):
        tg.einsum(equation, *[tg.randn(*s) for s in shapes])


# ------------------------------------------------------------------------------------------ products

PRODUCTS = {
    "mm": (lambda a, b: tg.mm(a, b), "mm", [(2, 3), (3, 4)], {}),
    "bmm": (lambda a, b: tg.bmm(a, b), "bmm", [(2, 2, 3), (2, 3, 2)], {}),
    "mv": (lambda a, b: tg.mv(a, b), "mv", [(2, 3), (3,)], {}),
    "dot": (lambda a, b: tg.dot(a, b), "dot", [(3,), (3,)], {}),
    "inner": (lambda a, b: tg.inner(a, b), "inner", [(2, 3), (2, 3)], {}),
    "outer": (lambda a, b: tg.outer(a, b), "outer", [(3,), (2,)], {}),
    "ger": (lambda a, b: tg.ger(a, b), "outer", [(3,), (2,)], {}),
    "addmm": (lambda c, a, b: tg.addmm(c, a, b, beta=0.5, alpha=2.0), "addmm", [(2, 1), (2, 3), (3, 2)],
              dict(beta=0.5, alpha=2.0)),
    "addmv": (lambda c, a, b: tg.addmv(c, a, b, alpha=3.0), "addmv", [(2,), (2, 3), (3,)], dict(alpha=3.0)),
    "addr": (lambda c, a, b: tg.addr(c, a, b, beta=2.0), "addr", [(3, 2), (3,), (2,)], dict(beta=2.0)),
    "baddbmm": (lambda c, a, b: tg.baddbmm(c, a, b, beta=0.5, alpha=-1.0), "baddbmm", [(2, 2, 2), (2, 2, 3),
                                                                                        (2, 3, 2)],
                dict(beta=0.5, alpha=-1.0)),
    "addbmm": (lambda c, a, b: tg.addbmm(c, a, b), "addbmm", [(2, 2), (3, 2, 3), (3, 3, 2)], {}),
    "trace": (lambda a: tg.trace(a), "trace", [(3, 2)], {}),
    "cross": (lambda a, b: tg.cross(a, b, dim=1), "cross", [(2, 3), (2, 3)], dict(dim=1)),
    "cdist": (lambda a, b: tg.cdist(a, b), "cdist", [(3, 2), (2, 2)], {}),
    "cdist_p1": (lambda a, b: tg.cdist(a, b, p=1.0), "cdist", [(2, 3, 2), (2, 2, 2)], dict(p=1.0)),
    "cdist_p3": (lambda a, b: tg.cdist(a, b, p=3.0), "cdist", [(3, 2), (2, 2)], dict(p=3.0)),
}


@pytest.mark.parametrize("name", PRODUCTS)
@settings(max_examples=10)
@given(data=st.data())
def test_product_gradcheck(name, data):
    ours, _, shapes, _ = PRODUCTS[name]
    arrays = _draw(data, shapes)
    if name.startswith("cdist"):  # keep every pair of points apart: a distance has a kink at 0
        arrays[1] = arrays[1] + 10.0
    gradcheck(ours, *[tg.tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.torch
@pytest.mark.parametrize("name", PRODUCTS)
def test_product_matches_torch(name):
    import torch

    ours, torch_name, shapes, options = PRODUCTS[name]
    rng = np.random.default_rng(2)
    compare_with_torch(ours, lambda *xs: getattr(torch, torch_name)(*xs, **options),
                       [rng.standard_normal(s) for s in shapes])


def test_tensor_methods_are_the_functions():
    a, b = tg.randn(2, 3), tg.randn(3, 2)
    np.testing.assert_allclose(a.mm(b).numpy(), tg.mm(a, b).numpy())
    np.testing.assert_allclose(a.norm().numpy(), tg.norm(a).numpy())
    assert tg.randn(3, 3).trace().shape == ()


def test_addmm_beta_zero_ignores_nan_in_input():
    out = tg.addmm(tg.tensor([[np.nan]]), tg.ones(1, 2), tg.ones(2, 1), beta=0)
    assert out.numpy()[0, 0] == 2


@pytest.mark.parametrize("call,error,message", [
    (lambda: tg.mm(tg.randn(2, 3), tg.randn(2, 3)), OpError, "cannot be multiplied"),
    (lambda: tg.mm(tg.randn(2), tg.randn(2, 3)), OpError, "matrix"),
    (lambda: tg.bmm(tg.randn(2, 2, 3), tg.randn(3, 3, 2)), OpError, "batch sizes"),
    (lambda: tg.dot(tg.randn(2), tg.randn(3)), OpError, "cannot be multiplied"),
    (lambda: tg.mv(tg.randn(2, 3), tg.randn(2)), OpError, "cannot be multiplied"),
    (lambda: tg.outer(tg.randn(2, 2), tg.randn(2)), OpError, "vector"),
    (lambda: tg.addmm(tg.randn(3, 3), tg.randn(2, 3), tg.randn(3, 2)), OpError, "broadcast"),
    (lambda: tg.trace(tg.randn(3)), OpError, "matrix"),
    (lambda: tg.cross(tg.randn(2, 4), tg.randn(2, 4)), OpError, "length 3"),
    (lambda: tg.cdist(tg.randn(3, 2), tg.randn(3, 4)), OpError, "features"),
    (lambda: tg.cdist(tg.randn(3, 2), tg.randn(3, 2), p=-1.0), ValueError, "non-negative"),
])
def test_product_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------------------------------ norms

NORMS = [
    (dict(), [(2, 3)]),
    (dict(p=1), [(2, 3)]),
    (dict(p=float("inf"), dim=1), [(2, 3)]),
    (dict(p=float("-inf"), dim=0, keepdim=True), [(2, 3)]),
    (dict(p=3, dim=(0, 2)), [(2, 2, 2)]),
    (dict(p=0.5, dim=-1), [(2, 3)]),
    (dict(p="fro", dim=(0, 1)), [(2, 3)]),
    (dict(p=2, dim=0), [(3,)]),
]


@pytest.mark.parametrize("options,shapes", NORMS, ids=[str(o) for o, _ in NORMS])
@settings(max_examples=10)
@given(data=st.data())
def test_norm_gradcheck(options, shapes, data):
    from tests.strategies import distinct

    x = data.draw(distinct(shapes[0])) + 0.1  # |x| distinct and ≠ 0: no ties for ∞-norms, no kink of |x|
    gradcheck(lambda t: tg.norm(t, **options), tg.tensor(x, requires_grad=True))


@pytest.mark.torch
@pytest.mark.parametrize("options,shapes", NORMS, ids=[str(o) for o, _ in NORMS])
def test_norm_matches_torch(options, shapes):
    import torch

    rng = np.random.default_rng(3)
    compare_with_torch(lambda t: tg.norm(t, **options), lambda t: torch.norm(t, **options),
                       [rng.standard_normal(s) for s in shapes])


LINALG = [
    ("vector_norm", dict(), (2, 3)),
    ("vector_norm", dict(ord=1, dim=1, keepdim=True), (2, 3)),
    ("vector_norm", dict(ord=float("inf")), (2, 3)),
    ("vector_norm", dict(ord=0), (2, 3)),
    ("matrix_norm", dict(), (2, 2, 3)),
    ("matrix_norm", dict(ord=1), (2, 3)),
    ("matrix_norm", dict(ord=-1), (2, 3)),
    ("matrix_norm", dict(ord=float("inf"), keepdim=True), (2, 3)),
    ("matrix_norm", dict(ord=float("-inf"), dim=(0, 2)), (2, 3, 3)),
    ("norm", dict(), (2, 3)),
    ("norm", dict(ord=1), (3,)),
    ("norm", dict(ord="fro"), (2, 3)),
    ("norm", dict(ord=float("inf")), (2, 3)),
    ("norm", dict(dim=1), (2, 3)),
    ("norm", dict(ord=1, dim=(0, 1)), (2, 3)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,options,shape", LINALG, ids=[f"{n}{o}" for n, o, _ in LINALG])
def test_linalg_namespace_matches_torch(name, options, shape):
    import torch

    x = np.random.default_rng(4).standard_normal(shape)
    compare_with_torch(lambda t: getattr(tg.linalg, name)(t, **options),
                       lambda t: getattr(torch.linalg, name)(t, **options), [x])


def test_norm_gradient_at_zero_is_zero_as_pytorch():
    x = tg.zeros(3, requires_grad=True)
    tg.norm(x).backward()
    np.testing.assert_array_equal(np.asarray(x.grad.numpy() if hasattr(x.grad, "numpy") else x.grad), 0)


def test_norm_errors():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        tg.norm(tg.randn(2, 3), dim=2)
    with pytest.raises(TypeError, match="floating point"):
        tg.linalg.vector_norm(tg.tensor([1, 2]))
    with pytest.raises(ValueError, match="singular value"):
        tg.linalg.matrix_norm(tg.randn(2, 2), ord="nuc")

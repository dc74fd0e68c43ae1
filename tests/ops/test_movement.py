"""ops/movement.py: repeat, tile, flips, roll, chunk, unbind, movedim, narrow, diagonals, meshgrid, unfold, F.pad,
F.unfold / F.fold and the small Tensor methods (expand_as, t, clone, ...)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests.ops.oracle import same_as_torch
from tests.strategies import shapes, values
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.kernels import dispatch


def torch():
    return __import__("torch")


@pytest.fixture(autouse=True)
def _reference_kernels():
    """F.unfold / F.fold on the NumPy reference im2col/col2im: compiling the Numba twins costs seconds, and
    tests/kernels checks that the two agree."""
    with dispatch.using("numpy"):
        yield


rng = np.random.default_rng(0)
A = rng.normal(size=(2, 3, 4))
M = rng.normal(size=(3, 4))
V = rng.normal(size=5)
IMG = rng.normal(size=(2, 2, 5, 6))

CASES = {
    "repeat": (lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3), (A,)),
    "repeat_new_axes": (lambda x: x.repeat((2, 1, 2)), lambda x: x.repeat((2, 1, 2)), (M,)),
    "tile": (lambda x: tg.tile(x, (2,)), lambda x: torch().tile(x, (2,)), (M,)),
    "tile_method": (lambda x: x.tile(2, 1, 1), lambda x: x.tile(2, 1, 1), (M,)),
    "repeat_interleave": (lambda x: tg.repeat_interleave(x, 2), lambda x: torch().repeat_interleave(x, 2), (M,)),
    "repeat_interleave_dim": (lambda x: x.repeat_interleave(tg.tensor([1, 0, 3]), dim=0),
                              lambda x: x.repeat_interleave(torch().tensor([1, 0, 3]), dim=0), (M,)),
    "chunk": (lambda x: x.chunk(3, 2), lambda x: x.chunk(3, 2), (A,)),
    "chunk_fewer": (lambda x: tg.chunk(x, 4, 0), lambda x: torch().chunk(x, 4, 0), (V[:3],)),
    "chunk_empty": (lambda x: x.chunk(3, 1), lambda x: x.chunk(3, 1), (np.zeros((2, 0)),)),
    "unbind": (lambda x: x.unbind(1), lambda x: x.unbind(1), (A,)),
    "flip": (lambda x: tg.flip(x, (0, 2)), lambda x: torch().flip(x, (0, 2)), (A,)),
    "flip_method": (lambda x: x.flip(-1), lambda x: x.flip(-1), (A,)),
    "flip_method_varargs": (lambda x: x.flip(0, 2), lambda x: x.flip(0, 2), (A,)),
    "flip_keyword": (lambda x: tg.flip(x, dims=[1]), lambda x: torch().flip(x, dims=[1]), (A,)),
    "tile_keyword": (lambda x: x.tile(dims=(2, 1)), lambda x: x.tile(dims=(2, 1)), (M,)),
    "fliplr": (lambda x: tg.fliplr(x), lambda x: torch().fliplr(x), (M,)),
    "flipud": (lambda x: x.flipud(), lambda x: x.flipud(), (M,)),
    "roll": (lambda x: tg.roll(x, (1, -2), (0, 2)), lambda x: torch().roll(x, (1, -2), (0, 2)), (A,)),
    "roll_flat": (lambda x: x.roll(5), lambda x: x.roll(5), (M,)),
    "unflatten": (lambda x: x.unflatten(2, (2, -1)), lambda x: x.unflatten(2, (2, -1)), (A,)),
    "movedim": (lambda x: tg.movedim(x, (0, 1), (2, 0)), lambda x: torch().movedim(x, (0, 1), (2, 0)), (A,)),
    "moveaxis": (lambda x: x.moveaxis(0, -1), lambda x: x.moveaxis(0, -1), (A,)),
    "swapaxes": (lambda x: tg.swapaxes(x, 0, 2), lambda x: torch().swapaxes(x, 0, 2), (A,)),
    "swapdims": (lambda x: x.swapdims(-1, 1), lambda x: x.swapdims(-1, 1), (A,)),
    "narrow": (lambda x: tg.narrow(x, 2, 1, 2), lambda x: torch().narrow(x, 2, 1, 2), (A,)),
    "narrow_negative_start": (lambda x: x.narrow(-1, -3, 2), lambda x: x.narrow(-1, -3, 2), (A,)),
    "select": (lambda x: x.select(1, -1), lambda x: x.select(1, -1), (A,)),
    "diagonal": (lambda x: tg.diagonal(x, 1, 0, 2), lambda x: torch().diagonal(x, 1, 0, 2), (A,)),
    "diagonal_below": (lambda x: x.diagonal(-1), lambda x: x.diagonal(-1), (M,)),
    "diagonal_swapped_dims": (lambda x: x.diagonal(0, 2, 1), lambda x: x.diagonal(0, 2, 1), (A,)),
    "diag_vector": (lambda x: tg.diag(x, 1), lambda x: torch().diag(x, 1), (V,)),
    "diag_matrix": (lambda x: x.diag(-1), lambda x: x.diag(-1), (M,)),
    "diag_embed": (lambda x: tg.diag_embed(x, -1, 0, 2), lambda x: torch().diag_embed(x, -1, 0, 2), (M,)),
    "diag_embed_default": (lambda x: x.diag_embed(), lambda x: x.diag_embed(), (A,)),
    "meshgrid_ij": (lambda a, b: tg.meshgrid(a, b, indexing="ij"), lambda a, b: torch().meshgrid(a, b, indexing="ij"),
                    (V, V[:3])),
    "meshgrid_xy": (lambda a, b, c: tg.meshgrid([a, b, c], indexing="xy"),
                    lambda a, b, c: torch().meshgrid([a, b, c], indexing="xy"), (V, V[:3], V[:2])),
    "tensor_unfold": (lambda x: x.unfold(2, 2, 1), lambda x: x.unfold(2, 2, 1), (A,)),
    "tensor_unfold_step": (lambda x: x.unfold(0, 2, 2), lambda x: x.unfold(0, 2, 2), (V,)),
    "F.unfold": (lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
                 lambda x: torch().nn.functional.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), (IMG,)),
    "F.fold": (lambda c: F.fold(c, (5, 6), 2, padding=1, stride=2),
               lambda c: torch().nn.functional.fold(c, (5, 6), 2, padding=1, stride=2),
               (rng.normal(size=(2, 8, 12)),)),
    "expand_as": (lambda x, y: x.expand_as(y), lambda x, y: x.expand_as(y), (M[:1], M)),
    "view_as": (lambda x, y: x.view_as(y), lambda x, y: x.view_as(y), (M, M.reshape(2, 6))),
    "reshape_as": (lambda x, y: x.reshape_as(y), lambda x, y: x.reshape_as(y), (M, M.reshape(6, 2))),
    "type_as": (lambda x, y: x.type_as(y), lambda x, y: x.type_as(y), (M, np.zeros(2, dtype=np.float32))),
    "squeeze_tuple": (lambda x: x.squeeze((0, 2)), lambda x: x.squeeze((0, 2)), (A.reshape(1, 24, 1),)),
    "squeeze_dim": (lambda x: x.squeeze(dim=-1), lambda x: x.squeeze(dim=-1), (A.reshape(1, 24, 1),)),
    "t": (lambda x: x.t(), lambda x: x.t(), (M,)),
    "t_vector": (lambda x: tg.t(x), lambda x: torch().t(x), (V,)),
    "clone": (lambda x: x.clone() * 2, lambda x: x.clone() * 2, (M,)),
    "contiguous": (lambda x: x.contiguous(), lambda x: x.contiguous(), (M,)),
}
for mode in ("constant", "reflect", "replicate", "circular"):
    CASES[f"pad_{mode}"] = (lambda x, m=mode: F.pad(x, (2, 1, 1, 3), mode=m),
                            lambda x, m=mode: torch().nn.functional.pad(x, (2, 1, 1, 3), mode=m), (IMG,))
    CASES[f"pad_{mode}_crop"] = (lambda x, m=mode: F.pad(x, (-1, 2, 0, -2), mode=m),
                                 lambda x, m=mode: torch().nn.functional.pad(x, (-1, 2, 0, -2), mode=m), (IMG,))
CASES["pad_replicate_wider_than_the_axis"] = (lambda x: F.pad(x, (7, -1, 0, 9), mode="replicate"),
                                             lambda x: torch().nn.functional.pad(x, (7, -1, 0, 9), mode="replicate"),
                                             (IMG,))
CASES["pad_constant_value"] = (lambda x: F.pad(x, (1, 1, 0, 0, 1, 0), value=2.5),
                               lambda x: torch().nn.functional.pad(x, (1, 1, 0, 0, 1, 0), value=2.5), (A,))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    ours, theirs, inputs = CASES[name]
    same_as_torch(ours, theirs, *inputs)


@pytest.mark.torch
def test_zero_dim_inputs_match_pytorch():
    s = np.array(1.5)
    for ours, theirs in [
        (lambda x: x.flip(0), lambda x: x.flip(0)),
        (lambda x: x.repeat(2, 3), lambda x: x.repeat(2, 3)),
        (lambda x: x.unfold(0, 1, 1), lambda x: x.unfold(0, 1, 1)),
        (lambda x: x.repeat_interleave(3), lambda x: x.repeat_interleave(3)), (lambda x: x.t(), lambda x: x.t()),
        (lambda x: x.squeeze(0), lambda x: x.squeeze(0)),
    ]:
        same_as_torch(ours, theirs, s)


def test_repeat_interleave_counts_alone():
    assert tg.repeat_interleave(tg.tensor([2, 0, 1])).tolist() == [0, 0, 2]


def test_fold_is_the_adjoint_of_unfold():
    """⟨unfold(x), y⟩ = ⟨x, fold(y)⟩, and fold(unfold(x)) = x · (how many windows cover each pixel)."""
    x = rng.normal(size=(1, 2, 5, 6))
    y = rng.normal(size=(1, 2 * 2 * 3, 4 * 2))
    kwargs = dict(kernel_size=(2, 3), stride=(1, 2))
    left = (F.unfold(tg.tensor(x), **kwargs).numpy() * y).sum()
    right = (x * F.fold(tg.tensor(y), (5, 6), **kwargs).numpy()).sum()
    np.testing.assert_allclose(left, right)
    coverage = F.fold(F.unfold(tg.ones(1, 1, 5, 6).double(), **kwargs), (5, 6), **kwargs).numpy()
    np.testing.assert_allclose(F.fold(F.unfold(tg.tensor(x), **kwargs), (5, 6), **kwargs).numpy(), x * coverage)


def test_meshgrid_without_indexing_warns_and_uses_ij():
    with pytest.warns(UserWarning, match="indexing"):
        a, b = tg.meshgrid(tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0, 5.0]))
    assert a.shape == (2, 3) and b.shape == (2, 3)


# ------------------------------------------------------------------------------------------ gradchecks


@settings(max_examples=15)
@given(shapes(min_dims=1).flatmap(lambda s: st.tuples(values(s), st.integers(-len(s), len(s) - 1),
                                                       st.integers(-3, 3))))
def test_shape_ops_gradcheck(case):
    x, dim, shift = case
    t = tg.tensor(x, requires_grad=True)
    gradcheck(lambda a: a.flip(dim), t)
    gradcheck(lambda a: a.roll(shift, dim), t)
    gradcheck(lambda a: a.roll(shift), t)
    gradcheck(lambda a: a.repeat(*([2] * (x.ndim + 1))), t)
    gradcheck(lambda a: a.repeat_interleave(2, dim), t)
    gradcheck(lambda a: tg.movedim(a, dim, 0), t)
    gradcheck(lambda a: a.unfold(dim, 1 + (x.shape[dim] > 1), 1), t)
    gradcheck(lambda a: a.narrow(dim, 0, x.shape[dim] - (x.shape[dim] > 1)), t)
    gradcheck(lambda a: a.chunk(2, dim)[0] * 1.0, t)
    gradcheck(lambda a: a.clone(), t)


@settings(max_examples=15)
@given(shapes(min_dims=2, max_dims=3).flatmap(lambda s: st.tuples(values(s), st.integers(-len(s), len(s) - 1))))
def test_composed_shape_ops_gradcheck(case):
    x, dim = case
    t = tg.tensor(x, requires_grad=True)
    n = x.shape[dim]
    gradcheck(lambda a: a.tile((2, 1)), t)
    gradcheck(lambda a: a.unbind(dim)[-1], t)
    gradcheck(lambda a: a.select(dim, n - 1), t)
    gradcheck(lambda a: tg.fliplr(a), t)
    gradcheck(lambda a: tg.flipud(a), t)
    gradcheck(lambda a: a.unflatten(dim, (1, n)), t)
    gradcheck(lambda a: a.swapaxes(dim, 0), t)
    gradcheck(lambda a: a.swapdims(0, dim), t)
    gradcheck(lambda a: a.moveaxis(dim, -1), t)
    gradcheck(lambda a: a.squeeze(tuple({0, dim % x.ndim})), t)
    gradcheck(lambda a: a.expand_as(tg.zeros(2, *x.shape)), t)
    gradcheck(lambda a: a.view_as(tg.zeros(x.size)), t)
    gradcheck(lambda a: a.reshape_as(tg.zeros(x.size, 1)), t)
    gradcheck(lambda a: a.type_as(tg.zeros(1).double()), t)
    gradcheck(lambda a: a.reshape(-1, x.shape[-1]).t(), t)
    gradcheck(lambda a: a.contiguous(), t)
    gradcheck(lambda a: tg.diag(a.reshape(-1, x.shape[-1]), dim), t)
    gradcheck(lambda a: tg.diag(a.reshape(-1), dim), t)
    gradcheck(lambda a, b: tg.meshgrid(a.reshape(-1), b, indexing="xy")[0] * tg.meshgrid(a.reshape(-1), b,
                                                                                          indexing="ij")[1].mT, t,
              tg.tensor(x[..., 0].reshape(-1)[:2], requires_grad=True))


@settings(max_examples=15)
@given(shapes(min_dims=2, max_dims=3).flatmap(lambda s: st.tuples(values(s), st.integers(-2, 2))))
def test_diagonal_ops_gradcheck(case):
    x, offset = case
    t = tg.tensor(x, requires_grad=True)
    gradcheck(lambda a: a.diagonal(offset, -1, 0), t)
    gradcheck(lambda a: a.diag_embed(offset, 0, -1), t)


@settings(max_examples=10)
@given(st.sampled_from(["constant", "reflect", "replicate", "circular"]), st.integers(-1, 2), st.integers(0, 2))
def test_pad_gradcheck(mode, left, top):
    x = tg.tensor(rng.normal(size=(1, 2, 3, 4)), requires_grad=True)
    gradcheck(lambda a: F.pad(a, (left, 1, top, -1), mode=mode), x)


@settings(max_examples=10)
@given(st.integers(1, 3), st.integers(1, 2), st.integers(0, 1), st.integers(1, 2))
def test_unfold_fold_gradcheck(kernel, stride, padding, dilation):
    x = tg.tensor(rng.normal(size=(1, 2, 5, 5)), requires_grad=True)
    gradcheck(lambda a: F.unfold(a, kernel, dilation=dilation, padding=padding, stride=stride), x)
    cols = F.unfold(x, kernel, dilation=dilation, padding=padding, stride=stride)
    y = tg.tensor(rng.normal(size=cols.shape), requires_grad=True)
    gradcheck(lambda c: F.fold(c, (5, 5), kernel, dilation=dilation, padding=padding, stride=stride), y)


# ------------------------------------------------------------------------------------------ errors


def test_errors_name_the_op_and_the_fix():
    m = tg.tensor(M)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        m.flip(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        m.roll(1, 5)
    with pytest.raises(tg.OpError, match="can not be smaller"):
        m.repeat(2)
    with pytest.raises(tg.OpError, match="more than once"):
        m.flip((0, 0))
    with pytest.raises(tg.OpError, match="exceeds dimension size"):
        m.narrow(1, 2, 3)
    with pytest.raises(tg.OpError, match="cannot be the same axis"):
        m.diagonal(0, 1, 1)
    with pytest.raises(tg.OpError, match="1-D or 2-D"):
        tg.diag(tg.tensor(A))
    with pytest.raises(tg.OpError, match="must have the same size"):
        m.repeat_interleave(tg.tensor([1, 2]), dim=1)
    with pytest.raises(tg.OpError, match="positive int"):
        m.chunk(0)
    with pytest.raises(tg.OpError, match="at most 5"):
        F.pad(tg.tensor(IMG), (6, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="mode must be one of"):
        F.pad(tg.tensor(IMG), (1, 1), mode="mirror")
    with pytest.raises(tg.OpError, match="does not fit"):
        F.unfold(tg.tensor(IMG), 7)
    with pytest.raises(tg.OpError, match="windows"):
        F.fold(tg.tensor(np.zeros((1, 4, 5))), (4, 4), 2)
    with pytest.raises(tg.OpError, match="<= 2 dimensions"):
        tg.tensor(A).t()
    with pytest.raises(tg.OpError, match="multiply to"):
        m.unflatten(1, (3, 2))
    with pytest.raises(ValueError, match="'ij' or 'xy'"):
        tg.meshgrid(tg.tensor([1.0]), indexing="ji")

"""ops/activation_more.py and the functional API around it: activations, distances, interpolate, losses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests.ops.torch_compare import compare_with_torch
from tests.strategies import away_from
from tinygrad_edu import nn
from tinygrad_edu.autograd import OpError
from tinygrad_edu.gradcheck import gradcheck

# name: (ours, PyTorch's F name, torch options, kinks to keep away from, shapes)
ELEMENTWISE = {
    "silu": (F.silu, "silu", {}, ()),
    "elu": (lambda x: F.elu(x, 0.7), "elu", dict(alpha=0.7), (0.0,)),
    "selu": (F.selu, "selu", {}, (0.0,)),
    "celu": (lambda x: F.celu(x, 0.5), "celu", dict(alpha=0.5), (0.0,)),
    "softplus": (lambda x: F.softplus(x, 2.0, 3.0), "softplus", dict(beta=2.0, threshold=3.0), (1.5,)),
    "softsign": (F.softsign, "softsign", {}, (0.0,)),
    "mish": (F.mish, "mish", {}, ()),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 1.0), "hardtanh", dict(min_val=-0.5, max_val=1.0), (-0.5, 1.0)),
    "hardswish": (F.hardswish, "hardswish", {}, (-3.0, 3.0)),
    "hardsigmoid": (F.hardsigmoid, "hardsigmoid", {}, (-3.0, 3.0)),
    "logsigmoid": (F.logsigmoid, "logsigmoid", {}, ()),
    "tanhshrink": (F.tanhshrink, "tanhshrink", {}, ()),
    "softshrink": (lambda x: F.softshrink(x, 0.3), "softshrink", dict(lambd=0.3), (-0.3, 0.3)),
    "hardshrink": (lambda x: F.hardshrink(x, 0.3), "hardshrink", dict(lambd=0.3), (-0.3, 0.3)),
    "threshold": (lambda x: F.threshold(x, 0.2, -1.0), "threshold", dict(threshold=0.2, value=-1.0), (0.2,)),
    "relu6": (F.relu6, "relu6", {}, (0.0, 6.0)),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=15)
@given(data=st.data())
def test_activation_gradcheck(name, data):
    ours, _, _, kinks = ELEMENTWISE[name]
    x = data.draw(away_from((2, 3), kinks, margin=0.05, low=-4.0, high=4.0))
    gradcheck(ours, tg.tensor(x, requires_grad=True))


@pytest.mark.torch
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_matches_torch(name):
    import torch.nn.functional as TF

    ours, torch_name, options, _ = ELEMENTWISE[name]
    x = np.random.default_rng(0).standard_normal((4, 5)) * 4
    x[0, :3] = [0.0, 3.0, -3.0]  # PyTorch's choices at the kinks
    compare_with_torch(ours, lambda t: getattr(TF, torch_name)(t, **options), [x])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_keeps_float32(name):
    assert ELEMENTWISE[name][0](tg.randn(3)).dtype == np.float32


# ------------------------------------------------------------------------------------------ composed functions

FUNCTIONS = {
    "glu": (lambda x: F.glu(x, 1), lambda F_, x: F_.glu(x, 1), [(2, 4, 3)]),
    "softmin": (lambda x: F.softmin(x, 1), lambda F_, x: F_.softmin(x, 1), [(2, 3)]),
    "prelu": (F.prelu, lambda F_, x, w: F_.prelu(x, w), [(2, 3, 2), (3,)]),
    "normalize": (lambda x: F.normalize(x), lambda F_, x: F_.normalize(x), [(3, 4)]),
    "normalize_p1": (lambda x: F.normalize(x, 1.0, 0), lambda F_, x: F_.normalize(x, 1.0, 0), [(3, 4)]),
    "cosine_similarity": (F.cosine_similarity, lambda F_, a, b: F_.cosine_similarity(a, b), [(3, 4), (3, 4)]),
    "cosine_broadcast": (lambda a, b: F.cosine_similarity(a, b, -1),
                         lambda F_, a, b: F_.cosine_similarity(a, b, -1), [(3, 4), (1, 4)]),
    "pairwise_distance": (F.pairwise_distance, lambda F_, a, b: F_.pairwise_distance(a, b), [(3, 4), (3, 4)]),
    "smooth_l1_loss": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.5),
                       lambda F_, a, b: F_.smooth_l1_loss(a, b, beta=0.5), [(3, 4), (3, 4)]),
    "huber_loss": (lambda a, b: F.huber_loss(a, b, reduction="sum", delta=0.7),
                   lambda F_, a, b: F_.huber_loss(a, b, reduction="sum", delta=0.7), [(3, 4), (3, 4)]),
    "interpolate_nearest": (lambda x: F.interpolate(x, size=(3, 5)),
                            lambda F_, x: F_.interpolate(x, size=(3, 5)), [(1, 2, 2, 3)]),
    "interpolate_scale": (lambda x: F.interpolate(x, scale_factor=2),
                          lambda F_, x: F_.interpolate(x, scale_factor=2), [(1, 2, 2, 3)]),
    "interpolate_bilinear": (lambda x: F.interpolate(x, size=(3, 5), mode="bilinear"),
                             lambda F_, x: F_.interpolate(x, size=(3, 5), mode="bilinear"), [(1, 2, 2, 3)]),
    "interpolate_corners": (lambda x: F.interpolate(x, scale_factor=(1.5, 0.5), mode="bilinear", align_corners=True),
                            lambda F_, x: F_.interpolate(x, scale_factor=(1.5, 0.5), mode="bilinear",
                                                         align_corners=True), [(1, 2, 2, 4)]),
    "interpolate_linear": (lambda x: F.interpolate(x, size=5, mode="linear"),
                           lambda F_, x: F_.interpolate(x, size=5, mode="linear"), [(1, 2, 3)]),
}


@pytest.mark.parametrize("name", FUNCTIONS)
@settings(max_examples=10)
@given(data=st.data())
def test_function_gradcheck(name, data):
    ours, _, shapes = FUNCTIONS[name]
    arrays = [data.draw(away_from(s, (0.0,), margin=0.1)) for s in shapes]
    if name in ("smooth_l1_loss", "huber_loss", "pairwise_distance"):
        arrays[1] = arrays[1] + 5.0  # differences away from the kink of |d| and of the loss
    gradcheck(ours, *[tg.tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.torch
@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_matches_torch(name):
    import torch.nn.functional as TF

    ours, theirs, shapes = FUNCTIONS[name]
    rng = np.random.default_rng(5)
    compare_with_torch(ours, lambda *xs: theirs(TF, *xs), [rng.standard_normal(s) for s in shapes])


@pytest.mark.torch
def test_cosine_embedding_loss_matches_torch():
    import torch
    import torch.nn.functional as TF

    rng = np.random.default_rng(6)
    target = np.array([1, -1, 1, -1])
    compare_with_torch(lambda a, b: F.cosine_embedding_loss(a, b, tg.tensor(target), margin=0.1),
                       lambda a, b: TF.cosine_embedding_loss(a, b, torch.tensor(target), margin=0.1),
                       [rng.standard_normal((4, 3)), rng.standard_normal((4, 3))])


def test_one_hot():
    out = F.one_hot(tg.tensor([[0, 2], [1, 0]]))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[0, 1], [0, 0, 1])
    assert F.one_hot(tg.tensor([1]), num_classes=4).shape == (1, 4)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(tg.tensor([3]), 2)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(tg.tensor([-1]))
    with pytest.raises(TypeError, match="index tensor"):
        F.one_hot(tg.tensor([1.0]))


def test_channel_dropout_zeroes_whole_channels():
    x = tg.ones(8, 6, 3, 3)
    y = F.dropout2d(x, 0.5).numpy()
    per_channel = y.reshape(8, 6, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert F.dropout1d(x[:, :, 0], 0.5, training=False) is not None
    np.testing.assert_array_equal(F.dropout2d(x, 0.5, training=False).numpy(), x.numpy())


def test_modules_wrap_the_functions():
    x = tg.randn(2, 4, 3, 3)
    np.testing.assert_allclose(nn.SiLU()(x).numpy(), F.silu(x).numpy())
    np.testing.assert_allclose(nn.Upsample(scale_factor=2)(x).numpy(), F.interpolate(x, scale_factor=2).numpy())
    np.testing.assert_allclose(nn.GLU(1)(x).numpy(), F.glu(x, 1).numpy())
    prelu = nn.PReLU(4)
    assert prelu.weight.shape == (4,) and np.allclose(prelu.weight.numpy(), 0.25)
    assert nn.Softmin(1)(x).shape == x.shape and nn.Identity()(x) is x
    assert nn.CosineSimilarity()(x, x).shape == (2, 3, 3)


@pytest.mark.parametrize("call,error,message", [
    (lambda: F.glu(tg.randn(2, 3), 1), RuntimeError, "must be even"),
    (lambda: F.glu(tg.randn(2, 3), 2), IndexError, r"expected to be in range of \[-2, 1\], but got 2"),
    (lambda: F.hardtanh(tg.randn(2), 1.0, -1.0), ValueError, "min_val"),
    (lambda: F.interpolate(tg.randn(1, 1, 2, 2)), ValueError, "size or scale_factor"),
    (lambda: F.interpolate(tg.randn(1, 1, 2, 2), size=3, scale_factor=2), ValueError, "size or scale_factor"),
    (lambda: F.interpolate(tg.randn(1, 1, 2, 2), size=3, mode="nearest", align_corners=True), ValueError,
     "align_corners"),
    (lambda: F.interpolate(tg.randn(1, 1, 2), size=3, mode="bilinear"), OpError, "4-D"),
    (lambda: F.interpolate(tg.randn(1, 1, 2, 2), size=3, mode="bicubic"), NotImplementedError, "bicubic"),
    (lambda: F.prelu(tg.randn(2, 3), tg.ones(2)), ValueError, "channels"),
    (lambda: F.smooth_l1_loss(tg.randn(2), tg.randn(2), beta=-1.0), ValueError, "beta"),
    (lambda: F.dropout2d(tg.randn(2), 0.5), RuntimeError, "3D or 4D"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()



"""ops/conv_transpose.py and nn/layers_more.py: 1-D convolution and pooling, transposed convolution, group and
instance norm, pixel shuffles — gradchecks, PyTorch comparisons (forward, gradient, state_dict layout), errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests.ops.torch_compare import compare_with_torch
from tests.strategies import distinct, values
from tinygrad_edu import nn
from tinygrad_edu.autograd import OpError
from tinygrad_edu.gradcheck import gradcheck

# name: (ours, PyTorch's call on torch.nn.functional, input shapes)
LAYERS = {
    "conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b),
                         lambda F_, x, w, b: F_.conv_transpose2d(x, w, b), [(1, 2, 2, 3), (2, 3, 2, 2), (3,)]),
    "conv_transpose2d_strided": (
        lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
        lambda F_, x, w: F_.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
        [(1, 2, 2, 2), (2, 1, 3, 3)]),
    "conv_transpose2d_groups_dilation": (
        lambda x, w: F.conv_transpose2d(x, w, stride=(1, 2), groups=2, dilation=2),
        lambda F_, x, w: F_.conv_transpose2d(x, w, stride=(1, 2), groups=2, dilation=2),
        [(1, 4, 2, 2), (4, 1, 2, 2)]),
    "conv_transpose1d": (lambda x, w: F.conv_transpose1d(x, w, stride=2),
                         lambda F_, x, w: F_.conv_transpose1d(x, w, stride=2), [(2, 2, 3), (2, 3, 2)]),
    "conv1d": (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1),
               lambda F_, x, w, b: F_.conv1d(x, w, b, stride=2, padding=1), [(2, 2, 5), (3, 2, 3), (3,)]),
    "conv1d_same_groups": (lambda x, w: F.conv1d(x, w, padding="same", groups=2, dilation=2),
                           lambda F_, x, w: F_.conv1d(x, w, padding="same", groups=2, dilation=2),
                           [(1, 4, 5), (2, 2, 3)]),
    "avg_pool1d": (lambda x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
                   lambda F_, x: F_.avg_pool1d(x, 3, 2, 1, count_include_pad=False), [(2, 2, 6)]),
    "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), lambda F_, x, w, b: F_.group_norm(x, 2, w, b),
                   [(2, 4, 3), (4,), (4,)]),
    "instance_norm": (lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                      lambda F_, x, w, b: F_.instance_norm(x, weight=w, bias=b), [(2, 2, 2, 2), (2,), (2,)]),
    "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), lambda F_, x: F_.pixel_shuffle(x, 2), [(1, 8, 2, 3)]),
    "pixel_unshuffle": (lambda x: F.pixel_unshuffle(x, 2), lambda F_, x: F_.pixel_unshuffle(x, 2), [(1, 2, 4, 2)]),
}


@pytest.mark.parametrize("name", LAYERS)
@settings(max_examples=8)
@given(data=st.data())
def test_layer_gradcheck(name, data):
    ours, _, shapes = LAYERS[name]
    arrays = [data.draw(values(s)) for s in shapes]
    gradcheck(ours, *[tg.tensor(a, requires_grad=True) for a in arrays])


@settings(max_examples=8)
@given(data=st.data())
def test_max_pool1d_gradcheck(data):
    x = data.draw(distinct((2, 2, 5)))  # no ties: the arg-max is unique
    gradcheck(lambda t: F.max_pool1d(t, 2, 1), tg.tensor(x, requires_grad=True))


@pytest.mark.torch
@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_torch(name):
    import torch.nn.functional as TF

    ours, theirs, shapes = LAYERS[name]
    rng = np.random.default_rng(7)
    compare_with_torch(ours, lambda *xs: theirs(TF, *xs), [rng.standard_normal(s) for s in shapes])


@pytest.mark.torch
def test_max_pool1d_values_indices_and_gradient_match_torch():
    import torch
    import torch.nn.functional as TF

    x = np.random.default_rng(8).standard_normal((2, 3, 9))
    compare_with_torch(lambda t: F.max_pool1d(t, 3, 2, 1), lambda t: TF.max_pool1d(t, 3, 2, 1), [x])
    _, indices = F.max_pool1d(tg.tensor(x), 2, return_indices=True)
    _, expected = TF.max_pool1d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), expected.numpy())


@pytest.mark.torch
def test_instance_norm_running_statistics_match_torch():
    import torch
    import torch.nn.functional as TF

    x = np.random.default_rng(9).standard_normal((2, 3, 5))
    mean, var = tg.zeros(3), tg.ones(3)
    torch_mean, torch_var = torch.zeros(3), torch.ones(3)
    F.instance_norm(tg.tensor(x), mean, var, momentum=0.2)
    TF.instance_norm(torch.tensor(x), torch_mean, torch_var, momentum=0.2)
    np.testing.assert_allclose(mean.numpy(), torch_mean.numpy(), atol=1e-6)
    np.testing.assert_allclose(var.numpy(), torch_var.numpy(), atol=1e-6)


MODULES = [
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2), (1, 4, 3, 3)),
    ("ConvTranspose1d", (2, 3, 3), dict(stride=2), (1, 2, 4)),
    ("Conv1d", (4, 6, 3), dict(padding=1, groups=2), (2, 4, 5)),
    ("GroupNorm", (2, 4), {}, (2, 4, 3)),
    ("InstanceNorm1d", (3,), {}, (2, 3, 4)),
    ("InstanceNorm2d", (3,), dict(affine=True, track_running_stats=True), (2, 3, 2, 2)),
    ("MaxPool1d", (2,), {}, (2, 3, 6)),
    ("AvgPool1d", (3,), dict(stride=1), (2, 3, 6)),
    ("PixelShuffle", (2,), {}, (1, 4, 2, 2)),
    ("PixelUnshuffle", (2,), {}, (1, 1, 4, 4)),
    ("Unflatten", (1, (2, 3)), {}, (2, 6)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,args,options,shape", MODULES, ids=[m[0] for m in MODULES])
def test_module_state_dict_loads_into_torch_and_agrees(name, args, options, shape):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: comparison against PyTorch skipped")
    ours = getattr(nn, name)(*args, **options)
    theirs = getattr(torch.nn, name)(*args, **options).double()
    state = {key: torch.tensor(np.asarray(value.numpy(), dtype=np.float64) if value.dtype.kind == "f"
                               else value.numpy()) for key, value in ours.state_dict().items()}
    theirs.load_state_dict(state)  # same names, same shapes
    x = np.random.default_rng(10).standard_normal(shape)
    ours.double() if hasattr(ours, "double") else None
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-6)


def test_conv_transpose_initialisation_is_pytorchs_bound():
    layer = nn.ConvTranspose2d(4, 6, 3)
    bound = 1 / np.sqrt(6 * 3 * 3)  # fan_in = weight.shape[1]·kh·kw, as PyTorch computes it
    assert layer.weight.shape == (4, 6, 3, 3) and layer.bias.shape == (6,)
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound


def test_conv_transpose_output_size_argument():
    layer = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
    assert layer(tg.randn(1, 2, 4, 4), output_size=(8, 8)).shape == (1, 2, 8, 8)
    assert layer(tg.randn(1, 2, 4, 4)).shape == (1, 2, 7, 7)


@pytest.mark.parametrize("call,error,message", [
    (lambda: F.conv_transpose2d(tg.randn(1, 3, 2, 2), tg.randn(2, 1, 3, 3)), OpError, "in_channels"),
    (lambda: F.conv_transpose2d(tg.randn(1, 2, 2, 2), tg.randn(2, 1, 3, 3), stride=2, output_padding=2), OpError,
     "output padding must be smaller"),
    (lambda: F.conv_transpose2d(tg.randn(2, 2), tg.randn(2, 1, 3, 3)), ValueError, "4-D"),
    (lambda: F.group_norm(tg.randn(2, 3, 4), 2), ValueError, "divide"),
    (lambda: F.pixel_shuffle(tg.randn(1, 3, 2, 2), 2), ValueError, "divisible"),
    (lambda: F.pixel_unshuffle(tg.randn(1, 1, 3, 2), 2), ValueError, "divisible"),
    (lambda: F.conv1d(tg.randn(1, 2, 3, 4), tg.randn(2, 2, 3)), ValueError, "2-D"),
    (lambda: nn.Unflatten(3, (2, 3))(tg.randn(2, 6)), IndexError, "Dimension out of range"),
    (lambda: nn.GroupNorm(3, 4), ValueError, "divisible"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()

"""Weights that travel both ways between PyTorch and tinygrad_edu, for every layer family with a PyTorch twin.

For each family (tests/nn/interop_families.py): PyTorch saves a safetensors file → ours loads it → the state is
bit-for-bit PyTorch's and the outputs agree to 1e-5; ours saves → PyTorch loads it with ``load_state_dict``
(strict) → the same. BatchNorm layers run two training batches first, so running_mean, running_var and
num_batches_tracked travel with non-default values. Skipped, with the reason printed, without PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import require_torch
from tests.nn.interop_families import FAMILIES, Family
from tinygrad_edu import nn

pytestmark = pytest.mark.torch
TORCH = require_torch()  # every test here compares with PyTorch: without it the module is skipped, with the reason
pytest.importorskip("safetensors", reason="the safetensors package is not installed: pip install safetensors")
TOLERANCE = dict(rtol=1e-5, atol=1e-5)


def outputs(result) -> list[np.ndarray]:
    """Every array of a (nested tuple of) outputs, as NumPy; None entries skipped."""
    if result is None:
        return []
    if isinstance(result, tuple | list):
        return [array for item in result for array in outputs(item)]
    return [result.detach().numpy() if hasattr(result, "detach") else result.numpy()]


def perturbed(torch, model):
    """Add 0.1·N(0, 1) to every floating parameter (PyTorch's MHA biases, BatchNorm's γ and β would be 0 or 1)."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.1 * torch.randn(param.shape, generator=generator))
    return model


def torch_model(torch, family: Family):
    torch.manual_seed(0)
    model = family.build_torch(torch) if family.build_torch else family.build(torch.nn)
    return perturbed(torch, model)


def our_model(family: Family):
    tg.manual_seed(0)
    model = family.build(nn)
    generator = np.random.default_rng(1)
    with tg.no_grad():
        for param in model.parameters():
            param.data += (0.1 * generator.standard_normal(param.shape)).astype(param.dtype)
    return model


def run_torch(torch, family: Family, model, inputs: list[np.ndarray]):
    xs = [torch.from_numpy(x) for x in inputs]
    with torch.no_grad():
        return outputs((family.call_torch or family.call)(model, xs))


def run_ours(family: Family, model, inputs: list[np.ndarray]):
    with tg.no_grad():
        return outputs(family.call(model, [tg.tensor(x) for x in inputs]))


def warm_up(family: Family, run, model) -> None:
    """Two training-mode batches (BatchNorm's running statistics and counter move), then evaluation mode."""
    if family.warm_up:
        model.train()
        for seed in (10, 11):
            run(model, family.inputs(np.random.default_rng(seed)))
    model.eval()


def assert_same_state(ours, theirs) -> None:
    """Our state under PyTorch's names equals PyTorch's state_dict exactly: same keys, shapes, dtypes, values."""
    mine = nn.torch_state_dict(ours)
    reference = {key: value.detach().numpy() for key, value in theirs.state_dict().items()}
    assert list(mine) == list(reference), "key order / names differ"
    for key, value in reference.items():
        assert mine[key].dtype == value.dtype and mine[key].shape == value.shape, key
        np.testing.assert_array_equal(mine[key], value, err_msg=key)


@pytest.fixture
def torch():
    return TORCH


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_pytorch_saves_safetensors_and_ours_loads_it(torch, family, tmp_path):
    from safetensors.torch import save_file, save_model

    theirs = torch_model(torch, family)
    warm_up(family, lambda m, xs: run_torch(torch, family, m, xs), theirs)
    path = tmp_path / "theirs.safetensors"
    if "tied" in family.tags:  # save_file refuses shared tensors; save_model writes a tied weight once
        save_model(theirs, str(path))
    else:
        save_file(theirs.state_dict(), str(path))

    ours = our_model(family)
    result = tg.load_torch_state_dict(ours, path)
    assert result == ([], [], [], [])
    ours.eval()
    assert_same_state(ours, theirs)
    inputs = family.inputs(np.random.default_rng(2))
    for mine, reference in zip(run_ours(family, ours, inputs), run_torch(torch, family, theirs, inputs), strict=True):
        np.testing.assert_allclose(mine, reference, **TOLERANCE)


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_ours_saves_safetensors_and_pytorch_loads_it(torch, family, tmp_path):
    from safetensors.torch import load_file

    ours = our_model(family)
    warm_up(family, lambda m, xs: run_ours(family, m, xs), ours)
    path = tmp_path / "ours.safetensors"
    ours.save_safetensors(path)

    theirs = torch_model(torch, family)
    file_state = load_file(str(path))
    expected = {key: (tuple(value.shape), value.dtype) for key, value in theirs.state_dict().items()}
    assert {key: (tuple(value.shape), value.dtype) for key, value in file_state.items()} == expected  # 0-d stays 0-d
    theirs.load_state_dict(file_state)  # strict: every key PyTorch expects, nothing more
    theirs.eval()
    assert_same_state(ours, theirs)
    inputs = family.inputs(np.random.default_rng(3))
    for mine, reference in zip(run_ours(family, ours, inputs), run_torch(torch, family, theirs, inputs), strict=True):
        np.testing.assert_allclose(mine, reference, **TOLERANCE)


@pytest.mark.parametrize("family", [f for f in FAMILIES if f.name in ("MobileNetV2-style", "TransformerEncoder")],
                         ids=lambda f: f.name)
def test_a_pytorch_state_dict_loads_directly_through_load_state_dict(torch, family):
    theirs = torch_model(torch, family)
    warm_up(family, lambda m, xs: run_torch(torch, family, m, xs), theirs)
    ours = our_model(family)
    ours.load_state_dict(theirs.state_dict())  # torch tensors (Parameters included), PyTorch's names
    ours.eval()
    assert_same_state(ours, theirs)


def test_bfloat16_torch_tensors_are_widened_exactly(torch):
    theirs = torch.nn.Linear(3, 2).to(torch.bfloat16)
    ours = nn.Linear(3, 2)
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.numpy(), theirs.weight.float().detach().numpy())


def test_a_bfloat16_safetensors_file_loads_widened_exactly(torch, tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)).to(torch.bfloat16)
    path = tmp_path / "bf16.safetensors"
    save_file(theirs.state_dict(), str(path))  # bfloat16 weights, int64 counter
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ours.load_state_dict(path)
    for key, value in theirs.state_dict().items():
        expected = value.float().numpy() if value.is_floating_point() else value.numpy()
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), expected, err_msg=key)
    assert ours[0].weight.dtype == np.float32 and ours[1].num_batches_tracked.dtype == np.int64


def test_a_torch_save_pickle_is_never_unpickled(torch, tmp_path):
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(3, 2).state_dict(), path)
    with pytest.raises(tg.CheckpointError, match="not a safetensors file.*safetensors.torch.save_file"):
        nn.Linear(3, 2).load_state_dict(path)


@settings(max_examples=15, deadline=None)
@given(heads=st.integers(1, 3), head_dim=st.integers(1, 3), kdim=st.sampled_from([None, 2, 5]),
       vdim=st.sampled_from([None, 3, 4]), bias=st.booleans())
def test_multihead_attention_names_and_shapes_match_pytorchs_for_drawn_sizes(heads, head_dim, kdim, vdim, bias):
    torch = TORCH
    embed = heads * head_dim
    theirs = torch.nn.MultiheadAttention(embed, heads, bias=bias, kdim=kdim, vdim=vdim, batch_first=True)
    ours = nn.MultiHeadAttention(embed, heads, bias=bias, kdim=kdim, vdim=vdim)
    expected = {key: tuple(value.shape) for key, value in theirs.state_dict().items()}
    assert {key: value.shape for key, value in nn.torch_state_dict(ours).items()} == expected
    ours.load_state_dict(theirs.state_dict())
    assert_same_state(ours, theirs)

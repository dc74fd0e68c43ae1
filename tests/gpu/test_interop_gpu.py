"""safetensors files and PyTorch-layout state_dicts move between devices: a GPU model writes host bytes, and a file
or a host state_dict (PyTorch's names) loads into a GPU model, whose tensors stay on the GPU. Marked ``gpu``: on a
real GPU, or on the CuPy stand-in in CI (tests/gpu/test_stand_in.py)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import backend, nn

pytestmark = pytest.mark.gpu


def model(seed: int) -> nn.Module:
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0))


def test_safetensors_travel_between_the_devices(cupy, tmp_path):
    pytest.importorskip("safetensors", reason="the safetensors package is not installed: pip install safetensors")
    source = model(0)
    source[1].num_batches_tracked.data[...] = 3
    reference = nn.torch_state_dict(source)  # host arrays
    path = tmp_path / "gpu.safetensors"
    copy.deepcopy(source).to("cuda").save_safetensors(path)  # written from the GPU: host bytes in the file
    on_cpu = model(1)
    on_cpu.load_state_dict(path)
    for key, value in nn.torch_state_dict(on_cpu).items():
        np.testing.assert_array_equal(value, reference[key], err_msg=key)
    for state in (path, nn.torch_state_dict(source)):  # a file, and host arrays under PyTorch's names
        on_gpu = model(1).to("cuda")
        on_gpu.load_state_dict(state)
        assert all(value.device == "cuda" for value in on_gpu.state_dict().values())
        for key, value in nn.torch_state_dict(on_gpu).items():
            np.testing.assert_array_equal(backend.to_numpy(value), reference[key], err_msg=key)

"""backend.py is the one home of device questions: is_gpu, device_of, the table of device names; kernels/dispatch.py
the one home of the kernel choice; and importing the package does not load Numba."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import backend
from tinygrad_edu.kernels import dispatch

ROOT = Path(tg.__file__).resolve().parent


def _cupy_like():
    return type("ndarray", (), {"__module__": "cupy._core.core"})()


def test_is_gpu_and_device_of():
    assert not backend.is_gpu(np.ones(2)) and not backend.is_gpu(np.float32(1)) and not backend.is_gpu(1.5)
    assert backend.is_gpu(_cupy_like())
    assert backend.device_of(np.ones(2)) == "cpu" and backend.device_of(2.0) == "cpu"
    assert backend.device_of(_cupy_like()) == "cuda"


@pytest.mark.parametrize("name", ["cpu", "CUDA", "cuda:1", "gpu", "numpy", "cupy"])
def test_every_spelling_of_the_table_is_a_device_name(name):
    assert backend.is_device_name(name)
    assert backend.normalize_device(name) in ("cpu", "cuda")


@pytest.mark.parametrize("value", ["float64", "tpu", 3, None])
def test_other_values_are_not_device_names(value):
    assert not backend.is_device_name(value)


def test_tensor_and_module_to_read_the_one_table():
    """Tensor.to and Module.to tell a device from a dtype with backend.is_device_name."""
    x = tg.ones(2)
    assert x.to("CPU:0") is x  # a device spelling (no copy on the same device), not a dtype
    assert x.to("float64").dtype == np.float64
    layer = tg.nn.Linear(2, 2)
    assert layer.to("numpy") is layer and layer.weight.device == "cpu"


def test_to_numpy_accepts_tensors_arrays_and_numbers_without_knowing_tensor():
    assert backend.to_numpy(tg.tensor([1.0, 2.0])).tolist() == [1.0, 2.0]
    array = np.arange(3)
    assert backend.to_numpy(array) is array  # an array's own .data (its buffer) is not mistaken for a Tensor's
    assert backend.to_numpy(2.5) == 2.5


def test_no_private_gpu_checks_remain():
    """The questions "is this on the GPU?" and "which device is this name?" are answered in backend.py only."""
    sources = {path: path.read_text() for path in [*ROOT.rglob("*.py"), *(ROOT.parent / "kernels").rglob("*.py")]}
    offenders = [str(path) for path, text in sources.items()
                 if path.name != "backend.py" and ('__module__.startswith("cupy")' in text
                                                   or '__name__ == "numpy"' in text
                                                   or '"gpu", "numpy", "cupy"' in text)]
    assert offenders == []


def test_attention_path_is_chosen_by_dispatch():
    large = np.zeros((8, 4, 512, 32), np.float32)
    assert dispatch.attention_path(large.astype(np.float64), large.astype(np.float64)) == "reference"
    with dispatch.using("numpy"):
        assert dispatch.attention_path(large, large) == "reference"


def test_erf_goes_through_dispatch():
    import math

    x = np.array([-1.0, 0.0, 0.5], np.float64)
    np.testing.assert_allclose(dispatch.erf(x), [math.erf(v) for v in x], rtol=1e-15)


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_importing_the_package_does_not_import_numba():
    """Numba (and its threading setup) loads on the first compiled-kernel call, not as an import side effect."""
    code = ("import sys, tinygrad_edu as tg; from tinygrad_edu import nn; before = 'numba' in sys.modules; "
            "y = (tg.randn(2, 3, requires_grad=True) * 2).sum(); y.backward(); "
            "tg.nn.functional.scaled_dot_product_attention(*(tg.randn(1, 2, 4, 3) for _ in range(3))); "
            "tiny = 'numba' in sys.modules; "
            "nn.Conv2d(1, 1, 3)(tg.randn(1, 1, 5, 5)); "
            "from tinygrad_edu.kernels import threads; "
            "print(before, tiny, 'numba' in sys.modules, threads._configured is not None)")
    assert _run(code).split() == ["False", "False", "True", "True"]

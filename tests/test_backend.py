"""The NumPy/CuPy backend: choosing it, the errors without CuPy or a GPU, device mixing, the seeded generator.

CuPy need not be installed: its absence is simulated by blocking the import, a machine without a GPU by the
project's one fake ``cupy`` (tests/gpu/stand_in_cupy.py) with another device count, and a CUDA tensor by marking
an array as living on "cuda". One test runs on a real GPU when there is one.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import tinygrad_edu as tg
from tests.gpu import stand_in_cupy
from tinygrad_edu import backend


def test_use_and_current() -> None:
    assert backend.current() == "numpy" and backend.current_device() == "cpu"
    backend.use("cpu")  # device names are accepted as aliases
    assert backend.current() == "numpy"
    backend.use("numpy")
    assert backend.array_module() is np
    with pytest.raises(ValueError, match="must be one of"):
        backend.use("tpu")


@pytest.fixture
def without_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` now raises ImportError


def test_asking_for_cupy_without_cupy_says_what_is_missing(without_cupy) -> None:
    for ask in [lambda: backend.use("cupy"), lambda: backend.use("cuda"), lambda: tg.tensor([1.0]).cuda(),
                lambda: tg.tensor([1.0]).to("cuda"), lambda: backend.array_module("cupy"),
                lambda: backend.generator("cupy")]:
        with pytest.raises(RuntimeError, match=r"CuPy, which is not installed.*pip install -e \"\.\[gpu\]\""):
            ask()
    assert backend.current() == "numpy"  # a failed switch leaves the backend as it was
    assert not backend.gpu_available()


def _fake_cupy(monkeypatch, get_device_count) -> types.ModuleType:
    cupy = stand_in_cupy.build(get_device_count)
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    return cupy


def test_asking_for_cupy_without_a_cuda_device_says_so(monkeypatch) -> None:
    def no_driver():
        raise OSError("cudaErrorNoDevice: no CUDA-capable device is detected")

    _fake_cupy(monkeypatch, no_driver)
    with pytest.raises(RuntimeError, match=r"CuPy is installed but no CUDA device is usable.*cudaErrorNoDevice.*gpu"):
        backend.use("cupy")
    _fake_cupy(monkeypatch, lambda: 0)
    with pytest.raises(RuntimeError, match=r"found no CUDA device.*\.\[gpu\]"):
        backend.use("cupy")
    assert backend.current() == "numpy" and not backend.gpu_available()


def test_get_array_module_and_device() -> None:
    assert backend.get_array_module(np.ones(2)) is np
    assert backend.get_array_module(np.float32(1.0)) is np
    assert backend.get_array_module(1.5) is np and backend.get_array_module([1, 2]) is np
    assert backend.device_of(np.ones(2)) == "cpu"
    assert tg.tensor([1.0]).device == "cpu"


def test_get_array_module_recognises_cupy_arrays(monkeypatch) -> None:
    cupy = _fake_cupy(monkeypatch, lambda: 1)
    on_device = cupy.ndarray(np.ones(2))  # its class lives in "cupy._core.core", as CuPy's does
    assert backend.get_array_module(on_device) is cupy
    assert backend.device_of(on_device) == "cuda"


@pytest.mark.parametrize(("spelling", "device"), [("cpu", "cpu"), ("numpy", "cpu"), ("CUDA", "cuda"),
                                                  ("cuda:0", "cuda"), ("gpu", "cuda"), ("cupy", "cuda")])
def test_device_spellings(spelling, device) -> None:
    assert backend.normalize_device(spelling) == device


def test_unknown_device_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        backend.normalize_device("tpu")


class _OnCuda(np.ndarray):
    """A NumPy array that the backend is told lives on the GPU (a stand-in for a CuPy array)."""

    def get(self) -> np.ndarray:  # CuPy's copy to the host
        return np.asarray(self)


@pytest.fixture
def fake_cuda_tensor(monkeypatch):
    real_device_of = backend.device_of
    monkeypatch.setattr(backend, "device_of", lambda a: "cuda" if isinstance(a, _OnCuda) else real_device_of(a))
    return tg.Tensor._from_op(np.ones((2, 3), dtype=np.float32).view(_OnCuda), None)


@pytest.mark.parametrize(("name", "combine"), [
    ("Add", lambda cpu, gpu: cpu + gpu),
    ("Mul", lambda cpu, gpu: gpu * cpu),
    ("MatMul", lambda cpu, gpu: cpu.T @ gpu),
    ("Maximum", lambda cpu, gpu: tg.maximum(cpu, gpu)),
    ("Where", lambda cpu, gpu: tg.where(np.ones((2, 3), bool), cpu, gpu)),
    ("Concatenate", lambda cpu, gpu: tg.cat([cpu, gpu])),
    ("comparison (less)", lambda cpu, gpu: cpu < gpu),
])
def test_mixing_devices_names_the_op_the_devices_and_the_fix(fake_cuda_tensor, name, combine) -> None:
    cpu = tg.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    assert fake_cuda_tensor.device == "cuda" and cpu.device == "cpu"
    with pytest.raises(TypeError) as error:
        combine(cpu, fake_cuda_tensor)
    message = str(error.value)
    assert message.startswith(name) and "different devices" in message
    assert "on cpu" in message and "on cuda" in message and ".to('cpu')" in message and ".to('cuda')" in message


def test_backward_with_a_gradient_on_another_device(fake_cuda_tensor) -> None:
    y = tg.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(TypeError, match=r"grad is on cuda but the tensor is on cpu.*\.to\('cpu'\)"):
        y.backward(np.ones(2).view(_OnCuda))


def test_repr_names_a_gpu_device(fake_cuda_tensor) -> None:
    assert "device='cuda'" in repr(fake_cuda_tensor)


def test_generator_is_one_seeded_generator() -> None:
    tg.manual_seed(3)
    generator = backend.generator()
    assert backend.generator() is generator  # every random function draws from this one object
    expected = np.random.default_rng(3)
    np.testing.assert_array_equal(tg.rand(2, 2).numpy(), expected.random((2, 2), dtype=np.float32))
    np.testing.assert_array_equal(tg.randn(3).numpy(), expected.standard_normal(3, dtype=np.float32))
    tg.manual_seed(3)
    assert backend.generator() is not generator  # reseeding starts a fresh stream


def _require_gpu():
    pytest.importorskip("cupy", reason="CuPy is not installed: GPU test skipped (pip install -e \".[gpu]\")")
    if not backend.gpu_available():
        pytest.skip("CuPy is installed but no CUDA device is usable: GPU test skipped")


@pytest.mark.gpu
def test_the_same_computation_on_the_gpu_matches_the_cpu() -> None:
    _require_gpu()
    array = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    results = {}
    for device in ("cpu", "cuda"):
        x = tg.tensor(array).to(device).requires_grad_()
        loss = (x.softmax(axis=1) * x.relu() + x.gelu()).max(axis=0).sum() + x[[0, 0, 2]].sum()
        loss.backward()
        assert x.device == device and loss.device == device
        results[device] = (loss.numpy(), backend.to_device(x.grad, "cpu"))
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=1e-5)
    np.testing.assert_allclose(results["cuda"][1], results["cpu"][1], rtol=1e-5, atol=1e-6)
    backend.use("cupy")
    assert tg.randn(3).device == "cuda"


def test_using_switches_the_backend_inside_a_block_only() -> None:
    with pytest.raises(ValueError, match="backend must be one of"):
        with backend.using("numpy"):
            assert backend.current() == "numpy"
            backend.use("tpu")
    assert backend.current() == "numpy"

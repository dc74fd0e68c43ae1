"""The benchmark on a CUDA GPU (``python -m tinygrad_edu.bench --device cuda``): our engine on CuPy, against
PyTorch on the same GPU and against our own engine on the CPU.

A GPU call only *queues* its kernels and returns before they have run, so a timed step must wait for the device
before it returns (``synchronized``): otherwise the clock measures how fast Python can queue work, not how fast
the GPU does it. Every GPU contender here ends with that wait; the CPU contenders need none.

Models and batches are drawn on the NumPy backend (the same seeded values as the CPU benchmark) and then moved
to the GPU, as a user would do with ``model.to("cuda")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import backend, ops
from tinygrad_edu.nn import functional as F

from .workloads import Result, Settings, _mlp_numpy_step, _mlp_ours_step, _mlp_torch_step

TORCH_DEVICE = "cuda"  # where PyTorch's contenders run (the tests set "cpu" to check their wiring without a GPU)

# ------------------------------------------------------------------------------------- device plumbing


def why_no_gpu() -> str | None:
    """None when CuPy sees a CUDA device; otherwise what is missing and how to get it (the backend's words)."""
    if backend.gpu_available():
        return None
    try:
        backend.array_module("cupy")
    except RuntimeError as error:
        return str(error)
    return "CuPy reported no usable CUDA device"  # a device that vanished between the two checks


def torch_on_gpu(torch: Any) -> Any:
    """The torch module when PyTorch can use a CUDA device, else None (after saying why its column is empty)."""
    if torch is None:
        return None
    if torch.cuda.is_available():
        return torch
    why = ("this PyTorch build has no CUDA support (a CPU-only wheel)" if torch.version.cuda is None
           else f"PyTorch (CUDA {torch.version.cuda}) sees no usable CUDA device")
    print(f"--against torch: {why}, so its column stays empty")
    return None


def gpu_facts(torch: Any = None) -> dict[str, Any]:
    """The GPU, CuPy and CUDA versions behind the figures (and PyTorch's view of the GPU when it takes part)."""
    cupy = backend.array_module("cupy")
    device = cupy.cuda.Device()
    name = cupy.cuda.runtime.getDeviceProperties(device.id)["name"]
    runtime = cupy.cuda.runtime.runtimeGetVersion()  # 1000 · major + 10 · minor, e.g. 12040 for CUDA 12.4
    facts: dict[str, Any] = {
        "gpu": name.decode(errors="replace") if isinstance(name, bytes) else str(name),
        "cupy": cupy.__version__,
        "CUDA runtime (CuPy)": f"{runtime // 1000}.{runtime % 1000 // 10}",
    }
    if torch is not None:
        facts["torch on GPU"] = f"CUDA {torch.version.cuda}, {torch.cuda.get_device_name()}"
    return facts


def cupy_synchronize() -> Callable[[], None]:
    """A function that waits until the current CUDA device has finished all work queued on it (every stream)."""
    return backend.array_module("cupy").cuda.Device().synchronize


def synchronized(step: Callable[[], object], wait: Callable[[], object]) -> Callable[[], None]:
    """``step`` followed by ``wait`` for the device, so that a timed call ends when the GPU's work does."""

    def step_then_wait() -> None:
        step()
        wait()

    return step_then_wait


def _torch_synchronized(torch: Any, step: Callable[[], object] | None) -> Callable[[], None] | None:
    return None if step is None else synchronized(step, torch.cuda.synchronize)


# ---------------------------------------------------------------------------------------- CNN (Adam)


def cnn_step(s: Settings) -> list[Result]:
    """The documents' CNN, one Adam step at batch 64 (batch already on the device): ours on the GPU, ours on the
    CPU (the NumPy backend, in the baseline column) and PyTorch on the GPU. The GPU issue asks our GPU step to
    be at least 5× faster than our CPU step. Each step ends by reading its loss, as a training loop does."""
    from . import kernels as conv_bench

    batch = 64
    ours_gpu = synchronized(conv_bench.our_training_step(batch, "cuda"), cupy_synchronize())
    ours_cpu = conv_bench.our_training_step(batch, "cpu")
    torch_step = _torch_synchronized(
        s.torch, conv_bench.torch_training_step(s.torch, batch, TORCH_DEVICE) if s.torch is not None else None)
    result = s.compare(f"documents' CNN Adam step, batch {batch} (baseline = ours on CPU)", ours_gpu, ours_cpu,
                       torch_step)
    speed_up = result.numpy_s / result.ours_s
    result.extra["speed-up of our GPU step over our CPU step (goal: at least 5x)"] = f"{speed_up:.1f}x"
    pool = backend.array_module("cupy").get_default_memory_pool()
    result.extra["GPU memory held by CuPy's pool so far (MiB)"] = round(pool.total_bytes() / 2**20, 1)
    return [result]


# -------------------------------------------------------------------------------------- MLP (momentum)


def mlp_step(s: Settings) -> list[Result]:
    """The 784-256-128-10 MLP at batch 128 on the GPU: one SGD-momentum step, and forward + backward alone,
    against the same computation written by hand in CuPy (the engine's overhead on the GPU) and PyTorch."""
    sizes, batch = [784, 256, 128, 10], 128
    cupy, wait = backend.array_module("cupy"), cupy_synchronize()
    rows = []
    for update, what in ((True, "step"), (False, "fwd+bwd only")):
        with backend.using("numpy"):  # weights and batch drawn by NumPy's generator, then moved to the GPU
            ours = _mlp_ours_step(sizes, batch, update=update, device="cuda")
        by_hand = _mlp_numpy_step(sizes, batch, update=update, xp=cupy)
        torch_step = (_mlp_torch_step(s.torch, sizes, batch, update=update, device=TORCH_DEVICE)
                      if s.torch is not None else None)
        rows.append(s.compare(f"MLP 784-256-128-10 {what}, batch {batch} (baseline = CuPy by hand)",
                              synchronized(ours, wait), synchronized(by_hand, wait),
                              _torch_synchronized(s.torch, torch_step)))
    return rows


# ---------------------------------------------------------------------------------------------- attention


def _attention_contenders(torch: Any, batch: int, heads: int, seq: int,
                          head_dim: int) -> dict[str, Callable[[], None]]:
    """Forward + backward of scaled dot-product attention on GPU arrays: what ``F.scaled_dot_product_attention``
    runs (the numba.cuda kernel for CuPy arrays), the matrix-product reference path, and PyTorch's."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((batch, heads, seq, head_dim), dtype=np.float32) for _ in range(4)]
    ours = [tg.Tensor(backend.to_device(a, "cuda"), requires_grad=True) for a in arrays[:3]]
    grad = backend.to_device(arrays[3], "cuda")
    wait = cupy_synchronize()

    def selected() -> None:
        for t in ours:
            t.grad = None
        F.scaled_dot_product_attention(*ours).backward(grad)

    def reference() -> None:
        for t in ours:
            t.grad = None
        ops.ScaledDotProductAttention.apply(*ours, use_kernel=False).backward(grad)

    contenders = {"F.sdpa": synchronized(selected, wait), "reference": synchronized(reference, wait)}
    if torch is not None:
        theirs = [torch.tensor(a, device=TORCH_DEVICE, requires_grad=True) for a in arrays[:3]]
        torch_grad = torch.tensor(arrays[3], device=TORCH_DEVICE)

        def torch_step() -> None:
            for t in theirs:
                t.grad = None
            torch.nn.functional.scaled_dot_product_attention(*theirs).backward(torch_grad)

        contenders["torch"] = synchronized(torch_step, torch.cuda.synchronize)
    return contenders


def attention(s: Settings) -> list[Result]:
    """Scaled dot-product attention forward + backward on the GPU, batch 8, 4 heads, head size 32, sequence 128
    and 512."""
    results = []
    for seq in (128, 512):
        contenders = _attention_contenders(s.torch, 8, 4, seq, 32)
        results.append(s.compare(f"attention fwd+bwd 8x4x{seq}x32 (baseline = our reference path)",
                                 contenders["F.sdpa"], contenders["reference"], contenders.get("torch")))
    return results


GPU_WORKLOADS: dict[str, Callable[[Settings], list[Result]]] = {
    "cnn": cnn_step,
    "mlp": mlp_step,
    "attention": attention,
}

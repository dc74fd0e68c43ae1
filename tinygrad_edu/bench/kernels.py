"""Speed and memory of the convolution path, measured against PyTorch's CPU build in the same process.

    python -m tinygrad_edu.bench.kernels              # im2col, training step, peak memory
    python -m tinygrad_edu.bench.kernels --threading  # the training step under each threading policy
    python -m tinygrad_edu.bench.kernels --cpu-time   # one thread each, CPU time instead of wall time

The model is the documents' CNN, ``models.DocumentsCNN`` (Conv2d(1, 32, 3) → ReLU → MaxPool2d(2) → Conv2d(32, 64,
3) → ReLU → MaxPool2d(2) → Conv2d(64, 64, 3) → ReLU → Flatten → Linear(576, 64) → ReLU → Linear(64, 10), 93,322
parameters) on 28×28×1 images; one training step is zero_grad, forward, cross-entropy, backward and an Adam update,
in float32. Times are medians over repeats that alternate between the two libraries, after a warm-up that also
compiles the Numba kernels, so a busy machine slows both alike and the ratio stays meaningful (the harness of
``python -m tinygrad_edu.bench``, tinygrad_edu/bench/timing.py).

On a machine shared with other busy programs, threads that wait for a descheduled partner distort wall-clock
times (a 2-thread library can lose far more than a 1-thread one). ``--cpu-time`` runs everything — OpenBLAS,
the Numba kernels, PyTorch — on one thread and measures the CPU time the process used: the work each library
does, which other programs do not change.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .fair import peak_rss_mib as peak_rss_of_this_process_mib


def torch_documents_cnn(torch: Any, classes: int = 10) -> Any:
    """``models.DocumentsCNN`` written with ``torch.nn``: the same layers, so the same ``state_dict`` keys."""
    t = torch.nn
    return t.Sequential(
        t.Conv2d(1, 32, 3), t.ReLU(), t.MaxPool2d(2),
        t.Conv2d(32, 64, 3), t.ReLU(), t.MaxPool2d(2),
        t.Conv2d(64, 64, 3), t.ReLU(),
        t.Flatten(), t.Linear(576, 64), t.ReLU(), t.Linear(64, classes),
    )


def random_batch(batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Uniform noise images (batch, 1, 28, 28) and random labels 0–9: timing needs shapes, not meaning."""
    rng = np.random.default_rng(seed)
    return rng.random((batch, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch)


#: the documents' CNN's parameters in state_dict order: (name, shape)
CNN_PARAMETERS = [("0.weight", (32, 1, 3, 3)), ("0.bias", (32,)), ("3.weight", (64, 32, 3, 3)), ("3.bias", (64,)),
                  ("6.weight", (64, 64, 3, 3)), ("6.bias", (64,)), ("9.weight", (64, 576)), ("9.bias", (64,)),
                  ("11.weight", (10, 64)), ("11.bias", (10,))]


def cnn_parameters(seed: int) -> dict[str, np.ndarray]:
    """The CNN's weights drawn with NumPy from ``seed`` as PyTorch initialises them, U(±1/√fan_in) with fan_in
    the inputs of each weight's output unit: the same numbers for our model and PyTorch's."""
    rng = np.random.default_rng(seed)
    state, bound = {}, 1.0
    for name, shape in CNN_PARAMETERS:
        if name.endswith("weight"):
            bound = 1 / np.sqrt(np.prod(shape[1:]))
        state[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return state


def our_training_step(batch: int = 64, device: str = "cpu", seed: int = 0) -> Callable[[], float]:
    """A closure running one training step of the documents' CNN on ``device``; returns the loss. The model
    (``cnn_parameters(seed)``) and batch (``random_batch(batch, seed)``) are made on the NumPy backend, then moved."""
    import tinygrad_edu as tg
    from tinygrad_edu import backend, models, optim
    from tinygrad_edu.nn import functional as F

    with backend.using("numpy"):
        model = models.DocumentsCNN()
        model.load_state_dict(cnn_parameters(seed))
        model = model.to(device)
        images, labels = random_batch(batch, seed)
        x, y = tg.Tensor(images).to(device), tg.Tensor(labels).to(device)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)

    def step() -> float:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_training_step(torch: Any, batch: int = 64, device: str = "cpu", seed: int = 0) -> Callable[[], float]:
    """``our_training_step`` written with PyTorch: the same weights, batch and Adam step."""
    model = torch_documents_cnn(torch)
    model.load_state_dict({name: torch.from_numpy(value) for name, value in cnn_parameters(seed).items()})
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images, labels = random_batch(batch, seed)
    x, y = torch.from_numpy(images).to(device), torch.from_numpy(labels).to(device)

    def step() -> float:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


CLOCK: Callable[[], float] = time.perf_counter  # time.process_time with --cpu-time


def _medians(functions: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds per call, the functions timed in turns by the project benchmark's harness."""
    from tinygrad_edu.bench.timing import time_in_turns

    return time_in_turns(functions, repeats=repeats, clock=CLOCK)


def im2col_speed(repeats: int = 30) -> dict[str, float]:
    """Numba im2col against the NumPy stride-tricks reference on x (64, 32, 13, 13) with a 3×3 window, for an
    NCHW input and for the same values stored channels-last (as that layer's input is inside the CNN)."""
    from tinygrad_edu.kernels import im2col, reference

    x = np.random.default_rng(0).random((64, 32, 13, 13), dtype=np.float32)
    x_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    geometry = ((3, 3), (1, 1), (0, 0), (1, 1), (11, 11))
    assert np.array_equal(im2col.im2col(x, *geometry), reference.im2col(x, *geometry))
    return _medians({"numba NCHW": lambda: im2col.im2col(x, *geometry),
                     "reference NCHW": lambda: reference.im2col(x, *geometry),
                     "numba channels-last": lambda: im2col.im2col(x_last, *geometry),
                     "reference channels-last": lambda: reference.im2col(x_last, *geometry)}, repeats)


def step_speed(repeats: int = 30, batch: int = 64, torch_threads: int = 2) -> dict[str, float]:
    """One training step, ours and (if installed) PyTorch's."""
    functions = {"ours": our_training_step(batch)}
    try:
        import torch

        torch.set_num_threads(torch_threads)
        functions["torch"] = torch_training_step(torch, batch)
    except ImportError:
        print("PyTorch is not installed: timing our step only")
    return _medians(functions, repeats)


def _memory_child(steps: int, batch: int) -> None:
    step = our_training_step(batch)
    for _ in range(steps):
        step()
    print(peak_rss_of_this_process_mib())


def peak_rss_mib(steps: int = 20, batch: int = 64) -> float:
    """Peak resident memory (MiB) of a fresh process that runs ``steps`` training steps (no PyTorch loaded)."""
    code = f"from tinygrad_edu.bench.kernels import _memory_child; _memory_child({steps}, {batch})"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def _threading_child(repeats: int) -> None:
    from tinygrad_edu.kernels import threads

    times = step_speed(repeats)
    ratio = f"{times['ours'] / times['torch']:.2f}× PyTorch" if "torch" in times else ""
    print(f"{threads.describe():<50} ours {times['ours'] * 1e3:6.1f} ms  {ratio}")


def threading_sweep(repeats: int) -> None:
    """The training step in a fresh process per threading policy (the layer is chosen once per process), and
    OpenMP with spinning idle threads (OMP_WAIT_POLICY=ACTIVE), the setting that fights OpenBLAS."""
    from tinygrad_edu.kernels.threads import CHOICES

    settings = [(policy, {"TINYGRAD_EDU_THREADING": policy}) for policy in CHOICES if policy != "numba"]
    settings.append(("omp-active", {"TINYGRAD_EDU_THREADING": "omp", "OMP_WAIT_POLICY": "ACTIVE"}))
    for name, variables in settings:
        env = {**os.environ, **variables}
        code = f"from tinygrad_edu.bench.kernels import _threading_child; _threading_child({repeats})"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        lines = (result.stdout if result.returncode == 0 else result.stderr).strip().splitlines()
        print(f"{name:<11} {lines[-1] if lines else '(no output)'}")


ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "TINYGRAD_EDU_THREADING": "serial"}


def main(argv: list[str] | None = None) -> int:
    global CLOCK
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.bench.kernels", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30, help="timed repeats per measurement (default 30)")
    parser.add_argument("--threading", action="store_true", help="compare the threading policies instead")
    parser.add_argument("--cpu-time", action="store_true", help="one thread each, process CPU time")
    args = parser.parse_args(argv)
    if args.threading:
        threading_sweep(args.repeats)
        return 0
    if args.cpu_time and os.environ.get("OPENBLAS_NUM_THREADS") != "1":  # the thread counts are read at start-up
        command = [sys.executable, "-m", "tinygrad_edu.bench.kernels", "--cpu-time", "--repeats",
                   str(args.repeats)]
        return subprocess.run(command, env={**os.environ, **ONE_THREAD}).returncode
    if args.cpu_time:
        CLOCK = time.process_time
    from tinygrad_edu.kernels import threads

    unit = "ms of CPU time, one thread" if args.cpu_time else "ms"
    t = im2col_speed(args.repeats)
    for layout in ("NCHW", "channels-last"):
        numba_s, reference_s = t[f"numba {layout}"], t[f"reference {layout}"]
        print(f"im2col (64, 32, 13, 13), 3×3, {layout} input: Numba {numba_s * 1e3:.3f}, NumPy reference "
              f"{reference_s * 1e3:.3f} {unit}: {reference_s / numba_s:.1f}× faster")
    step = step_speed(args.repeats, torch_threads=1 if args.cpu_time else 2)
    line = f"training step, batch 64: ours {step['ours'] * 1e3:.1f}"
    if "torch" in step:
        line += f", PyTorch {step['torch'] * 1e3:.1f} {unit}: {step['ours'] / step['torch']:.2f}× PyTorch's time"
    print(line)
    if not args.cpu_time:
        print(f"peak RSS of 20 training steps at batch 64: {peak_rss_mib():.0f} MiB")
    print(f"threads: {threads.describe()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

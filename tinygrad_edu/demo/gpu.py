"""Walkthrough ``gpu``: the same training step of the documents' CNN on the CPU (NumPy) and on a CUDA GPU (CuPy),
checked to agree and timed. Needs CuPy and a CUDA device (``python -m pip install -e ".[gpu]"``); without them it
says what is missing."""

from __future__ import annotations

import copy
import statistics
import time

import numpy as np

import tinygrad_edu as tg

from .. import backend, models, nn, optim
from ..data import shapes
from ..nn import functional as F
from .narrate import Narrator, Unavailable


def missing_gpu_reason() -> str | None:
    """Why the GPU backend cannot be used here, or None when it can."""
    try:
        backend.array_module("cupy")
    except RuntimeError as error:
        return str(error)
    return None


def train_step(model: nn.Module, optimizer: optim.Optimizer, x: tg.Tensor, y: tg.Tensor) -> float:
    """forward → loss → backward → Adam; ``.item()`` copies the loss to the host, so the GPU has finished."""
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def step_seconds(model: nn.Module, x: tg.Tensor, y: tg.Tensor, repeats: int, warmup: int = 2) -> list[float]:
    """Wall time of ``repeats`` training steps after ``warmup`` untimed ones (JIT compilation, CUDA kernels)."""
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(warmup):
        train_step(model, optimizer, x, y)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        train_step(model, optimizer, x, y)
        times.append(time.perf_counter() - start)
    return times


def model_on(device: str, classes: int) -> nn.Module:
    """The documents' CNN with its parameters on ``device``."""
    return models.DocumentsCNN(classes).to(device)


def run(n: Narrator, devices: tuple[str, str] = ("cpu", "cuda")) -> None:
    n.title("gpu.title")
    reason = missing_gpu_reason() if "cuda" in devices else None
    if reason is not None:
        raise Unavailable(n.t("gpu.missing", reason=reason))
    n.say("gpu.intro")
    if "cuda" in devices:
        import cupy

        name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
        n.say("gpu.device", name=name.decode() if isinstance(name, bytes) else name, version=cupy.__version__)

    n.section("gpu.section_agree")
    images, labels = shapes(256, seed=n.args.seed)
    reference = model_on(devices[0], 5)
    twin = copy.deepcopy(reference).to(devices[1])  # the same initial weights on the other device
    losses, weights = [], []
    for model, device in ((reference, devices[0]), (twin, devices[1])):
        x, y = tg.tensor(images[:64]).to(device), tg.tensor(labels[:64]).to(device)
        losses.append(train_step(model, optim.Adam(model.parameters(), lr=1e-3), x, y))
        weights.append(model[0].weight.numpy())
    n.step("gpu.agree", n.t("gpu.agree_formula"),
           "losses.append(train_step(model, optim.Adam(model.parameters(), lr=1e-3), x, y))",
           {f"L ({devices[0]})": losses[0], f"L ({devices[1]})": losses[1],
            "max |W₁ (cpu) − W₁ (gpu)|": float(np.max(np.abs(weights[0] - weights[1])))})

    n.section("gpu.section_time")
    batches = (64,) if n.quick else (64, 256)
    repeats = 3 if n.quick else 10
    rows, timings = [], {}
    for batch in batches:
        for device in devices:
            x, y = tg.tensor(images[:batch]).to(device), tg.tensor(labels[:batch]).to(device)
            seconds = step_seconds(model_on(device, 5), x, y, repeats)
            timings[(batch, device)] = statistics.median(seconds)
        speedup = timings[(batch, devices[0])] / timings[(batch, devices[1])]
        rows.append([str(batch), f"{1000 * timings[(batch, devices[0])]:.1f}",
                     f"{1000 * timings[(batch, devices[1])]:.1f}", f"{speedup:.1f}×"])
    n.step("gpu.timed", n.t("gpu.timed_formula"),
           "seconds = step_seconds(model_on(device, 5), x, y, repeats)", repeats=repeats)
    n.table_rows([n.t("gpu.col_batch"), f"{devices[0]} (ms)", f"{devices[1]} (ms)", n.t("gpu.col_speedup")], rows)

    figure = n.figure(7, 4)
    axes = figure.add_subplot()
    positions = np.arange(len(batches))
    for k, device in enumerate(devices):
        axes.bar(positions + (k - 0.5) * 0.4, [1000 * timings[(b, device)] for b in batches], width=0.4,
                 label=device)
    axes.set_xticks(positions, [str(b) for b in batches])
    axes.set_xlabel(n.label("gpu.col_batch"))
    axes.set_ylabel("ms")
    axes.set_title(n.label("gpu.plot_title"))
    axes.legend()
    n.save(figure, "step_time")

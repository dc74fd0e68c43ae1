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
from . import strings
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
        raise Unavailable(n.t("gpu.missing", reason=reason[:1].upper() + reason[1:]))  # a sentence of its own
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


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.gpu": (
        "the same CNN training step on the CPU (NumPy) and a CUDA GPU (CuPy): checked to agree, timed (needs "
        "CuPy and a GPU)",
        "同一个 CNN 训练步骤分别在 CPU（NumPy）和 CUDA GPU（CuPy）上运行：核对结果一致，并计时（需要 CuPy 和 "
        "GPU）",
    ),
    "gpu.title": (
        "CPU and GPU: one CNN training step on NumPy and on CuPy",
        "CPU 与 GPU：同一个 CNN 训练步骤分别在 NumPy 和 CuPy 上运行",
    ),
    "gpu.missing": (
        "this walkthrough needs CuPy and a CUDA GPU. {reason}",
        "这个演示需要 CuPy 和一块 CUDA GPU。{reason}",
    ),
    "gpu.intro": (
        "Every op body is written once against an array module xp — NumPy on the CPU, CuPy on the GPU — so "
        "the same code trains on both.",
        "每个运算的实现只针对数组模块 xp 写一次——CPU 上是 NumPy，GPU 上是 "
        "CuPy——因此同一份代码可以在两者上训练。",
    ),
    "gpu.device": ("GPU: {name} (CuPy {version})", "GPU：{name}（CuPy {version}）"),
    "gpu.section_agree": ("The same step gives the same numbers", "同样的步骤给出同样的数值"),
    "gpu.agree": (
        "One Adam step of the documents' CNN from the same initial weights on the same 64 images; float32 "
        "sums in a different order differ in the last digits only:",
        "原文中的 CNN 从相同的初始权重出发，在相同的 64 张图像上做一步 Adam；float32 求和顺序不同，"
        "只在最后几位有差别：",
    ),
    "gpu.agree_formula": (
        "the same step on both devices:  θ₁ = Adam(θ₀, ∇L(θ₀))",
        "两个设备上的同一步：θ₁ = Adam(θ₀, ∇L(θ₀))",
    ),
    "gpu.section_time": ("And how long it takes", "以及所用的时间"),
    "gpu.timed": (
        "Each device trains a fresh model; {repeats} timed steps per batch size:",
        "每个设备训练一个新模型；每种批量大小计时 {repeats} 步：",
    ),
    "gpu.timed_formula": (
        "median wall time of one training step (forward, backward, Adam), after 2 warm-up steps",
        "一个训练步骤（前向传播、反向传播、Adam）用时的中位数，先预热 2 步",
    ),
    "gpu.col_batch": ("batch size", "批量大小"),
    "gpu.col_speedup": ("speed-up", "加速比"),
    "gpu.plot_title": ("One training step of the CNN (median)", "CNN 的一个训练步骤（中位数）"),
}
strings.register(TEXT)

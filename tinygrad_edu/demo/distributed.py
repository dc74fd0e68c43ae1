"""Walkthrough ``distributed``: data parallelism — the mean of the shard gradients is the whole-batch gradient, the
ring all-reduce and its cost 2(p−1)α + 2(p−1)/p·n/B, then the documents' CNN measured on 1 process and on 2 MPI
ranks (started here with mpiexec), and the cost model's prediction for 1–1024 ranks."""

from __future__ import annotations

import json

import numpy as np

from .. import distributed as dist
from .. import nn
from ..distributed import launch
from ..distributed.measure import MARK
from ..nn import functional as F
from . import strings
from .narrate import Narrator

TEXT = {
    "summary.distributed": (
        "data parallelism on MPI: averaged shard gradients, the ring all-reduce, the CNN measured on 2 ranks, the "
        "cost model for 1–1024 ranks",
        "MPI 上的数据并行：分片梯度的平均、环形 all-reduce、在 2 个进程上实测原文中的 CNN、"
        "1–1024 个进程的通信代价模型"),
    "distributed.title": ("Data parallelism: one model, many processes (MPI)", "数据并行：一个模型，多个进程（MPI）"),
    "distributed.intro": (
        "Large models are trained in parallel on many GPUs and TPUs. In data parallelism every process (rank) holds\n"
        "the same model and a different shard of each batch; after backpropagation an all-reduce averages the\n"
        "gradients, and every rank makes the same update.",
        "大模型在许多 GPU 和 TPU 上并行训练。数据并行中，每个进程（rank）持有同一个模型、每个批次的不同分片；\n"
        "反向传播之后用 all-reduce 对梯度求平均，每个进程做出相同的参数更新。"),
    "distributed.section_average": ("1. The mean of the shard gradients is the whole-batch gradient",
                                    "1. 分片梯度的平均等于整个批次的梯度"),
    "distributed.average": ("gradient of the batch of 64 against the mean of 2 shards of 32 (float64)",
                            "64 个样本的批次梯度与 2 个 32 样本分片梯度的平均（float64）"),
    "distributed.section_ring": ("2. The ring all-reduce and its cost", "2. 环形 all-reduce 及其通信代价"),
    "distributed.ring": (
        "p ranks in a ring; the vector in p pieces; p − 1 steps of reduce-scatter (send a piece right, add the one\n"
        "from the left), then p − 1 steps of all-gather. Each rank sends 2(p − 1) messages of n/p bytes.",
        "p 个进程连成环；向量切成 p 段；先做 p − 1 步 reduce-scatter（向右发送一段，把左边收到的一段加到自己的上），\n"
        "再做 p − 1 步 all-gather。每个进程发送 2(p − 1) 条 n/p 字节的消息。"),
    "distributed.ring_formula": ("one message t = α + m/B; the ring T(p, n) = 2(p−1)·α + 2(p−1)/p · n/B",
                                 "一条消息 t = α + m/B；环形 T(p, n) = 2(p−1)·α + 2(p−1)/p · n/B"),
    "distributed.section_measure": ("3. Measured on this machine: the documents' CNN, 1 process against 2 ranks",
                                    "3. 本机实测：原文中的 CNN，1 个进程对比 2 个进程"),
    "distributed.launching": ("starting: mpiexec -n 2 python -m tinygrad_edu.distributed.measure --one (and 1 process)",
                              "启动：mpiexec -n 2 python -m tinygrad_edu.distributed.measure --one（以及 1 个进程）"),
    "distributed.no_mpi": ("MPI is not available here ({reason}); the figures below use typical values (α = 5 µs, "
                           "B = 2 GB/s, a 150 ms step), not measurements",
                           "此处没有 MPI（{reason}）；下面的数字使用典型值（α = 5 µs，B = 2 GB/s，每步 150 ms），"
                           "并非实测"),
    "distributed.measured": ("global batch {batch}: step time, communication time and images/s (median of {steps} "
                             "steps; a loaded machine inflates both)",
                             "全局批次 {batch}：每步时间、通信时间与每秒图像数（{steps} 步的中位数；"
                             "机器负载高时两者都会变大）"),
    "distributed.section_model": ("4. The cost model for 1–1024 ranks (each rank keeps its batch of {batch})",
                                  "4. 1–1024 个进程的代价模型（每个进程的批次保持 {batch}）"),
    "distributed.model": ("the prediction at p = 2, 8, 64 and 1024", "p = 2、8、64、1024 时的预测"),
    "distributed.model_formula": ("step = t_c + T(p, n); communication share T / step; images/s = p · b / step",
                                  "每步 = t_c + T(p, n)；通信占比 T / 每步；每秒图像数 = p · b / 每步"),
    "distributed.verdict": (
        "The bandwidth term of the ring hardly grows with p, the latency term grows linearly: at 1024 ranks the\n"
        "model predicts {share:.0%} of each step spent communicating (efficiency {efficiency:.0%}). Buckets overlap\n"
        "part of it with backpropagation; ZeRO shards the optimizer state (see notebook 16 and docs/distributed.md).",
        "环形算法的带宽项几乎不随 p 增长，延迟项线性增长：在 1024 个进程时，模型预测每步有 {share:.0%} 的时间用于通信\n"
        "（效率 {efficiency:.0%}）。分桶让一部分通信与反向传播重叠；ZeRO 把优化器状态分片\n"
        "（见笔记本 16 与 docs/distributed.md）。"),
    "distributed.plot_measured": ("measured step (ms)", "实测每步时间（ms）"),
    "distributed.plot_compute": ("compute", "计算"),
    "distributed.plot_communication": ("communication", "通信"),
    "distributed.plot_share": ("communication share (model)", "通信占比（模型）"),
    "distributed.plot_measured_point": ("measured, 2 ranks", "实测，2 个进程"),
    "distributed.plot_ranks": ("ranks p", "进程数 p"),
    "distributed.plot_throughput": ("images/s (model)", "每秒图像数（模型）"),
    "distributed.plot_ideal": ("ideal p × one rank", "理想：p × 单进程"),
}
strings.register(TEXT)

TYPICAL = {"alpha_s": 5e-6, "bandwidth_Bps": 2e9, "step_s": 0.15, "comm_s": 0.0, "gradient_bytes": 373288}


def _measure(args: list[str], ranks: int) -> dict:
    if ranks == 1:
        finished = launch.python_alone(args, threads=1, timeout=600)
    else:
        finished = launch.mpiexec(args, ranks=ranks, threads=1, timeout=600)
    if finished.returncode != 0:
        raise RuntimeError(f"the measurement failed:\n{finished.stderr[-2000:]}")
    line = next(x for x in finished.stdout.splitlines() if x.startswith(MARK))
    return json.loads(line[len(MARK):])


def run(n: Narrator) -> None:
    n.title("distributed.title")
    n.say("distributed.intro")

    n.section("distributed.section_average")
    rng = np.random.default_rng(n.args.seed)
    x, y = rng.standard_normal((64, 20)), rng.integers(0, 5, 64)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5)).double()

    def gradient(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        model.zero_grad()
        F.cross_entropy(model(n.tensor(xs)), n.tensor(ys)).backward()
        return np.concatenate([dist.process_group.backend.to_numpy(p.grad).ravel() for p in model.parameters()])

    whole = gradient(x, y)
    shards = [gradient(x[:32], y[:32]), gradient(x[32:], y[32:])]
    n.step("distributed.average", "∇J = (1/p) Σ_r ∇J_r",
           "shards = [gradient(x[:32], y[:32]), gradient(x[32:], y[32:])]",
           {"max |mean − whole|": float(np.max(np.abs(np.mean(shards, axis=0) - whole)))})

    n.section("distributed.section_ring")
    n.say("distributed.ring")
    pieces = dist.chunk_bounds(10, 4)
    n.step("distributed.ring", n.t("distributed.ring_formula"), "pieces = dist.chunk_bounds(10, 4)",
           {"pieces of 10 elements on 4 ranks": pieces})

    n.section("distributed.section_measure")
    batch, steps = (16, 2) if n.quick else (64, 10)
    problem = launch.why_no_mpi()
    if problem is None:
        n.say("distributed.launching")
        args = ["-m", "tinygrad_edu.distributed.measure", "--one", "--steps", str(steps), "--batch", str(batch)]
        one = _measure(args, ranks=1)
        two = _measure(args, ranks=2)
        link = dist.LinkModel(two["alpha_s"], two["bandwidth_Bps"])
    else:
        n.say("distributed.no_mpi", reason=problem)
        one = dict(TYPICAL)
        two = dict(TYPICAL, comm_s=0.01, step_s=TYPICAL["step_s"] / 2 + 0.01)
        link = dist.LinkModel(TYPICAL["alpha_s"], TYPICAL["bandwidth_Bps"])
    n.step("distributed.measured", "images/s = global batch / step time",
           "two = _measure(args, ranks=2)",
           {"1 rank:  step ms, images/s": np.array([one["step_s"] * 1e3, batch / one["step_s"]]),
            "2 ranks: step ms, comm ms, images/s": np.array([two["step_s"] * 1e3, two["comm_s"] * 1e3,
                                                              batch / two["step_s"]]),
            "speed-up": one["step_s"] / two["step_s"],
            "α (µs), B (GB/s)": np.array([link.alpha_s * 1e6, link.bandwidth_Bps / 1e9])},
           batch=batch, steps=steps)

    n.section("distributed.section_model", batch=batch // 2)
    ranks = 2 ** np.arange(0, 11)
    compute = max(two["step_s"] - two["comm_s"], 1e-6)
    prediction = link.step_prediction(compute, two["gradient_bytes"], ranks, batch_per_rank=batch // 2)
    n.step("distributed.model", n.t("distributed.model_formula"),
           "prediction = link.step_prediction(compute, two[\"gradient_bytes\"], ranks, batch_per_rank=batch // 2)",
           {"p": ranks[[1, 3, 6, 10]], "communication share": prediction["comm_share"][[1, 3, 6, 10]],
            "efficiency": prediction["efficiency"][[1, 3, 6, 10]]})

    figure = n.figure(12, 3.8)
    left, middle, right = figure.subplots(1, 3)
    names = ["1", "2"]
    computes = [one["step_s"] - one["comm_s"], compute]
    comms = [one["comm_s"], two["comm_s"]]
    left.bar(names, np.array(computes) * 1e3, label=n.label("distributed.plot_compute"))
    left.bar(names, np.array(comms) * 1e3, bottom=np.array(computes) * 1e3,
             label=n.label("distributed.plot_communication"))
    left.set_xlabel(n.label("distributed.plot_ranks"))
    left.set_title(n.label("distributed.plot_measured"))
    left.legend()
    middle.semilogx(ranks, prediction["comm_share"], "o-", label=n.label("distributed.plot_share"))
    middle.semilogx([2], [two["comm_s"] / two["step_s"]], "r*", markersize=12,
                    label=n.label("distributed.plot_measured_point"))
    middle.set_xlabel(n.label("distributed.plot_ranks"))
    middle.set_ylim(0, 1)
    middle.legend()
    right.loglog(ranks, prediction["images_per_s"], "o-", label=n.label("distributed.plot_throughput"))
    right.loglog(ranks, ranks * (batch // 2) / compute, "--", label=n.label("distributed.plot_ideal"))
    right.set_xlabel(n.label("distributed.plot_ranks"))
    right.legend()
    n.save(figure, "scaling")
    n.say("distributed.verdict", share=float(prediction["comm_share"][-1]),
          efficiency=float(prediction["efficiency"][-1]))

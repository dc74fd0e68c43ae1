"""Measurements of data parallelism on this machine: the documents' CNN's training speed on 1 or p ranks, and α
and B of the ping-pong. Each rank configuration is its own process tree, so ``measure_scaling`` launches them:

    python -m tinygrad_edu.distributed.measure                    # the three configurations, printed
    mpiexec -n 2 python -m tinygrad_edu.distributed.measure --one # one configuration (what measure_scaling runs)

The *global* batch is fixed (64 by default) and cut into p shards, so images/s of p ranks against 1 rank is the
speed-up of the same training run (strong scaling).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from typing import Any

import numpy as np

from .launch import mpiexec, python_alone, why_no_mpi

MARK = "MEASURE "


def _cnn() -> Any:
    from ..models import DocumentsCNN

    return DocumentsCNN()


def one_configuration(steps: int, global_batch: int, warmup: int = 2, ping_pong: bool = True) -> dict:
    """Time ``steps`` SGD steps of the CNN on this rank configuration; rank 0 gets the figures (all ranks return)."""
    import tinygrad_edu as tg
    from tinygrad_edu import optim
    from tinygrad_edu.nn import functional as F

    from . import cost_model
    from .ddp import DistributedDataParallel
    from .process_group import CLOCK, init

    world = init()
    p, r = world.size, world.rank
    tg.manual_seed(0)
    model = _cnn()
    runner = DistributedDataParallel(model) if p > 1 else model
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    shard = global_batch // p
    rng = np.random.default_rng(r)
    x = tg.Tensor(rng.standard_normal((shard, 1, 28, 28)).astype(np.float32))
    y = tg.Tensor(rng.integers(0, 10, shard))
    step_times, comm_times = [], []
    for step in range(warmup + steps):
        if world.comm is not None:
            world.comm.Barrier()  # start together: the step time is that of the slowest rank
        start = time.perf_counter()
        optimizer.zero_grad()
        F.cross_entropy(runner(x), y).backward()
        optimizer.step()
        if step >= warmup:
            step_times.append(time.perf_counter() - start)
            comm_times.append(getattr(runner, "communication_seconds", 0.0))
    step_s = float(np.median(step_times))
    comm_s = float(np.median(comm_times))
    if world.comm is not None:  # the slowest rank decides
        step_s = world.comm.allreduce(step_s, op=_max())
        comm_s = world.comm.allreduce(comm_s, op=_max())
    gradient_bytes = int(sum(q.data.nbytes for q in model.parameters()))
    result = {"ranks": p, "global_batch": global_batch, "step_s": step_s, "comm_s": comm_s,
              "images_per_s": global_batch / step_s, "gradient_bytes": gradient_bytes,
              "clock_s": CLOCK.seconds}
    if ping_pong and p >= 2:
        sizes, seconds = cost_model.ping_pong()
        link = cost_model.fit_link(sizes, seconds)
        result.update(alpha_s=link.alpha_s, bandwidth_Bps=link.bandwidth_Bps,
                      ping_pong={"bytes": sizes.tolist(), "seconds": seconds.tolist()})
    return result


def _max() -> Any:
    from mpi4py import MPI

    return MPI.MAX


def machine_label() -> str:
    """What the figures were measured on: CPU model and core count."""
    import os

    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{name}, {os.cpu_count()} cores, load average {load:.1f} at the start"


def _parse(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise RuntimeError(f"the measurement printed no result:\n{output[-3000:]}")


def measure_scaling(steps: int = 10, global_batch: int = 64, ranks: int = 2, timeout: float = 600) -> dict:
    """images/s of the CNN for 1 rank × 1 thread, ``ranks`` ranks × 1 thread and 1 rank × ``ranks`` threads, plus
    α and B; a dict with the three results, the speed-ups and the machine."""
    problem = why_no_mpi()
    if problem is not None:
        raise RuntimeError(problem)
    args = ["-m", "tinygrad_edu.distributed.measure", "--one", "--steps", str(steps), "--batch", str(global_batch)]
    label = machine_label()
    runs = {}
    for name, run in (("1 rank x 1 thread", lambda: python_alone(args, threads=1, timeout=timeout)),
                      (f"{ranks} ranks x 1 thread", lambda: mpiexec(args, ranks=ranks, threads=1, timeout=timeout)),
                      (f"1 rank x {ranks} threads", lambda: python_alone(args, threads=ranks, timeout=timeout))):
        finished = run()
        if finished.returncode != 0:
            raise RuntimeError(f"{name}: the measurement failed:\n{finished.stderr[-3000:]}")
        runs[name] = _parse(finished.stdout)
    base = runs["1 rank x 1 thread"]["images_per_s"]
    parallel = runs[f"{ranks} ranks x 1 thread"]
    threads = runs[f"1 rank x {ranks} threads"]
    return {"machine": label, "runs": runs, "ranks": ranks,
            "speedup_ranks_vs_1_thread": parallel["images_per_s"] / base,
            "speedup_ranks_vs_threads": parallel["images_per_s"] / threads["images_per_s"],
            "speedup_threads_vs_1_thread": threads["images_per_s"] / base,
            "alpha_s": parallel.get("alpha_s"), "bandwidth_Bps": parallel.get("bandwidth_Bps")}


def format_scaling(result: dict) -> str:
    lines = [f"machine: {result['machine']}", f"{'configuration':<22} {'step ms':>9} {'comm ms':>9} {'images/s':>9}"]
    for name, run in result["runs"].items():
        lines.append(f"{name:<22} {run['step_s'] * 1e3:9.1f} {run['comm_s'] * 1e3:9.2f} {run['images_per_s']:9.1f}")
    p = result["ranks"]
    lines.append(f"{p} ranks vs 1 rank x 1 thread: {result['speedup_ranks_vs_1_thread']:.2f}x; "
                 f"vs 1 rank x {p} threads: {result['speedup_ranks_vs_threads']:.2f}x")
    if result.get("alpha_s") is not None:
        alpha_us, gigabytes = result["alpha_s"] * 1e6, result["bandwidth_Bps"] / 1e9
        lines.append(f"ping-pong: alpha = {alpha_us:.2f} us, B = {gigabytes:.2f} GB/s")
    return "\n".join(lines)


def cost_model_table(result: dict, ranks: np.ndarray | None = None) -> dict:
    """The α–B model's prediction for 1–1024 ranks from a ``measure_scaling`` result: each rank keeps the per-rank
    batch of the measured 2-rank run (weak scaling) and its compute time t_c = step − communication."""
    from .cost_model import LinkModel

    ranks = 2 ** np.arange(0, 11) if ranks is None else ranks
    run = result["runs"][f"{result['ranks']} ranks x 1 thread"]
    link = LinkModel(result["alpha_s"], result["bandwidth_Bps"], result["machine"])
    compute = run["step_s"] - run["comm_s"]
    batch = run["global_batch"] // run["ranks"]
    return link.step_prediction(compute, run["gradient_bytes"], ranks, batch)


def plot_cost_model(result: dict, path: str) -> None:
    """Draw the predicted communication share and images/s for 1–1024 ranks, labelled with the machine."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = cost_model_table(result)
    run = result["runs"][f"{result['ranks']} ranks x 1 thread"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.semilogx(table["ranks"], table["comm_share"], "o-", label="model: T / (t_c + T)")
    left.semilogx([run["ranks"]], [run["comm_s"] / run["step_s"]], "r*", markersize=12, label="measured")
    left.set_xlabel("ranks p")
    left.set_ylim(0, 1)
    left.set_title("communication share of a step")
    left.legend()
    right.loglog(table["ranks"], table["images_per_s"], "o-", label="model")
    right.loglog(table["ranks"], table["ranks"] * table["images_per_s"][0], "--", label="ideal (p × one rank)")
    right.set_xlabel("ranks p")
    right.set_title("images/s, the documents' CNN")
    right.legend()
    figure.suptitle(f"α = {result['alpha_s'] * 1e6:.1f} µs, B = {result['bandwidth_Bps'] / 1e9:.2f} GB/s — "
                    f"{result['machine']}", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=80)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", action="store_true", help="measure this process's configuration only")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=64, help="the global batch, cut into one shard per rank")
    parser.add_argument("--json", help="write the result to this file")
    parser.add_argument("--figure", help="draw the cost model's curve for 1-1024 ranks into this PNG file")
    args = parser.parse_args(argv)
    if args.one:
        from .process_group import init

        result = one_configuration(args.steps, args.batch)
        if init().rank == 0:
            print(MARK + json.dumps(result), flush=True)
        return
    result = measure_scaling(args.steps, args.batch)
    print(format_scaling(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    if args.figure:
        plot_cost_model(result, args.figure)


if __name__ == "__main__":
    main()

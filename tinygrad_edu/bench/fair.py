"""The fair comparison with PyTorch: each side in a process of its own, taking turns, every round kept.

    python -m tinygrad_edu.bench --against torch [--rounds 15] [--threads 2] [--json FILE]

Why separate processes: in one process PyTorch's OpenMP threads and ours (OpenBLAS, Numba) share the cores,
and a library whose idle threads still spin slows the other down; figures measured that way (``--in-process``,
labelled *contaminated*) were off by up to 25×. Here, for each workload of ``registry.WORKLOADS``:

1. two child processes start, ours and PyTorch's, with the same thread count (``OMP_NUM_THREADS``,
   ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``, ``NUMBA_NUM_THREADS`` set before anything loads, and
   ``torch.set_num_threads``), each building its step from the registry with the same seed;
2. each warms up in turn (JIT compilation, first allocations) and picks how many calls make a block of at least
   ``min_block_s`` (1 s; 0.25 s with ``--quick``): the first call after a pause runs with sleeping threads and
   cold caches, and a block of one call would time mostly that (our CNN step: 74 ms in blocks of one call,
   38 ms in blocks of 1 s);
3. the sides take turns: one block of ours, one of PyTorch's, ours, …, ``rounds`` times, with a pause of
   ``pause_s`` (0.5 s) before each turn so that the other process's idle threads have gone to sleep: OpenBLAS's
   workers spin for about 2²⁸ cycles (0.1 s) after a product before they sleep, and a process that waits
   with a spinning thread takes a core from the one being timed (PyTorch's CNN step measured 52 ms with a
   0.05 s pause, 39 ms with 0.5 s). A busy moment on a shared machine then slows both sides of a round alike,
   so the per-round ratio ours/PyTorch is the robust figure;
4. the report keeps every round's seconds per call, the medians, and the min–max of the per-round ratios; and
   each round's CPU time per call (all the process's threads), whose ratio a loaded machine distorts less when
   each side runs one thread (with several, threads that spin while waiting count too).

Each side runs with its library's own memory allocation policy: ours keeps freed pages for reuse
(kernels/allocator.py), PyTorch's process has glibc's defaults; ``torch_malloc=True`` (``--torch-malloc``)
gives PyTorch's process the same policy through glibc's environment variables, to show how much of a
difference is that policy.

A ``kind="memory"`` workload runs its ``steps`` in each fresh process and reports the peak resident memory
(``VmHWM`` of /proc/self/status, else ``resource.getrusage`` ``ru_maxrss``), one process per side, after one
discarded process of the same: a process that compiles our Numba kernels (a cold cache: a fresh install, a
kernel just edited) peaks at LLVM's memory, 245 MiB instead of 181 MiB for attention at 2048.

The children speak a line protocol over their standard input and output: ``warmup`` → ``{"calls": n}``,
``block`` → ``{"seconds": s, "cpu_seconds": c}`` (per call: wall time, and the CPU time of all the process's
threads), ``rss`` → ``{"peak_rss_mib": m}``; one JSON line per answer.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

REGISTRY = "tinygrad_edu.bench.registry"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
SIDES = ("ours", "torch")


# ------------------------------------------------------------------------------------------------ child


def peak_rss_mib() -> float:
    """The peak resident memory of this process in MiB: VmHWM, which a fresh ``exec`` starts from zero (Linux's
    ``ru_maxrss`` may keep the peak of the parent that forked it), else ``getrusage``'s ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024


def _build_step(registry: str, name: str, side: str, seed: int, threads: int) -> tuple[Callable[[], object], Any]:
    workload = importlib.import_module(registry).WORKLOADS[name]
    if side == "ours":
        return workload.ours(seed), workload
    torch = None
    if workload.theirs_needs_torch:
        import torch

        torch.set_num_threads(threads)
    return workload.theirs(torch, seed), workload


def child(registry: str, name: str, side: str, seed: int, threads: int, warmup: int, min_block_s: float,
          stdin: Any = sys.stdin, stdout: Any = sys.stdout) -> None:
    """Build one side's step and answer the parent's commands (the line protocol of the module docstring)."""
    step, workload = _build_step(registry, name, side, seed, threads)

    def answer(**fields: float) -> None:
        stdout.write(json.dumps(fields) + "\n")
        stdout.flush()

    if workload.kind == "memory":
        for _ in range(workload.steps):
            step()
        answer(peak_rss_mib=peak_rss_mib())
        return
    calls = 1
    for command in stdin:
        command = command.strip()
        if command == "warmup":
            for _ in range(warmup):
                step()
            start = time.perf_counter()
            step()
            calls = max(1, int(min_block_s / max(time.perf_counter() - start, 1e-7)))
            answer(calls=calls)
        elif command == "block":
            start, cpu_start = time.perf_counter(), time.process_time()
            for _ in range(calls):
                step()
            answer(seconds=(time.perf_counter() - start) / calls,
                   cpu_seconds=(time.process_time() - cpu_start) / calls)
        elif command == "rss":
            answer(peak_rss_mib=peak_rss_mib())
        elif command == "quit":
            return


# ----------------------------------------------------------------------------------------------- parent


@dataclass
class Row:
    """One workload's figures: every round's seconds per call (time rows) or the peak RSS (memory rows)."""

    name: str
    kind: str
    rounds: dict[str, list[float]] = field(default_factory=dict)  # side → seconds per call, one per round
    cpu_rounds: dict[str, list[float]] = field(default_factory=dict)  # side → CPU seconds per call, per round
    peak_rss_mib: dict[str, float] = field(default_factory=dict)  # side → MiB
    calls_per_block: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def median(self, side: str) -> float | None:
        values = self.rounds.get(side)
        return statistics.median(values) if values else None

    def ratios(self) -> list[float]:
        """ours / PyTorch for each round (both sides' blocks of the same round)."""
        if not self.rounds.get("ours") or not self.rounds.get("torch"):
            return []
        return [a / b for a, b in zip(self.rounds["ours"], self.rounds["torch"], strict=True)]

    def summary(self) -> dict[str, Any]:
        """The figures the table and the docs show, computed from the rounds."""
        if self.kind == "memory":
            ours, theirs = self.peak_rss_mib.get("ours"), self.peak_rss_mib.get("torch")
            return {"ours": ours, "torch": theirs,
                    "ratio": None if ours is None or theirs is None else ours / theirs}
        ratios = self.ratios()
        ours, theirs = self.median("ours"), self.median("torch")
        cpu = [statistics.median(self.cpu_rounds[side]) if self.cpu_rounds.get(side) else None for side in SIDES]
        return {"ours": ours, "torch": theirs, "ours_cpu": cpu[0], "torch_cpu": cpu[1],
                "cpu_ratio": None if None in cpu else cpu[0] / cpu[1],
                "ratio": None if ours is None or theirs is None else ours / theirs,
                "ratio_median": statistics.median(ratios) if ratios else None,
                "ratio_min": min(ratios) if ratios else None, "ratio_max": max(ratios) if ratios else None}

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "rounds": self.rounds, "cpu_rounds": self.cpu_rounds,
                "peak_rss_mib": self.peak_rss_mib,
                "calls_per_block": self.calls_per_block, "error": self.error, **self.summary()}


def child_environment(threads: int, malloc: bool = False) -> dict[str, str]:
    """The parent's environment with every library's thread count set to ``threads`` and the import path of
    this process (so that the child imports the same tree); ``malloc=True`` adds glibc's variables for our
    allocation policy (kernels/allocator.py)."""
    from tinygrad_edu.kernels import allocator

    env = {**os.environ, **{variable: str(threads) for variable in THREAD_VARIABLES}}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    if malloc:
        env.update(allocator.ENVIRONMENT)
    return env


class ChildProcess:
    """A child process and the parent's end of a line protocol: a command line in, one JSON line out."""

    def __init__(self, side: str, command: list[str], env: dict[str, str]) -> None:
        self.side = side
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env)

    def ask(self, command: str | None = None) -> dict[str, Any]:
        """Send ``command`` (or nothing: a child that speaks first, as a memory child) and read the answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            error = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"the {self.side} process stopped (exit {self.process.returncode}): {error[-1500:]}")
        return json.loads(line)

    def close(self) -> None:
        """Ask the child to quit (if it still runs), wait for it and close the three pipes."""
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError):
                pass
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                try:
                    stream.close()
                except (BrokenPipeError, OSError):
                    pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Side(ChildProcess):
    """One workload's child process of ``measure`` (the line protocol of the module docstring)."""

    def __init__(self, registry: str, name: str, side: str, seed: int, threads: int, warmup: int,
                 min_block_s: float, malloc: bool = False) -> None:
        command = [sys.executable, "-m", "tinygrad_edu.bench.fair", "--child", name, "--side", side,
                   "--registry", registry, "--seed", str(seed), "--threads", str(threads), "--warmup", str(warmup),
                   "--min-block-s", str(min_block_s)]
        super().__init__(side, command, child_environment(threads, malloc))


def measure(name: str, rounds: int = 15, threads: int | None = None, seed: int = 0, warmup: int = 3,
            min_block_s: float = 1.0, pause_s: float = 0.5, registry: str = REGISTRY,
            sides: Sequence[str] = SIDES, torch_malloc: bool = False) -> Row:
    """One workload, each side in its own process: time rows in alternating rounds, memory rows once each.
    ``torch_malloc`` gives PyTorch's process our allocation policy (see the module docstring)."""
    threads = threads or os.cpu_count() or 1
    workload = importlib.import_module(registry).WORKLOADS[name]
    row = Row(name, workload.kind)

    def start(side: str) -> Side:
        return Side(registry, name, side, seed, threads, warmup, min_block_s, torch_malloc and side == "torch")

    if workload.kind == "memory":
        for side in sides:  # one after the other: the other side's process is not running
            for _ in range(2):  # the first process fills the compile caches, the second one's figure is kept
                child_side = start(side)
                try:
                    row.peak_rss_mib[side] = child_side.ask()["peak_rss_mib"]
                finally:
                    child_side.close()
        return row
    children = [start(side) for side in sides]
    try:
        for child_side in children:  # warm up one at a time, so that compilation does not overlap
            row.calls_per_block[child_side.side] = int(child_side.ask("warmup")["calls"])
        row.rounds = {child_side.side: [] for child_side in children}
        row.cpu_rounds = {child_side.side: [] for child_side in children}
        for _ in range(rounds):
            for child_side in children:
                time.sleep(pause_s)
                answer = child_side.ask("block")
                row.rounds[child_side.side].append(answer["seconds"])
                row.cpu_rounds[child_side.side].append(answer["cpu_seconds"])
        for child_side in children:
            row.peak_rss_mib[child_side.side] = child_side.ask("rss")["peak_rss_mib"]
    finally:
        for child_side in children:
            child_side.close()
    return row


# ------------------------------------------------------------------------------------------------- report


def _figure(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if kind == "memory" else f"{value * 1e3:.3f}"


def format_rows(rows: list[Row], titles: dict[str, str] | None = None) -> str:
    """The table: medians (ms, or MiB for memory rows), the ratio of the medians and the per-round range."""
    titles = titles or {}
    names = [titles.get(row.name, row.name) for row in rows]
    width = max([40, *(len(name) for name in names)])
    header = (f"{'workload':<{width}} {'ours':>10} {'torch':>10} {'ours/torch':>10} {'per-round range':>16} "
              f"{'CPU-time ratio':>14}")
    lines = [header, "-" * len(header)]
    for row, title in zip(rows, names, strict=True):
        if row.error:
            lines.append(f"{title:<{width}} failed: {row.error.splitlines()[-1] if row.error else ''}")
            continue
        s = row.summary()
        ratio = "-" if s["ratio"] is None else f"{s['ratio']:.2f}x"
        spread = "" if s.get("ratio_min") is None else f"{s['ratio_min']:.2f}-{s['ratio_max']:.2f}x"
        unit = "MiB" if row.kind == "memory" else "ms"
        cpu = "" if s.get("cpu_ratio") is None else f"{s['cpu_ratio']:.2f}x"
        lines.append(f"{title:<{width}} {_figure(s['ours'], row.kind):>10} {_figure(s['torch'], row.kind):>10} "
                     f"{ratio:>10} {spread:>16} {cpu:>14} {unit}")
    return "\n".join(lines)


def report(rows: list[Row], machine: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """The JSON document: how it was measured, on what, and every row with all its rounds."""
    return {"mode": "separate processes, alternating rounds", "machine": machine, "settings": settings,
            "rows": [row.to_json() for row in rows]}


def run(names: Sequence[str], rounds: int, threads: int | None, seed: int = 0, registry: str = REGISTRY,
        quick: bool = False, log: Callable[[str], None] = print, torch_malloc: bool = False) -> list[Row]:
    """Measure every named workload; a workload that fails is reported as failed, the others still run."""
    rows = []
    for name in names:
        log(f"... {name}")
        try:
            rows.append(measure(name, rounds, threads, seed, warmup=1 if quick else 3,
                                min_block_s=0.25 if quick else 1.0, registry=registry,
                                torch_malloc=torch_malloc))
        except RuntimeError as error:
            kind = importlib.import_module(registry).WORKLOADS[name].kind
            rows.append(Row(name, kind, error=str(error)))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Child mode only (``--child``); the parent's command line is ``python -m tinygrad_edu.bench --against torch``."""
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.bench.fair")
    parser.add_argument("--child", required=True)
    parser.add_argument("--side", choices=SIDES, required=True)
    parser.add_argument("--registry", default=REGISTRY)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--min-block-s", type=float, default=1.0)
    args = parser.parse_args(argv)
    child(args.registry, args.child, args.side, args.seed, args.threads, args.warmup, args.min_block_s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

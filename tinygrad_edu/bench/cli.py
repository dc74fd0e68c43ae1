"""The benchmark's command line: run the workloads, print a table with ratios, optionally write JSON.

``--device cpu`` (the default) times our engine against plain NumPy written by hand, in this process.
``--against torch`` compares it with PyTorch's CPU build fairly: each side in its own process, alternating
rounds, every round kept (bench/fair.py, workloads in bench/registry.py). ``--against torch --in-process``
keeps the old way, PyTorch timed inside this process, whose threads fight ours for the cores: those figures
are labelled CONTAMINATED. ``--device cuda`` times our engine on CuPy against a baseline named in each row
(our CPU backend, CuPy by hand or our reference path) and PyTorch on the same GPU (tinygrad_edu/bench/gpu.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from .. import backend
from . import fair, registry
from .gpu import GPU_WORKLOADS, gpu_facts, torch_on_gpu, why_no_gpu
from .machine import machine_facts
from .workloads import WORKLOADS, Result, Settings

# the names --only accepts, on either device and with --against torch
ALL_WORKLOADS = list(dict.fromkeys([*WORKLOADS, *GPU_WORKLOADS, *registry.WORKLOADS]))

# what each column of the table (and each time of the JSON) measures, per device
COLUMNS = {
    "cpu": {"ours_s": "ours", "numpy_s": "numpy", "torch_s": "torch"},
    "cuda": {"ours_s": "ours GPU", "numpy_s": "baseline", "torch_s": "torch GPU"},
}
COLUMN_MEANINGS = {
    "cpu": {"ours_s": "our engine on the CPU (NumPy backend)", "numpy_s": "the same computation in plain NumPy",
            "torch_s": "PyTorch on the CPU"},
    "cuda": {"ours_s": "our engine on the GPU (CuPy backend)",
             "numpy_s": "the baseline named in the row: our engine on the CPU, CuPy by hand, or our reference path",
             "torch_s": "PyTorch on the GPU"},
}


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def format_table(results: list[Result], device: str = "cpu") -> str:
    """One line per result (times in ms, then our time over the other two), each followed by its extra figures."""
    ours, second, torch = (COLUMNS[device][key] for key in ("ours_s", "numpy_s", "torch_s"))
    short = "np" if device == "cpu" else "base"
    width = max([62, *(len(r.name) for r in results)])
    header = (f"{'workload':<{width}} {ours + ' ms':>11} {second + ' ms':>11} {torch + ' ms':>12} "
              f"{'ours/' + short:>9} {'ours/torch':>10}")
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.name:<{width}} {_ms(r.ours_s):>11} {_ms(r.numpy_s):>11} {_ms(r.torch_s):>12} "
                     f"{_ratio(r.ours_s, r.numpy_s):>9} {_ratio(r.ours_s, r.torch_s):>10}")
        for key, value in r.extra.items():
            lines.append(f"    {key}: {value}")
    return "\n".join(lines)


def _import_torch(threads: int | None) -> Any:
    try:
        import torch
    except ImportError:
        print("--against torch: PyTorch is not installed, so its column stays empty (pip install torch)")
        return None
    if threads:
        torch.set_num_threads(threads)
    return torch


def _run(names: list[str], workloads: dict, settings: Settings) -> list[Result]:
    results: list[Result] = []
    for name in names:
        print(f"... {name}", flush=True)
        results.extend(workloads[name](settings))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="where our engine runs: the CPU (NumPy backend, default) or a CUDA GPU (CuPy backend)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (about a minute in all)")
    parser.add_argument("--against", choices=["torch"],
                        help="also time PyTorch (its CPU build, or on the GPU with --device cuda)")
    parser.add_argument("--json", metavar="FILE", help="write the results and machine facts as JSON")
    parser.add_argument("--only", metavar="NAME", action="append", choices=ALL_WORKLOADS,
                        help=f"run only this workload (repeatable); cpu: {', '.join(WORKLOADS)}; "
                             f"cuda: {', '.join(GPU_WORKLOADS)}")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="PyTorch's CPU thread count (default: its own, normally one per core)")
    parser.add_argument("--in-process", action="store_true",
                        help="with --against torch: time PyTorch inside this process (CONTAMINATED: its threads "
                             "and ours share the cores), instead of each side in its own process")
    parser.add_argument("--rounds", type=int, default=None,
                        help="alternating rounds per workload with --against torch (default 15, 5 with --quick)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of each side with --against torch (default: one per core)")
    parser.add_argument("--torch-malloc", action="store_true",
                        help="with --against torch: give PyTorch's process our memory allocation policy "
                             "(kernels/allocator.py) through glibc's MALLOC_* variables")
    args = parser.parse_args(argv)

    if args.against == "torch" and args.device == "cpu" and not args.in_process:
        return _fair(parser, args, argv)
    workloads = WORKLOADS if args.device == "cpu" else GPU_WORKLOADS
    for name in args.only or []:
        if name not in workloads:
            parser.error(f"--only {name}: there is no such workload with --device {args.device}; "
                         f"choose from {', '.join(workloads)}")
    if args.device == "cuda":
        problem = why_no_gpu()
        if problem is not None:
            print(f"--device cuda: {problem}", file=sys.stderr)
            return 2

    facts = machine_facts()
    torch = _import_torch(args.torch_threads) if args.against else None
    if args.device == "cuda":
        torch = torch_on_gpu(torch)
        facts.update(gpu_facts(torch))
    for key, value in facts.items():
        print(f"{key:>22}: {value}")
    settings = Settings(quick=args.quick, torch=torch)
    names = args.only or list(workloads)
    if args.device == "cuda":
        with backend.using("cupy"):
            results = _run(names, workloads, settings)
    else:
        results = _run(names, workloads, settings)
    contaminated = args.device == "cpu" and torch is not None
    print()
    if contaminated:
        print(CONTAMINATED)
    print(format_table(results, args.device))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": args.device, "columns": COLUMN_MEANINGS[args.device], "machine": facts,
                       "mode": "CONTAMINATED: PyTorch in the same process" if contaminated else "one process",
                       "results": [asdict(r) for r in results]}, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


CONTAMINATED = ("CONTAMINATED: PyTorch ran in this process, its threads fighting ours for the cores; the torch "
                "column is not a fair comparison (drop --in-process for one)")


def _fair(parser: argparse.ArgumentParser, args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    """``--against torch`` on the CPU: every registry workload, each side in its own process (bench/fair.py)."""
    names = args.only or list(registry.WORKLOADS)
    for name in names:
        if name not in registry.WORKLOADS:
            parser.error(f"--only {name}: --against torch compares these workloads: {', '.join(registry.WORKLOADS)}")
    if importlib.util.find_spec("torch") is None:  # the child processes import it, this one need not
        print("--against torch: PyTorch is not installed (pip install torch)", file=sys.stderr)
        return 2
    facts = machine_facts(load_torch=False)
    rounds = args.rounds or (5 if args.quick else 15)
    threads = args.threads or facts["cores"]
    facts["threads per side"] = threads
    for key, value in facts.items():
        print(f"{key:>22}: {value}")
    rows = fair.run(names, rounds, threads, quick=args.quick, log=lambda line: print(line, flush=True),
                    torch_malloc=args.torch_malloc)
    print()
    print(fair.format_rows(rows, registry.TITLES))
    if args.json:
        command = "python -m tinygrad_edu.bench " + " ".join(sys.argv[1:] if argv is None else argv)
        settings = {"rounds": rounds, "threads": threads, "quick": args.quick, "command": command,
                    "torch_malloc": args.torch_malloc,
                    "date": time.strftime("%Y-%m-%d %H:%M %Z")}
        with open(args.json, "w") as f:
            json.dump(fair.report(rows, facts, settings), f, indent=2)
        print(f"\nwrote {args.json}")
    return 0

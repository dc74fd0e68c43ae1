"""The benchmark's command line: run the workloads, print a table with ratios, optionally write JSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from .machine import machine_facts
from .workloads import WORKLOADS, Result, Settings


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:9.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:5.2f}x"


def format_table(results: list[Result]) -> str:
    header = f"{'workload':<62} {'ours ms':>9} {'numpy ms':>9} {'torch ms':>9} {'ours/np':>8} {'ours/torch':>10}"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.name:<62} {_ms(r.ours_s)} {_ms(r.numpy_s)} {_ms(r.torch_s)} "
                     f"{_ratio(r.ours_s, r.numpy_s):>8} {_ratio(r.ours_s, r.torch_s):>10}")
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (about a minute in all)")
    parser.add_argument("--against", choices=["torch"], help="also time PyTorch's CPU build")
    parser.add_argument("--json", metavar="FILE", help="write the results and machine facts as JSON")
    parser.add_argument("--only", metavar="NAME", action="append", choices=list(WORKLOADS),
                        help="run only this workload (repeatable)")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="PyTorch's thread count (default: its own, normally one per core)")
    args = parser.parse_args(argv)

    facts = machine_facts()
    for key, value in facts.items():
        print(f"{key:>22}: {value}")
    settings = Settings(quick=args.quick, torch=_import_torch(args.torch_threads) if args.against else None)
    results: list[Result] = []
    for name in args.only or list(WORKLOADS):
        print(f"... {name}", flush=True)
        results.extend(WORKLOADS[name](settings))
    print()
    print(format_table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": facts, "results": [asdict(r) for r in results]}, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0

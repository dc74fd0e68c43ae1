"""Write the fair comparison's JSON (``python -m tinygrad_edu.bench --against torch --json FILE``) into the docs.

    python -m tinygrad_edu.bench.render FILE [--doc docs/benchmarks.md] [--section NAME] [--print]

Replaces the text between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` in the document (NAME is
``fair-benchmark`` unless ``--section`` says otherwise), or prints the section when the document has no such
markers or with ``--print``. Every figure comes from the JSON, with the machine it was measured on; nothing is
typed by hand.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from .registry import TITLES

BEGIN, END = "<!-- fair-benchmark:begin -->", "<!-- fair-benchmark:end -->"


def markers(name: str = "fair-benchmark") -> tuple[str, str]:
    """The comments that delimit a rendered section: ``--section NAME`` lets one page hold several runs."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.1f}"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def machine_line(report: dict[str, Any]) -> str:
    """One sentence naming the machine, the libraries, the threads and how busy the machine was."""
    m, settings = report["machine"], report["settings"]
    threads = f"{settings['threads']} thread{'s' if settings['threads'] != 1 else ''}"
    load = m.get("load average (1, 5, 15 min)", "unknown")
    busy = ""
    try:
        if float(str(load).split()[0]) > 0.5 * float(m["cores"]):
            busy = " **The machine was loaded** (other programs ran): read the per-round ratios, not the times."
    except (ValueError, KeyError, IndexError):
        pass
    return (f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, load average {load} at the start; "
            f"Python {m.get('python', '?')}, NumPy {m.get('numpy', '?')} ({m.get('blas', '?')}), Numba "
            f"{m.get('numba', '?')}, PyTorch {m.get('torch', '?')}; our products: {m.get('products', 'OpenBLAS')}; "
            f"our kernels' threads: {m.get('threading policy', 'not recorded')}; {threads} per side, "
            f"{settings['rounds']} alternating rounds; {settings.get('date', 'date not recorded')}.{busy}"
            + (" PyTorch's process had our allocation policy (`--torch-malloc`)." if settings.get("torch_malloc")
               else " PyTorch's process had glibc's default allocation policy."))


def render(report: dict[str, Any]) -> str:
    """The markdown section: how it was measured, the machine, one table of time rows and one of memory rows."""
    lines = [
        f"Command: `{report['settings'].get('command', 'python -m tinygrad_edu.bench --against torch')}`. "
        "Each side ran in its own process, the two taking turns (ours, PyTorch, ours, …); a figure is the median "
        "over rounds of the seconds per call, the range is the lowest and highest ratio ours/PyTorch of a single "
        "round; the CPU-time ratio compares the medians of the CPU time the processes used per call (all their "
        "threads), less distorted by a loaded machine when each side runs one thread. The JSON keeps every round.",
        "",
        machine_line(report),
        "",
        "| workload | ours ms | PyTorch ms | ours/PyTorch (medians) | per-round ratio, min–max | CPU-time ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    memory = []
    for row in report["rows"]:
        title = TITLES.get(row["name"], row["name"])
        if row.get("error"):
            lines.append(f"| {title} | failed | | | | |")
            continue
        if row["kind"] == "memory":
            memory.append(row)
            continue
        spread = "–" if row.get("ratio_min") is None else f"{row['ratio_min']:.2f}–{row['ratio_max']:.2f}×"
        lines.append(f"| {title} | {_ms(row['ours'])} | {_ms(row['torch'])} | {_ratio(row['ratio'])} | {spread} | "
                     f"{_ratio(row.get('cpu_ratio'))} |")
    if memory:
        lines += ["", "| peak resident memory, each side a fresh process | ours MiB | PyTorch MiB | ours/PyTorch |",
                  "| --- | ---: | ---: | ---: |"]
        for row in memory:
            ours, theirs = row["ours"], row["torch"]
            lines.append(f"| {TITLES.get(row['name'], row['name'])} | {'–' if ours is None else f'{ours:.1f}'} | "
                         f"{'–' if theirs is None else f'{theirs:.1f}'} | {_ratio(row['ratio'])} |")
    return "\n".join(lines)


def replace_section(document: str, section: str, name: str = "fair-benchmark") -> str:
    """``document`` with the text between the markers of section ``name`` replaced by ``section``."""
    begin, end_marker = markers(name)
    start, end = document.index(begin) + len(begin), document.index(end_marker)
    return document[:start] + "\n" + section + "\n" + document[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.bench.render", description=__doc__.splitlines()[0])
    parser.add_argument("json_file")
    parser.add_argument("--doc", default="docs/benchmarks.md")
    parser.add_argument("--section", default="fair-benchmark",
                        help="the name in the markers <!-- NAME:begin --> … <!-- NAME:end --> (default fair-benchmark)")
    parser.add_argument("--print", action="store_true", help="print the section instead of editing the document")
    args = parser.parse_args(argv)
    with open(args.json_file) as f:
        section = render(json.load(f))
    document = None
    if not args.print:
        with open(args.doc) as f:
            document = f.read()
    begin, end = markers(args.section)
    if document is None or begin not in document or end not in document:
        print(section)
        return 0
    with open(args.doc, "w") as f:
        f.write(replace_section(document, section, args.section))
    print(f"updated {args.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The list of walkthroughs and the command line that runs them.

    python -m tinygrad_edu.demo [NAME ...] [--list] [--quick] [--out DIR] [--device cpu|cuda] [--lang en|zh]
                                [--data-dir DIR] [--epochs N] [--seed N]

Without a name the default tour runs (``DEFAULT_TOUR``), then a closing screen lists the other walkthroughs and
every plot written. Exit status: 0 when everything asked for ran; 1 when a walkthrough named on the command line
(or ``--device cuda``) needs data or hardware that is missing — a walkthrough reached only through the tour just
says what is missing and is skipped; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import backend
from . import (
    autodiff,
    backprop,
    bert,
    cnn,
    compress,
    distributed,
    gpt,
    gpu,
    inside,
    lstm,
    optimizers,
    regression,
    regularization,
    rnn,
    transfer,
    transformer,
)
from .narrate import Narrator, Unavailable
from .strings import TABLES


@dataclass(frozen=True)
class Walkthrough:
    name: str
    run: Callable[[Narrator], None]

    def summary(self, lang: str) -> str:
        return TABLES[lang][f"summary.{self.name}"]


WALKTHROUGHS: dict[str, Walkthrough] = {
    w.name: w
    for w in [
        Walkthrough("backprop", backprop.run),
        Walkthrough("autodiff", autodiff.run),
        Walkthrough("regression", regression.run),
        Walkthrough("optimizers", optimizers.run),
        Walkthrough("regularization", regularization.run),
        Walkthrough("cnn", cnn.run),
        Walkthrough("rnn", rnn.run),
        Walkthrough("lstm", lstm.run),
        Walkthrough("transformer", transformer.run),
        Walkthrough("inside", inside.run),
        Walkthrough("gpu", gpu.run),
        Walkthrough("gpt", gpt.run),
        Walkthrough("distributed", distributed.run),
        Walkthrough("compress", compress.run),
        Walkthrough("transfer", transfer.run),
        Walkthrough("bert", bert.run),
    ]
}
DEFAULT_TOUR = ("backprop", "optimizers", "cnn")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_edu.demo",
        description="Walkthroughs that teach neural networks by running them: formula → code → numbers → plots.",
    )
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"walkthroughs to run (default: the tour {' → '.join(DEFAULT_TOUR)}); see --list")
    parser.add_argument("--list", action="store_true", help="list the walkthroughs and exit")
    parser.add_argument("--quick", action="store_true", help="shrink every walkthrough to seconds")
    parser.add_argument("--out", default="demo-output", help="folder for the PNG plots (default ./demo-output/)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cuda runs on the GPU through CuPy (default cpu)")
    parser.add_argument("--lang", choices=tuple(TABLES), default="en", help="narration language (default en)")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the MNIST files (used by cnn; default: the cache, else generated shapes)")
    parser.add_argument("--epochs", type=int, default=None, help="override the number of training epochs")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--text", default=None, metavar="FILE",
                        help="a UTF-8 text file for the gpt walkthrough (default: the corpus that ships)")
    return parser.parse_args(argv)


def print_list(lang: str, names: Sequence[str] | None = None) -> None:
    for w in WALKTHROUGHS.values():
        if names is None or w.name in names:
            tour = " *" if w.name in DEFAULT_TOUR else "  "
            print(f"  {w.name:<15}{tour} {w.summary(lang)}")


def _use_device(device: str) -> str | None:
    """Switch the backend for ``--device``; return the reason when the device cannot be used."""
    try:
        backend.use("cupy" if device == "cuda" else "numpy")
    except RuntimeError as error:
        return str(error)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    table = TABLES[args.lang]
    if args.list:
        print(table["list_header"])
        print_list(args.lang)
        print(table["list_footer"])
        return 0
    unknown = [name for name in args.names if name not in WALKTHROUGHS]
    if unknown:
        print(table["unknown"].format(names=", ".join(unknown), available=", ".join(WALKTHROUGHS)), file=sys.stderr)
        return 2
    if args.epochs is not None and args.epochs < 1:
        print(table["bad_epochs"].format(epochs=args.epochs), file=sys.stderr)
        return 2

    previous_backend = backend.current()
    problem = _use_device(args.device)
    if problem is not None:
        print(table["device_missing"].format(device=args.device, reason=problem))
        return 1
    try:
        return _run_all(args)
    finally:
        backend.use(previous_backend)


def _run_all(args: argparse.Namespace) -> int:
    table = TABLES[args.lang]
    names = list(dict.fromkeys(args.names)) or list(DEFAULT_TOUR)
    requested = set(args.names)
    status = 0
    plots: list[Path] = []
    timings: list[tuple[str, str]] = []
    for name in names:
        narrator = Narrator(args, name, explicit=name in requested)
        backend.manual_seed(args.seed)
        start = time.perf_counter()
        try:
            with narrator.fonts():
                WALKTHROUGHS[name].run(narrator)
            timings.append((name, f"{time.perf_counter() - start:.1f} s"))
        except Unavailable as missing:
            print("\n" + table["unavailable"].format(name=name, reason=str(missing)))
            timings.append((name, table["skipped"]))
            if name in requested:
                status = 1
        plots.extend(narrator.plots)

    print("\n" + "═" * 100)
    print(table["closing_done"])
    for name, seconds in timings:
        print(f"  {name:<15} {seconds}")
    if plots:
        closing = table["closing_plot" if len(plots) == 1 else "closing_plots"]
        print(closing.format(count=len(plots), out=Path(args.out).resolve()))
        for path in plots:
            print(f"  {path}")
    others = [name for name in WALKTHROUGHS if name not in names]
    if others:
        print(table["closing_others"])
        print_list(args.lang, others)
        print(table["closing_how"])
    return status

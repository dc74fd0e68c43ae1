"""The list of walkthroughs and the command line that runs them."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import autodiff


@dataclass(frozen=True)
class Walkthrough:
    name: str
    summary: str
    run: Callable[[argparse.Namespace], int]


WALKTHROUGHS: dict[str, Walkthrough] = {
    w.name: w
    for w in [
        Walkthrough("autodiff", autodiff.SUMMARY, autodiff.run),
    ]
}
DEFAULT_TOUR = ("autodiff",)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.demo", description=__doc__)
    parser.add_argument("names", nargs="*", help="walkthroughs to run (default: the tour)")
    parser.add_argument("--list", action="store_true", help="list the walkthroughs and exit")
    parser.add_argument("--quick", action="store_true", help="shrink every walkthrough to seconds")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for w in WALKTHROUGHS.values():
            print(f"  {w.name:<12} {w.summary}")
        return 0
    unknown = [n for n in args.names if n not in WALKTHROUGHS]
    if unknown:
        print(f"unknown walkthrough(s): {', '.join(unknown)}; available: {', '.join(WALKTHROUGHS)}")
        return 2
    status = 0
    for name in args.names or DEFAULT_TOUR:
        status = max(status, WALKTHROUGHS[name].run(args))
    print("\nWalkthroughs available (python -m tinygrad_edu.demo NAME):")
    for w in WALKTHROUGHS.values():
        print(f"  {w.name:<12} {w.summary}")
    return status

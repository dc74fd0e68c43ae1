"""Walkthroughs that teach by running: ``python -m tinygrad_edu.demo [NAME ...] [--list]``.

Each walkthrough is a function ``run(args) -> int`` registered in ``WALKTHROUGHS`` with a one-line summary.
"""

from __future__ import annotations

from .registry import WALKTHROUGHS, main

__all__ = ["WALKTHROUGHS", "main"]

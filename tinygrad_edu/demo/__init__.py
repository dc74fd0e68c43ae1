"""Walkthroughs that teach by running: ``python -m tinygrad_edu.demo [NAME ...] [--list] [--quick] ...``.

Each walkthrough is a module with ``run(narrator)``, registered in ``registry.WALKTHROUGHS``. It prints its
lesson in steps — formula → the line of code that computes it → the numbers it produced — through a
``Narrator`` (``narrate.py``), whose sentences come from the per-language tables in ``strings.py``, and it
writes its plots as PNG files into ``--out``.

May import: everything below it (``models``, ``train``, ``nn``, …); nothing imports ``demo``.
"""

from __future__ import annotations

from .registry import DEFAULT_TOUR, WALKTHROUGHS, main

__all__ = ["DEFAULT_TOUR", "WALKTHROUGHS", "main"]

"""Timing with the care a benchmark needs: warm-up (JIT compilation, caches), then the median of repeats."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeats: int = 15, warmup: int = 3, min_block_s: float = 0.002) -> float:
    """Median seconds per call of ``fn``.

    Each repeat times a block of calls long enough (≥ ``min_block_s``) for the clock's resolution not to matter;
    the median over repeats shrugs off the odd slow block caused by other work on the machine.
    """
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    calls = max(1, int(min_block_s / once))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)

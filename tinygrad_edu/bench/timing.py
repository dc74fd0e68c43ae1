"""Timing with the care a benchmark needs: warm-up (JIT compilation, caches), then the median of repeats,
with the contenders of one workload taking turns so that a busy moment on the machine slows all of them alike."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def _calls_per_block(fn: Callable[[], object], min_block_s: float, clock: Callable[[], float]) -> int:
    start = clock()
    fn()
    once = max(clock() - start, 1e-7)
    return max(1, int(min_block_s / once))


def samples_in_turns(contenders: dict[str, Callable[[], object]], repeats: int = 15, warmup: int = 3,
                     min_block_s: float = 0.005, pause_s: float = 0.05,
                     clock: Callable[[], float] = time.perf_counter) -> dict[str, list[float]]:
    """Seconds per call of each contender, one sample per round (``time_in_turns`` takes their medians).

    Each contender is warmed up (JIT compilation, first-touch allocations), then the contenders take turns:
    one block of calls each per round — a block long enough (≥ ``min_block_s``) for the clock's resolution not
    to matter. The median over rounds shrugs off the odd slow block, and since the rounds interleave, drift in
    the machine's speed reaches every contender equally: ratios measured in one run are the reliable figures.
    ``clock`` may be ``time.process_time`` to count the CPU time this process used instead of wall time.
    """
    calls = {}
    for name, fn in contenders.items():
        for _ in range(warmup):
            fn()
        calls[name] = _calls_per_block(fn, min_block_s, clock)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            # let the previous contender's idle threads (OpenMP spins for a while after each parallel region)
            # fall asleep, so they do not steal cycles from this one
            time.sleep(pause_s)
            start = clock()
            for _ in range(calls[name]):
                fn()
            samples[name].append((clock() - start) / calls[name])
    return samples


def time_in_turns(contenders: dict[str, Callable[[], object]], repeats: int = 15, warmup: int = 3,
                  min_block_s: float = 0.005, pause_s: float = 0.05,
                  clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median seconds per call of each contender, the contenders timed in turns (``samples_in_turns``)."""
    samples = samples_in_turns(contenders, repeats, warmup, min_block_s, pause_s, clock=clock)
    return {name: statistics.median(values) for name, values in samples.items()}


def median_time(fn: Callable[[], object], repeats: int = 15, warmup: int = 3, min_block_s: float = 0.005) -> float:
    """Median seconds per call of one function (``time_in_turns`` with a single contender)."""
    return time_in_turns({"fn": fn}, repeats, warmup, min_block_s)["fn"]

"""Fake workloads for the fair runner's tests: fast, torch-free, with a known per-call cost and memory."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tinygrad_edu.bench.registry import Step, Workload


def _sleeper(seconds: float) -> Step:
    def step() -> None:
        time.sleep(seconds)

    return step


def _allocator(megabytes: int) -> Step:
    def step() -> None:
        np.ones(megabytes * 2**18, dtype=np.float32)  # touched, so it is resident

    return step


def _crash(seed: int) -> Step:
    raise ValueError(f"this fake workload fails to build (seed {seed})")


def _theirs(cost: float) -> Any:
    return lambda torch, seed: _sleeper(cost)


WORKLOADS = {w.name: w for w in [
    Workload("fast", lambda seed: _sleeper(0.001), _theirs(0.002), theirs_needs_torch=False),
    Workload("memory", lambda seed: _allocator(64), lambda torch, seed: _allocator(1), kind="memory", steps=2,
             theirs_needs_torch=False),
    Workload("broken", _crash, _theirs(0.001), theirs_needs_torch=False),
]}

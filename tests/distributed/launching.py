"""Launching the rank scripts of this folder under mpiexec from a test, or skipping with the reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tinygrad_edu.distributed import launch

HERE = Path(__file__).resolve().parent


def require_mpi() -> None:
    """Skip (with the printed reason) when mpi4py or mpiexec is missing."""
    problem = launch.why_no_mpi()
    if problem is not None:
        pytest.skip(f"no MPI here: {problem}")


def run_ranks(script: str, *args: str, ranks: int = 2, timeout: float = 240, env: dict | None = None) -> str:
    """``mpiexec -n ranks python tests/distributed/SCRIPT ARGS`` with one thread per rank; its output, or a
    failure that shows it."""
    require_mpi()
    result = launch.mpiexec([str(HERE / script), *args], ranks=ranks, threads=1, timeout=timeout, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"mpiexec -n {ranks} {script} {' '.join(args)} failed:\n{output[-6000:]}"
    return output


def results(output: str) -> dict[int, dict]:
    """The ``RESULT <rank> <json>`` lines of a rank script, by rank."""
    found = {}
    decoder = json.JSONDecoder()
    # mpiexec forwards the ranks' outputs as they come: two ranks' lines may run into each other
    for match in re.finditer(r"RESULT (\d+) ", output):
        found[int(match.group(1))], _ = decoder.raw_decode(output, match.end())
    return found

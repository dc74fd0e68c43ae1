"""Starting ranks from Python: ``mpiexec -n p python -m module ...`` as a child process (for the tests, the
walkthrough, the notebook and the benchmark, which run as one ordinary process themselves)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .process_group import INSTALL_HINT, mpi_available

ONE_THREAD = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
ROOT = Path(__file__).resolve().parents[2]


def mpiexec_path() -> str | None:
    """The mpiexec beside this Python (pip's mpich installs it there), else the one on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def why_no_mpi() -> str | None:
    """None when ranks can be launched; otherwise one line saying what is missing and how to install it."""
    if not mpi_available():
        return INSTALL_HINT
    if mpiexec_path() is None:
        return "mpi4py is installed but no mpiexec was found: " + INSTALL_HINT
    return None


def threads_env(threads: int) -> dict[str, str]:
    """The environment variables that give each rank ``threads`` threads for BLAS and the Numba kernels."""
    return {name: str(threads) for name in ONE_THREAD}


def mpiexec(args: list[str], ranks: int = 2, threads: int = 1, timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` in ``ranks`` ranks of ``threads`` threads each; returns the finished process
    (stdout and stderr captured as text). Raises RuntimeError with the install hint when MPI is missing."""
    problem = why_no_mpi()
    if problem is not None:
        raise RuntimeError(problem)
    environment = {**os.environ, **threads_env(threads), **(env or {})}
    # the ranks import this copy of tinygrad_edu, wherever the parent found it
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH", "")]))
    command = [mpiexec_path(), "-n", str(ranks), sys.executable, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=environment, cwd=os.getcwd())


def python_alone(args: list[str], threads: int = 1, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` as one plain process (a world of one) with ``threads`` threads."""
    environment = {**os.environ, **threads_env(threads)}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=environment)

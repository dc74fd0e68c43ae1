"""Run a snippet of Python in a fresh interpreter with extra environment variables (for settings that must be
made before Numba loads: the threading layer, the CUDA simulator, the kernel switch)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


SETTINGS = ("TINYGRAD_EDU_KERNELS", "TINYGRAD_EDU_THREADING", "NUMBA_THREADING_LAYER", "NUMBA_ENABLE_CUDASIM",
            "NUMBA_DISABLE_JIT", "TINYGRAD_EDU_SMALL_BLAS", "TINYGRAD_EDU_MALLOC", "OPENBLAS_THREAD_TIMEOUT",
            "TINYGRAD_EDU_BLAS")


def run_python(code: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """``python -c code`` from the repository root; the kernel and threading settings of this process are not
    passed on, only those given in ``env``."""
    environment = {key: value for key, value in os.environ.items() if key not in SETTINGS}
    environment.update(env)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env=environment, cwd=ROOT)

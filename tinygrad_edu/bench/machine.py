"""Facts about the machine a benchmark ran on, so that figures can be compared honestly."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from typing import Any

import numpy as np


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # the layout of show_config differs between NumPy versions
        return "unknown"


def _load_average() -> str:
    """The load average when the run started: above the number of cores, other programs competed for them."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def machine_facts(load_torch: bool = True) -> dict[str, Any]:
    """CPU, cores, load, library versions and thread settings. ``load_torch=False`` reads PyTorch's version
    from its package metadata instead of importing it (the fair benchmark's parent process stays torch-free)."""
    import numba

    from tinygrad_edu.kernels import blas, threads

    facts: dict[str, Any] = {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "blas": _blas(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "(unset)"),
        "numba threads": numba.config.NUMBA_NUM_THREADS,
        "threading policy": threads.chosen_policy(),  # kernels/threads.py: the layer our kernels run on
        "products": blas.describe(),  # kernels/blas.py: whose sgemm the layers and kernels call
        "kernels": os.environ.get("TINYGRAD_EDU_KERNELS", "numba (default)"),
        "load average (1, 5, 15 min)": _load_average(),
    }
    if not load_torch:
        try:
            facts["torch"] = importlib.metadata.version("torch")
        except importlib.metadata.PackageNotFoundError:
            facts["torch"] = "not installed"
        return facts
    try:
        import torch

        facts["torch"] = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        facts["torch"] = "not installed"
    return facts

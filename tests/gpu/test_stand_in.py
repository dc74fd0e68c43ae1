"""Runs the GPU tests of this folder on the NumPy-backed CuPy stand-in, in a subprocess (the CUDA simulator and
the stand-in must be in place before Numba and the library load). That executes every GPU code path of the
library in CI — dispatch to the CUDA kernels (in Numba's simulator), device-side random numbers, no implicit
host conversion, transfer counts — though not CUDA itself: real-GPU figures need a GPU (docs/gpu.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gpu.conftest import STAND_IN
from tests.test_notebooks import NOTEBOOKS, execute

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(STAND_IN, reason="this is the run on the stand-in itself")
def test_the_gpu_tests_pass_on_the_cupy_stand_in():
    env = {**os.environ, "TINYGRAD_EDU_GPU_STAND_IN": "1", "NUMBA_ENABLE_CUDASIM": "1"}
    # -n 0: this test already runs in one of the suite's worker processes; the stand-in run stays in one process
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "-m", "gpu", "tests/gpu"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in summary and "skipped" not in summary and "failed" not in summary, summary


# The notebooks whose work fits Numba's CUDA simulator (06, 08, 10 and 11 train CNNs or Transformers: minutes of
# simulated GPU threads per cell). Their one-line switch is the last line of the cell below.
LIGHT_NOTEBOOKS = ["01_autodiff_from_scratch", "02_mlp_and_backprop", "03_losses", "04_optimizers",
                   "05_regularization", "07_rnn_lstm", "09_gradient_checking"]
STAND_IN_CELL = f"""import os, sys
os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
sys.path.insert(0, {str(ROOT)!r})
from tests.gpu import stand_in_cupy
stand_in_cupy.install()
import tinygrad_edu
tinygrad_edu.backend.use("cupy")"""


@pytest.mark.slow
@pytest.mark.skipif(STAND_IN, reason="this is the run on the stand-in itself")
@pytest.mark.parametrize("name", LIGHT_NOTEBOOKS)
def test_a_notebook_runs_on_the_gpu_backend_by_changing_one_line(name, tmp_path):
    pytest.importorskip("nbclient", reason="nbclient is not installed: notebooks not executed (pip install -e .[dev])")
    execute(NOTEBOOKS / f"{name}.ipynb", tmp_path, first_cell=STAND_IN_CELL)


LIGHT_WALKTHROUGHS = ["autodiff", "backprop", "regression", "optimizers", "regularization", "lstm"]


@pytest.mark.slow
@pytest.mark.skipif(STAND_IN, reason="this is the run on the stand-in itself")
def test_the_walkthroughs_run_with_device_cuda_on_the_stand_in(tmp_path):
    """``python -m tinygrad_edu.demo NAME --device cuda`` for the walkthroughs light enough for the simulator."""
    code = ("import sys\nfrom tests.gpu import stand_in_cupy\nstand_in_cupy.install()\n"
            "from tinygrad_edu.demo.registry import main\n"
            f"sys.exit(main({LIGHT_WALKTHROUGHS!r} + ['--quick', '--device', 'cuda', '--out', {str(tmp_path)!r}]))")
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert list(tmp_path.rglob("*.png")), "the walkthroughs drew no figure"

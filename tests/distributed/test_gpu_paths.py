"""How CuPy arrays travel between ranks: the choice of path (a pure function), the staged path run on the
NumPy-backed CuPy stand-in under mpiexec, and — on a machine with a GPU — the equivalence test with 2 ranks
sharing it (skipped with the reason elsewhere)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.distributed.launching import HERE, require_mpi, results, run_ranks
from tinygrad_edu import backend
from tinygrad_edu.distributed.gpu import choose_path


def test_cuda_aware_mpi_comes_first():
    assert choose_path(cuda_aware=True, nccl_available=True, shared_gpu=False)[0] == "cuda-aware"


def test_nccl_when_mpi_is_not_cuda_aware_and_each_rank_has_its_own_gpu():
    assert choose_path(cuda_aware=False, nccl_available=True, shared_gpu=False)[0] == "nccl"


def test_ranks_sharing_one_gpu_are_staged_because_nccl_refuses_them():
    path, why = choose_path(cuda_aware=False, nccl_available=True, shared_gpu=True)
    assert path == "staged" and "share one GPU" in why


def test_staged_when_there_is_nothing_better():
    assert choose_path(cuda_aware=False, nccl_available=False, shared_gpu=False)[0] == "staged"


def test_a_forced_path_must_exist():
    assert choose_path(False, False, False, forced="nccl")[0] == "nccl"
    with pytest.raises(ValueError, match="cuda-aware, nccl, staged"):
        choose_path(False, False, False, forced="pigeon")


@pytest.mark.slow
def test_the_staged_path_and_ddp_on_the_cupy_stand_in_under_mpiexec():
    output = run_ranks("rank_gpu.py", "--stand-in", env={"NUMBA_ENABLE_CUDASIM": "1"})
    found = results(output)
    assert found[0]["path"] == found[1]["path"] == "staged"  # the stand-in has no cupy.cuda.nccl
    assert output.count("CuPy arrays go through staged") == 1  # one line, from rank 0 only


@pytest.mark.slow
@pytest.mark.gpu
def test_two_ranks_sharing_the_real_gpu_equal_one_process(tmp_path):
    if not backend.gpu_available():
        pytest.skip("no GPU: the 2-ranks-on-one-GPU equivalence test needs CuPy and a CUDA device")
    require_mpi()
    from tinygrad_edu.distributed import launch

    single, parallel = tmp_path / "single.npz", tmp_path / "parallel.npz"
    alone = launch.python_alone([str(HERE / "rank_equivalence.py"), "--out", str(single), "--device", "cuda"])
    assert alone.returncode == 0, alone.stderr[-3000:]
    output = run_ranks("rank_equivalence.py", "--out", str(parallel), "--device", "cuda")
    a, b = np.load(single), np.load(parallel)
    worst = max(float(np.linalg.norm(a[k] - b[k]) / np.linalg.norm(a[k])) for k in a)
    print(f"2 ranks sharing the GPU vs 1 process: worst relative difference {worst:.2e}; {output.splitlines()[0]}")
    assert worst <= 1e-5

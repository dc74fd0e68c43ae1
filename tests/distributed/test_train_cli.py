"""``mpiexec -n 2 python -m tinygrad_edu.train --distributed``: the training command line on two ranks."""

from __future__ import annotations

import pytest

from tinygrad_edu.distributed import launch

from .launching import require_mpi


@pytest.mark.slow
def test_the_training_command_line_runs_on_two_ranks_and_only_rank_0_reports_and_writes(tmp_path):
    require_mpi()
    out = tmp_path / "model.npz"
    result = launch.mpiexec(["-m", "tinygrad_edu.train", "--model", "cnn", "--dataset", "shapes", "--epochs", "1",
                             "--limit", "128", "--batch-size", "32", "--distributed", "--quiet", "--out", str(out)],
                            ranks=2, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert output.count("test accuracy after 1 epoch:") == 1  # rank 0 alone reports
    assert output.count("model saved to") == 1 and out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_a_global_batch_that_does_not_divide_among_the_ranks_is_refused(tmp_path):
    require_mpi()
    result = launch.mpiexec(["-m", "tinygrad_edu.train", "--dataset", "shapes", "--limit", "64", "--batch-size", "33",
                             "--distributed", "--quiet"], ranks=2, timeout=120)
    assert result.returncode != 0
    assert "--batch-size 33 is the global batch: it must divide among the 2 ranks" in result.stderr

"""The multi-rank acceptance tests: each launches ``mpiexec -n p`` on a script of this folder (skipped, with
the reason, where mpi4py or mpiexec is missing). They take seconds each on an idle machine, several on a busy
one: all but the collectives are marked slow (CI runs them)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.distributed.launching import HERE, require_mpi, results, run_ranks


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_collectives_on_two_ranks():
    found = results(run_ranks("rank_checks.py", "collectives"))
    assert set(found) == {0, 1}
    assert "different shapes" in found[0]["error"] and "rank 1: (4,)" in found[0]["error"]


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / ‖a‖ of one tensor."""
    return float(np.linalg.norm(a - b) / np.linalg.norm(a))


def _equivalence(tmp_path, dtype: str, accumulate: int = 1, ranks: int = 2) -> float:
    """The worst relative error over the CNN's tensors between p ranks × 64/p and one process × 64."""
    from tinygrad_edu.distributed import launch

    single, parallel = tmp_path / "single.npz", tmp_path / "parallel.npz"
    alone = launch.python_alone([str(HERE / "rank_equivalence.py"), "--out", str(single), "--dtype", dtype],
                                timeout=240)
    assert alone.returncode == 0, alone.stderr[-3000:]
    output = run_ranks("rank_equivalence.py", "--out", str(parallel), "--dtype", dtype,
                       "--accumulate", str(accumulate), ranks=ranks)
    assert output.count("identical weights on all ranks: True") == ranks, output[-3000:]
    a, b = np.load(single), np.load(parallel)
    assert set(a) == set(b)
    return max(_relative_error(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_two_ranks_of_32_equal_one_process_of_64_in_float32(tmp_path):
    """The acceptance test: 20 SGD (momentum) steps of the documents' CNN, 2 ranks × batch 32 == 1 × 64."""
    require_mpi()
    assert _equivalence(tmp_path, "float32") <= 1e-5


@pytest.mark.slow
def test_two_ranks_equal_one_process_in_float64_to_rounding(tmp_path):
    """In float64 the only difference is the order of the sums (32 + 32 samples, then ½(g₀ + g₁)): measured
    ~5e-16 relative after 20 steps, i.e. equal to the last bits."""
    require_mpi()
    assert _equivalence(tmp_path, "float64") <= 1e-13


@pytest.mark.slow
def test_no_sync_gradient_accumulation_equals_the_whole_batch(tmp_path):
    """2 ranks × 2 micro-batches of 16 (the first under no_sync) == 1 process × 64."""
    require_mpi()
    assert _equivalence(tmp_path, "float32", accumulate=2) <= 1e-5


@pytest.mark.slow
@settings(max_examples=3, deadline=None)
@given(sizes=st.lists(st.integers(0, 5000), min_size=1, max_size=6), ranks=st.sampled_from([2, 3]))
@example(sizes=[1, 2, 3, 4, 5, 6, 7, 999, 1000, 1001], ranks=3)
@example(sizes=[0, 1, 2, 3, 1024, 4097], ranks=2)
def test_ring_all_reduce_equals_mpi_allreduce(sizes, ranks):
    """Sizes drawn by hypothesis, including sizes that p does not divide (and smaller than p)."""
    found = results(run_ranks("rank_checks.py", "ring", ",".join(map(str, sizes)), ranks=ranks))
    assert set(found) == set(range(ranks))


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [2, 3])
def test_zero1_gives_the_weights_of_plain_adam_and_its_state_falls_as_one_over_p(ranks):
    found = results(run_ranks("rank_checks.py", "zero", ranks=ranks))
    n = found[0]["parameters"]
    adam = found[0]["adam_state_bytes"]
    assert adam >= 2 * 4 * n  # two float32 moments per parameter (and a step count)
    pieces = [found[r]["zero_state_bytes"] for r in range(ranks)]
    # each rank holds the moments of its ⌈n/p⌉ or ⌊n/p⌋ parameters: 1/p of plain Adam's state, to one element
    for r in range(ranks):
        assert abs(pieces[r] - adam / ranks) <= 2 * 4 + 16, (pieces, adam)
    assert abs(sum(pieces) - adam) <= 16 * ranks


@pytest.mark.slow
def test_zero1_with_its_own_reduce_scatter_equals_ddp_with_adam():
    results(run_ranks("rank_checks.py", "zero_reduce_scatter"))


@pytest.mark.slow
def test_batchnorm_buffers_are_the_same_on_every_rank():
    found = results(run_ranks("rank_checks.py", "buffers"))
    assert found[0]["buffers"] == found[1]["buffers"] == 3


@pytest.mark.slow
def test_unused_parameters_get_the_rank_average_and_a_forgotten_one_is_named():
    found = results(run_ranks("rank_checks.py", "unused"))
    assert "right.weight" in found[0]["error"] and "find_unused_parameters=True" in found[0]["error"]


@pytest.mark.slow
def test_fit_under_mpiexec_same_logs_everywhere_rank0_writes_and_resume_is_exact(tmp_path):
    output = run_ranks("rank_checks.py", "fit", str(tmp_path))
    found = results(output)
    assert found[0]["history"] == found[1]["history"]  # metrics summed over the ranks: the same numbers
    assert found[0]["identical"] and found[0]["resumed_equal"]
    assert {"step_ms", "comm_ms", "loss", "val_accuracy"} <= set(found[0]["history"])
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written and all("/rank0/" in p for p in written), written  # rank 1 wrote nothing
    assert output.count("epoch 3/3") >= 1 and "rank1" not in " ".join(written)


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [2, 3])
def test_sync_batchnorm_on_p_ranks_equals_batchnorm_on_the_whole_batch(ranks):
    found = results(run_ranks("rank_checks.py", "syncbn", ranks=ranks))
    assert all(found[r]["ok"] for r in range(ranks))

"""The MNIST race (bench/mnist_race.py): the same draws on both sides, alternating segments, time to a target.

The race itself runs on the generated shapes (no files needed) and needs PyTorch; no test asserts on a measured
time beyond its sign.
"""

from __future__ import annotations

import argparse
import io
import json

import pytest

from tests.helpers import require_torch
from tinygrad_edu.bench import mnist_race


def test_time_to_target_sums_the_segments_up_to_the_first_evaluation_at_the_target() -> None:
    history = [{"seconds": 2.0, "accuracy": 0.97}, {"seconds": 3.0, "accuracy": 0.991},
               {"seconds": 4.0, "accuracy": 0.989}]
    assert mnist_race.time_to_target(history, 0.99) == 5.0
    assert mnist_race.time_to_target(history, 0.97) == 2.0
    assert mnist_race.time_to_target(history, 0.995) is None


@pytest.mark.slow  # two children per side's build (Numba's cache, PyTorch's import): seconds
def test_both_sides_train_from_the_same_draws_and_stay_level_at_first() -> None:
    """Ours and PyTorch's children start from the same weights and batches (``race`` checks the sums and raises
    otherwise) and, a few steps in, still classify the test images alike."""
    require_torch()
    options = argparse.Namespace(
        dataset="shapes", data_dir=None, epochs=1, segment=3, threads=1, target=0.5, limit=192)
    result = mnist_race.race(options, seed=3, pause_s=0.0)
    ours, torch = result["history"]["ours"], result["history"]["torch"]
    assert [e["steps"] for e in ours] == [e["steps"] for e in torch] == [3]  # 192 samples: 3 batches of 64
    assert ours[-1]["done"] and torch[-1]["done"]
    assert result["ready"]["ours"]["weights"] == result["ready"]["torch"]["weights"]
    assert ours[0]["first_batch"] == torch[0]["first_batch"]
    assert abs(ours[0]["accuracy"] - torch[0]["accuracy"]) <= 0.02  # 3 Adam steps from the same start
    assert all(e["seconds"] > 0 for e in ours + torch)
    assert "seed 3" in mnist_race.format_race(result, 0.5)


def test_child_answers_train_and_quit() -> None:
    """The child's line protocol, in this process, on ours: one segment, its sums, then nothing after quit."""
    stdout = io.StringIO()
    mnist_race.child("ours", "shapes", None, epochs=1, seed=0, limit=128, segment=1, threads=1,
                     stdin=io.StringIO("train\ntrain\nquit\ntrain\n"), stdout=stdout)
    ready, *answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert ready["ready"] and ready["warmup"] > 0 and "weights" in ready
    assert len(answers) == 2 and [a["steps"] for a in answers] == [1, 1] and answers[1]["done"]
    assert "first_batch" in answers[0] and "first_batch" not in answers[1]

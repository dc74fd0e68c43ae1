"""``python -m tinygrad_edu.train``: the help, the one-line error for a missing dataset, and short real runs on the
generated shapes (no files needed): training, saving, resuming and pruning."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import models
from tinygrad_edu.train import cli


def test_help_lists_the_models_and_the_options():
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu.train", "--help"], capture_output=True, text=True,
                            check=True)
    for word in ("cnn", "mlp", "DocumentsCNN", "--dataset", "fashion-mnist", "--epochs", "--batch-size", "--lr",
                 "--data-dir", "TINYGRAD_EDU_DATA", "--seed", "--out", "--checkpoint", "--resume", "--prune"):
        assert word in result.stdout, word


def test_a_missing_dataset_is_one_error_line_naming_data_dir_and_exit_status_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))  # no cache with MNIST in it
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    assert cli.main(["--data-dir", str(tmp_path / "empty"), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--data-dir" in err and "TINYGRAD_EDU_DATA" in err and "mnist not found" in err


def test_the_data_dir_defaults_to_the_environment_variable(monkeypatch):
    monkeypatch.setenv("TINYGRAD_EDU_DATA", "/some/where")
    assert cli.parse_args([]).data_dir == "/some/where"


def test_one_cycle_warms_up_then_decays_to_a_thousandth():
    factor = cli.one_cycle(100)
    assert factor(0) == pytest.approx(0.1) and factor(10) == pytest.approx(1.0)
    assert factor(100) == pytest.approx(1e-3) and factor(55) < factor(20)


@pytest.mark.slow
def test_training_on_shapes_saves_a_model_that_loads_and_resumes(tmp_path, capsys):
    out, checkpoint = tmp_path / "cnn.npz", tmp_path / "ckpt.npz"
    common = ["--dataset", "shapes", "--limit", "128", "--batch-size", "32", "--quiet", "--seed", "1"]
    assert cli.main([*common, "--epochs", "1", "--checkpoint", str(checkpoint)]) == 0
    assert cli.main([*common, "--epochs", "2", "--resume", str(checkpoint), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "shapes / cnn" in printed and "test accuracy after 2 epochs" in printed
    assert "test accuracy after 1 epoch:" in printed  # the first run: singular
    first_run = printed.split("test accuracy after 1 epoch:")[0]
    assert first_run.index("shapes / cnn") < first_run.index("epoch  train loss")  # settings before the epochs
    assert "(earlier run)" in printed.split("shapes / cnn")[-1]  # the resumed run timed only its own epoch
    model = models.DocumentsCNN(5)
    model.load_state_dict(tg.load(out))
    assert model(tg.Tensor(np.zeros((1, 1, 28, 28), np.float32))).shape == (1, 5)


@pytest.mark.slow
def test_pruning_keeps_the_asked_sparsity_after_fine_tuning(capsys):
    common = ["--dataset", "shapes", "--model", "mlp", "--limit", "128", "--batch-size", "32", "--quiet"]
    assert cli.main([*common, "--epochs", "1", "--prune", "0.8", "--prune-method", "layer"]) == 0
    printed = capsys.readouterr().out
    assert "weight sparsity still 80.00%" in printed and "percentage points" in printed

"""Resumable training: an interrupted and resumed run ends bit-identical to an uninterrupted one; Ctrl-C
returns the history so far and never leaves a half-written checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, train
from tinygrad_edu.data import DataLoader, shapes
from tinygrad_edu.data import transforms as T
from tinygrad_edu.nn import functional as F

EPOCHS = 4


class InterruptAt(train.Callback):
    """Raise KeyboardInterrupt (as Ctrl-C would) at a given epoch and step."""

    def __init__(self, epoch: int, step: int):
        self.epoch, self.step, self.current = epoch, step, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_batch_end(self, step, logs=None):
        if (self.current, step) == (self.epoch, self.step):
            raise KeyboardInterrupt


def _run(seed: int, loader_seed: int | None, callbacks=(), resume_from=None):
    """A run whose every step draws random numbers: shuffling, augmentation and dropout."""
    tg.manual_seed(seed)
    x, y = shapes(96, size=12, seed=0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(144, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 5))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    augment = T.RandomAffine(degrees=10, translate=0.1, seed=None if loader_seed is None else loader_seed + 1)
    loader = DataLoader((x, y), batch_size=16, shuffle=True, seed=loader_seed, transform=augment)
    stopper = train.EarlyStopping(monitor="val_loss", patience=100)
    history = train.fit(model, F.cross_entropy, optimizer, loader, epochs=EPOCHS, val_data=(x[:32], y[:32]),
                        scheduler=scheduler, callbacks=[stopper, *callbacks], resume_from=resume_from,
                        progress=False)
    return model, optimizer, history, stopper


@pytest.mark.parametrize("loader_seed", [None, 5], ids=["project-generator", "own-generators"])
def test_interrupted_and_resumed_run_is_bit_identical(tmp_path, loader_seed):
    reference, reference_optimizer, reference_history, reference_stopper = _run(0, loader_seed)

    checkpoint = tmp_path / "run.ckpt"
    _, _, partial, _ = _run(0, loader_seed, callbacks=[train.ModelCheckpoint(checkpoint), InterruptAt(3, 2)])
    assert partial.interrupted and len(partial) == 2

    resumed, resumed_optimizer, history, stopper = _run(123, loader_seed, resume_from=checkpoint)
    for name, value in reference.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name].numpy(), value.numpy(), err_msg=name)
    for state, reference_state in zip(resumed_optimizer.state.values(), reference_optimizer.state.values(),
                                      strict=True):
        np.testing.assert_array_equal(state["exp_avg_sq"], reference_state["exp_avg_sq"])
    assert history.history == reference_history.history and history.epochs == [1, 2, 3, 4]
    assert resumed_optimizer.param_groups[0]["lr"] == reference_optimizer.param_groups[0]["lr"]
    assert (stopper.best, stopper.wait) == (reference_stopper.best, reference_stopper.wait)


def test_resuming_a_finished_run_trains_no_further(tmp_path):
    checkpoint = tmp_path / "done.ckpt"
    model, _, _, _ = _run(0, None, callbacks=[train.ModelCheckpoint(checkpoint)])
    again, _, history, _ = _run(1, None, resume_from=checkpoint)
    assert len(history) == EPOCHS
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(again.state_dict()[name].numpy(), value.numpy())


def test_keyboard_interrupt_returns_the_history_so_far(tmp_path, capsys):
    checkpoint = tmp_path / "run.ckpt"
    _, _, history, _ = _run(0, None, callbacks=[train.ModelCheckpoint(checkpoint), InterruptAt(2, 1)])
    assert history.interrupted and len(history) == 1
    assert "interrupted during epoch 2" in capsys.readouterr().err
    assert tg.load(checkpoint)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]


def test_interrupt_while_writing_a_checkpoint_keeps_the_previous_one(tmp_path, monkeypatch):
    checkpoint = tmp_path / "run.ckpt"

    def half_written_then_interrupted(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    class BreakSavingAtEpoch2(train.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                monkeypatch.setattr(np, "savez", half_written_then_interrupted)

    _, _, history, _ = _run(0, None, callbacks=[BreakSavingAtEpoch2(), train.ModelCheckpoint(checkpoint)])
    assert history.interrupted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]  # no temporary file left
    monkeypatch.undo()
    assert tg.load(checkpoint)["epoch"] == 1  # the complete checkpoint of epoch 1, untouched


def test_resume_from_a_file_that_is_not_a_fit_checkpoint(tmp_path):
    path = tmp_path / "weights.ckpt"
    tg.save({"weight": np.zeros(3)}, path)
    with pytest.raises(ValueError, match="not one written by fit.*load_state_dict"):
        _run(0, None, resume_from=path)

"""The callback protocol and the four standard callbacks."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, train
from tinygrad_edu.data import spiral
from tinygrad_edu.nn import functional as F


def _setup(lr: float = 0.05):
    x, y = spiral(2, 16, seed=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    return model, optim.SGD(model.parameters(), lr=lr), (x, y)


class Recorder(train.Callback):
    def __init__(self):
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append(("train_begin", self.trainer.epoch))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_batch_end(self, step, logs=None):
        self.events.append(("batch_end", step, logs["size"]))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.events.append(("train_end", self.trainer.epoch))


def test_hooks_are_called_in_the_documented_order():
    model, optimizer, data = _setup()
    recorder = Recorder()
    train.fit(model, F.cross_entropy, optimizer, data, epochs=2, batch_size=20, callbacks=[recorder],
              progress=False)
    columns = ["accuracy", "loss", "lr"]
    assert recorder.events == [
        ("train_begin", 0),
        ("epoch_begin", 1), ("batch_end", 1, 20), ("batch_end", 2, 12), ("epoch_end", 1, columns),
        ("epoch_begin", 2), ("batch_end", 1, 20), ("batch_end", 2, 12), ("epoch_end", 2, columns),
        ("train_end", 2),
    ]


def test_a_callback_can_stop_training():
    class StopAfterTwo(train.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                self.trainer.stop_training = True

    model, optimizer, data = _setup()
    history = train.fit(model, F.cross_entropy, optimizer, data, epochs=10, callbacks=[StopAfterTwo()],
                        progress=False)
    assert len(history) == 2


def test_early_stopping_waits_patience_epochs_then_stops():
    model, _, data = _setup()
    frozen = optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1)  # updates nothing: val_loss is constant
    stopper = train.EarlyStopping(monitor="val_loss", patience=3)
    history = train.fit(model, F.cross_entropy, frozen, data, epochs=20, val_data=data, callbacks=[stopper],
                        progress=False)
    assert len(history) == 4 and stopper.stopped_epoch == 4 and stopper.best_epoch == 1


def test_early_stopping_min_delta_and_mode():
    stopper = train.EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    stopper.set_trainer(type("T", (), {"stop_training": False})())
    stopper.on_epoch_end(1, {"val_accuracy": 0.80})
    stopper.on_epoch_end(2, {"val_accuracy": 0.84})  # +0.04 < min_delta: not an improvement
    assert stopper.trainer.stop_training and stopper.best == 0.80


def test_early_stopping_restores_the_best_weights():
    class Worsen(train.Callback):
        """Make every epoch after the first worse by scrambling the weights."""

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.best = [p.numpy().copy() for p in self.trainer.model.parameters()]

        def on_epoch_begin(self, epoch, logs=None):
            if epoch > 1:
                for p in self.trainer.model.parameters():
                    p.data[...] = 5.0 * np.sign(np.random.default_rng(epoch).standard_normal(p.shape))

    model, optimizer, data = _setup(lr=0.0)
    worsen = Worsen()
    stopper = train.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    train.fit(model, F.cross_entropy, optimizer, data, epochs=10, val_data=data, callbacks=[worsen, stopper],
              progress=False)
    assert stopper.best_epoch == 1 and stopper.stopped_epoch == 3
    for p, best in zip(model.parameters(), worsen.best, strict=True):
        np.testing.assert_array_equal(p.numpy(), best)


def test_missing_monitor_is_explained():
    model, optimizer, data = _setup()
    with pytest.raises(KeyError, match="no 'val_loss' .*pass val_data to fit"):
        train.fit(model, F.cross_entropy, optimizer, data, epochs=2, callbacks=[train.EarlyStopping()],
                  progress=False)


def test_model_checkpoint_every_epoch_and_best_only(tmp_path):
    model, optimizer, data = _setup()
    every = train.ModelCheckpoint(tmp_path / "all" / "epoch{epoch:02d}.ckpt")
    best = train.ModelCheckpoint(tmp_path / "best.ckpt", monitor="val_accuracy", save_best_only=True)
    history = train.fit(model, F.cross_entropy, optimizer, data, epochs=4, val_data=data, callbacks=[every, best],
                        progress=False)
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [f"epoch0{i}.ckpt" for i in range(1, 5)]
    improving = [e for i, e in enumerate(history.epochs) if history["val_accuracy"][i] > max(
        [-1.0, *history["val_accuracy"][:i]])]
    assert len(best.saved) == len(improving)
    saved = tg.load(tmp_path / "best.ckpt")
    assert saved["epoch"] == improving[-1]
    last = tg.load(tmp_path / "all" / "epoch04.ckpt")
    assert last["epoch"] == 4 and set(last) >= {"model", "optimizer", "scheduler", "rng", "history"}
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(last["model"][name], value.numpy())


def test_learning_rate_scheduler_sets_every_group():
    model, _, data = _setup()
    optimizer = optim.SGD([{"params": [model[0].weight, model[0].bias]}, {"params": model[2].parameters()}],
                          lr=1.0)
    schedule = train.LearningRateScheduler(lambda epoch, lr: 0.1 * (epoch + 1))
    history = train.fit(model, F.cross_entropy, optimizer, data, epochs=3, callbacks=[schedule], progress=False)
    assert history["lr"] == pytest.approx([0.1, 0.2, 0.3])
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([0.3, 0.3])


def test_csv_logger_writes_a_row_per_epoch_and_appends(tmp_path):
    model, optimizer, data = _setup()
    path = tmp_path / "log.csv"
    train.fit(model, F.cross_entropy, optimizer, data, epochs=2, callbacks=[train.CSVLogger(path)], progress=False)
    train.fit(model, F.cross_entropy, optimizer, data, epochs=1, callbacks=[train.CSVLogger(path, append=True)],
              progress=False)
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["epoch", "loss", "accuracy", "lr"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "1"]
    assert all(float(r[1]) > 0 for r in rows[1:])

"""Callbacks: code that ``fit`` runs at fixed points of training, Keras' protocol.

A callback subclasses ``Callback`` and overrides any of these methods; ``fit`` calls them in this order::

    on_train_begin(logs)                      once, before the first epoch
      on_epoch_begin(epoch, logs)             epoch counted from 1
        on_batch_end(step, logs)              after each optimizer step; logs = {"loss": ..., "size": n}
      on_epoch_end(epoch, logs)               logs = the epoch's loss, metrics, val_ values and lr
    on_train_end(logs)                        once, also after an early stop or Ctrl-C

``self.trainer`` (set before ``on_train_begin``) gives access to ``model``, ``optimizer``, ``scheduler``,
``history``, ``epoch`` and the ``stop_training`` flag: setting ``self.trainer.stop_training = True`` ends
training after the current epoch. A callback that keeps state across epochs (EarlyStopping's patience
counter) returns it from ``state_dict()`` so that a resumed run carries on exactly.
"""

from __future__ import annotations

import copy
import csv
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .history import _lower_is_better


class Callback:
    """Base class: every hook does nothing. ``self.trainer`` is the running ``fit``'s ``Trainer``."""

    trainer: Any = None

    main_process_only = False  # True for callbacks that write files: under mpiexec, fit runs them on rank 0 only

    def set_trainer(self, trainer: Any) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs: dict | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_batch_end(self, step: int, logs: dict | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_train_end(self, logs: dict | None = None) -> None:
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class _Monitor:
    """Tracks the best value of one logged quantity; ``mode`` 'min', 'max' or 'auto' (from the name)."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float = 0.0):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}(mode={mode!r}): use 'min', 'max' or 'auto'")
        self.owner, self.monitor = owner, monitor
        self.lower = _lower_is_better(monitor) if mode == "auto" else mode == "min"
        self.min_delta = abs(min_delta)
        self.best = math.inf if self.lower else -math.inf

    def value(self, logs: dict) -> float:
        if self.monitor not in logs:
            hint = " (pass val_data to fit, or monitor 'loss')" if self.monitor.startswith("val_") else ""
            raise KeyError(f"{self.owner}(monitor={self.monitor!r}): the epoch's logs have no {self.monitor!r}"
                           f"{hint}; they have {sorted(logs)}")
        return float(logs[self.monitor])

    def improved(self, value: float) -> bool:
        """value < best − min_delta (for 'min'), value > best + min_delta (for 'max')."""
        if self.lower:
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs in a row.

    With ``restore_best_weights=True`` the model ends training with the weights of its best epoch (a copy is
    kept each time the monitored value improves). ``stopped_epoch`` is the epoch training stopped at (0 if
    it ran to the end).
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = False):
        self._tracker = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor, self.patience = monitor, patience
        self.restore_best_weights = restore_best_weights
        self.wait = 0
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.best_weights: dict | None = None

    @property
    def best(self) -> float:
        return self._tracker.best

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = self._tracker.value(logs or {})
        if self._tracker.improved(value):
            self._tracker.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.data.copy() for k, v in self.trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict:
        state = {"best": self._tracker.best, "wait": self.wait, "best_epoch": self.best_epoch}
        if self.best_weights is not None:
            state["best_weights"] = self.best_weights
        return state

    def load_state_dict(self, state: dict) -> None:
        self._tracker.best = float(state["best"])
        self.wait, self.best_epoch = int(state["wait"]), int(state["best_epoch"])
        if "best_weights" in state:
            self.best_weights = {k: copy.copy(v) for k, v in state["best_weights"].items()}


class ModelCheckpoint(Callback):
    """Save a resumable checkpoint after every epoch (or only when ``monitor`` improves, ``save_best_only``).

    The file holds the model, optimizer, scheduler, epoch, random-generator state and history — everything
    ``fit(..., resume_from=path)`` needs to continue. ``path`` may contain ``{epoch}`` and logged values, e.g.
    ``"ckpt/epoch{epoch:02d}-{val_loss:.3f}.npz"``. Each file is written to a temporary name and renamed when
    complete, so an interruption never leaves a half-written checkpoint.
    """

    main_process_only = True  # under mpiexec only rank 0 writes (fit skips it on the other ranks)

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto"):
        self.path = str(path)
        self.save_best_only = save_best_only
        self._tracker = _Monitor("ModelCheckpoint", monitor, mode) if save_best_only else None
        self.saved: list[Path] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self._tracker is not None:
            value = self._tracker.value(logs)
            if not self._tracker.improved(value):
                return
            self._tracker.best = value
        path = Path(self.path.format(epoch=epoch, **logs))
        self.trainer.save_checkpoint(path)
        self.saved.append(path)

    def state_dict(self) -> dict:
        return {} if self._tracker is None else {"best": self._tracker.best}

    def load_state_dict(self, state: dict) -> None:
        if self._tracker is not None and "best" in state:
            self._tracker.best = float(state["best"])


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from ``schedule(epoch, lr) -> new lr`` (Keras).

    ``epoch`` counts from 0 here, as in Keras; ``lr`` is the current rate of the first parameter group, and
    every group gets the returned rate.
    """

    def __init__(self, schedule: Callable[[int, float], float]):
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        groups = self.trainer.optimizer.param_groups
        lr = float(self.schedule(epoch - 1, groups[0]["lr"]))
        if not lr >= 0:
            raise ValueError(f"LearningRateScheduler: the schedule returned lr={lr} for epoch {epoch - 1}")
        for group in groups:
            group["lr"] = lr


class CSVLogger(Callback):
    """Append each epoch's logs as a row of a CSV file (header first); flushed every epoch.

    ``append=True`` continues an existing file (as when resuming); otherwise the file is started anew.
    """

    main_process_only = True  # under mpiexec only rank 0 writes (fit skips it on the other ranks)

    def __init__(self, path: str | os.PathLike, separator: str = ",", append: bool = False):
        self.path, self.separator, self.append = Path(path), separator, append
        self._file: Any = None
        self._writer: Any = None
        self._columns: list[str] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        resuming = self.append and self.path.exists() and self.path.stat().st_size > 0
        if resuming:
            with open(self.path, newline="") as file:
                self._columns = next(csv.reader(file, delimiter=self.separator), None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a" if resuming else "w", newline="")  # noqa: SIM115 (closed in on_train_end)
        self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self._columns is None:
            self._columns = ["epoch", *logs]
            self._writer.writerow(self._columns)
        self._writer.writerow([epoch if c == "epoch" else logs.get(c, "") for c in self._columns])
        self._file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

"""``fit``, ``evaluate``, ``predict``: the training loop of the documents, written once.

Training is the same five steps, repeated for every mini-batch of every epoch::

    initialise  θ  (done when the model is built)
    repeat for each epoch, for each mini-batch (x, y):
        forward    ŷ = f(x; θ)                     model(x)             (model.train(): dropout active)
        loss       J = L(ŷ, y)                     loss_fn(ŷ, y)
        backward   g = ∇_θ J                       optimizer.zero_grad(); J.backward()
        update     θ ← θ − α g  (or Adam's rule)   optimizer.step()
    after each epoch: validate without gradients (model.eval(), no_grad()), step the learning-rate schedule,
    run the callbacks (early stopping, checkpoints, logging).

``fit`` returns a ``History`` of the per-epoch loss and metrics. The epoch's training loss is the sample-weighted
mean of the batch losses (so ``loss_fn`` should average over its batch, ``reduction="mean"``, the default).
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import backend
from ..data.dataset import Dataset
from ..data.loader import DataLoader
from ..grad_mode import no_grad
from ..serialization import load, save
from ..tensor import Tensor
from . import parallel
from .callbacks import Callback
from .history import History
from .metrics import Metric, RunningMean, resolve_metrics

CHECKPOINT_KIND = "tinygrad_edu.train.fit"


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; the message names the epoch and step."""


def as_loader(data: Any, batch_size: int, shuffle: bool = False, transform: Callable | None = None) -> DataLoader:
    """A DataLoader for ``data``: a DataLoader (as is), a Dataset, or a tuple ``(x, y)`` of arrays or Tensors."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset | tuple | list | Tensor) or hasattr(data, "shape"):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle, transform=transform)
    raise TypeError(f"expected a DataLoader, a Dataset or a tuple (x, y) of arrays, got {type(data).__name__}")


def _split_batch(batch: tuple, device: str | None = None) -> tuple[tuple, Any]:
    """(inputs, target): the last field is the target; a batch of one field is its own target (autoencoders).
    With ``device``, fields elsewhere are moved there (no copy for those already on it)."""
    if device is not None:
        batch = tuple(f.to(device) if isinstance(f, Tensor) else f for f in batch)  # .to is free when already there
    return (batch, batch[0]) if len(batch) == 1 else (batch[:-1], batch[-1])


def _model_device(model: Any) -> str | None:
    """The device of the model's first parameter (None for a model without parameters)."""
    parameters = getattr(model, "parameters", None)
    first = next(iter(parameters()), None) if callable(parameters) else None
    return first.device if first is not None else None


def _rank() -> int:
    from ..distributed import rank

    return rank()


def _set_mode(model: Any, training: bool) -> None:
    if hasattr(model, "train"):
        model.train(training)


def _show_progress(progress: bool | str) -> bool:
    if progress == "auto":
        return sys.stderr.isatty()
    return bool(progress)


class Trainer:
    """The state of one ``fit`` run: what callbacks see as ``self.trainer``.

    Attributes: ``model``, ``loss_fn``, ``optimizer``, ``scheduler``, ``train_loader``, ``val_loader``,
    ``metrics``, ``callbacks``, ``history``, ``epoch`` (the number of completed epochs) and ``stop_training``.
    """

    def __init__(self, model: Any, loss_fn: Callable, optimizer: Any, train_loader: DataLoader,
                 val_loader: DataLoader | None, metrics: dict[str, Metric], callbacks: Sequence[Callback],
                 scheduler: Any = None, scheduler_interval: str = "epoch", on_nonfinite: str = "raise",
                 progress: bool | str = True, world_size: int = 1):
        if on_nonfinite not in ("raise", "skip"):
            raise ValueError(f"fit(on_nonfinite={on_nonfinite!r}): use 'raise' or 'skip'")
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"fit(scheduler_interval={scheduler_interval!r}): use 'epoch' or 'step'")
        self.model, self.loss_fn, self.optimizer, self.scheduler = model, loss_fn, optimizer, scheduler
        self.train_loader, self.val_loader = train_loader, val_loader
        self.metrics, self.callbacks = metrics, list(callbacks)
        self.scheduler_interval, self.on_nonfinite = scheduler_interval, on_nonfinite
        self.world_size = world_size  # > 1: data-parallel over MPI (train/parallel.py)
        self.is_main = world_size == 1 or _rank() == 0
        self.progress = _show_progress(progress) and self.is_main  # only rank 0 prints
        self.history = History()
        self.epoch = 0
        self.stop_training = False

    # ------------------------------------------------------------------------------------- checkpoints

    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs to continue bit for bit."""
        return {
            "kind": CHECKPOINT_KIND,
            "epoch": self.epoch,
            "model": {k: v.data for k, v in parallel.unwrap(self.model).state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng": backend.get_rng_state(),
            "loader": self.train_loader.state_dict(),
            "history": self.history.state_dict(),
            "callbacks": {f"{i}:{type(c).__name__}": c.state_dict() for i, c in enumerate(self.callbacks)},
        }

    def save_checkpoint(self, path: str | os.PathLike) -> Path:
        """Write ``state_dict()`` to ``path`` with ``tinygrad_edu.save``: atomically (a temporary file renamed
        when complete), so an interruption leaves the previous file intact."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        save(self.state_dict(), path)
        return path

    def load_checkpoint(self, path: str | os.PathLike) -> None:
        """Restore a checkpoint written by ``save_checkpoint`` into this run's objects."""
        state = load(path)
        if not isinstance(state, dict) or state.get("kind") != CHECKPOINT_KIND:
            raise ValueError(f"fit(resume_from='{path}'): the file is a checkpoint but not one written by fit "
                             "(ModelCheckpoint); to start from saved weights only, use model.load_state_dict")
        parallel.unwrap(self.model).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        backend.set_rng_state(state["rng"])
        self.train_loader.load_state_dict(state.get("loader") or {})
        self.history.load_state_dict(state["history"])
        saved_callbacks = state.get("callbacks") or {}
        for i, callback in enumerate(self.callbacks):
            key = f"{i}:{type(callback).__name__}"
            if key in saved_callbacks:
                callback.load_state_dict(saved_callbacks[key])
        self.epoch = int(state["epoch"])

    # ------------------------------------------------------------------------------------------ the loop

    def _callbacks(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            if self.is_main or not getattr(callback, "main_process_only", False):  # files: rank 0 writes them
                getattr(callback, hook)(*args)

    def run(self, epochs: int) -> History:
        """Train until ``epochs`` epochs are complete, training stops early, or Ctrl-C."""
        was_training = getattr(self.model, "training", True)
        for callback in self.callbacks:
            callback.set_trainer(self)
        self._callbacks("on_train_begin", {})
        try:
            while self.epoch < epochs and not self.stop_training:
                logs = self.train_epoch(self.epoch + 1, epochs)
                self.epoch += 1
                self.history.append(self.epoch, logs)
                self._callbacks("on_epoch_end", self.epoch, logs)
                if self.world_size > 1:
                    self.stop_training = parallel.any_rank(self.stop_training)  # all ranks stop together
        except KeyboardInterrupt:
            # checkpoints are written atomically, so whatever was saved is complete; the epoch in progress is lost
            self.history.interrupted = True
            print(f"fit: interrupted during epoch {self.epoch + 1}; returning the history of the {self.epoch} "
                  "completed epoch(s)", file=sys.stderr)
        finally:
            self._callbacks("on_train_end", {"interrupted": self.history.interrupted})
            _set_mode(self.model, was_training)
        return self.history

    def train_epoch(self, epoch: int, epochs: int) -> dict[str, float]:
        """One pass over the training data, then validation and the schedule's epoch step; returns the logs."""
        if self.progress:
            from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal
        else:
            from tqdm import tqdm  # disabled anyway; tqdm.auto would warn in Jupyter without ipywidgets

        self._callbacks("on_epoch_begin", epoch, {})
        _set_mode(self.model, True)
        running = RunningMean()
        skipped = 0
        if hasattr(self.train_loader.sampler, "set_epoch"):
            self.train_loader.sampler.set_epoch(epoch - 1)  # a new shard order each epoch, the same on every rank
        step_seconds = communication_seconds = 0.0
        device = _model_device(self.model)
        bar = tqdm(total=len(self.train_loader), desc=f"epoch {epoch}/{epochs}", unit="batch",
                   disable=not self.progress, leave=True, dynamic_ncols=True)
        try:
            for step, batch in enumerate(self.train_loader, start=1):
                started = time.perf_counter()
                inputs, target = _split_batch(batch, device)
                self.optimizer.zero_grad()
                output = self.model(*inputs)
                loss = self.loss_fn(output, target)
                value = float(loss.item())  # the one device → host copy of a step: the NaN check needs it
                size = len(target)
                nonfinite = not math.isfinite(value)
                if self.world_size > 1:
                    nonfinite = parallel.any_rank(nonfinite)  # one rank's NaN stops (or skips) every rank
                if nonfinite:
                    if self.on_nonfinite == "raise":
                        raise NonFiniteLossError(
                            f"fit: the loss is {value} at epoch {epoch}, step {step} of {len(self.train_loader)} "
                            f"(a batch of {size} samples); no update was made for this step. Lower the learning "
                            "rate, look for NaN/inf in the inputs, clip the gradients, or pass "
                            "on_nonfinite='skip' to skip such steps"
                        )
                    skipped += 1
                    bar.update(1)
                    continue
                loss.backward()
                self.optimizer.step()
                step_seconds += time.perf_counter() - started
                communication_seconds += getattr(self.model, "communication_seconds", 0.0)
                if self.scheduler is not None and self.scheduler_interval == "step":
                    self.scheduler.step()
                with no_grad():
                    values = {"loss": value, **{n: m(output, target) for n, m in self.metrics.items()}}
                running.update(values, size)
                self._callbacks("on_batch_end", step, {"loss": value, "size": size})
                bar.update(1)
                bar.set_postfix(_format({"loss": running.mean("loss")}), refresh=False)  # metrics: at the end
            if self.world_size > 1:
                logs = parallel.global_means(running.totals, running.count) or {"loss": math.nan}
                steps = max(1, len(self.train_loader) - skipped)
                logs.update(parallel.global_means({"step_ms": 1e3 * step_seconds / steps,
                                                   "comm_ms": 1e3 * communication_seconds / steps}, 1))
            else:
                logs = running.means() or {"loss": math.nan}
            if skipped:
                warnings.warn(f"fit: skipped {skipped} step(s) of epoch {epoch} whose loss was not finite",
                              RuntimeWarning, stacklevel=3)
            if self.val_loader is not None:
                # the bar's elapsed time now counts validation too: its name says so
                bar.set_description(f"epoch {epoch}/{epochs} + validation", refresh=True)
                val = _evaluate_loader(self.model, self.val_loader, self.loss_fn, self.metrics,
                                       across_ranks=self.world_size > 1)
                logs.update({f"val_{name}": value for name, value in val.items()})
            logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
            self._step_scheduler_at_epoch_end(logs)
            bar.set_postfix(_format(logs), refresh=True)
        finally:
            bar.close()
        return logs

    def _step_scheduler_at_epoch_end(self, logs: dict[str, float]) -> None:
        if self.scheduler is None or self.scheduler_interval != "epoch":
            return
        from ..optim.lr_scheduler import ReduceLROnPlateau

        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(logs.get("val_loss", logs["loss"]))
        else:
            self.scheduler.step()


def _format(values: dict[str, float]) -> dict[str, str]:
    return {name: f"{value:.4g}" for name, value in values.items()}


def fit(model: Any, loss_fn: Callable, optimizer: Any, train_data: Any, epochs: int = 1, val_data: Any = None,
        metrics: Sequence[str | Metric] = ("accuracy",), callbacks: Sequence[Callback] = (), scheduler: Any = None,
        progress: bool | str = True, resume_from: str | os.PathLike | None = None, batch_size: int = 32,
        shuffle: bool = True, transform: Callable | None = None, on_nonfinite: str = "raise",
        scheduler_interval: str = "epoch", distributed: bool | None = None) -> History:
    """Train ``model`` for ``epochs`` epochs and return the ``History`` of loss and metrics per epoch.

    * ``train_data`` / ``val_data``: a ``DataLoader``, a ``Dataset``, or a tuple ``(x, y)`` of arrays or Tensors
      (then batched with ``batch_size``, shuffled each epoch when ``shuffle``, augmented with ``transform``).
      The last field of a batch is the target; the others are the model's inputs.
    * ``loss_fn(output, target)``: a mean over the batch, e.g. ``F.cross_entropy`` or ``nn.MSELoss()``.
    * ``metrics``: names (``"accuracy"``, ``"mse"``, …) or functions ``metric(output, target) -> float``;
      validation values appear as ``val_loss``, ``val_accuracy``, …; ``lr`` is logged too.
    * ``scheduler``: a learning-rate schedule stepped after each epoch (``ReduceLROnPlateau`` gets
      ``val_loss``, or ``loss`` without validation data), or after each step with ``scheduler_interval="step"``.
    * ``callbacks``: ``EarlyStopping``, ``ModelCheckpoint``, ``LearningRateScheduler``, ``CSVLogger`` or your own.
    * ``progress``: a tqdm bar per epoch with the running loss and metrics; ``False`` is silent, ``"auto"`` shows
      bars only when the output is a terminal.
    * ``resume_from``: a checkpoint written by ``ModelCheckpoint``; training continues after its epoch with the
      saved model, optimizer, schedule, random-generator state and history, so an interrupted run resumed this
      way ends with the same parameters, bit for bit, as one that never stopped. ``epochs`` is the total count.
    * ``on_nonfinite``: ``"raise"`` (stop with an error naming the epoch and step) or ``"skip"`` (skip the
      update of a step whose loss is NaN or infinite, and warn).
    * ``distributed``: data-parallel training over MPI (``mpiexec -n p python script.py``); ``None`` (the
      default) turns it on when a launcher started more than one rank. The model is wrapped in
      ``DistributedDataParallel`` (rank 0's weights broadcast, gradients averaged), each rank trains on its shard
      (``DistributedSampler``, ``batch_size`` per rank: the global batch is p × batch_size) and validates on its
      share; losses and metrics are summed over the ranks, so every rank logs the same numbers, plus ``step_ms``
      and ``comm_ms`` (mean milliseconds per step, and those spent in gradient communication). Only rank 0
      prints and writes files (``ModelCheckpoint``, ``CSVLogger``); ``resume_from`` works the same.

    ``model.train()`` is set for training and ``model.eval()`` (under ``no_grad``) for validation; the model's
    original mode is restored at the end. Ctrl-C stops training cleanly and returns the history so far.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit(epochs={epochs!r}): the number of epochs must be a non-negative integer")
    if isinstance(train_data, DataLoader) and transform is not None:
        raise ValueError("fit(transform=...) with a DataLoader: the loader already decides its batches; "
                         "pass the transform to it instead, DataLoader(..., transform=...)")
    train_loader = as_loader(train_data, batch_size, shuffle=shuffle, transform=transform)
    val_loader = None if val_data is None else as_loader(val_data, max(batch_size, 256))
    for name, loader in (("training", train_loader), ("validation", val_loader)):
        if loader is not None and len(loader) == 0:
            why = ", drop_last=True drops the only, incomplete batch" if loader.drop_last else ""
            raise ValueError(f"fit: the {name} data is empty (no batch{why}): check the dataset, its filter or "
                             "its split")
    world_size = parallel.resolve(distributed)
    if world_size > 1:
        model = parallel.wrap(model)
        train_loader = parallel.shard_train_loader(train_loader)
        val_loader = None if val_loader is None else parallel.shard_eval_loader(val_loader)
    trainer = Trainer(model, loss_fn, optimizer, train_loader, val_loader, resolve_metrics(metrics), callbacks,
                      scheduler=scheduler, scheduler_interval=scheduler_interval, on_nonfinite=on_nonfinite,
                      progress=progress, world_size=world_size)
    if resume_from is not None:
        trainer.load_checkpoint(resume_from)
    return trainer.run(epochs)


def evaluate(model: Any, data: Any, loss_fn: Callable | None = None, metrics: Sequence[str | Metric] = ("accuracy",),
             batch_size: int = 256) -> dict[str, float]:
    """The mean loss (when ``loss_fn`` is given) and metrics of ``model`` over ``data``, in eval mode, without
    gradients: ``{"loss": ..., "accuracy": ...}``. The model's mode is restored afterwards."""
    return _evaluate_loader(model, as_loader(data, batch_size), loss_fn, resolve_metrics(metrics))


def _evaluate_loader(model: Any, loader: DataLoader, loss_fn: Callable | None,
                     metrics: dict[str, Metric], across_ranks: bool = False) -> dict[str, float]:
    was_training = getattr(model, "training", False)
    _set_mode(model, False)
    running = RunningMean()
    device = _model_device(model)
    try:
        with no_grad():
            for batch in loader:
                inputs, target = _split_batch(batch, device)
                output = model(*inputs)
                values = {} if loss_fn is None else {"loss": loss_fn(output, target).data}  # summed on its device
                values.update({name: metric(output, target) for name, metric in metrics.items()})
                running.update(values, len(target))
    finally:
        _set_mode(model, was_training)
    if across_ranks:  # each rank saw its share of the samples: add up the sums and counts of all ranks
        return parallel.global_means(running.totals, running.count)
    return running.means()


def predict(model: Any, data: Any, batch_size: int = 256) -> Tensor:
    """The model's outputs for all samples of ``data`` (inputs only, or a dataset whose last field is ignored),
    batch by batch in eval mode without gradients, joined into one Tensor."""
    if isinstance(data, DataLoader):
        loader = data
    elif isinstance(data, Tensor) or hasattr(data, "shape"):
        loader = DataLoader((data,), batch_size=batch_size)  # bare inputs: a dataset of one field
    else:
        loader = as_loader(data, batch_size)
    was_training = getattr(model, "training", False)
    _set_mode(model, False)
    outputs = []
    device = _model_device(model)
    try:
        with no_grad():
            for batch in loader:
                inputs, _ = _split_batch(batch, device)  # one field: inputs only; else the last is ignored
                outputs.append(model(*inputs).data)
    finally:
        _set_mode(model, was_training)
    if not outputs:
        raise ValueError("predict: the data holds no samples")
    xp = backend.get_array_module(outputs[0])
    return Tensor._from_op(xp.concatenate(outputs), None)

"""``python -m tinygrad_edu.train``: train one of ``tinygrad_edu.models`` on an image dataset from one command line.

    python -m tinygrad_edu.train                                   # the documents' CNN on MNIST, 5 epochs
    python -m tinygrad_edu.train --dataset fashion-mnist           # the same CNN on Fashion-MNIST
    python -m tinygrad_edu.train --model mlp                       # 784-256-128-10 MLP, SGD with momentum
    python -m tinygrad_edu.train --epochs 1 --limit 6000           # a quick check on a subset
    python -m tinygrad_edu.train --epochs 3 --prune 0.8            # train, prune 80% of the weights, fine-tune
    python -m tinygrad_edu.train --dataset shapes --epochs 2       # generated shapes: no files needed

The recipe for the CNN: Adam at a peak lr of 2·10⁻³ (``--lr``), batch 64, a one-cycle schedule stepped every batch
(a linear warm-up from lr/10 over the first 10% of the steps, then a cosine decay to lr/1000) and, on MNIST, light
augmentation (each image shifted by up to 2 pixels, rotated by up to ±8°, zoomed by up to ±7%). The MLP uses SGD
with momentum 0.9 at lr 0.05 and the same schedule. Each run prints the test accuracy and the seconds of every
epoch (training only; evaluation timed apart).

``--prune AMOUNT`` then prunes that fraction of the weights of every convolution and dense layer by magnitude (one
global threshold, or ``--prune-method layer``: the same fraction in each layer; biases are kept), measures the
pruned network, fine-tunes it for ``--finetune-epochs`` with the masks in place (Adam, lr 5·10⁻⁴ decaying to 0
along a cosine) and prints the drop against the dense network (accepted: at most 0.5 percentage points).

The MNIST files are looked for in ``--data-dir`` (default: the ``TINYGRAD_EDU_DATA`` environment variable), then
in ``~/.cache/tinygrad_edu``; ``--download`` fetches them when missing. ``main(argv)`` builds the model, the data
and the optimizer and calls ``fit``: extend it there.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import backend, models, nn, optim
from ..data import DataLoader, DatasetNotFoundError, Subset, TensorDataset, fashion_mnist, mnist, shapes, transforms
from ..data.mnist import ENV_VAR, search_dirs
from ..nn import functional as F
from ..nn.utils import prune
from ..serialization import save
from . import parallel
from .callbacks import Callback, ModelCheckpoint
from .fit import evaluate, fit

PROG = "python -m tinygrad_edu.train"
MODELS: dict[str, Callable[[int], nn.Module]] = {
    "cnn": lambda classes: models.DocumentsCNN(classes),  # the documents' CNN (93,322 parameters for 10 classes)
    "mlp": lambda classes: models.MLP(num_classes=classes),  # Flatten → 784-256-128-classes
}
DATASETS = ("mnist", "fashion-mnist", "shapes")
ACCEPTED_DROP_PP = 0.5  # the pruning issue's criterion: fine-tuned pruned accuracy within 0.5 points of dense


class DatasetMissing(Exception):
    """The files of a dataset are not on disk (and were not to be downloaded)."""


def one_cycle(total_steps: int, warmup_fraction: float = 0.1, final_fraction: float = 1e-3) -> Callable[[int], float]:
    """The factor f(t) applied to the peak learning rate at step t (for ``LambdaLR``):

    f(t) = 0.1 + 0.9 · t / w for t < w (linear warm-up over w steps), then
    f(t) = r + (1 − r) · ½ (1 + cos(π (t − w) / (T − w)))  (cosine decay to r = ``final_fraction`` at step T).
    """
    warmup = max(1, int(warmup_fraction * total_steps))

    def factor(step: int) -> float:
        if step < warmup:
            return 0.1 + 0.9 * step / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def cosine_to_zero(total_steps: int) -> Callable[[int], float]:
    """f(t) = ½ (1 + cos(π t / T)): the fine-tuning learning rate's factor, from 1 down to 0 at the last step."""
    return lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / max(1, total_steps)))


class EpochTimer(Callback):
    """Seconds spent in each epoch's training pass (from on_epoch_begin to the last batch)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()
        self._last = self._start

    def on_batch_end(self, step: int, logs: dict | None = None) -> None:
        self._last = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(self._last - self._start)


def load_dataset(name: str, data_dir: str | None, limit: int | None = None, seed: int = 0,
                 download: bool = False) -> tuple[Any, Any]:
    """(train, test) datasets of images (N, 1, 28, 28) and labels; raises ``DatasetMissing`` with one line."""
    if name == "shapes":  # generated: 5,000 training and 1,000 test images of five drawn shapes (or ``limit``)
        train_count, test_count = (5000, 1000) if limit is None else (limit, limit)
        train_set = TensorDataset(*shapes(train_count, seed=seed))
        test_set = TensorDataset(*shapes(test_count, seed=seed + 1))
    else:
        load = {"mnist": mnist, "fashion-mnist": fashion_mnist}[name]
        try:
            train_set = load(data_dir, train=True, download=download)
            test_set = load(data_dir, train=False, download=download)
        except DatasetNotFoundError as error:
            looked = ", ".join(str(d) for d in search_dirs(data_dir))
            raise DatasetMissing(f"{name} not found (looked in {looked}): give the folder holding its IDX files with "
                                 f"--data-dir DIR or the {ENV_VAR} environment variable, or add --download") from error
    if limit is not None:
        train_set = Subset(train_set, np.arange(min(limit, len(train_set))))
        test_set = Subset(test_set, np.arange(min(limit, len(test_set))))
    return train_set, test_set


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description="Train one of tinygrad_edu.models on an image dataset.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="models: cnn = models.DocumentsCNN (the documents' CNN), mlp = models.MLP")
    parser.add_argument("--model", choices=sorted(MODELS), default="cnn", help="the network (default cnn)")
    parser.add_argument("--dataset", choices=DATASETS, default="mnist", help="the images (default mnist)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs of training (default 5)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate (default 2e-3 cnn, 0.05 mlp)")
    parser.add_argument("--data-dir", default=os.environ.get(ENV_VAR) or None,
                        help=f"folder holding the IDX files (default: ${ENV_VAR})")
    parser.add_argument("--download", action="store_true", help="download the dataset when it is not on disk")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N train and test samples")
    parser.add_argument("--no-augment", action="store_true", help="switch the MNIST augmentation off")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", default=None, help="save the trained model's state_dict to this file (.npz)")
    parser.add_argument("--checkpoint", default=None,
                        help="write a resumable checkpoint after every epoch to this file ({epoch} allowed)")
    parser.add_argument("--resume", default=None, help="continue the run saved in this checkpoint")
    parser.add_argument("--prune", type=float, default=None, metavar="AMOUNT",
                        help="after training, prune this fraction of the weights and fine-tune")
    parser.add_argument("--prune-method", choices=["global", "layer"], default="global",
                        help="one threshold for all layers (global, default) or the same fraction per layer")
    parser.add_argument("--finetune-epochs", type=int, default=1, help="fine-tuning epochs after pruning (default 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel over the MPI ranks (run under mpiexec -n P); --batch-size stays the global "
                             "batch, each rank takes batch-size / P (on by itself under mpiexec with P > 1)")
    return parser.parse_args(argv)


def _print_history(history: Any, seconds: list[float]) -> None:
    print("epoch  train loss  train acc  test loss  test acc  seconds (training only; the bar's time adds validation)")
    resumed = len(history.epochs) - len(seconds)  # epochs of the checkpoint's run, timed there (--resume)
    for i, epoch in enumerate(history.epochs):
        timing = f"{seconds[i - resumed]:7.1f}" if i >= resumed else "  (earlier run)"
        print(f"{epoch:5d}  {history['loss'][i]:10.4f}  {history['accuracy'][i]:9.4f}  "
              f"{history['val_loss'][i]:9.4f}  {history['val_accuracy'][i]:8.4f}  {timing}")


def prune_and_finetune(model: nn.Module, loader: DataLoader, test_set: Any, args: argparse.Namespace,
                       progress: bool | str) -> dict[str, float]:
    """Prune ``args.prune`` of the weights by magnitude, fine-tune, and print the accuracies and the drop."""
    dense = evaluate(model, test_set)["accuracy"]
    layers = prune.prunable(model)
    if args.prune_method == "global":
        prune.global_unstructured(layers, amount=args.prune)
    else:
        for module, name in layers:
            prune.l1_unstructured(module, name, amount=args.prune)
    print(prune.sparsity(model))
    pruned = evaluate(model, test_set)["accuracy"]
    optimizer = optim.Adam(model.parameters(), lr=5e-4)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, cosine_to_zero(args.finetune_epochs * len(loader)))
    fit(model, F.cross_entropy, optimizer, loader, epochs=args.finetune_epochs, scheduler=scheduler,
        scheduler_interval="step", progress=progress)
    finetuned = evaluate(model, test_set)["accuracy"]
    after = prune.sparsity(model)
    drop = 100 * (dense - finetuned)
    print(f"{args.prune_method} magnitude pruning of {args.prune:.0%} of the weights, {args.finetune_epochs} "
          f"epoch(s) of fine-tuning")
    print(f"test accuracy, dense:                 {dense:.2%}")
    print(f"test accuracy, pruned, before tuning: {pruned:.2%}")
    print(f"test accuracy, pruned and fine-tuned: {finetuned:.2%}   "
          f"(weight sparsity still {after.global_sparsity:.2%})")
    verdict = "PASS" if drop <= ACCEPTED_DROP_PP else "FAIL"
    print(f"drop: {drop:+.2f} percentage points (accepted: at most {ACCEPTED_DROP_PP}) → {verdict}")
    return {"dense": dense, "pruned": pruned, "finetuned": finetuned, "sparsity": after.global_sparsity,
            "drop_pp": drop}


def _world_size() -> int:
    from .. import distributed  # only here: a plain run never loads MPI

    distributed.init()
    return distributed.world_size()


def _rank() -> int:
    from .. import distributed

    return distributed.rank()


@dataclass
class Recipe:
    """What ``main`` trains: the model, its data and its optimizer, built from the command line's arguments."""

    model: nn.Module
    train_set: Any
    test_set: Any
    augmentation: Any  # transforms.RandomAffine, or None
    loader: DataLoader
    optimizer: Any
    scheduler: Any


def build_recipe(args: argparse.Namespace, ranks: int = 1) -> Recipe:
    """Seed, data, model, augmentation, loader, optimizer and schedule, in the order that fixes every random draw
    (bench/mnist_race.py builds PyTorch's side through it too, for the same weights, batches and augmentations).
    Raises ``DatasetMissing``."""
    backend.manual_seed(args.seed)
    train_set, test_set = load_dataset(args.dataset, args.data_dir, args.limit, args.seed, args.download)
    classes = 5 if args.dataset == "shapes" else 10
    model = MODELS[args.model](classes)
    augment = args.dataset == "mnist" and args.model == "cnn" and not args.no_augment
    augmentation = transforms.RandomAffine(degrees=8, translate=0.07, zoom=0.07) if augment else None
    loader = DataLoader(train_set, batch_size=args.batch_size // ranks, shuffle=True, transform=augmentation)
    if ranks > 1:
        loader = parallel.shard_train_loader(loader)  # before the schedule: len(loader) counts one rank's steps
    if args.model == "cnn":
        optimizer = optim.Adam(model.parameters(), lr=2e-3 if args.lr is None else args.lr)
    else:
        optimizer = optim.SGD(model.parameters(), lr=0.05 if args.lr is None else args.lr, momentum=0.9)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, one_cycle(args.epochs * len(loader)))
    return Recipe(model, train_set, test_set, augmentation, loader, optimizer, scheduler)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, build model, data and optimizer, call ``fit``; returns the exit status (2: no dataset)."""
    args = parse_args(argv)
    backend.use(args.device)
    ranks = _world_size() if args.distributed or "OMPI_COMM_WORLD_SIZE" in os.environ or "PMI_SIZE" in os.environ else 1
    if args.batch_size % ranks:
        print(f"{PROG}: error: --batch-size {args.batch_size} is the global batch: it must divide among the "
              f"{ranks} ranks", file=sys.stderr)
        return 2
    try:
        recipe = build_recipe(args, ranks)
    except DatasetMissing as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    model, test_set, augmentation, loader = recipe.model, recipe.test_set, recipe.augmentation, recipe.loader
    optimizer, scheduler = recipe.optimizer, recipe.scheduler
    timer = EpochTimer()
    callbacks: list[Callback] = [timer]
    if args.checkpoint:
        callbacks.append(ModelCheckpoint(args.checkpoint))
    progress: bool | str = False if args.quiet else "auto"
    parameters = sum(p.size for p in model.parameters())
    if ranks == 1 or _rank() == 0:  # the settings first, so they are read before the epochs scroll by
        print(f"{args.dataset} / {args.model} ({parameters:,} parameters, augmentation: {augmentation!r})")
    history = fit(model, F.cross_entropy, optimizer, loader, epochs=args.epochs, val_data=test_set,
                  callbacks=callbacks, scheduler=scheduler, scheduler_interval="step", progress=progress,
                  resume_from=args.resume, distributed=True if ranks > 1 else None)
    if ranks > 1 and _rank() != 0:
        return 0  # rank 0 reports and writes files; the others' weights are the same
    _print_history(history, timer.seconds)
    final = evaluate(model, test_set, F.cross_entropy)
    mean = f"; mean {np.mean(timer.seconds):.1f} s per epoch" if timer.seconds else ""
    epochs = f"{len(history)} epoch" + ("" if len(history) == 1 else "s")
    print(f"test accuracy after {epochs}: {final['accuracy']:.4f}{mean}")
    if args.prune is not None:
        prune_and_finetune(model, loader, test_set, args, progress)
    if args.out:
        save(model.state_dict(), args.out)
        print(f"model saved to {args.out}")
    return 0

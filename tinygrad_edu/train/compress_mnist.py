"""The compression acceptance run: the documents' CNN on MNIST made small four ways, with measured figures.

    nice python -m tinygrad_edu.train.compress_mnist                 # teacher 2 epochs, everything measured
    python -m tinygrad_edu.train.compress_mnist --epochs 1 --limit 6000 --seeds 1    # a quick look

1. **teacher**: the documents' CNN (models.DocumentsCNN) trained for ``--epochs`` with Adam, one-cycle lr, batch 64;
2. **int8**: ``quantize(teacher, 8 calibration batches of 64)`` — test accuracy before/after (the target is a drop
   below 0.5 percentage points), bytes of the saved weights, inference time of one batch of 256 (float32 vs
   int8, the same images, median of ``--repeats``);
3. **distillation**: a small student CNN (Conv 8 → pool → Conv 16 → pool → Dense 10, 5.3k parameters against
   the teacher's 93k) trained for one epoch on ``--student-limit`` images either on the labels alone or with
   ``F.distillation_loss`` (T = 4, α = 0.9) on the teacher's logits, over ``--seeds`` seeds each;
4. **pruning**: the teacher with 80% of its weights zeroed by magnitude (unstructured, masks) and the teacher with
   half of its filters removed (``nn.utils.shrink``, structured), each before and after one fine-tuning epoch (on
   ``--finetune-limit`` images),
   and the inference time of all three (dense, sparse, shrunk) on the same batch.

The functions are reused by the ``compress`` walkthrough on small data.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import Any

import numpy as np

from .. import backend, nn, optim
from ..grad_mode import no_grad
from ..models import DocumentsCNN
from ..nn import functional as F
from ..nn.utils import prune, shrink
from ..quantization import quantize, saved_bytes, weight_bytes
from ..serialization import load, save
from ..tensor import Tensor
from .cli import DatasetMissing, load_dataset, one_cycle


def student_cnn(classes: int = 10) -> nn.Sequential:
    """A CNN ~18× smaller than the documents' (5,258 parameters for 28×28 inputs): Conv 8 → pool → Conv 16 → pool
    → Dense."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),    # 28 → 26 → 13
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),   # 13 → 11 → 5
        nn.Flatten(), nn.Linear(16 * 5 * 5, classes),
    )


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int = 1, lr: float = 2e-3, batch_size: int = 64,
          seed: int = 0, teacher_logits: np.ndarray | None = None, temperature: float = 4.0,
          alpha: float = 0.9) -> list[float]:
    """Adam with the one-cycle schedule; cross-entropy on the labels, or the distillation loss when
    ``teacher_logits`` (one row per image) are given. Returns the loss of every step."""
    backend.manual_seed(seed)
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    steps_per_epoch = math.ceil(len(x) / batch_size)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, one_cycle(epochs * steps_per_epoch))
    model.train()
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            logits = model(Tensor(x[index]))
            labels = Tensor(y[index])
            if teacher_logits is None:
                loss = F.cross_entropy(logits, labels)
            else:
                loss = F.distillation_loss(logits, teacher_logits[index], labels, temperature=temperature,
                                           alpha=alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
    model.eval()
    return losses


def predict(model: nn.Module, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """The logits of ``model`` for every image, in eval mode, without gradients."""
    model.eval()
    with no_grad():
        return np.concatenate([backend.to_numpy(model(Tensor(x[i:i + batch_size])).data)
                               for i in range(0, len(x), batch_size)])


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    return float((predict(model, x).argmax(axis=1) == y).mean())


def inference_ms(model: nn.Module, batch: np.ndarray, repeats: int = 7) -> float:
    """Median milliseconds of one forward pass on ``batch`` (after one warm-up pass, which compiles kernels)."""
    model.eval()
    x = Tensor(batch)
    times = []
    with no_grad():
        model(x)
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def parameter_count(model: nn.Module) -> int:
    return sum(p.size for p in model.parameters())


def sparse_copy(model: nn.Sequential, amount: float) -> nn.Sequential:
    """A copy with ``amount`` of all Conv/Linear weights zeroed by magnitude (one global threshold), masks kept."""
    import copy

    sparse = copy.deepcopy(model)
    prune.global_unstructured(prune.prunable(sparse), amount=amount)
    return sparse


def _arrays(dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = dataset.arrays if hasattr(dataset, "arrays") else (dataset.dataset.arrays[0][dataset.indices],
                                                             dataset.dataset.arrays[1][dataset.indices])
    return backend.to_numpy(x).astype(np.float32), backend.to_numpy(y).astype(np.int64)


def run(epochs: int = 2, limit: int | None = None, student_limit: int = 10_000, seeds: int = 3,
        repeats: int = 7, finetune_epochs: int = 1, root: str | None = None,
        finetune_limit: int | None = None, teacher_path: str | None = None, student_epochs: int = 1,
        temperature: float = 4.0, alpha: float = 0.9, parts: tuple[str, ...] = ("int8", "distill", "prune"),
        ) -> dict[str, Any]:
    """Every measurement of the module docstring (the ``parts`` asked for); prints them and returns them in a
    dict. ``teacher_path``: load the teacher's weights from there if the file exists, else save them there."""
    train_set, test_set = load_dataset("mnist", root, limit)
    x_train, y_train = _arrays(train_set)
    x_test, y_test = _arrays(test_set)
    results: dict[str, Any] = {}
    clock = time.perf_counter()

    backend.manual_seed(0)  # the initial weights too (train() seeds only the batches and dropout)
    teacher = DocumentsCNN()
    if teacher_path is not None and os.path.exists(teacher_path):
        teacher.load_state_dict(load(teacher_path))
    else:
        train(teacher, x_train, y_train, epochs=epochs, seed=0)
        if teacher_path is not None:
            save(teacher.state_dict(), teacher_path)
    results["teacher_seconds"] = time.perf_counter() - clock
    results["float32_accuracy"] = accuracy(teacher, x_test, y_test)
    print(f"teacher: {epochs} epoch{'' if epochs == 1 else 's'} in {results['teacher_seconds']:.0f} s, test accuracy "
          f"{results['float32_accuracy']:.2%}, {parameter_count(teacher):,} parameters")

    if "int8" in parts:
        _int8(results, teacher, x_train, x_test, y_test, repeats)
    if "distill" in parts:
        _distill(results, teacher, x_train, y_train, x_test, y_test, student_limit, seeds, student_epochs,
                 temperature, alpha)
    if "prune" in parts:
        _prune(results, teacher, x_train, y_train, x_test, y_test, repeats, finetune_epochs, finetune_limit)
    if "timing" in parts:
        _timing(results, teacher, x_train, x_test, repeats)
    results["total_seconds"] = time.perf_counter() - clock
    print(f"total {results['total_seconds']:.0f} s")
    return results


def _int8(results: dict, teacher: nn.Module, x_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
          repeats: int) -> None:
    calibration = [x_train[i:i + 64] for i in range(0, 8 * 64, 64)]
    small = quantize(teacher, calibration)
    results["int8_accuracy"] = accuracy(small, x_test, y_test)
    results["bytes"] = {"float32 file": saved_bytes(teacher), "int8 file": saved_bytes(small),
                        "float32 arrays": weight_bytes(teacher), "int8 arrays": weight_bytes(small)}
    batch = x_test[:256]
    results["float32_ms"], results["int8_ms"] = inference_ms(teacher, batch, repeats), inference_ms(small, batch,
                                                                                                       repeats)
    drop = (results["float32_accuracy"] - results["int8_accuracy"]) * 100
    sizes = results["bytes"]
    print(f"int8: test accuracy {results['int8_accuracy']:.2%} (drop {drop:+.2f} pp; target < 0.5 pp); saved "
          f"weights {sizes['float32 file']:,} → {sizes['int8 file']:,} bytes "
          f"({sizes['float32 file'] / sizes['int8 file']:.2f}×; arrays alone "
          f"{sizes['float32 arrays'] / sizes['int8 arrays']:.2f}×); batch of 256: float32 "
          f"{results['float32_ms']:.1f} ms, int8 {results['int8_ms']:.1f} ms")


def _distill(results: dict, teacher: nn.Module, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
             y_test: np.ndarray, student_limit: int, seeds: int, epochs: int, temperature: float,
             alpha: float) -> None:
    teacher_logits = predict(teacher, x_train[:student_limit])
    plain, distilled = [], []
    for seed in range(seeds):
        for scores, logits in ((plain, None), (distilled, teacher_logits)):
            backend.manual_seed(100 + seed)
            student = student_cnn()
            train(student, x_train[:student_limit], y_train[:student_limit], epochs=epochs, seed=100 + seed,
                  teacher_logits=logits, temperature=temperature, alpha=alpha)
            scores.append(accuracy(student, x_test, y_test))
    results["student_labels"], results["student_distilled"] = plain, distilled
    print(f"student ({parameter_count(student_cnn()):,} parameters, {epochs} epoch(s) on {student_limit:,} images), "
          f"test accuracy over {seeds} seeds: labels alone {_mean_spread(plain)}, distilled (T={temperature:g}, "
          f"α={alpha:g}) {_mean_spread(distilled)}")


def _prune(results: dict, teacher: nn.Module, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
           y_test: np.ndarray, repeats: int, finetune_epochs: int, finetune_limit: int | None) -> None:
    batch = x_test[:256]
    sparse = sparse_copy(teacher, 0.8)
    shrunk = shrink(teacher, 0.5)
    results["sparse_accuracy"], results["shrunk_accuracy"] = accuracy(sparse, x_test, y_test), accuracy(
        shrunk, x_test, y_test)
    results["dense_ms"], results["sparse_ms"], results["shrunk_ms"] = (
        inference_ms(teacher, batch, repeats), inference_ms(sparse, batch, repeats),
        inference_ms(shrunk, batch, repeats))
    tune_x, tune_y = x_train[:finetune_limit], y_train[:finetune_limit]
    train(sparse, tune_x, tune_y, epochs=finetune_epochs, lr=5e-4, seed=1)
    train(shrunk, tune_x, tune_y, epochs=finetune_epochs, lr=5e-4, seed=1)
    results["sparse_finetuned"], results["shrunk_finetuned"] = accuracy(sparse, x_test, y_test), accuracy(
        shrunk, x_test, y_test)
    print(f"pruning, batch of 256: dense {results['dense_ms']:.1f} ms ({parameter_count(teacher):,} parameters); "
          f"80% unstructured {results['sparse_ms']:.1f} ms (same arrays, {prune.sparsity(sparse).zeros:,} zeros); "
          f"50% of filters removed {results['shrunk_ms']:.1f} ms ({parameter_count(shrunk):,} parameters)")
    print(f"pruning accuracy: unstructured {results['sparse_accuracy']:.2%} → {results['sparse_finetuned']:.2%} "
          f"after {finetune_epochs} fine-tuning epoch(s) on {len(tune_x):,} images; structured "
          f"{results['shrunk_accuracy']:.2%} → {results['shrunk_finetuned']:.2%}")


def interleaved_ms(models: dict[str, nn.Module], batch: np.ndarray, rounds: int = 7) -> dict[str, float]:
    """Median milliseconds of one forward pass of each model, the models taking turns in every round, so that a
    change in the machine's load (other jobs) hits them all alike."""
    x = Tensor(batch)
    times: dict[str, list[float]] = {name: [] for name in models}
    with no_grad():
        for model in models.values():
            model.eval()
            model(x)  # warm-up: compiles the kernels
        for _ in range(rounds):
            for name, model in models.items():
                start = time.perf_counter()
                model(x)
                times[name].append((time.perf_counter() - start) * 1000)
    return {name: float(np.median(values)) for name, values in times.items()}


def _timing(results: dict, teacher: nn.Module, x_train: np.ndarray, x_test: np.ndarray, repeats: int) -> None:
    models = {"float32": teacher, "int8": quantize(teacher, [x_train[i:i + 64] for i in range(0, 512, 64)]),
              "80% zeros": sparse_copy(teacher, 0.8), "half the filters": shrink(teacher, 0.5)}
    for size in (1, 64, 256):
        measured = interleaved_ms(models, x_test[:size], rounds=repeats)
        results[f"interleaved_ms_{size}"] = measured
        print(f"batch {size:3d}, median of {repeats} interleaved rounds: "
              + ", ".join(f"{name} {ms:.2f} ms" for name, ms in measured.items()))


def _mean_spread(values: list[float]) -> str:
    return f"{np.mean(values):.2%} ± {np.std(values):.2%} ({', '.join(f'{v:.2%}' for v in values)})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2, help="teacher epochs")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N train and test images")
    parser.add_argument("--student-limit", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--finetune-epochs", type=int, default=1)
    parser.add_argument("--finetune-limit", type=int, default=None, help="fine-tune on the first N images only")
    parser.add_argument("--data-dir", "--root", dest="root", default=None,
                        help="folder holding the MNIST IDX files (default: $TINYGRAD_EDU_DATA)")
    parser.add_argument("--teacher", default=None, help="load the teacher from this file if it exists, else save it")
    parser.add_argument("--student-epochs", type=int, default=1)
    parser.add_argument("--temperature", type=float, default=4.0)
    parser.add_argument("--alpha", type=float, default=0.9)
    parser.add_argument("--parts", default="int8,distill,prune",
                        help="which measurements, comma-separated: int8, distill, prune, timing (interleaved)")
    args = parser.parse_args(argv)
    run(args.epochs, args.limit, args.student_limit, args.seeds, args.repeats, args.finetune_epochs, args.root,
        args.finetune_limit, args.teacher, args.student_epochs, args.temperature, args.alpha,
        tuple(args.parts.split(",")))


if __name__ == "__main__":
    try:
        main()
    except DatasetMissing as error:  # one line, no traceback
        sys.exit(f"python -m tinygrad_edu.train.compress_mnist: error: {error}")

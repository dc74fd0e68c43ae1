"""The transfer-learning measurement of docs/transfer-learning.md: MNIST → Fashion-MNIST with 1,000 labels.

    python -m tinygrad_edu.train.transfer_experiment --data-dir DIR [--seeds 0 1 2] [--out results.json]

Pre-trains one MobileNetV2-small on MNIST digits (seed 0), then for each seed draws another 1,000 labelled
Fashion-MNIST images (and 500 validation images, and 2,000 test images from the test split) and runs the three
recipes of ``transfer.py``: frozen backbone + new head, fine-tuned top blocks, the same network from scratch.
Writes every curve and test accuracy to a JSON file, which the notebook and the docs read.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..models import mobilenet_v2_small
from . import transfer as T


def make_backbone(classes: int, width_mult: float = 0.5) -> Any:
    return mobilenet_v2_small(num_classes=classes, width_mult=width_mult)


def curves(result: T.RunResult) -> dict[str, list[float]]:
    """The per-epoch values of one run (loss, accuracy, val_loss, val_accuracy)."""
    return {key: [float(v) for v in result.history.history[key]] for key in ("loss", "accuracy", "val_loss",
                                                                               "val_accuracy")}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ and fashion-mnist/")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--pretrain-images", type=int, default=12000)
    parser.add_argument("--pretrain-epochs", type=int, default=2)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--scratch-max-epochs", type=int, default=100)
    parser.add_argument("--out", default="transfer_results.json")
    args = parser.parse_args(argv)
    recipe = T.Recipe(patience=args.patience, max_epochs=args.max_epochs, scratch_max_epochs=args.scratch_max_epochs)
    sizes = T.Sizes(source_train=args.pretrain_images)
    start = time.perf_counter()
    source, _ = T.mnist_to_fashion(args.data_dir, sizes, seed=0)
    pre = T.pretrain(make_backbone, source, epochs=args.pretrain_epochs, seed=0)
    print(f"pre-trained on {source.describe()}: test accuracy {pre.test_accuracy:.4f} in {pre.seconds:.0f} s",
          flush=True)
    report: dict[str, Any] = {"recipe": asdict(recipe), "sizes": asdict(sizes), "pretrain": {
        "test_accuracy": pre.test_accuracy, "seconds": pre.seconds, "epochs": args.pretrain_epochs}, "seeds": {}}
    runs = []
    for seed in args.seeds:
        _, target = T.mnist_to_fashion(args.data_dir, sizes, seed=seed)
        results = T.transfer(pre.extra["model"], make_backbone, target, recipe, seed=seed)
        runs.append(results)
        report["seeds"][str(seed)] = {name: {"test_accuracy": r.test_accuracy, "epochs": r.epochs,
                                             "best_epoch": r.best_epoch, "seconds": r.seconds, **curves(r)}
                                      for name, r in results.items()}
        print(f"seed {seed}: " + ", ".join(f"{n} {r.test_accuracy:.4f} ({r.epochs} epochs, {r.seconds:.0f} s)"
                                           for n, r in results.items()), flush=True)
        report["summary"] = T.summarize(runs)
        report["seconds"] = time.perf_counter() - start
        Path(args.out).write_text(json.dumps(report, indent=1))
    for name, s in report["summary"].items():
        print(f"{name:>10}: {100 * s['mean']:.2f} ± {100 * s['std']:.2f} % (min {100 * s['min']:.2f}, "
              f"max {100 * s['max']:.2f}, {s['n']} seeds)")
    return report


if __name__ == "__main__":
    main()

"""The transfer-learning measurement of docs/transfer-learning.md: MNIST → Fashion-MNIST with 1,000 labels.

    python -m tinygrad_edu.train.transfer_experiment --data-dir DIR [--seeds 0 1 2] [--out results.json]

``--pretrained FILE`` keeps the pre-trained network: written when FILE is missing, read when it exists, so that
seeds can run in separate processes (``--seeds 1``) on one pre-training; ``--merge a.json b.json …`` joins their
result files and prints the summary.

Pre-trains one MobileNetV2-small on MNIST digits (seed 0), then for each seed draws another 1,000 labelled
Fashion-MNIST images (and 500 validation images, and 2,000 test images from the test split) and runs the three
recipes of ``transfer.py``: frozen backbone + new head, fine-tuned top blocks, the same network from scratch.
Writes every curve and test accuracy to a JSON file, which the notebook and the docs read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .. import serialization
from ..data import DatasetNotFoundError
from ..data.mnist import ENV_VAR
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
    parser.add_argument("--finetune-max-epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, default=1e-4, help="the head's learning rate (the document's 1e-4)")
    parser.add_argument("--unfreeze-top", type=int, default=3)
    parser.add_argument("--finetune-batchnorm", action="store_true", help="let the unfrozen blocks' BatchNorm train")
    parser.add_argument("--scratch-max-epochs", type=int, default=100)
    parser.add_argument("--out", default="transfer_results.json")
    parser.add_argument("--pretrained", default=None, help="file for the pre-trained network (read or written)")
    parser.add_argument("--merge", nargs="+", default=None, help="result files to join (nothing is trained)")
    args = parser.parse_args(argv)
    if args.merge:
        return merge(args.merge, args.out)
    recipe = T.Recipe(lr=args.lr, unfreeze_top=args.unfreeze_top, finetune_batchnorm=args.finetune_batchnorm,
                      patience=args.patience, max_epochs=args.max_epochs, finetune_max_epochs=args.finetune_max_epochs,
                      scratch_max_epochs=args.scratch_max_epochs)
    sizes = T.Sizes(source_train=args.pretrain_images)
    start = time.perf_counter()
    source, _ = T.mnist_to_fashion(args.data_dir, sizes, seed=0)
    if args.pretrained and Path(args.pretrained).exists():
        saved = serialization.load(args.pretrained)
        model = make_backbone(len(source.classes))
        model.load_state_dict(saved["model"])
        pre = T.RunResult("pretrain", None, saved["test_accuracy"], args.pretrain_epochs, args.pretrain_epochs,
                          saved["seconds"], extra={"model": model})
    else:
        pre = T.pretrain(make_backbone, source, epochs=args.pretrain_epochs, seed=0)
        if args.pretrained:
            serialization.save({"model": pre.extra["model"].state_dict(), "test_accuracy": pre.test_accuracy,
                                "seconds": pre.seconds}, args.pretrained)
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
    print_summary(report.get("summary", {}))
    return report


def print_summary(summary: dict[str, dict[str, float]]) -> None:
    for name, s in summary.items():
        print(f"{name:>10}: {100 * s['mean']:.2f} ± {100 * s['std']:.2f} % (min {100 * s['min']:.2f}, "
              f"max {100 * s['max']:.2f}, {s['n']} seeds)")


def merge(paths: list[str], out: str) -> dict[str, Any]:
    """Join result files of separate seeds (same pre-training) into one, with the summary over all seeds."""
    reports = [json.loads(Path(p).read_text()) for p in paths]
    joined = dict(reports[0])
    joined["seeds"] = {seed: runs for r in reports for seed, runs in r["seeds"].items()}
    joined["seconds_per_process"] = [r["seconds"] for r in reports]
    summary = {}
    for name in next(iter(joined["seeds"].values())):
        values = [runs[name]["test_accuracy"] for runs in joined["seeds"].values()]
        std = float(statistics.stdev(values)) if len(values) > 1 else 0.0
        summary[name] = {"mean": float(statistics.fmean(values)), "std": std, "min": min(values),
                         "max": max(values), "n": len(values)}
    joined["summary"] = summary
    Path(out).write_text(json.dumps(joined, indent=1))
    print_summary(summary)
    return joined


if __name__ == "__main__":
    try:
        main()
    except DatasetNotFoundError as error:  # one line, no traceback: what is missing and where to say where it is
        missing = str(error).splitlines()[0].removesuffix(" Looked in:")
        sys.exit(f"python -m tinygrad_edu.train.transfer_experiment: error: {missing} Give the folder holding "
                 f"mnist/ and fashion-mnist/ with --data-dir DIR or the {ENV_VAR} environment variable")

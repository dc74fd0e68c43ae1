"""Time to 99% MNIST test accuracy, ours against PyTorch: the same draws, the two sides taking turns.

    python -m tinygrad_edu.bench.mnist_race --data-dir DIR [--seeds 0 1 2] [--epochs 3] [--segment 235]
                                            [--threads 2] [--target 0.99] [--json FILE]

Run one after the other (``python -m tinygrad_edu.train``, then ``python -m tinygrad_edu.bench.mnist_torch``),
the two trainers race under two handicaps that have nothing to do with their speed: the machine's speed drifts
by up to 2× within minutes, between the two runs; and the two draw different initial weights, batch orders and
augmentations, so which of them needs a third epoch to pass 99% depends on the seed more than on the engine
(docs/benchmarks.md: per epoch the two were level and ours was first with 1 seed of 3). Here:

1. each side runs in a process of its own with the same thread count (``bench.fair.child_environment``); both
   build the recipe of ``python -m tinygrad_edu.train --model cnn --dataset mnist`` with the same seed through
   ``train.cli.build_recipe``: PyTorch's network (``bench.kernels.torch_documents_cnn``) starts from our initial
   weights (the same ``state_dict`` keys), and both sides read the same batches in the same order from our
   loader, augmented by our RandomAffine (NumPy, the same cost on both sides), and step Adam along the same
   one-cycle schedule. The parent checks that the two saw the same initial weights and the same first batch;
2. the sides take turns: ``segment`` training steps of ours, a pause (the other process's BLAS threads go to
   sleep, as in bench.fair), the same steps of PyTorch's, then PyTorch's again, ours, ours, … (ABBA: neither
   side always runs right after the other), to the end of the run. A side's training
   seconds count loading, augmentation, forward, backward and the update; the test accuracy after each segment
   is measured outside them;
3. a side's time to the target is the sum of its training seconds up to the first evaluation at or above it.

Before the clock starts each side runs one step of a copy of its model and one evaluation: that loads our
compiled kernels from Numba's cache (1.5–4 s here), as importing PyTorch loads its own; the ``ready`` line reports it.

The two still part ways: their rounding differs, and the gap grows over the steps, so the two accuracy curves
are close but not equal; evaluating every ``segment`` steps (a quarter epoch by default) rather than once an
epoch keeps a small difference between the curves from deciding the race by a whole epoch.

Children speak JSON lines over their standard input and output: once ready, a child says ``{"ready", "warmup",
"weights"}`` (the parent waits for both before the first segment); ``train`` → ``{"seconds", "steps", "accuracy",
"done"}`` (the first also ``"first_batch"``: the sums of the initial weights and of the first batch must agree
between the sides); ``quit`` ends them.

Benchmark code: it needs PyTorch (its side imports it) and the MNIST files (or ``--dataset shapes``).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import backend, optim
from ..nn import functional as F
from ..tensor import Tensor
from ..train import cli
from ..train.fit import evaluate
from .fair import ChildProcess, child_environment
from .kernels import torch_documents_cnn

SIDES = ("ours", "torch")


# ------------------------------------------------------------------------------------------------ child


def _recipe_args(dataset: str, data_dir: str | None, epochs: int, seed: int, limit: int | None) -> argparse.Namespace:
    argv = ["--model", "cnn", "--dataset", dataset, "--epochs", str(epochs), "--seed", str(seed), "--quiet"]
    argv += ["--data-dir", data_dir] if data_dir else []
    argv += ["--limit", str(limit)] if limit else []
    return cli.parse_args(argv)


def _batches(loader: Any, epochs: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every training batch of the run as NumPy arrays, epoch after epoch (each epoch reshuffles)."""
    for _ in range(epochs):
        for images, labels in loader:
            yield backend.to_numpy(images.data), backend.to_numpy(labels.data)


class _OurTrainer:
    def __init__(self, recipe: Any) -> None:
        self.recipe, self.loss = recipe, F.cross_entropy

    def step(self, images: np.ndarray, labels: np.ndarray) -> None:
        recipe = self.recipe
        recipe.optimizer.zero_grad()
        self.loss(recipe.model(Tensor(images)), Tensor(labels)).backward()
        recipe.optimizer.step()
        recipe.scheduler.step()

    def warm_up(self) -> None:
        """One step of a copy of the model on a batch of zeros: loads the compiled kernels (Numba's cache) before
        the clock starts, as ``import torch`` loads PyTorch's, and draws no random number."""
        model = copy.deepcopy(self.recipe.model)
        optimizer = optim.Adam(model.parameters())
        batch = self.recipe.loader.batch_size
        self.loss(model(Tensor(np.zeros((batch, 1, 28, 28), np.float32))), Tensor(np.zeros(batch, np.int64))).backward()
        optimizer.step()
        self.accuracy()

    def accuracy(self) -> float:
        return float(evaluate(self.recipe.model, self.recipe.test_set)["accuracy"])


class _TorchTrainer:
    def __init__(self, recipe: Any, threads: int, total_steps: int, lr: float) -> None:
        import torch

        torch.set_num_threads(threads)
        self.torch, self.batch = torch, recipe.loader.batch_size
        state = {name: np.array(backend.to_numpy(value.data)) for name, value in recipe.model.state_dict().items()}
        self.model = torch_documents_cnn(torch, classes=state[list(state)[-1]].shape[0])  # the last bias
        self.model.load_state_dict({name: torch.from_numpy(value) for name, value in state.items()})
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, cli.one_cycle(total_steps))
        images, labels = recipe.test_set.get_batch(np.arange(len(recipe.test_set)))
        self.test = torch.from_numpy(backend.to_numpy(images)), torch.from_numpy(backend.to_numpy(labels))

    def step(self, images: np.ndarray, labels: np.ndarray) -> None:
        torch = self.torch
        self.optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(self.model(torch.from_numpy(images)), torch.from_numpy(labels))
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()

    def warm_up(self) -> None:
        """As ``_OurTrainer.warm_up``: one step of a copy, one evaluation."""
        torch = self.torch
        model = copy.deepcopy(self.model)
        optimizer = torch.optim.Adam(model.parameters())
        images, labels = torch.zeros(self.batch, 1, 28, 28), torch.zeros(self.batch, dtype=torch.int64)
        torch.nn.functional.cross_entropy(model(images), labels).backward()
        optimizer.step()
        self.accuracy()

    def accuracy(self) -> float:
        torch = self.torch
        self.model.eval()
        images, labels = self.test
        with torch.no_grad():
            correct = sum(int((self.model(images[i:i + 1000]).argmax(1) == labels[i:i + 1000]).sum())
                          for i in range(0, len(images), 1000))
        self.model.train()
        return correct / len(images)


def child(side: str, dataset: str, data_dir: str | None, epochs: int, seed: int, limit: int | None,
          segment: int, threads: int, stdin: Any = sys.stdin, stdout: Any = sys.stdout) -> None:
    """Build the recipe and train ``segment`` steps per ``train`` command (the module docstring's protocol)."""
    args = _recipe_args(dataset, data_dir, epochs, seed, limit)
    recipe = cli.build_recipe(args)
    total = epochs * len(recipe.loader)
    weights = float(sum(np.sum(backend.to_numpy(v.data), dtype=np.float64) for v in recipe.model.state_dict().values()))
    if side == "ours":
        trainer: Any = _OurTrainer(recipe)
    else:
        trainer = _TorchTrainer(recipe, threads, total, recipe.scheduler.base_lrs[0])  # the peak lr
    warmup = time.perf_counter()
    trainer.warm_up()
    warmup = time.perf_counter() - warmup
    stdout.write(json.dumps({"ready": True, "warmup": warmup, "weights": weights}) + "\n")  # the parent waits for
    stdout.flush()  # both sides: a child still starting would slow the other's first segment (3.5 s of 12 s)
    batches = _batches(recipe.loader, epochs)
    done = 0
    first: float | None = None
    for command in stdin:
        command = command.strip()
        if command == "quit":
            return
        if command != "train":
            continue
        start = time.perf_counter()
        steps = 0
        for images, labels in batches:
            if first is None:
                first = float(np.sum(images, dtype=np.float64))
            trainer.step(images, labels)
            steps += 1
            if steps == segment:
                break
        seconds = time.perf_counter() - start
        done += steps
        answer = {"seconds": seconds, "steps": steps, "accuracy": trainer.accuracy(), "done": done >= total}
        if done == steps:
            answer["first_batch"] = first
        stdout.write(json.dumps(answer) + "\n")
        stdout.flush()


# ----------------------------------------------------------------------------------------------- parent


def time_to_target(history: Sequence[dict[str, Any]], target: float) -> float | None:
    """The summed training seconds up to the first evaluation at or above ``target``; None if never."""
    total = 0.0
    for entry in history:
        total += entry["seconds"]
        if entry["accuracy"] >= target:
            return total
    return None


def _start(side: str, options: argparse.Namespace, seed: int) -> Any:
    """The ``side`` child for ``seed`` (bench.fair's ChildProcess: a command line in, one JSON line out)."""
    command = [sys.executable, "-m", "tinygrad_edu.bench.mnist_race", "--child", side, "--dataset", options.dataset,
               "--epochs", str(options.epochs), "--seed", str(seed), "--segment", str(options.segment),
               "--threads", str(options.threads)]
    command += ["--data-dir", options.data_dir] if options.data_dir else []
    command += ["--limit", str(options.limit)] if options.limit else []
    return ChildProcess(side, command, child_environment(options.threads))


def race(options: argparse.Namespace, seed: int, pause_s: float = 0.5) -> dict[str, Any]:
    """One seed: both sides to the end of the run in alternating segments; every segment kept."""
    sides = {name: _start(name, options, seed) for name in SIDES}
    history: dict[str, list[dict[str, Any]]] = {name: [] for name in SIDES}
    try:
        ready = {name: side.ask(None) for name, side in sides.items()}
        finished = False
        while not finished:  # ours, PyTorch, PyTorch, ours, ours, …: neither always follows the other
            for name in SIDES if len(history["ours"]) % 2 == 0 else SIDES[::-1]:
                time.sleep(pause_s)
                history[name].append(sides[name].ask("train"))
            finished = all(history[name][-1]["done"] for name in SIDES)
    finally:
        for side in sides.values():
            side.close()
    starts = {name: (ready[name]["weights"], history[name][0]["first_batch"]) for name in SIDES}
    if starts["ours"] != starts["torch"]:
        raise RuntimeError(f"the two sides did not start from the same draws (sums of the initial weights and of the "
                           f"first batch): ours {starts['ours']}, PyTorch {starts['torch']}")
    times = {name: time_to_target(history[name], options.target) for name in SIDES}
    return {"seed": seed, "ready": ready, "history": history, "time_to_target": times,
            "seconds": {name: sum(e["seconds"] for e in history[name]) for name in SIDES}}


def format_race(result: dict[str, Any], target: float) -> str:
    lines = [f"seed {result['seed']}:   steps   ours s  ours acc.   torch s  torch acc."]
    totals = dict.fromkeys(SIDES, 0.0)
    steps = 0
    for ours, torch in zip(result["history"]["ours"], result["history"]["torch"], strict=True):
        steps += ours["steps"]
        totals["ours"] += ours["seconds"]
        totals["torch"] += torch["seconds"]
        lines.append(f"          {steps:7d} {totals['ours']:8.1f} {ours['accuracy']:10.2%} {totals['torch']:9.1f} "
                     f"{torch['accuracy']:10.2%}")
    reached = {name: "never" if t is None else f"{t:.1f} s" for name, t in result["time_to_target"].items()}
    lines.append(f"          to {target:.1%}: ours {reached['ours']}, PyTorch {reached['torch']}; training time "
                 f"ours/PyTorch {totals['ours'] / totals['torch']:.2f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.bench.mnist_race",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="the folder holding the MNIST IDX files")
    parser.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist", "shapes"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)  # a child's
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--segment", type=int, default=235, help="training steps between evaluations (235: ¼ epoch)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N train and test samples")
    parser.add_argument("--json", default=None, help="write every segment of every seed to this file")
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        child(options.child, options.dataset, options.data_dir, options.epochs, options.seed, options.limit,
              options.segment, options.threads)
        return 0
    try:
        import torch  # noqa: F401  (only to fail early here rather than in a child)
    except ImportError:
        print("mnist_race: PyTorch is not installed (pip install torch)", file=sys.stderr)
        return 2
    results = []
    for seed in options.seeds:
        result = race(options, seed)
        print(format_race(result, options.target), flush=True)
        results.append(result)
    reached = [r["time_to_target"] for r in results]
    wins = sum(1 for t in reached if t["ours"] is not None and (t["torch"] is None or t["ours"] < t["torch"]))
    ratios = [r["seconds"]["ours"] / r["seconds"]["torch"] for r in results]
    print(f"ours first to {options.target:.1%} with {wins} of {len(results)} seeds; training time ours/PyTorch, "
          f"median over seeds {statistics.median(ratios):.2f}")
    if options.json:
        with open(options.json, "w") as f:
            json.dump({"settings": vars(options), "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

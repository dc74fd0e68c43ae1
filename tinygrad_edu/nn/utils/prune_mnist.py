"""The pruning acceptance run: the documents' CNN on MNIST, pruned to 80% sparsity and fine-tuned for one epoch.

    python -m tinygrad_edu.nn.utils.prune_mnist                    # 3 epochs of training, then prune + 1 epoch
    python -m tinygrad_edu.nn.utils.prune_mnist --epochs 2 --amount 0.9 --method layer

1. train the CNN of ``train/mnist_cnn.py`` (Conv 32 → pool → Conv 64 → pool → Conv 64 → Dense 64 → Dense 10)
   with that file's recipe: Adam, one-cycle learning rate, light augmentation;
2. measure its test accuracy;
3. prune ``--amount`` (80%) of the weights of every convolution and dense layer by magnitude — one global
   threshold (``--method global``, the default) or the same fraction in each layer (``--method layer``); biases
   are kept;
4. measure the accuracy of the pruned network as it is;
5. fine-tune for ``--finetune-epochs`` (1) epoch with the masks in place (Adam, lr 5·10⁻⁴ decaying to 0 along a
   cosine), and measure again.

The acceptance criterion is printed at the end: the fine-tuned pruned network loses at most 0.5 percentage points
of test accuracy against the dense one.
"""

from __future__ import annotations

import argparse
import math
import time

from ... import backend, optim
from ...data import DataLoader, transforms
from ...train.fit import evaluate, fit
from ...train.mnist_cnn import keras_cnn, load_data, one_cycle
from .. import functional as F
from . import prune

ACCEPTED_DROP_PP = 0.5


def cosine_to_zero(total_steps: int):
    """f(t) = ½ (1 + cos(π t / T)): the fine-tuning learning rate's factor, from 1 down to 0 at the last step."""
    return lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / max(1, total_steps)))


def run(epochs: int = 3, amount: float = 0.8, method: str = "global", finetune_epochs: int = 1,
        batch_size: int = 64, root: str | None = None, limit: int | None = None, seed: int = 0,
        progress: bool | str = "auto") -> dict[str, float]:
    """Train, prune, fine-tune; print and return the accuracies, the sparsity and the drop."""
    backend.manual_seed(seed)
    train_set, test_set = load_data("mnist", root, limit)
    augmentation = transforms.RandomAffine(degrees=8, translate=0.07, zoom=0.07)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, transform=augmentation)
    model = keras_cnn()

    start = time.perf_counter()
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, one_cycle(epochs * len(loader)))
    fit(model, F.cross_entropy, optimizer, loader, epochs=epochs, scheduler=scheduler, scheduler_interval="step",
        progress=progress)
    train_seconds = time.perf_counter() - start
    dense = evaluate(model, test_set)["accuracy"]

    layers = prune.prunable(model)
    if method == "global":
        prune.global_unstructured(layers, amount=amount)
    else:
        for module, name in layers:
            prune.l1_unstructured(module, name, amount=amount)
    report = prune.sparsity(model)
    pruned = evaluate(model, test_set)["accuracy"]

    start = time.perf_counter()
    optimizer = optim.Adam(model.parameters(), lr=5e-4)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, cosine_to_zero(finetune_epochs * len(loader)))
    fit(model, F.cross_entropy, optimizer, loader, epochs=finetune_epochs, scheduler=scheduler,
        scheduler_interval="step", progress=progress)
    finetune_seconds = time.perf_counter() - start
    finetuned = evaluate(model, test_set)["accuracy"]
    after = prune.sparsity(model)

    drop = 100 * (dense - finetuned)
    print(f"MNIST, the documents' CNN ({sum(p.size for p in model.parameters()):,} parameters), {epochs} epoch(s) of "
          f"training ({train_seconds:.0f} s), {method} magnitude pruning of {amount:.0%} of the weights, "
          f"{finetune_epochs} epoch(s) of fine-tuning ({finetune_seconds:.0f} s)")
    print(report)
    print(f"test accuracy, dense:                 {dense:.2%}")
    print(f"test accuracy, pruned, before tuning: {pruned:.2%}")
    print(f"test accuracy, pruned and fine-tuned: {finetuned:.2%}   "
          f"(weight sparsity still {after.global_sparsity:.2%})")
    verdict = "PASS" if drop <= ACCEPTED_DROP_PP else "FAIL"
    print(f"drop: {drop:+.2f} percentage points (accepted: at most {ACCEPTED_DROP_PP}) → {verdict}")
    return {"dense": dense, "pruned": pruned, "finetuned": finetuned, "sparsity": after.global_sparsity,
            "drop_pp": drop}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs of training before pruning (default 3)")
    parser.add_argument("--amount", type=float, default=0.8, help="fraction of the weights to prune (default 0.8)")
    parser.add_argument("--method", choices=["global", "layer"], default="global")
    parser.add_argument("--finetune-epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--root", default=None, help="folder holding the MNIST IDX files")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N train and test samples")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    backend.use(args.device)
    run(args.epochs, args.amount, args.method, args.finetune_epochs, args.batch_size, args.root, args.limit,
        args.seed)


if __name__ == "__main__":
    main()

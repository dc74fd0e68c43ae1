"""The documents' CNN on MNIST with PyTorch, the recipe of ``python -m tinygrad_edu.train --model cnn``.

    python -m tinygrad_edu.bench.mnist_torch --data-dir /path/with/mnist [--epochs 5] [--threads 2]

The same network (``bench/kernels.py``'s ``torch_documents_cnn``), Adam at a peak lr of 2·10⁻³, batch 64, the
one-cycle schedule stepped every batch (linear warm-up from lr/10 over the first 10% of the steps, cosine decay
to lr/1000), and the light augmentation of our trainer: each training image rotated by up to ±8°, shifted by up
to 7% and zoomed by up to ±7%, one affine resampling (bilinear, zeros outside). Pixels are scaled to [0, 1] as
ours. It prints, per epoch, the training wall-clock seconds (the test evaluation not included, as our trainer's
``EpochTimer``) and the test accuracy, so the two runs can be compared: which reaches 99.0% first, and when.

Benchmark code: it needs PyTorch (but not torchvision) and reads the IDX files itself.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..train.cli import one_cycle  # the same schedule as our trainer, by construction

FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def read_idx(path: str) -> np.ndarray:
    """An IDX file (gzip-compressed or not) as a uint8 array: magic (2 zero bytes, type 0x08, rank), sizes, data."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(rank))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def load_mnist(directory: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 1, 28, 28) float32 in [0, 1], labels int64) of the train or test split. ``directory`` holds
    the files, or a ``mnist`` folder that does (as our trainer's ``--data-dir``)."""
    if not any(os.path.exists(os.path.join(directory, FILES[split][0] + end)) for end in ("", ".gz")):
        directory = os.path.join(directory, "mnist")
    arrays = []
    for name in FILES[split]:
        path = os.path.join(directory, name)
        path = path if os.path.exists(path) else path + ".gz"
        arrays.append(read_idx(path))
    images, labels = arrays
    return (images.astype(np.float32) / np.float32(255))[:, None], labels.astype(np.int64)


def random_affine(torch: Any, images: Any, generator: Any, degrees: float = 8.0, translate: float = 0.07,
                  zoom: float = 0.07) -> Any:
    """Each image rotated, shifted and zoomed at random (one bilinear resampling, zeros from outside)."""
    n = images.shape[0]
    theta = torch.empty(n).uniform_(-degrees, degrees, generator=generator) * math.pi / 180
    scale = torch.empty(n).uniform_(1 - zoom, 1 + zoom, generator=generator)
    shift = torch.empty(n, 2).uniform_(-1, 1, generator=generator) * translate * 2  # grid units: the image is 2 wide
    cos, sin = torch.cos(theta) / scale, torch.sin(theta) / scale
    matrix = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = torch.nn.functional.affine_grid(matrix, list(images.shape), align_corners=False)
    return torch.nn.functional.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def accuracy(torch: Any, model: Any, images: Any, labels: Any, batch: int = 1000) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), batch):
            correct += (model(images[start:start + batch]).argmax(1) == labels[start:start + batch]).sum().item()
    model.train()
    return correct / len(images)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.bench.mnist_torch",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="the folder holding the four MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=None, help="PyTorch's threads (default: its own)")
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N train and test samples")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("mnist_torch: PyTorch is not installed (pip install torch)", file=sys.stderr)
        return 2
    from .kernels import torch_documents_cnn

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train_x, train_y = (torch.from_numpy(a) for a in load_mnist(args.data_dir, "train"))
    test_x, test_y = (torch.from_numpy(a) for a in load_mnist(args.data_dir, "test"))
    if args.limit:
        train_x, train_y, test_x, test_y = (a[:args.limit] for a in (train_x, train_y, test_x, test_y))
    model = torch_documents_cnn(torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = math.ceil(len(train_x) / args.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, one_cycle(args.epochs * steps_per_epoch))
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; mnist / cnn, "
          f"augmentation: {'none' if args.no_augment else 'RandomAffine(8°, 7%, 7%)'}")
    total = 0.0
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(train_x), generator=generator)
        for first in range(0, len(train_x), args.batch_size):
            index = order[first:first + args.batch_size]
            images = train_x[index]
            if not args.no_augment:
                images = random_affine(torch, images, generator)
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(images), train_y[index]).backward()
            optimizer.step()
            scheduler.step()
        seconds = time.perf_counter() - start
        total += seconds
        print(f"epoch {epoch}: {seconds:.1f} s (total {total:.1f} s), test accuracy "
              f"{accuracy(torch, model, test_x, test_y):.4f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

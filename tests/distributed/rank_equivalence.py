"""Run under ``mpiexec -n p`` (or alone): 20 SGD steps of the documents' CNN on a fixed synthetic batch sequence.

Each global batch of ``--global-batch`` samples is cut into p contiguous shards, one per rank; the model is
wrapped in DistributedDataParallel. Rank 0 writes the final weights to ``--out`` (an .npz file). Alone, the same
script is the 1-process reference with the whole batch. ``--accumulate k`` cuts each rank's shard into k
micro-batches, the first k − 1 under ``no_sync()``.
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import distributed as dist
from tinygrad_edu import optim
from tinygrad_edu.models import DocumentsCNN
from tinygrad_edu.nn import functional as F


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--accumulate", type=int, default=1)
    parser.add_argument("--bucket-mb", type=float, default=0.05)  # several buckets even for this small CNN
    parser.add_argument("--optimizer", default="sgd")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    dist.init()
    p, r = dist.world_size(), dist.rank()
    tg.manual_seed(1000 + r)  # different on each rank: DDP must broadcast rank 0's initial weights
    model = DocumentsCNN()
    if r == 0:
        tg.manual_seed(0)
        model = DocumentsCNN()  # rank 0 draws the same weights as the 1-process run
    dtype = np.float64 if args.dtype == "float64" else np.float32
    if dtype == np.float64:
        model = model.double()
    model = model.to(args.device)
    ddp = dist.DistributedDataParallel(model, bucket_mb=args.bucket_mb) if p > 1 else model
    if args.optimizer == "zero-adam":
        optimizer = dist.ZeroRedundancyOptimizer(model.parameters(), optim.Adam, lr=1e-3)
    elif args.optimizer == "adam":
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    data = np.random.default_rng(7)
    images = data.standard_normal((args.steps * args.global_batch, 1, 28, 28)).astype(dtype)
    labels = data.integers(0, 10, args.steps * args.global_batch)
    shard = args.global_batch // p
    micro = shard // args.accumulate
    for step in range(args.steps):
        lo = step * args.global_batch + r * shard
        optimizer.zero_grad()
        for k in range(args.accumulate):
            x = tg.Tensor(images[lo + k * micro: lo + (k + 1) * micro]).to(args.device)
            y = tg.Tensor(labels[lo + k * micro: lo + (k + 1) * micro]).to(args.device)
            last = k == args.accumulate - 1
            if p > 1 and not last:
                with ddp.no_sync():
                    loss = F.cross_entropy(ddp(x), y) / args.accumulate
                    loss.backward()
            else:
                loss = F.cross_entropy(ddp(x), y) / args.accumulate
                loss.backward()
        optimizer.step()
    if r == 0:
        np.savez(args.out, **{name: tg.to_numpy(t) for name, t in model.state_dict().items()})
    weights = np.concatenate([tg.to_numpy(t).ravel() for t in model.parameters()])
    checksum = float(np.abs(weights).sum())
    same = dist.all_reduce_numbers({"max": checksum}, "max")["max"] == dist.all_reduce_numbers(
        {"min": checksum}, "min")["min"]
    print(f"rank {r}: done, identical weights on all ranks: {same}", flush=True)


if __name__ == "__main__":
    main()

"""``DistributedSampler``: which samples each rank sees in an epoch (PyTorch's rule, index for index).

Every rank draws the same permutation of the n indices (seeded by ``seed + epoch``, so call ``set_epoch`` at each
epoch for a new order), pads it to a multiple of p by repeating its first indices (or drops the tail with
``drop_last``), and takes every p-th index from its rank on: rank r gets ``order[r::p]``. The shards are disjoint
apart from the padding, and all have the same length, so every rank makes the same number of steps (a rank with
one step more would wait forever in an all-reduce).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .process_group import rank as current_rank
from .process_group import world_size


class DistributedSampler:
    """Indices of this rank's shard of ``dataset`` (anything with ``len``) for one epoch.

    ``DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False)``:
    ``num_replicas`` and ``rank`` default to the process group's. Pass it as ``DataLoader(..., sampler=s)``.
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        num_replicas = world_size() if num_replicas is None else int(num_replicas)
        rank = current_rank() if rank is None else int(rank)
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler(num_replicas={num_replicas}): there must be at least one rank")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler(rank={rank}): the rank must be in [0, {num_replicas - 1}] "
                             f"for num_replicas={num_replicas}")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last = shuffle, int(seed), drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)  # PyTorch's count: drop the tail
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of ``epoch`` (the same on every rank); call it before each epoch."""
        self.epoch = int(epoch)

    def indices(self) -> np.ndarray:
        """This rank's indices for the current epoch, as an int64 array of length ``len(self)``."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            order = order[: self.total_size]
        elif self.total_size > n and n > 0:
            repeats = math.ceil((self.total_size - n) / n)
            order = np.concatenate([order, np.tile(order, repeats)[: self.total_size - n]])
        return order[self.rank : self.total_size : self.num_replicas].astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.seed = int(state.get("epoch", self.epoch)), int(state.get("seed", self.seed))

    def __repr__(self) -> str:
        return (f"DistributedSampler(num_replicas={self.num_replicas}, rank={self.rank}, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last}, epoch={self.epoch})")

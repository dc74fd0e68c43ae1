"""What ``fit(..., distributed=True)`` changes, kept apart from the loop: the model wrapped in
DistributedDataParallel, the training data cut into one shard per rank, validation split without padding, and the
per-rank sums of loss and metrics added up so that every rank logs the numbers of the whole data set.

Under ``mpiexec -n p`` with p > 1 this happens by itself (``distributed=None``); a plain process is a world of one
and trains exactly as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..data.dataset import Subset
from ..data.loader import DataLoader


def resolve(distributed: bool | None) -> int:
    """The number of ranks ``fit`` trains on: 1 unless ``distributed`` (or, for None, a launcher started > 1)."""
    from .. import distributed as dist

    if distributed is False:
        return 1
    if distributed is None and dist.launched_size() <= 1 and not dist.is_initialized():
        return 1
    return dist.init().size


def unwrap(model: Any) -> Any:
    """The model inside a DistributedDataParallel wrapper (the model itself otherwise)."""
    from ..distributed import DistributedDataParallel

    return model.module if isinstance(model, DistributedDataParallel) else model


def wrap(model: Any) -> Any:
    from ..distributed import DistributedDataParallel

    return model if isinstance(model, DistributedDataParallel) else DistributedDataParallel(model)


def shard_train_loader(loader: DataLoader) -> DataLoader:
    """The same loader over this rank's shard (a DistributedSampler seeded alike on every rank); the batch size
    stays the per-rank batch, as in PyTorch, so the global batch is p × batch_size."""
    from .. import distributed as dist

    if loader.sampler is not None:
        return loader
    seed = loader.seed if loader.seed is not None else (backend.initial_seed() or 0)
    sampler = dist.DistributedSampler(loader.dataset, shuffle=loader.shuffle, seed=dist.broadcast_object(seed))
    return DataLoader(loader.dataset, batch_size=loader.batch_size, drop_last=loader.drop_last,
                      transform=loader.transform, sampler=sampler)


def shard_eval_loader(loader: DataLoader) -> DataLoader:
    """Rank r evaluates samples r, r + p, r + 2p, …: no padding, so the summed results are exactly those of the
    whole data set."""
    from .. import distributed as dist

    indices = np.arange(dist.rank(), len(loader.dataset), dist.world_size())
    return DataLoader(Subset(loader.dataset, indices), batch_size=loader.batch_size, transform=loader.transform)


def global_means(totals: dict[str, Any], count: int) -> dict[str, float]:
    """Σ over ranks of each sample-weighted total, divided by Σ over ranks of the sample counts."""
    from .. import distributed as dist

    summed = dist.all_reduce_numbers({**{f"total:{k}": float(v) for k, v in totals.items()}, "count": count})
    n = summed.pop("count")
    return {name: summed[f"total:{name}"] / n for name in totals} if n else {}  # in the caller's order


def any_rank(flag: bool) -> bool:
    """True on every rank when ``flag`` is true on some rank (so that all ranks stop, or skip, together)."""
    from .. import distributed as dist

    return dist.all_reduce_numbers({"flag": float(flag)}, "max")["flag"] > 0

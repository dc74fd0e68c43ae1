"""Data-parallel training over MPI (mpi4py): the same script in p processes, each on its shard of every batch.

    mpiexec -n 2 python train.py          # two ranks; a plain `python train.py` is a world of one

    from tinygrad_edu import distributed as dist
    dist.init()
    model = dist.DistributedDataParallel(model)                      # same start, averaged gradients
    sampler = dist.DistributedSampler(train_set, shuffle=True)       # a disjoint shard per rank
    loader = DataLoader(train_set, batch_size=32, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        ...

or simply ``fit(..., distributed=True)`` (automatic under mpiexec), which does all of that. The lesson beside the
library: ``ring_all_reduce`` (reduce-scatter then all-gather over Sendrecv), the α–B cost model and its ping-pong
measurement (``cost_model``), and ZeRO stage 1 (``ZeroRedundancyOptimizer``). See docs/distributed.md.

mpi4py is imported only when a launcher started more than one rank (or ``init(use_mpi=True)``): without it every
script still runs as a world of one; where MPI is needed the error says: ``INSTALL_HINT``.
"""

from .cost_model import LinkModel, fit_link, ping_pong
from .ddp import DistributedDataParallel
from .launch import mpiexec, mpiexec_path, why_no_mpi
from .lr import scaled_lr, warmup_factor, zero_memory_bytes
from .process_group import (
    CLOCK,
    INSTALL_HINT,
    DistributedError,
    all_gather,
    all_reduce,
    all_reduce_array,
    all_reduce_numbers,
    barrier,
    broadcast,
    broadcast_object,
    chunk_bounds,
    communicator,
    init,
    is_initialized,
    is_main,
    launched_size,
    mpi_available,
    print0,
    rank,
    reduce_scatter,
    world_size,
)
from .ring import ring_all_reduce
from .sampler import DistributedSampler
from .sync_batchnorm import SyncBatchNorm
from .zero import ZeroRedundancyOptimizer

__all__ = [
    "CLOCK", "DistributedDataParallel", "DistributedError", "DistributedSampler", "INSTALL_HINT", "LinkModel",
    "SyncBatchNorm", "ZeroRedundancyOptimizer", "all_gather", "all_reduce", "all_reduce_array",
    "all_reduce_numbers", "barrier", "broadcast", "broadcast_object", "chunk_bounds", "communicator", "fit_link",
    "init", "is_initialized", "is_main", "launched_size", "mpi_available", "mpiexec", "mpiexec_path", "ping_pong",
    "print0", "rank", "reduce_scatter", "ring_all_reduce", "scaled_lr", "warmup_factor", "why_no_mpi", "world_size",
    "zero_memory_bytes",
]

"""``DistributedDataParallel``: the same model on every rank, each rank a different shard of the batch.

With a loss that averages over its batch, the gradient of the whole batch of p·b samples is the mean of the p
shard gradients (formula F95):

    ∇θ (1/(p·b)) Σᵢ ℓᵢ  =  (1/p) Σ_r  ∇θ (1/b) Σ_{i ∈ shard r} ℓᵢ

so after each rank's ``backward`` an all-reduce of the gradients divided by p gives every rank the gradient of the
whole batch, every rank's optimizer makes the same update, and the copies stay identical — provided they started
identical: the constructor broadcasts rank 0's parameters and buffers.

**Buckets.** One all-reduce per parameter would pay the latency α once per tensor; one for all gradients could only
start when backward is over. The gradients are packed into flat buckets of about ``bucket_mb`` MB, filled in the
order backward produces them (last layer first). A hook on each parameter (``Tensor.register_hook``) copies its
gradient into its bucket; when a bucket is full its all-reduce starts (non-blocking ``Iallreduce``) while backward
goes on computing the earlier layers' gradients. The hook of the last gradient waits for every bucket and writes
the averaged gradients into ``.grad``.

**no_sync().** Inside ``with ddp.no_sync():`` the backward passes only accumulate into ``.grad`` locally (gradient
accumulation); the first backward after it all-reduces the accumulated sum.

**Buffers.** BatchNorm's running mean and variance are not gradients: with ``broadcast_buffers=True`` (the
default, as PyTorch) rank 0's buffers are broadcast at every training-mode forward, and again when the model is
switched to evaluation (``ddp.eval()``, which every rank must call, as ``fit`` does), so all ranks evaluate with
the same statistics. ``SyncBatchNorm`` goes further: the statistics of the global batch in training.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .. import backend
from ..grad_mode import is_grad_enabled
from ..nn.module import Module
from ..tensor import Tensor
from .process_group import CLOCK, broadcast_array, init


class _Bucket:
    """A flat buffer holding the gradients of some parameters, all-reduced in one collective."""

    def __init__(self, params: list[Tensor]):
        self.params = params
        self.offsets: list[int] = []
        size = 0
        for p in params:
            self.offsets.append(size)
            size += p.data.size
        self.size = size
        self.dtype = params[0].dtype
        self.device = params[0].device
        self.flat: Any = None
        self.filled = 0
        self.request: Any = None

    def reset(self) -> None:
        self.flat = backend.array_module("numpy" if self.device == "cpu" else "cupy").empty(self.size, self.dtype)
        self.filled = 0
        self.request = None

    @property
    def nbytes(self) -> int:
        return self.size * self.flat.itemsize if self.flat is not None else 0


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training: ``ddp(x)`` is ``module(x)``; after ``loss.backward()`` every
    parameter's ``.grad`` holds the gradient averaged over all ranks.

    * ``bucket_mb``: the size of one gradient bucket in MB (PyTorch's ``bucket_cap_mb``, default 25).
    * ``broadcast_buffers``: broadcast rank 0's buffers (BatchNorm statistics) at each training forward.
    * ``find_unused_parameters``: look, after each forward, for parameters the output does not depend on, and
      count them as ready with a zero gradient (otherwise backward would wait for them forever and the next
      forward raises an error that names them).

    ``ddp.module`` is the wrapped model (save ``ddp.module.state_dict()`` for a checkpoint that loads anywhere).
    """

    def __init__(self, module: Module, bucket_mb: float = 25, broadcast_buffers: bool = True,
                 find_unused_parameters: bool = False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got {type(module).__name__}")
        if bucket_mb <= 0:
            raise ValueError(f"DistributedDataParallel(bucket_mb={bucket_mb}): the bucket size must be positive")
        self.module = module
        world = init()
        object.__setattr__(self, "_world", world)
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_mb = bucket_mb
        self._params = [p for p in module.parameters() if p.requires_grad]
        self._sync_enabled = True
        self._sync_this_backward = False
        self._ready = 0
        self._expected = 0
        self._ready_set: set[tuple[int, int]] = set()
        self._comm_seconds = 0.0  # time spent waiting for the all-reduces of the last backward
        self._synchronize_from_rank0()
        self._buckets = self._make_buckets(bucket_mb)
        self._where = {id(p): (b, i) for b, bucket in enumerate(self._buckets) for i, p in enumerate(bucket.params)}
        self._handles = [p.register_hook(self._hook_for(p)) for p in self._params] if world.size > 1 else []

    # ---------------------------------------------------------------------------------------- set-up

    def _synchronize_from_rank0(self) -> None:
        """Every rank starts from rank 0's parameters and buffers (each rank may have drawn its own)."""
        if self._world.size == 1:
            return
        for tensor in [*self.module.parameters(), *self.module.buffers()]:
            tensor.data = broadcast_array(tensor.data.copy(), src=0)

    def _make_buckets(self, bucket_mb: float) -> list[_Bucket]:
        """Buckets in reverse parameter order (the order backward produces gradients), cut at ``bucket_mb`` MB and
        wherever the dtype or device changes."""
        limit = bucket_mb * 1024 * 1024
        buckets: list[_Bucket] = []
        current: list[Tensor] = []
        size = 0
        for p in reversed(self._params):
            other_kind = current and (p.dtype != current[0].dtype or p.device != current[0].device)
            if current and (size + p.data.nbytes > limit or other_kind):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += p.data.nbytes
        if current:
            buckets.append(_Bucket(current))
        return buckets

    @property
    def bucket_sizes_mb(self) -> list[float]:
        """The size of each bucket in MB, in the order they are all-reduced."""
        return [b.size * b.params[0].data.itemsize / 2**20 for b in self._buckets]

    # -------------------------------------------------------------------------------------- forward

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self.training and self.broadcast_buffers:
            self.sync_buffers()
        output = self.module(*args, **kwargs)
        if self._world.size > 1 and is_grad_enabled() and self.training:
            self._prepare_for_backward(output)
        return output

    def sync_buffers(self) -> None:
        """Give every rank rank 0's buffers (BatchNorm statistics). A collective: call it on every rank."""
        if self._world.size > 1:
            for buffer in self.module.buffers():
                buffer.data = broadcast_array(buffer.data, src=0)

    def train(self, mode: bool = True) -> DistributedDataParallel:
        super().train(mode)
        if not mode and self.broadcast_buffers:
            self.sync_buffers()  # each rank updated its statistics with its own shard since the last forward
        return self

    def _prepare_for_backward(self, output: Any) -> None:
        if 0 < self._ready < self._expected:
            missing = [name for name, p in self.module.named_parameters()
                       if p.requires_grad and self._where[id(p)] not in self._ready_set]
            raise RuntimeError(
                f"DistributedDataParallel: the last backward produced gradients for {self._ready} of "
                f"{self._expected} parameters; these got none: {', '.join(missing[:10])}. Pass "
                "find_unused_parameters=True if the model skips them on purpose, or use them in the loss")
        self._sync_this_backward = self._sync_enabled
        self._ready, self._expected, self._ready_set = 0, len(self._params), set()
        if not self._sync_this_backward:
            return
        for bucket in self._buckets:
            bucket.reset()
        self._comm_seconds = 0.0
        if self.find_unused_parameters:
            reachable = _reachable_leaves(output)
            for p in self._params:
                if id(p) not in reachable:
                    self._mark_ready(p, None)

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Forward/backward passes inside the block accumulate gradients locally, with no communication; the
        first backward after it all-reduces the accumulated gradients (gradient accumulation over k steps)."""
        previous = self._sync_enabled
        self._sync_enabled = False
        try:
            yield
        finally:
            self._sync_enabled = previous

    # --------------------------------------------------------------------------------------- backward

    def _hook_for(self, param: Tensor) -> Any:
        def hook(grad: Any) -> Any:
            if not self._sync_this_backward:
                return None  # no_sync: the engine accumulates into .grad as usual
            return self._mark_ready(param, None if grad is None else grad.data)

        return hook

    def _mark_ready(self, param: Tensor, grad: Any) -> Any:
        """Copy the parameter's full gradient (what .grad would become) into its bucket; start the bucket's
        all-reduce when it is complete; after the last parameter, wait for all and write the averages."""
        b, i = self._where[id(param)]
        bucket = self._buckets[b]
        start, n = bucket.offsets[i], param.data.size
        target = bucket.flat[start:start + n]
        if param.grad is not None and grad is not None:
            target[...] = (param.grad.data + grad).reshape(-1)  # gradients accumulated under no_sync, plus this one
        elif grad is not None:
            target[...] = grad.reshape(-1)
        elif param.grad is not None:
            target[...] = param.grad.data.reshape(-1)
        else:
            target[...] = 0
        param.grad = None  # the engine stores this backward's gradient; _finish overwrites it with the average
        bucket.filled += 1
        self._ready += 1
        self._ready_set.add((b, i))
        if bucket.filled == len(bucket.params):
            self._start(bucket)
        else:
            self._progress()
        if self._ready == self._expected:
            return self._finish(param)
        return None

    def _start(self, bucket: _Bucket) -> None:
        comm = self._world.comm
        clock = time.perf_counter()
        if bucket.device == "cpu":
            from mpi4py import MPI

            bucket.request = comm.Iallreduce(MPI.IN_PLACE, bucket.flat, op=MPI.SUM)
        else:  # GPU arrays: a blocking collective on the chosen path (NCCL queues it on the stream anyway)
            from .process_group import all_reduce_array

            all_reduce_array(bucket.flat, "sum")
        self._comm_seconds += time.perf_counter() - clock

    def _progress(self) -> None:
        """Let MPI move the buckets in flight along (MPICH progresses non-blocking collectives inside MPI calls)."""
        pending = [b.request for b in self._buckets if b.request is not None]
        if pending:
            from mpi4py import MPI

            MPI.Request.Testall(pending)

    def _finish(self, last: Tensor) -> Any:
        clock = time.perf_counter()
        for bucket in self._buckets:
            if bucket.request is not None:
                bucket.request.Wait()
                bucket.request = None
        waited = time.perf_counter() - clock
        self._comm_seconds += waited
        CLOCK.add("ddp_all_reduce", self._comm_seconds, sum(b.nbytes for b in self._buckets))
        p = self._world.size
        result = None
        for bucket in self._buckets:
            bucket.flat /= p
            for param, start in zip(bucket.params, bucket.offsets, strict=True):
                average = bucket.flat[start:start + param.data.size].reshape(param.shape)
                if param is last:
                    result = average  # returned to the engine, which stores it (a copy) as .grad
                else:
                    param.grad = Tensor._from_op(average.copy(), None)
        self._sync_this_backward = False
        return result

    @property
    def communication_seconds(self) -> float:
        """Seconds the last synchronised backward spent starting and waiting for its all-reduces."""
        return self._comm_seconds

    def extra_repr(self) -> str:
        return (f"world_size={self._world.size}, buckets={len(self._buckets)} "
                f"({', '.join(f'{s:.2f}' for s in self.bucket_sizes_mb)} MB)")


def _reachable_leaves(output: Any) -> set[int]:
    """The ids of the leaf tensors the output was computed from (a walk of the graph, as backward would do)."""
    roots: list[Tensor] = []

    def collect(value: Any) -> None:
        if isinstance(value, Tensor):
            roots.append(value)
        elif isinstance(value, list | tuple):
            for v in value:
                collect(v)
        elif isinstance(value, dict):
            for v in value.values():
                collect(v)

    collect(output)
    seen: set[int] = set()
    leaves: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        ctx = node._ctx
        if ctx is None:
            leaves.add(id(node))
        elif ctx.parents is not None:
            stack.extend(parent for parent in ctx.parents if parent.requires_grad)
    return leaves

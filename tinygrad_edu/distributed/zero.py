"""ZeRO stage 1: shard the optimizer's state across the ranks (Rajbhandari et al., 2020).

Adam keeps two moments per parameter, m and v: with fp32 parameters and gradients that is 4N bytes of weights,
4N of gradients and 8N of optimizer state for N parameters. Data parallelism copies all 16N bytes on each rank.
ZeRO-1 cuts the flat parameter vector into p pieces (``chunk_bounds``); rank r keeps the moments of piece r only
and updates only that piece, then an all-gather gives every rank all the updated parameters. Memory per rank
(formula F98):

    M₁(p) = 4N + 4N + 8N / p      (parameters, gradients, 1/p of Adam's moments)

Adam acts element by element, so the sharded update computes exactly the numbers plain Adam would: the weights
are bit-for-bit those of the unsharded optimizer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend
from ..tensor import Tensor
from .process_group import all_gather_flat, chunk_bounds, init, reduce_scatter_flat


class ZeroRedundancyOptimizer:
    """``ZeroRedundancyOptimizer(params, optim.Adam, lr=1e-3, ...)``: ``optimizer_class`` on this rank's 1/p of
    the parameters, the updated pieces all-gathered after each ``step``.

    By default the gradients are expected to be averaged already (wrap the model in DistributedDataParallel, as
    with PyTorch's class of the same name). ``average_gradients=True`` averages them itself with a reduce-scatter
    (each rank receives only the averaged piece it updates: the same traffic as one all-reduce, split in two).
    The optimizer must act element by element (SGD, Adam, AdamW, RMSprop, Adagrad): no norms across parameters.
    """

    def __init__(self, params: Iterable[Tensor], optimizer_class: type, average_gradients: bool = False,
                 **defaults: Any):
        self.params = [p for p in params if p.requires_grad]
        if not self.params:
            raise ValueError("ZeroRedundancyOptimizer: got no parameters that require grad")
        dtypes = {str(p.dtype) for p in self.params} | {p.device for p in self.params}
        if len(dtypes) > 2:
            raise ValueError("ZeroRedundancyOptimizer: all parameters must share one dtype and device, got "
                             f"{sorted(dtypes)}")
        world = init()
        self.world_size, self.rank = world.size, world.rank
        self.average_gradients = average_gradients
        self.numel = sum(p.data.size for p in self.params)
        self.bounds = chunk_bounds(self.numel, self.world_size)
        lo, hi = self.bounds[self.rank]
        xp = self.params[0].xp
        self.shard = Tensor._from_op(self._flatten([p.data for p in self.params])[lo:hi].copy(), None)
        self.shard.requires_grad = True
        self.optimizer = optimizer_class([self.shard], **defaults)
        self._xp = xp

    @property
    def param_groups(self) -> list[dict]:
        """The inner optimizer's groups (so that learning-rate schedules work unchanged)."""
        return self.optimizer.param_groups

    def _flatten(self, arrays: list[Any]) -> Any:
        xp = backend.get_array_module(arrays[0])
        return xp.concatenate([a.reshape(-1) for a in arrays])

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update this rank's piece with the inner optimizer, then all-gather every piece into the parameters."""
        lo, hi = self.bounds[self.rank]
        xp = self._xp
        grads = [p.grad.data if p.grad is not None else xp.zeros_like(p.data) for p in self.params]
        flat_grad = self._flatten(grads)
        if self.average_gradients:
            piece = reduce_scatter_flat(flat_grad, "mean")
        else:
            piece = flat_grad[lo:hi]
        self.shard.grad = Tensor._from_op(piece.astype(self.shard.dtype, copy=True), None)
        self.optimizer.step()
        flat = all_gather_flat(self.shard.data)
        offset = 0
        for p in self.params:
            n = p.data.size
            p.data = flat[offset:offset + n].reshape(p.shape).copy()
            offset += n

    def state_bytes(self) -> int:
        """Bytes of optimizer state (moments, step counters) held by this rank."""
        total = 0
        for state in getattr(self.optimizer, "state", {}).values():
            values = state.values() if isinstance(state, dict) else [state]
            total += sum(int(getattr(v, "nbytes", 0)) for v in values)
        return total

    def state_dict(self) -> dict:
        return {"rank": self.rank, "world_size": self.world_size, "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        if state.get("world_size") != self.world_size or state.get("rank") != self.rank:
            raise ValueError(f"ZeroRedundancyOptimizer.load_state_dict: the state is rank {state.get('rank')} of "
                             f"{state.get('world_size')}, this is rank {self.rank} of {self.world_size}; each rank "
                             "must load its own piece, saved with the same number of ranks")
        self.optimizer.load_state_dict(state["optimizer"])

"""The process group: who am I (``rank``), how many are we (``world_size``), and the collectives between us.

Data parallelism runs the same script in p processes (*ranks*), started together by ``mpiexec -n p``. They talk
through MPI (the Message Passing Interface), here through ``mpi4py``. A collective is a call that every rank
makes at the same point of its program:

* ``all_reduce(x, "sum")``  every rank ends with x₀ + x₁ + … + x_{p−1}  (``"mean"`` divides by p);
* ``broadcast(x, src=0)``   every rank ends with rank 0's x;
* ``all_gather(x)``          every rank ends with the list [x₀, x₁, …, x_{p−1}];
* ``reduce_scatter(x)``      rank r ends with the r-th of p near-equal pieces of x₀ + … + x_{p−1}.

A process started without ``mpiexec`` is a world of one: every collective returns its input, so each script also
runs alone, and mpi4py is not even imported. Host arrays travel through mpi4py's buffer interface (the
upper-case ``Allreduce``, ``Bcast`` …: the bytes of the array, no pickling). CuPy arrays take the fastest path
available (``gpu_path``): CUDA-aware MPI, else NCCL (``cupy.cuda.nccl``), else staged through the host.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor

INSTALL_HINT = ('tinygrad_edu.distributed needs mpi4py and an MPI library: python -m pip install "tinygrad_edu[dist]" '
                "(or: python -m pip install mpi4py mpich), then start the ranks with mpiexec -n 2 python ...")

# the environment variables the usual launchers set in each rank: MPICH's Hydra (PMI_*), Open MPI, Slurm
_LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS")


class DistributedError(RuntimeError):
    """A collective was called wrongly (shapes that differ between ranks, an unknown op, …)."""


@dataclass
class CommunicationClock:
    """Seconds spent inside collectives (waiting included), and how many were made: what ``fit`` reports as the
    communication time per step."""

    seconds: float = 0.0
    calls: int = 0
    bytes: int = 0
    by_kind: dict[str, float] = field(default_factory=dict)

    def add(self, kind: str, seconds: float, nbytes: int) -> None:
        self.seconds += seconds
        self.calls += 1
        self.bytes += nbytes
        self.by_kind[kind] = self.by_kind.get(kind, 0.0) + seconds


CLOCK = CommunicationClock()


class _World:
    """The state of this process's group: the communicator (None in a world of one), rank and size."""

    def __init__(self) -> None:
        self.comm: Any = None
        self.rank = 0
        self.size = 1
        self.initialized = False
        self.gpu_path: str | None = None
        self.nccl: Any = None


_WORLD = _World()


def launched_size() -> int:
    """The number of ranks the launcher (mpiexec, srun) started, read from its environment; 1 without one."""
    for name in _LAUNCHER_SIZE_VARIABLES:
        value = os.environ.get(name)
        if value and value.isdigit():
            return int(value)
    return 1


def mpi_available() -> bool:
    """True when mpi4py can be imported (an MPI library is then present too)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error
    return MPI


def init(use_mpi: bool | None = None) -> _World:
    """Join the group (once; later calls return the same world). ``use_mpi=None`` decides by the environment:
    MPI when a launcher started more than one rank, a world of one otherwise (mpi4py is then not imported).
    ``use_mpi=True`` forces MPI, e.g. for ``mpiexec -n 1``."""
    if _WORLD.initialized:
        return _WORLD
    if use_mpi is None:
        use_mpi = launched_size() > 1
    if use_mpi:
        MPI = _import_mpi()  # noqa: N806 — mpi4py's name
        _WORLD.comm = MPI.COMM_WORLD
        _WORLD.rank, _WORLD.size = _WORLD.comm.Get_rank(), _WORLD.comm.Get_size()
    _WORLD.initialized = True
    return _WORLD


def is_initialized() -> bool:
    return _WORLD.initialized


def rank() -> int:
    """This process's number, 0 … world_size() − 1 (0 in a world of one)."""
    return init().rank


def world_size() -> int:
    """The number of ranks p (1 for a process started without mpiexec)."""
    return init().size


def is_main() -> bool:
    """True on rank 0: the one rank that prints, writes files and draws plots."""
    return rank() == 0


def communicator() -> Any:
    """The mpi4py communicator (``MPI.COMM_WORLD``), or None in a world of one."""
    return init().comm


def barrier() -> None:
    """Wait until every rank has reached this call."""
    world = init()
    if world.comm is not None:
        start = time.perf_counter()
        world.comm.Barrier()
        CLOCK.add("barrier", time.perf_counter() - start, 0)


# ------------------------------------------------------------------------------------ the array level

_OPS = ("sum", "mean", "max", "min")


def _mpi_op(op: str) -> Any:
    from mpi4py import MPI

    return {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]


def _check_op(name: str, op: str) -> None:
    if op not in _OPS:
        raise DistributedError(f"{name}(op={op!r}): the reduction must be one of {', '.join(_OPS)}")


def _host_contiguous(array: np.ndarray) -> np.ndarray:
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def all_reduce_array(array: Any, op: str = "sum") -> Any:
    """Reduce ``array`` over all ranks, in place where it is contiguous; returns the result (same shape)."""
    _check_op("all_reduce", op)
    world = init()
    if world.comm is None:
        return array
    start = time.perf_counter()
    if backend.is_gpu(array):
        from . import gpu

        result = gpu.all_reduce(array, op)
    else:
        result = _host_contiguous(array)
        world.comm.Allreduce(_in_place(), result, op=_mpi_op(op))
    if op == "mean":
        result /= world.size
    CLOCK.add("all_reduce", time.perf_counter() - start, array.nbytes)
    return result


def _in_place() -> Any:
    from mpi4py import MPI

    return MPI.IN_PLACE


def broadcast_array(array: Any, src: int = 0) -> Any:
    """Every rank's ``array`` becomes rank ``src``'s (in place where contiguous); returns it."""
    world = init()
    if world.comm is None:
        return array
    start = time.perf_counter()
    if backend.is_gpu(array):
        from . import gpu

        result = gpu.broadcast(array, src)
    else:
        result = _host_contiguous(array)
        world.comm.Bcast(result, root=src)
    CLOCK.add("broadcast", time.perf_counter() - start, array.nbytes)
    return result


def chunk_bounds(n: int, p: int) -> list[tuple[int, int]]:
    """The p contiguous pieces [start, stop) of n elements, the first n mod p pieces one longer (np.array_split's
    rule): how ``reduce_scatter``, the ring all-reduce and ZeRO-1 cut a vector whose length p does not divide."""
    base, extra = divmod(n, p)
    bounds, start = [], 0
    for r in range(p):
        stop = start + base + (1 if r < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def all_gather_flat(array: Any) -> Any:
    """Concatenate the flat arrays of all ranks (their lengths may differ) in rank order, on every rank."""
    world = init()
    if world.comm is None:
        return array.reshape(-1)
    start = time.perf_counter()
    if backend.is_gpu(array):
        from . import gpu

        result = gpu.all_gather_flat(array)
    else:
        flat = _host_contiguous(array.reshape(-1))
        counts = world.comm.allgather(flat.size)  # p small integers: pickled, which is fine
        result = np.empty(sum(counts), dtype=flat.dtype)
        displacements = np.concatenate([[0], np.cumsum(counts)[:-1]]).tolist()
        world.comm.Allgatherv(flat, [result, counts, displacements, _mpi_type(flat.dtype)])
    CLOCK.add("all_gather", time.perf_counter() - start, array.nbytes * world.size)
    return result


def reduce_scatter_flat(array: Any, op: str = "sum") -> Any:
    """Reduce the flat ``array`` (the same length n on every rank) and return this rank's piece of the result:
    elements [start, stop) of ``chunk_bounds(n, p)[rank]``."""
    _check_op("reduce_scatter", op)
    world = init()
    flat = array.reshape(-1)
    if world.comm is None:
        return flat.copy()
    start = time.perf_counter()
    if backend.is_gpu(flat):
        from . import gpu

        result = gpu.reduce_scatter_flat(flat, op)
    else:
        flat = _host_contiguous(flat)
        counts = [b - a for a, b in chunk_bounds(flat.size, world.size)]
        result = np.empty(counts[world.rank], dtype=flat.dtype)
        world.comm.Reduce_scatter(flat, result, counts, op=_mpi_op(op))
    if op == "mean":
        result /= world.size
    CLOCK.add("reduce_scatter", time.perf_counter() - start, array.nbytes)
    return result


def _mpi_type(dtype: Any) -> Any:
    from mpi4py import MPI

    return MPI._typedict[np.dtype(dtype).char]


def broadcast_object(value: Any, src: int = 0) -> Any:
    """Rank ``src``'s Python object on every rank (pickled: for small things such as a seed or a file name)."""
    world = init()
    return value if world.comm is None else world.comm.bcast(value, root=src)


def all_reduce_numbers(values: dict[str, float], op: str = "sum") -> dict[str, float]:
    """A dict of Python numbers reduced over the ranks in one collective (used for metrics and flags)."""
    if world_size() == 1 or not values:
        return dict(values)
    names = sorted(values)
    array = np.array([float(values[n]) for n in names], dtype=np.float64)
    all_reduce_array(array, op)
    return dict(zip(names, array.tolist(), strict=True))


# ----------------------------------------------------------------------------------- the Tensor level


def _check_tensor(name: str, tensor: Any) -> Any:
    if isinstance(tensor, Tensor):
        return tensor.data
    if hasattr(tensor, "shape") and hasattr(tensor, "dtype"):
        return tensor
    raise TypeError(f"{name}: expected a Tensor or an array, got {type(tensor).__name__}")


def _write_back(tensor: Any, result: Any) -> Any:
    """Put ``result`` into ``tensor`` (a Tensor or an array), keeping the caller's object: collectives are in place,
    as in torch.distributed."""
    if isinstance(tensor, Tensor):
        if result is not tensor.data:
            tensor.data = result.reshape(tensor.shape)
        return tensor
    if result is not tensor:
        tensor[...] = result.reshape(tensor.shape)
    return tensor


def all_reduce(tensor: Any, op: str = "sum") -> Any:
    """In place: ``tensor`` becomes Σ over ranks of ``tensor`` (``op="mean"``: divided by p; or max/min).

    Every rank must pass a tensor of the same shape and dtype. Returns ``tensor``.
    """
    data = _check_tensor("all_reduce", tensor)
    _check_same_shape("all_reduce", data)
    return _write_back(tensor, all_reduce_array(data, op))


def broadcast(tensor: Any, src: int = 0) -> Any:
    """In place: ``tensor`` becomes rank ``src``'s values on every rank. Returns ``tensor``."""
    data = _check_tensor("broadcast", tensor)
    if not 0 <= src < world_size():
        raise DistributedError(f"broadcast(src={src}): the source must be a rank between 0 and {world_size() - 1}")
    _check_same_shape("broadcast", data)
    return _write_back(tensor, broadcast_array(data, src))


def all_gather(tensor: Any) -> list[Tensor]:
    """The list [x₀, …, x_{p−1}] of every rank's ``tensor`` (same shape on every rank), on every rank."""
    data = _check_tensor("all_gather", tensor)
    _check_same_shape("all_gather", data)
    gathered = all_gather_flat(data)
    n = int(np.prod(data.shape, dtype=np.int64))
    return [Tensor._from_op(gathered[r * n:(r + 1) * n].reshape(data.shape), None) for r in range(world_size())]


def reduce_scatter(tensor: Any, op: str = "sum") -> Tensor:
    """Reduce ``tensor`` over the ranks and keep this rank's piece along axis 0: the rows
    ``chunk_bounds(len, p)[rank]`` (p need not divide the length; the first pieces are one row longer)."""
    data = _check_tensor("reduce_scatter", tensor)
    _check_same_shape("reduce_scatter", data)
    if data.ndim == 0:
        raise DistributedError("reduce_scatter: a scalar cannot be cut into pieces; pass a tensor with axis 0")
    _check_op("reduce_scatter", op)
    world = init()
    row = int(np.prod(data.shape[1:], dtype=np.int64))  # elements per row of axis 0
    lo, hi = chunk_bounds(data.shape[0], world.size)[world.rank]
    if row == 0 or world.comm is None:
        return Tensor._from_op(data[lo:hi].copy(), None)
    # the pieces are whole rows: rank r receives (rows of piece r) × (elements per row) elements
    counts = [(b - a) * row for a, b in chunk_bounds(data.shape[0], world.size)]
    result = _reduce_scatter_counts(data.reshape(-1), counts, op)
    return Tensor._from_op(result.reshape(hi - lo, *data.shape[1:]), None)


def _reduce_scatter_counts(flat: Any, counts: list[int], op: str) -> Any:
    _check_op("reduce_scatter", op)
    world = init()
    start = time.perf_counter()
    if backend.is_gpu(flat):
        from . import gpu

        result = gpu.reduce_scatter_counts(flat, counts, op)
    else:
        flat = _host_contiguous(flat)
        result = np.empty(counts[world.rank], dtype=flat.dtype)
        world.comm.Reduce_scatter(flat, result, counts, op=_mpi_op(op))
    if op == "mean":
        result /= world.size
    CLOCK.add("reduce_scatter", time.perf_counter() - start, flat.nbytes)
    return result


def _check_same_shape(name: str, data: Any) -> None:
    """In a world of more than one, check (cheaply, by shapes and dtypes) that every rank passed alike arrays: a
    mismatch would otherwise hang or corrupt memory inside MPI."""
    world = init()
    if world.comm is None or not _checks_enabled():
        return
    mine = (tuple(data.shape), str(data.dtype))
    everyone = world.comm.allgather(mine)
    if any(other != mine for other in everyone):
        described = ", ".join(f"rank {r}: {s} {d}" for r, (s, d) in enumerate(everyone))
        raise DistributedError(f"{name}: the ranks passed tensors of different shapes or dtypes ({described}); "
                               "every rank must call it with the same shape and dtype")


def _checks_enabled() -> bool:
    """Shape checks cost one small collective per call: on by default, off with TINYGRAD_EDU_DIST_CHECKS=0."""
    return os.environ.get("TINYGRAD_EDU_DIST_CHECKS", "1") != "0"


def print0(*args: Any, **kwargs: Any) -> None:
    """``print`` on rank 0 only."""
    if is_main():
        print(*args, **kwargs)
        (kwargs.get("file") or sys.stdout).flush()

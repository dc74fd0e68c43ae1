"""Collectives on CuPy arrays: the three ways GPU memory can travel between ranks, best first.

1. **CUDA-aware MPI** — the MPI library reads and writes GPU memory itself (mpi4py hands it the device pointer
   through ``__cuda_array_interface__``). Chosen when ``MPI.Query_cuda_support()`` says so.
2. **NCCL** (``cupy.cuda.nccl``) — NVIDIA's collective library, ring and tree all-reduce over NVLink/PCIe. Its
   communicator is made once: rank 0 draws a unique id, MPI broadcasts it. NCCL refuses two ranks on one GPU
   ("duplicate GPU"), so ranks that share a device skip it.
3. **Staged through the host** — copy to host memory (``.get()``), MPI on the host, copy back: two extra copies
   per collective, but it works everywhere, including 2 ranks sharing one GPU.

``TINYGRAD_EDU_GPU_COLLECTIVES=cuda-aware|nccl|staged`` forces a path. Rank 0 says in one line which is used.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import numpy as np

from .. import backend
from .process_group import _WORLD, _mpi_op, _mpi_type, chunk_bounds, init

PATHS = ("cuda-aware", "nccl", "staged")
ENV_VAR = "TINYGRAD_EDU_GPU_COLLECTIVES"


def _cuda_aware_mpi() -> bool:
    from mpi4py import MPI

    query = getattr(MPI, "Query_cuda_support", None)
    if query is None:
        return False
    try:
        return bool(query())
    except Exception:  # an MPI without the MPIX extension raises NotImplementedError or an MPI error
        return False


def _nccl_module() -> Any:
    try:
        from cupy.cuda import nccl
    except ImportError:
        return None
    return nccl if hasattr(nccl, "NcclCommunicator") else None


def _ranks_share_a_gpu() -> bool:
    """True when two ranks run on the same GPU of the same machine (NCCL's "duplicate GPU" case)."""
    cupy = backend.array_module("cupy")
    mine = (socket.gethostname(), int(cupy.cuda.Device().id))
    everyone = _WORLD.comm.allgather(mine)
    return len(set(everyone)) < len(everyone)


def choose_path(cuda_aware: bool, nccl_available: bool, shared_gpu: bool, forced: str | None = None) -> tuple[str, str]:
    """The path for CuPy arrays and the reason, from the facts of this run (a pure function, tested alone)."""
    if forced:
        if forced not in PATHS:
            raise ValueError(f"{ENV_VAR}={forced!r}: choose one of {', '.join(PATHS)}")
        return forced, f"forced by {ENV_VAR}"
    if cuda_aware:
        return "cuda-aware", "the MPI library is CUDA-aware (MPI.Query_cuda_support() is true)"
    if nccl_available and not shared_gpu:
        return "nccl", "the MPI library is not CUDA-aware; cupy.cuda.nccl is available and every rank has its own GPU"
    if nccl_available:
        return "staged", "ranks share one GPU, which NCCL refuses; staged through host memory"
    return "staged", "no CUDA-aware MPI and no cupy.cuda.nccl; staged through host memory"


def gpu_path() -> str:
    """The path CuPy arrays take (decided once per process, on the first GPU collective; same on every rank)."""
    world = init()
    if world.gpu_path is None:
        nccl = _nccl_module()
        forced = os.environ.get(ENV_VAR)
        path, why = choose_path(_cuda_aware_mpi() if not forced else False, nccl is not None,
                                _ranks_share_a_gpu() if nccl is not None and not forced else False, forced)
        path = world.comm.bcast(path, root=0)  # every rank must take the same path
        if path == "nccl":
            world.nccl = _make_nccl_communicator(nccl)
        world.gpu_path = path
        if world.rank == 0:
            print(f"tinygrad_edu.distributed: CuPy arrays go through {path} ({why})", flush=True)
    return world.gpu_path


def _make_nccl_communicator(nccl: Any) -> Any:
    world = _WORLD
    unique_id = nccl.get_unique_id() if world.rank == 0 else None
    unique_id = world.comm.bcast(unique_id, root=0)
    return nccl.NcclCommunicator(world.size, unique_id, world.rank)


_NCCL_TYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
               "int32": "NCCL_INT32", "int64": "NCCL_INT64", "uint8": "NCCL_UINT8"}
_NCCL_OPS = {"sum": "NCCL_SUM", "mean": "NCCL_SUM", "max": "NCCL_MAX", "min": "NCCL_MIN"}


def _nccl_args(array: Any) -> tuple[Any, int, int]:
    from cupy.cuda import nccl

    cupy = backend.array_module("cupy")
    name = _NCCL_TYPES.get(str(array.dtype))
    if name is None:
        raise TypeError(f"NCCL collectives: dtype {array.dtype} is not supported; use float16/32/64 or int32/64")
    return nccl, getattr(nccl, name), cupy.cuda.get_current_stream().ptr


def _contiguous(array: Any) -> Any:
    return array if array.flags.c_contiguous else backend.array_module("cupy").ascontiguousarray(array)


def _to_host(array: Any) -> np.ndarray:
    return np.ascontiguousarray(array.get())


def _to_device(host: np.ndarray) -> Any:
    return backend.array_module("cupy").asarray(host)


def all_reduce(array: Any, op: str) -> Any:
    path, world = gpu_path(), _WORLD
    if path == "staged":
        host = _to_host(array)
        world.comm.Allreduce(_in_place(), host, op=_mpi_op(op))
        array[...] = _to_device(host).reshape(array.shape)
        return array
    array = _contiguous(array)
    if path == "cuda-aware":
        backend.array_module("cupy").cuda.get_current_stream().synchronize()  # MPI does not know CuPy's stream
        world.comm.Allreduce(_in_place(), array, op=_mpi_op(op))
        return array
    nccl, dtype, stream = _nccl_args(array)
    world.nccl.allReduce(array.data.ptr, array.data.ptr, array.size, dtype, getattr(nccl, _NCCL_OPS[op]), stream)
    return array


def broadcast(array: Any, src: int) -> Any:
    path, world = gpu_path(), _WORLD
    if path == "staged":
        host = _to_host(array)
        world.comm.Bcast(host, root=src)
        array[...] = _to_device(host).reshape(array.shape)
        return array
    array = _contiguous(array)
    if path == "cuda-aware":
        backend.array_module("cupy").cuda.get_current_stream().synchronize()
        world.comm.Bcast(array, root=src)
        return array
    _, dtype, stream = _nccl_args(array)
    world.nccl.broadcast(array.data.ptr, array.data.ptr, array.size, dtype, src, stream)
    return array


def all_gather_flat(array: Any) -> Any:
    world = _WORLD
    counts = world.comm.allgather(int(array.size))
    path = gpu_path()
    if path == "nccl" and len(set(counts)) == 1:
        cupy = backend.array_module("cupy")
        flat = _contiguous(array.reshape(-1))
        result = cupy.empty(sum(counts), dtype=flat.dtype)
        _, dtype, stream = _nccl_args(flat)
        world.nccl.allGather(flat.data.ptr, result.data.ptr, flat.size, dtype, stream)
        return result
    # staged (and the uneven NCCL case, rare: ZeRO's last shard): through the host with Allgatherv
    host = _to_host(array.reshape(-1))
    result = np.empty(sum(counts), dtype=host.dtype)
    displacements = np.concatenate([[0], np.cumsum(counts)[:-1]]).tolist()
    world.comm.Allgatherv(host, [result, counts, displacements, _mpi_type(host.dtype)])
    return _to_device(result)


def reduce_scatter_flat(flat: Any, op: str) -> Any:
    counts = [b - a for a, b in chunk_bounds(flat.size, _WORLD.size)]
    return reduce_scatter_counts(flat, counts, op)


def reduce_scatter_counts(flat: Any, counts: list[int], op: str) -> Any:
    world = _WORLD
    path = gpu_path()
    if path == "nccl" and len(set(counts)) == 1:
        cupy = backend.array_module("cupy")
        flat = _contiguous(flat)
        result = cupy.empty(counts[world.rank], dtype=flat.dtype)
        nccl, dtype, stream = _nccl_args(flat)
        world.nccl.reduceScatter(flat.data.ptr, result.data.ptr, result.size, dtype, getattr(nccl, _NCCL_OPS[op]),
                                 stream)
        return result
    host = _to_host(flat)
    result = np.empty(counts[world.rank], dtype=host.dtype)
    world.comm.Reduce_scatter(host, result, counts, op=_mpi_op(op))
    return _to_device(result)


def _in_place() -> Any:
    from mpi4py import MPI

    return MPI.IN_PLACE

"""Run under ``mpiexec -n 2`` with ``--stand-in`` (the NumPy-backed CuPy of tests/gpu) or on a real GPU: the
collectives on CuPy arrays take the path gpu.py chooses, and DDP on a model on the "GPU" averages its gradients
like the host path does."""

from __future__ import annotations

import json
import os
import sys

import numpy as np

if "--stand-in" in sys.argv:
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    from tests.gpu import stand_in_cupy

    stand_in_cupy.install()

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import backend, nn  # noqa: E402
from tinygrad_edu import distributed as dist  # noqa: E402
from tinygrad_edu.distributed import gpu  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402


def main() -> None:
    dist.init(use_mpi=True)
    r, p = dist.rank(), dist.world_size()
    cupy = backend.array_module("cupy")
    x = cupy.asarray(np.arange(6, dtype=np.float32) + r)
    dist.all_reduce_array(x, "mean")
    np.testing.assert_allclose(x.get(), np.arange(6) + (p - 1) / 2)
    b = cupy.asarray(np.full(3, float(r), np.float32))
    dist.process_group.broadcast_array(b, src=1)
    np.testing.assert_array_equal(b.get(), 1.0)
    gathered = dist.process_group.all_gather_flat(cupy.asarray(np.array([r], np.float32)))
    np.testing.assert_array_equal(gathered.get(), np.arange(p))
    piece = dist.process_group.reduce_scatter_flat(cupy.asarray(np.arange(5, dtype=np.float64)), "sum")
    lo, hi = dist.chunk_bounds(5, p)[r]
    np.testing.assert_array_equal(piece.get(), p * np.arange(5)[lo:hi])

    grads = {}
    for device in ("cpu", "cuda"):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to(device)
        ddp = dist.DistributedDataParallel(model, bucket_mb=0.0001)
        data = np.random.default_rng(r).standard_normal((6, 4)).astype(np.float32)
        inputs = tg.Tensor(data).to(device)
        target = tg.Tensor(np.arange(6) % 3).to(device)
        F.cross_entropy(ddp(inputs), target).backward()
        grads[device] = np.concatenate([backend.to_numpy(q.grad).ravel() for q in model.parameters()])
    np.testing.assert_allclose(grads["cuda"], grads["cpu"], rtol=1e-5, atol=1e-6)
    difference = float(np.max(np.abs(grads["cuda"] - grads["cpu"])))
    print(f"RESULT {r} {json.dumps({'path': gpu.gpu_path(), 'max_difference': difference})}", flush=True)


if __name__ == "__main__":
    main()

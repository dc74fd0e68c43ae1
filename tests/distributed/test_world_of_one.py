"""A process started without mpiexec is a world of one: everything runs, collectives return their input, and
without mpi4py the package says in one line how to install it."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import distributed as dist
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_a_plain_process_is_rank_0_of_1_and_collectives_return_their_input():
    assert dist.world_size() == 1 and dist.rank() == 0 and dist.is_main()
    x = tg.Tensor(np.arange(4, dtype=np.float32))
    assert dist.all_reduce(x, "mean") is x
    np.testing.assert_array_equal(x.numpy(), np.arange(4))
    np.testing.assert_array_equal(dist.broadcast(x).numpy(), np.arange(4))
    assert [g.numpy().tolist() for g in dist.all_gather(x)] == [[0, 1, 2, 3]]
    np.testing.assert_array_equal(dist.reduce_scatter(x).numpy(), np.arange(4))
    np.testing.assert_array_equal(dist.ring_all_reduce(np.ones(3)), np.ones(3))
    dist.barrier()


def test_an_unknown_reduction_names_the_choices():
    try:
        dist.all_reduce(tg.Tensor(np.ones(2)), op="prod")
    except dist.DistributedError as error:
        assert "sum, mean, max, min" in str(error)
    else:
        raise AssertionError("op='prod' did not raise")


def test_ddp_on_one_rank_is_the_model_itself():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    reference = [p.numpy().copy() for p in model.parameters()]
    ddp = dist.DistributedDataParallel(model)
    x, y = tg.Tensor(np.ones((5, 3), np.float32)), tg.Tensor(np.array([0, 1, 0, 1, 1]))
    F.cross_entropy(ddp(x), y).backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    for a, b, r, p in zip(grads, [p.grad for p in model.parameters()], reference, model.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(r, p.numpy())
    assert list(ddp.state_dict()) == [f"module.{k}" for k in model.state_dict()]  # PyTorch's key names


def test_buckets_follow_backward_order_and_the_size_limit():
    model = nn.Sequential(nn.Linear(100, 100), nn.Linear(100, 100), nn.Linear(100, 10))  # 40 kB per big weight
    ddp = dist.DistributedDataParallel(model, bucket_mb=0.05)
    sizes = ddp.bucket_sizes_mb
    assert len(sizes) == 2 and abs(sum(sizes) - sum(p.data.nbytes for p in model.parameters()) / 2**20) < 1e-9
    first = ddp._buckets[0].params
    assert first[0] is model[2].bias  # the last layer's gradients come first in backward


@given(n=st.integers(0, 10_000), p=st.integers(1, 64))
def test_chunk_bounds_cover_the_vector_in_near_equal_pieces(n, p):
    bounds = dist.chunk_bounds(n, p)
    assert bounds[0][0] == 0 and bounds[-1][1] == n and len(bounds) == p
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    lengths = [b - a for a, b in bounds]
    assert max(lengths) - min(lengths) <= 1
    assert lengths == [len(c) for c in np.array_split(np.arange(n), p)]


def test_zero1_on_one_rank_is_plain_adam_and_keeps_all_the_state():
    tg.manual_seed(0)
    a = nn.Linear(5, 3)
    tg.manual_seed(0)
    b = nn.Linear(5, 3)
    plain = optim.Adam(a.parameters(), lr=0.1)
    zero = dist.ZeroRedundancyOptimizer(b.parameters(), optim.Adam, lr=0.1)
    x = tg.Tensor(np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32))
    for _ in range(3):
        for model, optimizer in ((a, plain), (b, zero)):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            optimizer.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert zero.state_bytes() >= 2 * 4 * 18


def test_cost_model_formulas():
    link = dist.LinkModel(alpha_s=1e-5, bandwidth_Bps=1e9)
    assert link.message_seconds(1e6) == 1e-5 + 1e-3
    assert link.ring_all_reduce_seconds(1e6, 1) == 0
    np.testing.assert_allclose(link.ring_all_reduce_seconds(1e6, 4), 2 * 3 * 1e-5 + 2 * 3 / 4 * 1e6 / 1e9)
    sizes = np.array([8, 1e3, 1e5, 1e6])
    fitted = dist.fit_link(sizes, 2e-6 + sizes / 5e9)
    np.testing.assert_allclose([fitted.alpha_s, fitted.bandwidth_Bps], [2e-6, 5e9], rtol=1e-6)
    prediction = link.step_prediction(0.1, 1e6, np.array([1, 2, 1024]), 32)
    assert prediction["comm_share"][0] == 0 and prediction["efficiency"][-1] < prediction["efficiency"][1]


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": ROOT, **env}
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environment)


HIDE_MPI4PY = "import sys; sys.modules['mpi4py'] = None\n"  # `import mpi4py` now raises ImportError


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_without_mpi4py_fit_runs_as_a_world_of_one():
    code = HIDE_MPI4PY + """
import numpy as np, tinygrad_edu as tg
from tinygrad_edu import nn, optim, distributed as dist
from tinygrad_edu.train import fit
from tinygrad_edu.nn import functional as F
x = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32); y = (x[:, 0] > 0).astype(np.int64)
model = nn.Sequential(nn.Linear(3, 2))
h = fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=1, progress=False)
print("world", dist.world_size(), "mpi", dist.mpi_available(), "epochs", len(h))
"""
    result = _python(code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "world 1 mpi False epochs 1" in result.stdout


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_without_mpi4py_under_a_launcher_the_error_says_how_to_install_it_in_one_line():
    result = _python(HIDE_MPI4PY + "from tinygrad_edu import distributed as dist\ndist.init()", PMI_SIZE="2")
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert 'python -m pip install "tinygrad_edu[dist]"' in last and "mpi4py mpich" in last
    assert dist.INSTALL_HINT.count("\n") == 0


def test_linear_scaling_rule_with_warm_up():
    assert dist.scaled_lr(0.1, 256, 1024) == 0.4
    factor = dist.warmup_factor(256, 1024, warmup_steps=100)
    assert factor(0) == 0.25 and factor(50) == 0.25 + 0.75 * 0.5 and factor(100) == factor(5000) == 1.0
    assert dist.warmup_factor(256, 1024, 0)(0) == 1.0


def test_zero_memory_arithmetic_falls_as_one_over_p():
    n = 1_000_000
    assert dist.zero_memory_bytes(n, 1, stage=0) == 16 * n
    assert [dist.zero_memory_bytes(n, p) for p in (1, 2, 4, 8)] == [16 * n, 12 * n, 10 * n, 9 * n]
    assert dist.zero_memory_bytes(n, 8, stage=3) == 2 * n


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_the_module_says_in_one_line_how_to_install_mpi_when_mpi4py_is_missing():
    result = _python(HIDE_MPI4PY + "import runpy\nrunpy.run_module('tinygrad_edu.distributed', run_name='__main__')")
    assert result.returncode == 1
    assert result.stdout.strip().count("\n") == 0 and "mpi4py mpich" in result.stdout


@given(n=st.integers(2, 5), c=st.integers(1, 3), length=st.integers(1, 3))
def test_sync_batchnorm_op_gradchecks_in_float64(n, c, length):
    from tinygrad_edu.distributed.sync_batchnorm import SyncBatchNormOp

    rng = np.random.default_rng(n * 100 + c * 10 + length)
    x = tg.tensor(rng.standard_normal((n, c, length)), requires_grad=True)
    w = tg.tensor(rng.uniform(0.5, 2, c), requires_grad=True)
    b = tg.tensor(rng.standard_normal(c), requires_grad=True)
    tg.gradcheck(lambda x, w, b: SyncBatchNormOp.apply(x, w, b), x, w, b)  # raises on a mismatch


def test_sync_batchnorm_on_one_rank_is_batchnorm_and_convert_keeps_the_weights():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU())
    weight = model[1].weight
    converted = dist.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], dist.SyncBatchNorm) and converted[1].weight is weight
    from tinygrad_edu.distributed.sync_batchnorm import SyncBatchNormOp

    x = np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float64)
    ours = SyncBatchNormOp.apply(tg.tensor(x), tg.tensor(np.ones(3)), tg.tensor(np.zeros(3)))
    reference = (x - x.mean(axis=(0, 2), keepdims=True)) / np.sqrt(x.var(axis=(0, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(ours.numpy(), reference, rtol=1e-12, atol=1e-12)

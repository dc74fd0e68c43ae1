"""Checks that need several ranks: run as ``mpiexec -n p python tests/distributed/rank_checks.py CHECK [ARGS]``.

Every rank prints ``RESULT <rank> <json>`` lines that the pytest side (test_mpi.py) parses; a failed check
raises, so mpiexec exits non-zero.
"""

from __future__ import annotations

import json
import sys

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import distributed as dist
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F


def report(**values: object) -> None:
    print(f"RESULT {dist.rank()} {json.dumps(values)}", flush=True)


def check_collectives() -> None:
    r, p = dist.rank(), dist.world_size()
    x = tg.Tensor(np.arange(6, dtype=np.float64).reshape(2, 3) + r)
    assert dist.all_reduce(x, "sum") is x
    expected = p * np.arange(6).reshape(2, 3) + sum(range(p))
    np.testing.assert_array_equal(x.numpy(), expected)
    m = tg.Tensor(np.full(4, float(r), np.float32))
    dist.all_reduce(m, "mean")
    np.testing.assert_allclose(m.numpy(), (p - 1) / 2)
    top = tg.Tensor(np.array([r, -r], np.int64))
    dist.all_reduce(top, "max")
    np.testing.assert_array_equal(top.numpy(), [p - 1, 0])
    b = tg.Tensor(np.full(3, 10.0 * r, np.float32))
    dist.broadcast(b, src=p - 1)
    np.testing.assert_array_equal(b.numpy(), 10.0 * (p - 1))
    gathered = dist.all_gather(tg.Tensor(np.array([r, r * r], np.float32)))
    np.testing.assert_array_equal(np.stack([g.numpy() for g in gathered]), [[q, q * q] for q in range(p)])
    rows = 2 * p + 1  # not divisible by p: the first piece is one row longer
    piece = dist.reduce_scatter(tg.Tensor(np.arange(rows * 2, dtype=np.float64).reshape(rows, 2) + r))
    lo, hi = dist.chunk_bounds(rows, p)[r]
    np.testing.assert_array_equal(piece.numpy(), p * np.arange(rows * 2).reshape(rows, 2)[lo:hi] + sum(range(p)))
    try:
        dist.all_reduce(tg.Tensor(np.zeros(3 + r, np.float32)))
    except dist.DistributedError as error:
        message = str(error)
    else:
        raise AssertionError("all_reduce of different shapes did not raise")
    report(check="collectives", error=message)


def check_ring(sizes: list[int]) -> None:
    """The hand-written ring equals MPI's Allreduce, bit for bit on integer-valued floats (sums exact in any
    order) and to rounding on random floats."""
    from mpi4py import MPI

    r = dist.rank()
    rng = np.random.default_rng(100 + r)
    worst = 0.0
    for n in sizes:
        exact = rng.integers(-1000, 1000, n).astype(np.float64)
        reference = exact.copy()
        dist.communicator().Allreduce(MPI.IN_PLACE, reference, op=MPI.SUM)
        np.testing.assert_array_equal(dist.ring_all_reduce(exact.copy()), reference)
        noisy = rng.standard_normal(n).astype(np.float32)
        reference = noisy.copy()
        dist.communicator().Allreduce(MPI.IN_PLACE, reference, op=MPI.SUM)
        ours = dist.ring_all_reduce(noisy.copy())
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-5)
        if n:
            worst = max(worst, float(np.max(np.abs(ours - reference))))
    report(check="ring", sizes=sizes, worst_float32_difference=worst)


def small_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))


def check_zero(steps: int = 5) -> None:
    """ZeRO-1 (Adam on 1/p of the parameters + all-gather) ends with the weights of plain Adam, bit for bit."""
    r, p = dist.rank(), dist.world_size()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((steps, 8, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, (steps, 8))
    weights = {}
    memory = {}
    for kind in ("adam", "zero"):
        tg.manual_seed(0)
        model = small_cnn()
        if kind == "adam":
            optimizer = optim.Adam(model.parameters(), lr=1e-2)
        else:
            optimizer = dist.ZeroRedundancyOptimizer(model.parameters(), optim.Adam, lr=1e-2)
        for step in range(steps):  # the same full batch on every rank: the gradients need no averaging
            optimizer.zero_grad()
            F.cross_entropy(model(tg.Tensor(x[step])), tg.Tensor(y[step])).backward()
            optimizer.step()
        weights[kind] = np.concatenate([q.numpy().ravel() for q in model.parameters()])
        memory[kind] = (optimizer.state_bytes() if kind == "zero"
                        else sum(v.nbytes for s in optimizer.state.values() for v in s.values()
                                 if hasattr(v, "nbytes")))
    np.testing.assert_array_equal(weights["zero"], weights["adam"])
    report(check="zero", rank=r, world_size=p, parameters=int(weights["adam"].size),
           adam_state_bytes=int(memory["adam"]), zero_state_bytes=int(memory["zero"]))


def check_zero_reduce_scatter(steps: int = 3) -> None:
    """``average_gradients=True``: each rank's own batch, gradients averaged by reduce-scatter inside ZeRO, equals
    DDP + plain Adam."""
    r = dist.rank()
    rng = np.random.default_rng(4)
    x = rng.standard_normal((steps, dist.world_size(), 4, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, (steps, dist.world_size(), 4))
    results = {}
    for kind in ("ddp-adam", "zero-rs"):
        tg.manual_seed(0)
        model = small_cnn()
        if kind == "ddp-adam":
            runner = dist.DistributedDataParallel(model)
            optimizer = optim.Adam(model.parameters(), lr=1e-2)
        else:
            runner = model
            optimizer = dist.ZeroRedundancyOptimizer(model.parameters(), optim.Adam, average_gradients=True,
                                                     lr=1e-2)
        for step in range(steps):
            optimizer.zero_grad()
            F.cross_entropy(runner(tg.Tensor(x[step, r])), tg.Tensor(y[step, r])).backward()
            optimizer.step()
        results[kind] = np.concatenate([q.numpy().ravel() for q in model.parameters()])
    np.testing.assert_allclose(results["zero-rs"], results["ddp-adam"], rtol=1e-6, atol=1e-7)
    report(check="zero_reduce_scatter", max_difference=float(np.max(np.abs(results["zero-rs"] - results["ddp-adam"]))))


def check_buffers() -> None:
    """BatchNorm's running statistics stay those of rank 0 on every rank (broadcast at each forward)."""
    r = dist.rank()
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))
    ddp = dist.DistributedDataParallel(model)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(10 + r)  # different data on each rank: different batch statistics
    for _ in range(3):
        optimizer.zero_grad()
        x = tg.Tensor(rng.standard_normal((8, 4)).astype(np.float32) * (r + 1))
        F.cross_entropy(ddp(x), tg.Tensor(rng.integers(0, 2, 8))).backward()
        optimizer.step()
    ddp.eval()  # each rank updated its statistics with its own shard; eval() gives every rank rank 0's
    for buffer in model.buffers():
        mine = buffer.numpy().copy()
        theirs = mine.copy()
        dist.broadcast(theirs, src=0)
        assert np.array_equal(mine, theirs), "buffers differ between ranks"
    report(check="buffers", buffers=len(list(model.buffers())))


def check_syncbn() -> None:
    """2 ranks × 4 samples through SyncBatchNorm (under DDP) == 1 process × 8 samples through BatchNorm: outputs,
    input gradients, parameter gradients and running statistics (float64)."""
    r, p = dist.rank(), dist.world_size()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4 * p, 3, 5, 5))
    target = rng.standard_normal((4 * p, 2))

    def build() -> nn.Module:
        tg.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(36, 2)).double()

    reference = build()
    xs = tg.tensor(x, requires_grad=True)
    expected = reference(xs)
    ((expected - tg.tensor(target)) ** 2).mean().backward()
    synced = dist.SyncBatchNorm.convert_sync_batchnorm(build())
    ddp = dist.DistributedDataParallel(synced)
    mine = tg.tensor(x[4 * r: 4 * r + 4], requires_grad=True)
    out = ddp(mine)
    ((out - tg.tensor(target[4 * r: 4 * r + 4])) ** 2).mean().backward()
    np.testing.assert_allclose(out.numpy(), expected.numpy()[4 * r: 4 * r + 4], rtol=1e-10, atol=1e-12)
    for a, b in zip(synced.parameters(), reference.parameters(), strict=True):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-12)
    # this rank's loss is a mean over 4 samples, the reference's over 4p: ∂L/∂x is p times larger here
    np.testing.assert_allclose(mine.grad, p * xs.grad[4 * r: 4 * r + 4], rtol=1e-10, atol=1e-12)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(synced[1], name).numpy(), getattr(reference[1], name).numpy(), rtol=1e-12)
    report(check="syncbn", ok=True)


class TwoHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(3, 4)
        self.left = nn.Linear(4, 1)
        self.right = nn.Linear(4, 1)

    def forward(self, x: tg.Tensor, use_right: bool) -> tg.Tensor:
        h = self.body(x).relu()
        return self.right(h) if use_right else self.left(h)


def check_unused() -> None:
    """find_unused_parameters: rank 0 uses the left head, rank 1 the right: each head still gets the rank
    average of its gradient (half of the one rank's that used it). Without the flag the next forward raises."""
    r = dist.rank()
    tg.manual_seed(0)
    model = TwoHeads()
    ddp = dist.DistributedDataParallel(model, find_unused_parameters=True)
    x = tg.Tensor(np.ones((2, 3), np.float32))
    ddp(x, use_right=r == 1).sum().backward()
    left = model.left.weight.grad.numpy().copy()
    everyone = dist.all_gather(tg.Tensor(left))
    assert all(np.array_equal(everyone[0].numpy(), e.numpy()) for e in everyone), "unused-parameter grads differ"
    assert np.any(left != 0), "the left head used by rank 0 got no gradient"
    strict = dist.DistributedDataParallel(TwoHeads())
    strict(x, use_right=False).sum().backward()  # the right head gets no gradient: backward cannot finish
    try:
        strict(x, use_right=False)
    except RuntimeError as error:
        message = str(error)
    else:
        raise AssertionError("a forward after an incomplete backward did not raise")
    report(check="unused", error=message)


def _fit_run(folder: str, epochs: int, resume_from: str | None = None) -> tuple[object, np.ndarray]:
    from tinygrad_edu.train import fit
    from tinygrad_edu.train.callbacks import CSVLogger, ModelCheckpoint

    r = dist.rank()
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((101, 6)).astype(np.float32)  # 101: not divisible by the ranks, so one is padded
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    # each rank names its own folder: the test then sees which ranks wrote files
    callbacks = [ModelCheckpoint(f"{folder}/rank{r}/ckpt-{{epoch}}.npz"), CSVLogger(f"{folder}/rank{r}/log.csv")]
    history = fit(model, F.cross_entropy, optimizer, (x, y), epochs=epochs, val_data=(x[:37], y[:37]),
                  batch_size=8, progress=True, callbacks=callbacks, resume_from=resume_from)
    return history, np.concatenate([q.numpy().ravel() for q in model.parameters()])


def check_fit(folder: str) -> None:
    """fit under mpiexec: the same logs on every rank, only rank 0 writes, and a run resumed from the epoch-2
    checkpoint ends with the weights of the run that never stopped."""
    history, weights = _fit_run(f"{folder}/straight", epochs=3)
    checkpoint = f"{folder}/straight/rank0/ckpt-2.npz"
    resumed_history, resumed = _fit_run(f"{folder}/resumed", epochs=3, resume_from=checkpoint)
    everyone = dist.all_gather(tg.Tensor(weights))
    identical = all(np.array_equal(everyone[0].numpy(), w.numpy()) for w in everyone)
    report(check="fit", history=history.history, resumed_history=resumed_history.history, identical=identical,
           resumed_equal=bool(np.array_equal(weights, resumed)), world_size=dist.world_size())


def main() -> None:
    dist.init(use_mpi=True)
    check = sys.argv[1]
    if check == "ring":
        check_ring([int(s) for s in sys.argv[2].split(",")])
    elif check == "fit":
        check_fit(sys.argv[2])
    else:
        globals()[f"check_{check}"]()


if __name__ == "__main__":
    main()

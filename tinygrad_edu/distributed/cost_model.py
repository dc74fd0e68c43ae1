"""The α–B cost model of communication, and the ping-pong benchmark that measures α and B on this machine.

One message of m bytes between two ranks takes (formula F99)

    t(m) = α + m / B

α (the latency: seconds per message, whatever its size) and B (the bandwidth: bytes per second) are fitted by
least squares to the one-way times of a ping-pong: rank 0 sends m bytes to rank 1, which sends them back;
half the round trip is one message. The ring all-reduce of n bytes over p ranks then costs (F97)

    T(p, n) = 2(p − 1) · α + 2 (p − 1)/p · n / B

and one data-parallel step with per-rank compute time t_c (weak scaling: each rank keeps its batch) takes
t_c + T(p, n) when nothing overlaps — an upper bound; bucketed all-reduce hides part of T behind backward.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .process_group import init


@dataclass
class LinkModel:
    """α (seconds per message) and B (bytes per second), with the machine they were measured on."""

    alpha_s: float
    bandwidth_Bps: float  # noqa: N815 — B in the formula
    machine: str = ""

    def message_seconds(self, nbytes: float) -> float:
        """t(m) = α + m / B."""
        return self.alpha_s + nbytes / self.bandwidth_Bps

    def ring_all_reduce_seconds(self, nbytes: float, p: int | np.ndarray) -> float | np.ndarray:
        """T(p, n) = 2(p − 1)·α + 2(p − 1)/p · n/B (zero for p = 1)."""
        p = np.asarray(p, dtype=np.float64)
        return 2 * (p - 1) * self.alpha_s + 2 * (p - 1) / p * nbytes / self.bandwidth_Bps

    def step_prediction(self, compute_s: float, nbytes: float, ranks: np.ndarray, batch_per_rank: int) -> dict:
        """Predicted step time, communication share and images/s for each p in ``ranks`` (weak scaling, no
        overlap): step = t_c + T(p, n), share = T / step, throughput = p · b / step."""
        ranks = np.asarray(ranks, dtype=np.float64)
        comm = self.ring_all_reduce_seconds(nbytes, ranks)
        step = compute_s + comm
        return {"ranks": ranks, "step_s": step, "comm_share": comm / step,
                "images_per_s": ranks * batch_per_rank / step, "efficiency": compute_s / step}


def fit_link(sizes_bytes: np.ndarray, seconds: np.ndarray, machine: str = "") -> LinkModel:
    """α and B from one-way times t(m): the line t = α + m · (1/B), fitted in *relative* error (each row divided
    by its t), so that the microsecond times of small messages weigh as much as the milliseconds of large ones."""
    seconds = np.asarray(seconds, np.float64)
    design = np.stack([np.ones_like(seconds), np.asarray(sizes_bytes, np.float64)], axis=1) / seconds[:, None]
    (alpha, inverse_bandwidth), *_ = np.linalg.lstsq(design, np.ones_like(seconds), rcond=None)
    return LinkModel(max(float(alpha), 0.0), 1.0 / max(float(inverse_bandwidth), 1e-30), machine)


def ping_pong(sizes_bytes: list[int] | None = None, repeats: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """One-way message times (median of ``repeats`` round trips ÷ 2) between ranks 0 and 1, for each size.
    Every rank must call it; ranks ≥ 2 only wait. Returns (sizes, seconds) on every rank."""
    world = init()
    if world.size < 2:
        raise RuntimeError("ping_pong needs two ranks: run it under mpiexec -n 2")
    if sizes_bytes is None:
        sizes_bytes = [8, 64, 512, 4096, 32768, 262144, 1 << 20, 4 << 20]
    comm = world.comm
    times = []
    for size in sizes_bytes:
        buffer = np.zeros(size, dtype=np.uint8)
        samples = []
        for i in range(repeats + 3):
            comm.Barrier()
            start = time.perf_counter()
            if world.rank == 0:
                comm.Send(buffer, dest=1, tag=i)
                comm.Recv(buffer, source=1, tag=i)
            elif world.rank == 1:
                comm.Recv(buffer, source=0, tag=i)
                comm.Send(buffer, dest=0, tag=i)
            if i >= 3:  # the first round trips warm up the connection
                samples.append((time.perf_counter() - start) / 2)
        times.append(float(np.median(samples)))
    seconds = np.array(comm.bcast(times, root=0))
    return np.asarray(sizes_bytes, dtype=np.int64), seconds

"""The data-parallel row of the benchmark (``python -m tinygrad_edu.bench --only distributed``): images/s of the
documents' CNN with 2 ranks × 1 thread against 1 rank × 1 thread and 1 rank × 2 threads, and α and B of the
ping-pong. Each configuration runs in its own processes (tinygrad_edu/distributed/measure.py)."""

from __future__ import annotations

from .workloads import Result, Settings


def distributed_scaling(s: Settings) -> list[Result]:
    from ..distributed.launch import why_no_mpi
    from ..distributed.measure import measure_scaling

    problem = why_no_mpi()
    if problem is not None:
        print(f"distributed: skipped ({problem})")
        return []
    result = measure_scaling(steps=5 if s.quick else 15, global_batch=64, ranks=2)
    rows = []
    for name, run in result["runs"].items():
        extra = {"images/s": round(run["images_per_s"], 1), "communication ms per step": round(run["comm_s"] * 1e3, 2)}
        rows.append(Result(f"documents' CNN SGD step, global batch 64, {name}", run["step_s"], extra=extra))
    rows[-1].extra.update({
        "2 ranks vs 1 rank x 1 thread": f"{result['speedup_ranks_vs_1_thread']:.2f}x (target >= 1.8x)",
        "2 ranks vs 1 rank x 2 threads": f"{result['speedup_ranks_vs_threads']:.2f}x",
        "alpha (us), B (GB/s)": f"{result['alpha_s'] * 1e6:.2f}, {result['bandwidth_Bps'] / 1e9:.2f}",
        "machine": result["machine"],
    })
    return rows

"""Speed of attention and of the LSTM against PyTorch's CPU build, measured in one process.

    python -m tinygrad_edu.bench.sequence            # the figures of docs/sequence-models.md, "Speed"
    python -m tinygrad_edu.bench.sequence --quick    # fewer repeats

Every workload is forward + backward in float32. The contenders of one workload are timed in turns (ours,
PyTorch, ours, …), each turn a block of calls, after a warm-up that also compiles the Numba kernels; the figure
is the median over turns, and the ratio is the median of the per-turn ratios, so a machine that other work slows
down now and then slows all contenders alike. PyTorch runs with ``--threads`` threads (2 by default, the number
of cores our kernels use here). "F.sdpa" is what ``F.scaled_dot_product_attention`` runs (the path
``kernels.dispatch.attention_path`` picks); "flash", "short" and "reference" force one path. For single-threaded figures
set the thread counts before the libraries load: ``NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m
tinygrad_edu.bench.sequence --threads 1``.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, ops
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.rnn import lstm_cell_composed

from .timing import samples_in_turns


def alternate(contenders: dict[str, Callable[[], object]], repeats: int, warmup: int = 3) -> dict[str, list[float]]:
    """Seconds per call of each contender, one sample per turn, the contenders taking turns."""
    return samples_in_turns(contenders, repeats, warmup, min_block_s=0.02)


def attention_contenders(torch: Any, batch: int, heads: int, seq: int, head_dim: int,
                         causal: bool = False) -> dict[str, Callable[[], object]]:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((batch, heads, seq, head_dim), dtype=np.float32) for _ in range(4)]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays[:3]]
    grad = arrays[3]

    def ours_with(path: str) -> Callable[[], None]:
        def step() -> None:
            for t in ours:
                t.grad = None
            ops.ScaledDotProductAttention.apply(*ours, causal=causal, path=path).backward(grad)
        return step

    def selected() -> None:  # what F.scaled_dot_product_attention runs (kernels.dispatch.attention_path)
        for t in ours:
            t.grad = None
        F.scaled_dot_product_attention(*ours, is_causal=causal).backward(grad)

    contenders = {"F.sdpa": selected, "flash": ours_with("flash"), "short": ours_with("short"),
                  "reference": ours_with("reference")}
    if torch is not None:
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays[:3]]
        torch_grad = torch.tensor(grad)

        def torch_step() -> None:
            for t in theirs:
                t.grad = None
            torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=causal).backward(torch_grad)

        contenders["torch"] = torch_step
    return contenders


def lstm_contenders(torch: Any, input_size: int = 32, hidden: int = 128, seq: int = 100,
                    batch: int = 32) -> dict[str, Callable[[], object]]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((seq, batch, input_size), dtype=np.float32)
    ours = nn.LSTM(input_size, hidden)
    x_ours = tg.tensor(x, requires_grad=True)
    seed = np.ones((seq, batch, hidden), dtype=np.float32)

    def sequence_op() -> None:  # what nn.LSTM runs: one op per layer, BPTT inside its backward
        ours.zero_grad()
        ours(x_ours)[0].backward(seed)

    cell = nn.LSTMCell(input_size, hidden)
    cell.load_state_dict({name.replace("_l0", ""): value for name, value in ours.state_dict().items()})

    def per_step_ops() -> None:  # one fused op per time step (LSTMCell in a Python loop)
        cell.zero_grad()
        h = c = None
        outputs = []
        for t in range(seq):
            h, c = cell(x_ours[t], None if h is None else (h, c))
            outputs.append(h)
        tg.stack(outputs).backward(seed)

    params = [ours.weight_ih_l0, ours.weight_hh_l0, ours.bias_ih_l0, ours.bias_hh_l0]

    def composed() -> None:  # every equation a separate core op (lstm_cell_composed)
        ours.zero_grad()
        h = c = tg.zeros(batch, hidden)
        outputs = []
        for t in range(seq):
            h, c = lstm_cell_composed(x_ours[t], h, c, *params)
            outputs.append(h)
        tg.stack(outputs).backward(seed)

    contenders = {"sequence op": sequence_op, "per-step op": per_step_ops, "composed": composed}
    if torch is not None:
        theirs = torch.nn.LSTM(input_size, hidden)
        x_theirs = torch.tensor(x, requires_grad=True)
        torch_seed = torch.tensor(seed)

        def torch_step() -> None:
            theirs.zero_grad()
            theirs(x_theirs)[0].backward(torch_seed)

        contenders["torch"] = torch_step
    return contenders


def report(title: str, samples: dict[str, list[float]], baseline: str | None) -> list[str]:
    lines = [title]
    for name, values in samples.items():
        text = f"  {name:<12} {statistics.median(values) * 1e3:9.3f} ms"
        if baseline in samples and name != baseline:
            ratios = [a / b for a, b in zip(values, samples[baseline], strict=True)]
            text += f"   {statistics.median(ratios):5.2f}× {baseline}"
        lines.append(text)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's intra-op threads (default 2)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    args = parser.parse_args(argv)
    torch = None
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            print("PyTorch is not installed: our figures only")
    repeats = 7 if args.quick else 21
    baseline = "torch" if torch is not None else None
    for seq in (128, 512):
        for causal in (False, True):
            samples = alternate(attention_contenders(torch, 8, 4, seq, 32, causal), repeats)
            title = f"attention fwd+bwd, batch 8, 4 heads, seq {seq}, head 32{', causal' if causal else ''}"
            print("\n".join(report(title, samples, baseline)), flush=True)
    samples = alternate(lstm_contenders(torch), max(5, repeats // 3), warmup=2)
    print("\n".join(report("LSTM fwd+bwd, input 32, hidden 128, seq 100, batch 32", samples, baseline)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

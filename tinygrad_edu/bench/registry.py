"""The workloads of the fair comparison with PyTorch: each one written twice, ours and its PyTorch twin.

``python -m tinygrad_edu.bench --against torch`` (bench/fair.py) runs every entry of ``WORKLOADS`` with our side
in one fresh process and PyTorch's in another, each building its step from here. A ``Workload`` names the
figure and holds two builders, ``ours(seed)`` and ``theirs(torch, seed)``, each returning a step: a function of
no arguments that runs the measured work once. Both sides draw their inputs with NumPy from the same seed, so
they compute on the same numbers. ``kind="time"`` rows are timed; ``kind="memory"`` rows run ``steps`` steps
and report the process's peak resident memory.

To add a row: write the two builders and add one ``Workload`` to ``WORKLOADS``. The PyTorch twins import
nothing from torch themselves: the child process passes the module in (the package never needs PyTorch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Step = Callable[[], object]


@dataclass(frozen=True)
class Workload:
    """One row of the comparison: ``ours(seed)`` and ``theirs(torch, seed)`` each build a step to run.

    ``theirs_needs_torch=False`` hands ``theirs`` ``None`` instead of the torch module (the tests' fake rows);
    ``steps`` is how many steps a ``kind="memory"`` row runs before reading the peak resident memory.
    """

    name: str
    ours: Callable[[int], Step]
    theirs: Callable[[Any, int], Step]
    kind: str = "time"
    steps: int = 20
    theirs_needs_torch: bool = True


# ------------------------------------------------------------------------------------------- op overhead


def ours_overhead(seed: int) -> Step:
    """One elementwise product on a 10-element tensor, forward and backward: the engine's fixed cost."""
    import tinygrad_edu as tg

    rng = np.random.default_rng(seed)
    x, y = (tg.tensor(rng.standard_normal(10, dtype=np.float32), requires_grad=True) for _ in range(2))
    seed_grad = np.ones(10, dtype=np.float32)

    def step() -> None:
        x.grad = y.grad = None
        (x * y).backward(seed_grad)

    return step


def torch_overhead(torch: Any, seed: int) -> Step:
    rng = np.random.default_rng(seed)
    x, y = (torch.tensor(rng.standard_normal(10, dtype=np.float32), requires_grad=True) for _ in range(2))
    seed_grad = torch.ones(10)

    def step() -> None:
        x.grad = y.grad = None
        (x * y).backward(seed_grad)

    return step


# ------------------------------------------------------------------------------------------------- MLP

MLP_SIZES, MLP_BATCH = (784, 256, 128, 10), 128


def _mlp_arrays(seed: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Weights and biases (PyTorch's U(±1/√fan_in)), one batch and its labels, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    x = rng.standard_normal((MLP_BATCH, MLP_SIZES[0]), dtype=np.float32)
    return params, x, rng.integers(0, MLP_SIZES[-1], MLP_BATCH)


def ours_mlp(seed: int) -> Step:
    """The 784-256-128-10 MLP (ReLU), cross-entropy, one SGD step with momentum 0.9, batch 128."""
    import tinygrad_edu as tg
    from tinygrad_edu import nn, optim
    from tinygrad_edu.nn import functional as F

    params, x, y = _mlp_arrays(seed)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    model.load_state_dict({k: v for k, v in zip(model.state_dict(), params, strict=True)})
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    inputs, labels = tg.tensor(x), tg.tensor(y)

    def step() -> None:
        optimizer.zero_grad()
        F.cross_entropy(model(inputs), labels).backward()
        optimizer.step()

    return step


def torch_mlp(torch: Any, seed: int) -> Step:
    params, x, y = _mlp_arrays(seed)
    t = torch.nn
    model = t.Sequential(t.Linear(784, 256), t.ReLU(), t.Linear(256, 128), t.ReLU(), t.Linear(128, 10))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in zip(model.state_dict(), params, strict=True)})
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> None:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), labels).backward()
        optimizer.step()

    return step


# ------------------------------------------------------------------------------------- documents' CNN


def ours_cnn(seed: int, batch: int = 64) -> Step:
    """The documents' CNN (bench/kernels.py), one Adam step on a batch of noise images."""
    from .kernels import our_training_step

    return our_training_step(batch, seed=seed)


def torch_cnn(torch: Any, seed: int, batch: int = 64) -> Step:
    from .kernels import torch_training_step

    return torch_training_step(torch, batch, seed=seed)


# ------------------------------------------------------------------------------------------- attention


def _attention_arrays(seed: int, shape: tuple[int, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape, dtype=np.float32) for _ in range(4)]  # q, k, v, the output's gradient


def ours_attention(seed: int, shape: tuple[int, ...]) -> Step:
    """``F.scaled_dot_product_attention`` forward and backward on (batch, heads, sequence, head size)."""
    import tinygrad_edu as tg
    from tinygrad_edu.nn import functional as F

    *arrays, grad = _attention_arrays(seed, shape)
    q, k, v = (tg.tensor(a, requires_grad=True) for a in arrays)

    def step() -> None:
        q.grad = k.grad = v.grad = None
        F.scaled_dot_product_attention(q, k, v).backward(grad)

    return step


def torch_attention(torch: Any, seed: int, shape: tuple[int, ...]) -> Step:
    *arrays, grad = _attention_arrays(seed, shape)
    q, k, v = (torch.tensor(a, requires_grad=True) for a in arrays)
    grad_t = torch.from_numpy(grad)

    def step() -> None:
        q.grad = k.grad = v.grad = None
        torch.nn.functional.scaled_dot_product_attention(q, k, v).backward(grad_t)

    return step


# ------------------------------------------------------------------------------------------------ LSTM

LSTM_INPUT, LSTM_HIDDEN, LSTM_SEQ, LSTM_BATCH = 32, 128, 100, 32


def _lstm_arrays(seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """LSTM weights (U(±1/√hidden), PyTorch's order w_ih, w_hh, b_ih, b_hh) and an input (seq, batch, input)."""
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(LSTM_HIDDEN)
    shapes = [(4 * LSTM_HIDDEN, LSTM_INPUT), (4 * LSTM_HIDDEN, LSTM_HIDDEN), (4 * LSTM_HIDDEN,), (4 * LSTM_HIDDEN,)]
    params = [rng.uniform(-bound, bound, s).astype(np.float32) for s in shapes]
    return params, rng.standard_normal((LSTM_SEQ, LSTM_BATCH, LSTM_INPUT), dtype=np.float32)


def ours_lstm(seed: int) -> Step:
    """``nn.LSTM(32, 128)`` forward and backward over 100 steps, batch 32 (a gradient of ones on every output)."""
    import tinygrad_edu as tg
    from tinygrad_edu import nn

    params, x = _lstm_arrays(seed)
    model = nn.LSTM(LSTM_INPUT, LSTM_HIDDEN)
    model.load_state_dict({k: v for k, v in zip(model.state_dict(), params, strict=True)})
    inputs = tg.tensor(x, requires_grad=True)
    grad = np.ones((LSTM_SEQ, LSTM_BATCH, LSTM_HIDDEN), dtype=np.float32)

    def step() -> None:
        model.zero_grad()
        inputs.grad = None
        model(inputs)[0].backward(grad)

    return step


def torch_lstm(torch: Any, seed: int) -> Step:
    params, x = _lstm_arrays(seed)
    model = torch.nn.LSTM(LSTM_INPUT, LSTM_HIDDEN)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in zip(model.state_dict(), params, strict=True)})
    inputs = torch.tensor(x, requires_grad=True)
    grad = torch.ones(LSTM_SEQ, LSTM_BATCH, LSTM_HIDDEN)

    def step() -> None:
        model.zero_grad()
        inputs.grad = None
        model(inputs)[0].backward(grad)

    return step


# ---------------------------------------------------------------------------------------------- registry

ATTENTION_LONG = (1, 4, 2048, 32)

WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    Workload("cnn", ours_cnn, torch_cnn),
    Workload("attention128", lambda seed: ours_attention(seed, (8, 4, 128, 32)),
             lambda torch, seed: torch_attention(torch, seed, (8, 4, 128, 32))),
    Workload("attention512", lambda seed: ours_attention(seed, (8, 4, 512, 32)),
             lambda torch, seed: torch_attention(torch, seed, (8, 4, 512, 32))),
    Workload("lstm", ours_lstm, torch_lstm),
    Workload("mlp", ours_mlp, torch_mlp),
    Workload("overhead", ours_overhead, torch_overhead),
    Workload("cnn_memory", ours_cnn, torch_cnn, kind="memory", steps=20),
    Workload("attention2048_memory", lambda seed: ours_attention(seed, ATTENTION_LONG),
             lambda torch, seed: torch_attention(torch, seed, ATTENTION_LONG), kind="memory", steps=2),
]}

#: what each row measures, for the table and docs/benchmarks.md
TITLES = {
    "cnn": "documents' CNN, Adam step, batch 64",
    "attention128": "attention fwd+bwd 8×4×128×32",
    "attention512": "attention fwd+bwd 8×4×512×32",
    "lstm": "LSTM fwd+bwd, input 32, hidden 128, seq 100, batch 32",
    "mlp": "MLP 784-256-128-10 SGD-momentum step, batch 128",
    "overhead": "op overhead (mul, 10 elements, fwd+bwd)",
    "cnn_memory": "peak RSS of 20 CNN training steps (MiB)",
    "attention2048_memory": "peak RSS of attention fwd+bwd 1×4×2048×32, 2 steps (MiB)",
}

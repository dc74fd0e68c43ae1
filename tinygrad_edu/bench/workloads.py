"""The benchmark's workloads. Each returns rows of ``Result``: our time, plain NumPy by hand where that makes
sense, and PyTorch's CPU time when asked for and installed — all measured in this one process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

from .timing import median_time, time_in_turns


@dataclass
class Result:
    name: str
    ours_s: float
    numpy_s: float | None = None
    torch_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Settings:
    quick: bool
    torch: Any  # the torch module, or None

    @property
    def repeats(self) -> int:
        return 5 if self.quick else 15

    def time(self, fn: Callable[[], object]) -> float:
        return median_time(fn, repeats=self.repeats, warmup=2 if self.quick else 3)

    def compare(self, name: str, ours: Callable[[], object], numpy: Callable[[], object] | None = None,
                torch: Callable[[], object] | None = None, **extra: Any) -> Result:
        """Time our version, the NumPy-by-hand one and PyTorch's (when given) in turns; one table row."""
        contenders = {"ours": ours}
        if numpy is not None:
            contenders["numpy"] = numpy
        if torch is not None and self.torch is not None:
            contenders["torch"] = torch
        times = time_in_turns(contenders, repeats=self.repeats, warmup=2 if self.quick else 3)
        return Result(name, times["ours"], times.get("numpy"), times.get("torch"), extra=dict(extra))


# ----------------------------------------------------------------------------------------- op overhead


def op_overhead(s: Settings) -> list[Result]:
    """One elementwise product on a 10-element tensor, forward and backward: the engine's fixed cost."""
    x = tg.randn(10, requires_grad=True)
    y = tg.randn(10, requires_grad=True)
    seed = np.ones(10, dtype=np.float32)

    def ours() -> None:
        (x * y).backward(seed)

    xa, ya = x.numpy(), y.numpy()

    def by_hand() -> None:
        _ = xa * ya
        _ = seed * ya, seed * xa

    torch_step = None
    if s.torch is not None:
        torch = s.torch
        tx = torch.randn(10, requires_grad=True)
        ty = torch.randn(10, requires_grad=True)
        tseed = torch.ones(10)

        def torch_step() -> None:
            (tx * ty).backward(tseed)

    result = s.compare("op overhead (mul, 10 elements, fwd+bwd)", ours, by_hand, torch_step)
    return [result]


# ------------------------------------------------------------------------------------------------ MLPs


def _mlp_numpy_step(sizes: list[int], batch: int, lr: float = 0.01, momentum: float = 0.9,
                    update: bool = True, xp: Any = np) -> Callable[[], None]:
    """The MLP training step (ReLU hidden layers, softmax cross-entropy, SGD with momentum) in plain NumPy;
    ``update=False`` stops after the gradients (forward + backward only). ``xp=cupy`` runs the same lines on
    the GPU (the arrays are drawn with NumPy, then copied there)."""
    rng = np.random.default_rng(0)
    weights = [xp.asarray(rng.standard_normal((o, i), dtype=np.float32) * np.float32(1 / np.sqrt(i)))
               for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [xp.zeros(o, dtype=np.float32) for o in sizes[1:]]
    velocity = [xp.zeros_like(p) for p in weights + biases]
    x = xp.asarray(rng.standard_normal((batch, sizes[0]), dtype=np.float32))
    y = xp.asarray(rng.integers(0, sizes[-1], batch))
    rows = xp.arange(batch)

    def step() -> None:
        activations = [x]
        for k, (w, b) in enumerate(zip(weights, biases, strict=True)):
            z = activations[-1] @ w.T + b
            activations.append(xp.maximum(z, 0) if k < len(weights) - 1 else z)
        logits = activations[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = xp.exp(shifted)
        total = probs.sum(axis=1, keepdims=True)
        _loss = -(shifted[rows, y] - xp.log(total[:, 0])).mean()  # the loss value, as cross_entropy returns it
        probs /= total
        delta = probs
        delta[rows, y] -= 1
        delta /= batch
        grads_w, grads_b = [], []
        for k in range(len(weights) - 1, -1, -1):
            grads_w.append(delta.T @ activations[k])
            grads_b.append(delta.sum(axis=0))
            if k > 0:
                delta = (delta @ weights[k]) * (activations[k] > 0)
        if not update:
            return
        grads = grads_w[::-1] + grads_b[::-1]
        for p, g, v in zip(weights + biases, grads, velocity, strict=True):
            v *= momentum
            v += g
            p -= lr * v

    return step


def _mlp_ours_step(sizes: list[int], batch: int, update: bool = True, device: str = "cpu") -> Callable[[], None]:
    """Our MLP training step, its model and batch drawn on the current backend, then moved to ``device``."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).to(device)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = tg.randn(batch, sizes[0]).to(device)
    y = tg.randint(0, sizes[-1], batch).to(device)

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        if update:
            opt.step()

    return step


def _mlp_torch_step(torch: Any, sizes: list[int], batch: int, update: bool = True,
                    device: str = "cpu") -> Callable[[], None]:
    layers: list[Any] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, sizes[0]).to(device)
    y = torch.randint(0, sizes[-1], (batch,)).to(device)

    def step() -> None:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        if update:
            opt.step()

    return step


def mlp_step(s: Settings) -> list[Result]:
    """The 784-256-128-10 MLP at batch 128: one SGD-momentum training step, and forward + backward alone (the
    engine's overhead over the same computation written by hand)."""
    sizes, batch = [784, 256, 128, 10], 128
    torch_step = _mlp_torch_step(s.torch, sizes, batch) if s.torch is not None else None
    result = s.compare("MLP 784-256-128-10 step, batch 128", _mlp_ours_step(sizes, batch),
                       _mlp_numpy_step(sizes, batch), torch_step)
    torch_grads = _mlp_torch_step(s.torch, sizes, batch, update=False) if s.torch is not None else None
    gradients = s.compare("MLP 784-256-128-10 forward+backward only, batch 128",
                          _mlp_ours_step(sizes, batch, update=False), _mlp_numpy_step(sizes, batch, update=False),
                          torch_grads)
    return [result, gradients]


def matmul_peak_gflops(s: Settings) -> float:
    """The machine's own float32 matrix-product speed through NumPy (the BLAS), in GFLOP/s."""
    n = 1024 if s.quick else 2048
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    seconds = median_time(lambda: a @ b, repeats=5, warmup=1)
    return 2 * n**3 / seconds / 1e9


def wide_mlp(s: Settings) -> list[Result]:
    """A wide MLP (1024-4096-4096-10, batch 256): is the engine BLAS-bound, as it should be?"""
    sizes, batch = [1024, 4096, 4096, 10], 256
    torch_step = _mlp_torch_step(s.torch, sizes, batch) if s.torch is not None else None
    result = s.compare("wide MLP 1024-4096-4096-10 step, batch 256", _mlp_ours_step(sizes, batch),
                       _mlp_numpy_step(sizes, batch), torch_step)
    # forward 2·B·in·out per layer, backward twice that, except no input gradient for the first layer
    layer_flops = [2 * batch * i * o for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    flops = 3 * sum(layer_flops) - layer_flops[0]
    peak = matmul_peak_gflops(s)
    achieved = flops / result.ours_s / 1e9
    result.extra = {"GFLOP/s": round(achieved, 1), "NumPy matmul peak GFLOP/s": round(peak, 1),
                    "% of peak": round(100 * achieved / peak, 1)}
    return [result]


# ------------------------------------------------------------------------------------------ optimizers

_OPTIMIZER_SHAPES = [(4096, 4096), (4096, 784), (4096,), (10, 4096), (10,)]  # 20,033,546 parameters


def _adam_by_hand(params: list[tg.Tensor], lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                  eps: float = 1e-8) -> Callable[[], None]:
    """Adam written as in-place NumPy with one preallocated work array per parameter."""
    state = [(np.zeros_like(p.data), np.zeros_like(p.data), np.empty_like(p.data)) for p in params]
    steps = [0]

    def step() -> None:
        steps[0] += 1
        step_size = lr / (1 - beta1 ** steps[0])
        bias_correction2_sqrt = (1 - beta2 ** steps[0]) ** 0.5
        for p, (m, v, work) in zip(params, state, strict=True):
            m *= beta1
            grad = p.grad.data
            np.multiply(grad, 1 - beta1, out=work)
            m += work
            v *= beta2
            np.multiply(grad, grad, out=work)
            work *= 1 - beta2
            v += work
            np.sqrt(v, out=work)
            work /= bias_correction2_sqrt
            work += eps
            np.divide(m, work, out=work)
            work *= -step_size
            p.data += work

    return step


def optimizer_step(s: Settings) -> list[Result]:
    """One Adam step over 20 million float32 parameters: the update rule's cost, gradients given."""
    rng = np.random.default_rng(0)
    params = [tg.Tensor(rng.standard_normal(shape, dtype=np.float32), requires_grad=True)
              for shape in _OPTIMIZER_SHAPES]
    for p in params:
        p.grad = tg.Tensor(rng.standard_normal(p.shape, dtype=np.float32))
    torch_step = None
    if s.torch is not None:
        torch = s.torch
        tparams = [torch.nn.Parameter(torch.from_numpy(p.numpy().copy())) for p in params]
        for tp, p in zip(tparams, params, strict=True):
            tp.grad = torch.from_numpy(p.grad.numpy().copy())
        torch_step = torch.optim.Adam(tparams, lr=1e-3).step
    result = s.compare("Adam step, 20M parameters", optim.Adam(params, lr=1e-3).step, _adam_by_hand(params),
                       torch_step)
    return [result]


# ------------------------------------------------------------------------------------------ convolution


def cnn_step(s: Settings) -> list[Result]:
    """The documents' CNN (conv32 → pool → conv64 → pool → conv64 → dense64 → dense10), one Adam step at batch 64,
    and the peak resident memory of 20 such steps in a fresh process."""
    from . import kernels as conv_bench

    torch_step = conv_bench.torch_training_step(s.torch, 64) if s.torch is not None else None
    result = s.compare("documents' CNN Adam step, batch 64", conv_bench.our_training_step(64), None, torch_step)
    result.extra["peak RSS of 20 steps (MiB)"] = round(conv_bench.peak_rss_mib(20, 64), 1)
    return [result]


def _im2col_python_loop(x: np.ndarray, k: int) -> np.ndarray:
    """im2col the way one first writes it: a Python loop over every output position and window element."""
    channels, height, width = x.shape
    out_h, out_w = height - k + 1, width - k + 1
    cols = np.empty((out_h * out_w, channels * k * k), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            col = 0
            for c in range(channels):
                for a in range(k):
                    for b in range(k):
                        cols[i * out_w + j, col] = x[c, i + a, j + b]
                        col += 1
    return cols


def im2col(s: Settings) -> list[Result]:
    """im2col of x (64, 32, 13, 13) with a 3×3 window: Numba kernel vs the NumPy stride-tricks reference (the
    'numpy' column) on an NCHW input; the same on the channels-last input the documents' CNN feeds that layer
    (an extra figure); and a naive Python loop on one image (scaled by 64 to the batch)."""
    from tinygrad_edu.kernels import im2col as kernel
    from tinygrad_edu.kernels import reference

    x = np.random.default_rng(0).random((64, 32, 13, 13), dtype=np.float32)
    x_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)  # same values, NHWC memory
    geometry = ((3, 3), (1, 1), (0, 0), (1, 1), (11, 11))
    for array in (x, x_last):
        if not np.array_equal(kernel.im2col(array, *geometry), reference.im2col(array, *geometry)):
            raise AssertionError("im2col: the Numba kernel and the NumPy reference disagree")
    result = s.compare("im2col 64x32x13x13, 3x3 (numpy = stride-tricks reference)",
                       lambda: kernel.im2col(x, *geometry), lambda: reference.im2col(x, *geometry))
    result.extra["reference / Numba"] = round(result.numpy_s / result.ours_s, 1)
    last = time_in_turns({"ours": lambda: kernel.im2col(x_last, *geometry),
                          "numpy": lambda: reference.im2col(x_last, *geometry)}, repeats=s.repeats)
    result.extra["channels-last input: reference / Numba"] = round(last["numpy"] / last["ours"], 1)
    one_image = median_time(lambda: _im2col_python_loop(x[0], 3), repeats=3, warmup=0)
    result.extra["naive Python loop, whole batch (ms, 64 x one image)"] = round(one_image * 64 * 1e3, 1)
    return [result]


# ------------------------------------------------------------------------------------------- sequences


def attention(s: Settings) -> list[Result]:
    """Scaled dot-product attention forward + backward, batch 8, 4 heads, head size 32, sequence 128 and 512:
    what ``F.scaled_dot_product_attention`` runs, against the NumPy reference path and PyTorch."""
    from .sequence import attention_contenders

    results = []
    for seq in (128, 512):
        contenders = attention_contenders(s.torch, 8, 4, seq, 32)
        result = s.compare(f"attention fwd+bwd 8x4x{seq}x32 (numpy = reference path)", contenders["F.sdpa"],
                           contenders["reference"], contenders.get("torch"))
        results.append(result)
    return results


def lstm(s: Settings) -> list[Result]:
    """nn.LSTM (input 32, hidden 128, sequence 100, batch 32) forward + backward."""
    from .sequence import lstm_contenders

    contenders = lstm_contenders(s.torch)
    return [s.compare("LSTM fwd+bwd 32->128, seq 100, batch 32", contenders["sequence op"], None,
                      contenders.get("torch"))]


def gpt_training(s: Settings) -> list[Result]:
    """The ≈1 M-parameter GPT's AdamW training step, batch 8 × 128 tokens; ours and PyTorch's each run in a
    process of their own (``bench/gpt.py``), not in turns in this one. ``python -m tinygrad_edu.bench.gpt``
    adds tokens/s and the KV-cache figures."""
    from .gpt import CONFIG, run_side

    steps = 3 if s.quick else 10
    ours = run_side("ours", CONFIG, 8, steps, 2)
    theirs = run_side("torch", CONFIG, 8, steps, 2) if s.torch is not None else None
    return [Result("GPT 1M training step, batch 8x128 (separate processes)", ours["seconds_per_step"], None,
                   None if theirs is None else theirs["seconds_per_step"],
                   extra={"ours_tokens_per_s": round(ours["tokens_per_second"])})]


def distributed_scaling(s: Settings) -> list[Result]:
    """The CNN on 2 MPI ranks against 1 rank (bench/distributed.py; imported here, which it imports)."""
    from .distributed import distributed_scaling as measure

    return measure(s)


WORKLOADS: dict[str, Callable[[Settings], list[Result]]] = {
    "overhead": op_overhead,
    "mlp": mlp_step,
    "wide_mlp": wide_mlp,
    "cnn": cnn_step,
    "im2col": im2col,
    "attention": attention,
    "lstm": lstm,
    "optimizer": optimizer_step,
    "gpt": gpt_training,
    "distributed": distributed_scaling,
}

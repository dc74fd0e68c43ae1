"""Scale on paper: what a GPT of a given shape costs in parameters, training compute and memory.

For a GPT with L blocks of width d, vocabulary V, context T (``GPTConfig``):

- **Parameters.** Each block has attention 4d² (Q, K, V, output) and an MLP 8d² (d → 4d → d), so

      N ≈ 12·L·d² + V·d                       (the tied embedding/head counted once)

  and exactly, for this project's GPT (biases, two LayerNorms per block, learned positions, a final LayerNorm):

      N = L·(12d² + 13d) + V·d + T·d + 2d     (without biases: L·(12d² + 4d) + V·d + T·d + 2d)

- **Training compute** (Kaplan et al. 2020): a forward pass costs ≈ 2N FLOPs per token (one multiply and one add
  per weight), the backward pass twice that, so training on D tokens costs  C ≈ 6·N·D  FLOPs.
- **Memory for training with Adam**, in bytes per parameter: float32 — weights 4, gradients 4, Adam's m and v 8
  (16 N in all); mixed precision — 16-bit weights 2 and gradients 2, float32 master weights 4, m and v 8
  (still 16 N: mixed precision saves activation memory and time, not optimizer state).
- **Activations** kept for the backward pass, per block (Korthikanti et al. 2022, 16-bit, no recomputation):
  s·b·d·(34 + 5·a·s/d) bytes for b sequences of s tokens and a heads; twice that in float32.

GPT-3 is from 2020 (Brown et al.), BERT from 2018 (Devlin et al.): the documents date them the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Shape:
    """A GPT's shape and training set: L, d, heads a, vocabulary V, context T, training tokens D."""

    name: str
    n_layer: int
    n_embd: int
    n_head: int
    vocab_size: int
    block_size: int
    tokens: float
    bias: bool = True
    year: int | None = None


#: From our model to GPT-3 (shapes from the GPT-2 and GPT-3 papers). D: our measured run; GPT-3's 300 B tokens
#: (its paper); for GPT-2 the compute-optimal 20 tokens per parameter (Hoffmann et al. 2022), its own D unpublished.
MODELS: tuple[Shape, ...] = (
    Shape("ours (byte-level)", 5, 128, 4, 261, 128, 899_072),  # the acceptance run of docs/language-models.md
    Shape("GPT-2 small", 12, 768, 12, 50257, 1024, 20 * 124e6, year=2019),
    Shape("GPT-2 XL", 48, 1600, 25, 50257, 1024, 20 * 1.56e9, year=2019),
    Shape("GPT-3 175B", 96, 12288, 96, 50257, 2048, 300e9, year=2020),
)


def approx_parameters(n_layer: int, n_embd: int, vocab_size: int) -> int:
    """N ≈ 12·L·d² + V·d."""
    return 12 * n_layer * n_embd**2 + vocab_size * n_embd


def exact_parameters(n_layer: int, n_embd: int, vocab_size: int, block_size: int, bias: bool = True,
                     learned_positions: bool = True) -> int:
    """This project's GPT, counted layer by layer: L·(12d² + 13d) + V·d + T·d + 2d (biases 9d of the 13d)."""
    d = n_embd
    per_block = 12 * d * d + (13 * d if bias else 4 * d)
    return n_layer * per_block + vocab_size * d + (block_size * d if learned_positions else 0) + 2 * d


def training_flops(parameters: float, tokens: float) -> float:
    """C ≈ 6·N·D: 2N per token forward, 4N backward."""
    return 6.0 * parameters * tokens


def activation_bytes(shape: Shape, batch: int = 1, bytes_per_value: int = 2) -> float:
    """Activations kept for backward, all blocks: L · s·b·d·(34 + 5·a·s/d) (16-bit; ×2 for float32)."""
    s, d = shape.block_size, shape.n_embd
    return shape.n_layer * s * batch * d * (34 + 5 * shape.n_head * s / d) * bytes_per_value / 2


@dataclass(frozen=True)
class ScaleRow:
    """One row of the scale table; memory in bytes, compute in FLOPs, time in days at ``flops_per_second``."""

    shape: Shape
    approx_parameters: int
    exact_parameters: int
    train_flops: float
    weights_fp32: float
    training_state_fp32: float
    training_state_mixed: float
    activations_fp32: float
    activations_mixed: float
    days_at_our_speed: float | None


def scale(shape: Shape, flops_per_second: float | None = None, batch: int = 1) -> ScaleRow:
    """Parameters, compute and memory of ``shape`` (and training days at ``flops_per_second``, if given)."""
    exact = exact_parameters(shape.n_layer, shape.n_embd, shape.vocab_size, shape.block_size, shape.bias)
    flops = training_flops(exact, shape.tokens)
    return ScaleRow(
        shape=shape,
        approx_parameters=approx_parameters(shape.n_layer, shape.n_embd, shape.vocab_size),
        exact_parameters=exact,
        train_flops=flops,
        weights_fp32=4.0 * exact,
        training_state_fp32=16.0 * exact,  # weights 4 + gradients 4 + Adam m, v 8
        training_state_mixed=16.0 * exact,  # 16-bit weights 2 + gradients 2 + fp32 master 4 + m, v 8
        activations_fp32=activation_bytes(shape, batch, bytes_per_value=4),
        activations_mixed=activation_bytes(shape, batch, bytes_per_value=2),
        days_at_our_speed=None if not flops_per_second else flops / flops_per_second / SECONDS_PER_DAY,
    )


def _human(value: float, unit: str = "") -> str:
    for factor, prefix in ((1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".strip()


def _days(days: float | None) -> str:
    if days is None:
        return "—"
    if days < 1 / 24:
        return f"{days * 24 * 60:.1f} min"
    if days < 365:
        return f"{days:.3g} days"
    return f"{days / 365.25:,.3g} years"


def scale_table(tokens_per_second: float | None = None, measured: Shape | None = None) -> str:
    """The table from our model to GPT-3 as markdown. ``tokens_per_second``: the training speed measured for
    ``measured`` (default: our ≈1 M model, ``MODELS[0]``, which then replaces the first row), turned into FLOP/s
    through C = 6·N·D and extrapolated to every row (same machine, same efficiency)."""
    measured = measured or MODELS[0]
    flops_per_second = None
    if tokens_per_second:
        n = exact_parameters(measured.n_layer, measured.n_embd, measured.vocab_size, measured.block_size)
        flops_per_second = 6.0 * n * tokens_per_second
    header = ("| model | L | d | N ≈ 12Ld² + Vd | N exact | tokens D | C = 6ND | weights fp32 | train state "
              "(16 B/param) | activations/seq fp32 | mixed | time at our speed |")
    lines = [header, "|" + " --- |" * 12]
    for shape in (measured, *MODELS[1:]):
        row = scale(shape, flops_per_second)
        lines.append(
            f"| {shape.name}{f' ({shape.year})' if shape.year else ''} | {shape.n_layer} | {shape.n_embd} | "
            f"{_human(row.approx_parameters)} | {_human(row.exact_parameters)} | {_human(shape.tokens)} | "
            f"{_human(row.train_flops, 'FLOP')} | {_human(row.weights_fp32, 'B')} | "
            f"{_human(row.training_state_fp32, 'B')} | {_human(row.activations_fp32, 'B')} | "
            f"{_human(row.activations_mixed, 'B')} | {_days(row.days_at_our_speed)} |")
    return "\n".join(lines)

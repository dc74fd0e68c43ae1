"""The recipe large language models are trained with, at laptop size, and how they are measured.

- **AdamW with decoupled weight decay on matrices only** (``decay_groups``): weight matrices and embeddings
  (parameters with ≥ 2 axes) are decayed, θ ← θ(1 − αλ); biases and LayerNorm gains/shifts are not — shrinking
  a LayerNorm gain towards 0 would only fight the normalisation.
- **Linear warm-up, then cosine decay** (``warmup_cosine``): Adam's second-moment estimates are poor in the first
  steps, so the learning rate starts small.
- **Gradient clipping** at global norm 1 (``nn.utils.clip_grad_norm_``): one bad batch cannot throw the weights
  far.
- **Random windows**: every step draws ``batch_size`` windows of ``block_size`` tokens at random offsets of the
  token stream (nanoGPT's loader; a ``TextDataset`` with stride 1, sampled).

Measured by the **perplexity** PPL = exp(L) of held-out text, L the mean next-token loss in nats: the model is
as uncertain as a fair choice among PPL tokens. Its floor to beat is the **unigram** model, which ignores the
context: p(token) = (count + 1) / (N + V) on the training text.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend, nn, optim
from ..grad_mode import no_grad
from .gpt import GPT, next_token_loss


def decay_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Two parameter groups for AdamW: matrices (≥ 2 axes) with ``weight_decay``, everything else with 0."""
    params = list(model.parameters())
    return [{"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]


def warmup_cosine(warmup_steps: int, total_steps: int, min_ratio: float = 0.1) -> Callable[[int], float]:
    """The learning-rate factor for ``optim.lr_scheduler.LambdaLR``: a linear warm-up, then half a cosine.

        f(s) = (s + 1) / W                                         for s < W
        f(s) = r + (1 − r) · ½ (1 + cos(π · (s − W) / (S − W)))    for W ≤ s ≤ S,  then r

    (W = ``warmup_steps``, S = ``total_steps``, r = ``min_ratio``: the rate ends at r·α₀, not 0.)
    """
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"warmup_cosine: need 0 ≤ warmup_steps < total_steps, got {warmup_steps}, {total_steps}")

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
        return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


def random_windows(ids: np.ndarray, block_size: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """``batch_size`` random (input, next-token) windows of the stream, from the project's seeded generator."""
    starts = backend.generator("numpy").integers(0, len(ids) - block_size, size=batch_size)
    offsets = starts[:, None] + np.arange(block_size)
    return ids[offsets], ids[offsets + 1]


@dataclass
class LMHistory:
    """What ``train_lm`` measured: loss per step, held-out perplexity at checkpoints, time and throughput."""

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    val_perplexities: list[float] = field(default_factory=list)
    seconds: float = 0.0
    tokens: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def train_lm(model: GPT, train_ids: Any, val_ids: Any = None, *, steps: int = 1000, seconds: float | None = None,
             batch_size: int = 16, lr: float = 3e-3, weight_decay: float = 0.1, betas: tuple[float, float] = (0.9,
             0.95), warmup_steps: int = 20, clip: float = 1.0, eval_every: int = 0,
             callback: Callable[[int, float], None] | None = None,
             clock: Callable[[], float] = time.perf_counter) -> LMHistory:
    """Train ``model`` on random windows of ``train_ids`` with AdamW + warm-up/cosine + clipping.

    Stops after ``steps`` steps, or — when ``seconds`` is given — when the time is up: the cosine schedule is
    then stretched over the number of steps the first ``warmup_steps`` steps say will fit (measured, not guessed).
    ``eval_every`` > 0 measures the held-out perplexity every so many steps (its time is not counted).
    ``callback(step, loss)`` is called after every step (for a live loss curve). ``clock`` measures the budget:
    wall time by default; ``time.process_time`` counts this process's CPU time instead, which on a machine shared
    with other jobs is what an idle machine would have spent (the engine computes on one core here).
    """
    ids = np.asarray(train_ids, dtype=np.int64)
    block = model.config.block_size
    optimizer = optim.AdamW(decay_groups(model, weight_decay), lr=lr, betas=betas)
    plan = {"total": max(steps, warmup_steps + 1)}
    schedule = warmup_cosine(warmup_steps, plan["total"])
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, lambda s: schedule(s))
    history = LMHistory()
    model.train()
    step, elapsed = 0, 0.0
    while step < plan["total"]:
        started = clock()
        x, y = random_windows(ids, block, batch_size)
        optimizer.zero_grad()
        loss = next_token_loss(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        scheduler.step()
        elapsed += clock() - started
        step += 1
        history.steps.append(step)
        history.losses.append(loss.item())
        history.lrs.append(optimizer.param_groups[0]["lr"])
        history.tokens += x.size
        if seconds is not None and step == warmup_steps:  # now we know the time per step: plan the schedule
            plan["total"] = max(warmup_steps + 1, int(seconds / (elapsed / step)))
            schedule = warmup_cosine(warmup_steps, plan["total"])
        if callback is not None:
            callback(step, history.losses[-1])
        if eval_every and val_ids is not None and (step % eval_every == 0 or step == plan["total"]):
            history.eval_steps.append(step)
            history.val_perplexities.append(perplexity(model, val_ids))
            model.train()
        if seconds is not None and elapsed >= seconds:
            break
    history.seconds = elapsed
    model.eval()
    return history


def perplexity(model: GPT, ids: Any, batch_size: int = 8) -> float:
    """exp(mean next-token loss) over ``ids`` cut into consecutive windows of ``block_size`` (+1 target) tokens.

    Every token after the first is predicted once; a token early in its window sees a shorter context.
    """
    ids = np.asarray(ids, dtype=np.int64)
    block = model.config.block_size
    if len(ids) < 2:
        raise ValueError(f"perplexity: needs at least 2 tokens, got {len(ids)}")
    full = np.arange(0, len(ids) - block, block)  # windows with all block_size targets
    rest = int(full[-1]) + block if len(full) else 0  # the last, shorter window
    was_training = model.training
    model.eval()
    total_nll, count = 0.0, 0
    with no_grad():
        batches = [full[i:i + batch_size] for i in range(0, len(full), batch_size)]
        for starts in batches:
            offsets = starts[:, None] + np.arange(block)
            x, y = ids[offsets], ids[offsets + 1]
            total_nll += next_token_loss(model(x), y).item() * y.size
            count += y.size
        if rest < len(ids) - 1:
            x, y = ids[rest:-1][None], ids[rest + 1:][None]
            total_nll += next_token_loss(model(x), y).item() * y.size
            count += y.size
    model.train(was_training)
    return math.exp(total_nll / count)


def unigram_perplexity(train_ids: Any, eval_ids: Any, vocab_size: int) -> float:
    """The context-free baseline: PPL = exp(−(1/N) Σ log p(token)), p(v) = (count_v + 1) / (N_train + V)."""
    counts = np.bincount(np.asarray(train_ids, dtype=np.int64), minlength=vocab_size).astype(np.float64)
    p = (counts + 1.0) / (counts.sum() + vocab_size)
    return float(np.exp(-np.log(p[np.asarray(eval_ids, dtype=np.int64)]).mean()))

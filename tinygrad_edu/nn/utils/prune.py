"""Pruning: set the least important weights to zero and keep them there, with PyTorch's ``torch.nn.utils.prune``
mechanism.

    >>> from tinygrad_edu.nn.utils import prune
    >>> prune.global_unstructured(prune.prunable(model), amount=0.8)   # doctest: +SKIP
    >>> print(prune.sparsity(model))                                  # doctest: +SKIP

Most trained networks keep their accuracy when a large share of their weights is removed, if they are fine-tuned
a little afterwards — the network re-routes through the weights it still has.

* **unstructured (magnitude) pruning** zeroes single weights, those of smallest |w|: per layer
  (``l1_unstructured``: the ``amount`` smallest of that layer) or globally (``global_unstructured``: one
  threshold for all the layers given, so layers with many small weights lose more);
* **structured pruning** (``ln_structured``; ``prune_filters`` / ``prune_channels``) removes whole rows of a
  weight — a convolution's output filters (dim 0) or input channels (dim 1) — those of smallest Lₙ norm
  ‖W[c]‖ₙ = (Σ |w|ⁿ)^{1/n} (n = 1: the L1 norm). The zeros then come in blocks that a smaller dense layer could
  replace, which is what makes the network actually faster (``nn.utils.shrink`` does the replacing: shrink.py).

How a pruned weight stays zero: a 0/1 buffer ``<name>_mask`` is registered beside the weight, and two hooks
(tinygrad_edu/hooks.py) enforce it — a forward pre-hook applies w ← w ⊙ m before every forward pass, and a
tensor hook multiplies the weight's gradient by m (∂(w ⊙ m)/∂w = m), so ``.grad`` is 0 where the weight is
pruned. Whatever the optimizer does between two steps (momentum, weight decay), the forward pass only ever sees
the masked weight: fine-tuning never brings a pruned weight back. The Parameter object itself stays in place, so
an optimizer built before pruning keeps working, and the layers need no change. (PyTorch instead moves the
Parameter to ``<name>_orig`` and recomputes ``<name>`` each forward, which keeps the pruned values around.)
``remove(module, name)`` drops the mask and hooks, keeping the zeros.

``amount`` is a fraction in [0, 1] or a number of entries (channels, for structured pruning), counted among those
not pruned yet: pruning 50% twice leaves 25%, as in PyTorch. Ties are broken by position (a stable sort).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...backend import to_device, to_numpy
from ...tensor import Tensor
from ..module import Module


def _count(amount: float | int, available: int, where: str) -> int:
    """How many of ``available`` entries ``amount`` asks for: round(amount · available) for a fraction (as
    PyTorch), the number itself for an int."""
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise TypeError(f"{where}: amount must be a fraction in [0, 1] or a number of entries, got {amount!r}")
    if isinstance(amount, int):
        if not 0 <= amount <= available:
            raise ValueError(f"{where}: amount={amount} entries, but only {available} are left to prune")
        return amount
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"{where}: amount={amount} must be a fraction between 0 and 1 (or an int count)")
    return int(round(amount * available))


# ---------------------------------------------------------------------------------------- the mechanism


def is_pruned(module: Module) -> bool:
    """True if ``module`` or any of its sub-modules has a pruned parameter."""
    return any(getattr(m, "_prune_hooks", None) for m in module.modules())


def _weight_of(module: Module, name: str) -> Tensor:
    """The Parameter ``module.<name>`` (pruned or not)."""
    parameter = module._parameters.get(name) if "_parameters" in module.__dict__ else None
    if parameter is None:
        raise AttributeError(f"{type(module).__name__} has no parameter '{name}' to prune "
                             f"(it has {sorted(n for n, p in module._parameters.items() if p is not None)})")
    return parameter


def _apply_mask(module: Module, name: str) -> None:
    """w ← w ⊙ m, in place (idempotent: the kept entries are multiplied by 1)."""
    parameter = module._parameters[name]
    parameter.data *= module._buffers[name + "_mask"].data


def custom_from_mask(module: Module, name: str, mask: Any) -> Module:
    """Prune ``module.<name>`` where ``mask`` (an array or Tensor of its shape) is 0, on top of earlier pruning."""
    weight = _weight_of(module, name)
    if tuple(np.shape(to_numpy(mask))) != tuple(weight.shape):
        raise ValueError(f"prune: a mask of shape {tuple(np.shape(to_numpy(mask)))} for {name} of shape "
                         f"{tuple(weight.shape)}")
    mask = to_device(np.asarray(to_numpy(mask) != 0).astype(weight.dtype), weight.device)
    hooks = module.__dict__.setdefault("_prune_hooks", {})
    if name in hooks:  # pruned before: the masks multiply
        module._buffers[name + "_mask"].data = module._buffers[name + "_mask"].data * mask
    else:
        module.register_buffer(name + "_mask", Tensor(mask))
        hooks[name] = (
            module.register_forward_pre_hook(lambda mod, args: _apply_mask(mod, name)),
            weight.register_hook(lambda grad: grad * module._buffers[name + "_mask"].data),
        )
    _apply_mask(module, name)
    return module


def remove(module: Module, name: str = "weight") -> Module:
    """Make the pruning of ``module.<name>`` permanent: the weight keeps its zeros, but the mask buffer and the
    hooks go (training may then change the zeros again)."""
    hooks = getattr(module, "_prune_hooks", {})
    if name not in hooks:
        raise ValueError(f"prune.remove: parameter '{name}' of {type(module).__name__} is not pruned")
    _apply_mask(module, name)
    for handle in hooks.pop(name):
        handle.remove()
    del module._buffers[name + "_mask"]
    return module


# ------------------------------------------------------------------------------------- choosing the zeros


def _smallest(scores: np.ndarray, alive: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` smallest ``scores`` among the entries where ``alive`` (stable order)."""
    chosen = np.zeros(scores.shape, dtype=bool)
    if k == 0:
        return chosen
    candidates = np.flatnonzero(alive)
    order = np.argsort(scores.reshape(-1)[candidates], kind="stable")
    chosen.reshape(-1)[candidates[order[:k]]] = True
    return chosen


def _current_mask(module: Module, name: str) -> np.ndarray:
    if name in getattr(module, "_prune_hooks", {}):
        return to_numpy(module._buffers[name + "_mask"].data) != 0
    return np.ones(tuple(_weight_of(module, name).shape), dtype=bool)


def l1_unstructured(module: Module, name: str = "weight", amount: float | int = 0.5,
                    importance_scores: Any = None) -> Module:
    """Zero the ``amount`` entries of ``module.<name>`` with the smallest |w| (or ``importance_scores``)."""
    scores = np.abs(to_numpy(_weight_of(module, name) if importance_scores is None else importance_scores))
    alive = _current_mask(module, name)
    k = _count(amount, int(alive.sum()), f"l1_unstructured({type(module).__name__}.{name})")
    return custom_from_mask(module, name, ~_smallest(scores, alive, k))


def random_unstructured(module: Module, name: str = "weight", amount: float | int = 0.5) -> Module:
    """Zero ``amount`` randomly chosen entries (the baseline magnitude pruning must beat); uses the project's
    seeded generator."""
    from ... import backend

    alive = _current_mask(module, name)
    k = _count(amount, int(alive.sum()), f"random_unstructured({type(module).__name__}.{name})")
    scores = backend.generator("numpy").random(alive.shape)
    return custom_from_mask(module, name, ~_smallest(scores, alive, k))


def global_unstructured(parameters: Iterable[tuple[Module, str]], amount: float | int = 0.5) -> None:
    """Magnitude pruning with one threshold over all ``(module, name)`` pairs: the ``amount`` smallest |w| of
    all of them together (among the entries not pruned yet) become zero."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("global_unstructured: no parameters given — pass [(module, 'weight'), ...]")
    scores = [np.abs(to_numpy(_weight_of(m, n))).reshape(-1) for m, n in parameters]
    alive = [_current_mask(m, n).reshape(-1) for m, n in parameters]
    all_scores, all_alive = np.concatenate(scores), np.concatenate(alive)
    k = _count(amount, int(all_alive.sum()), "global_unstructured")
    pruned = _smallest(all_scores, all_alive, k)
    start = 0
    for (module, name), part in zip(parameters, scores, strict=True):
        shape = tuple(_weight_of(module, name).shape)
        custom_from_mask(module, name, ~pruned[start : start + part.size].reshape(shape))
        start += part.size


def ln_structured(module: Module, name: str = "weight", amount: float | int = 0.5, n: float = 1, dim: int = 0,
                  importance_scores: Any = None) -> Module:
    """Zero whole slices ``W[..., c, ...]`` along ``dim`` — the ``amount`` with the smallest Lₙ norm
    ‖W_c‖ₙ = (Σ |w|ⁿ)^{1/n} among the slices not pruned yet. For a Conv2d weight (out, in, kh, kw), dim 0 removes
    output filters, dim 1 input channels; for a Linear weight (out, in), dim 0 removes neurons."""
    values = to_numpy(_weight_of(module, name) if importance_scores is None else importance_scores).astype(np.float64)
    dim = dim % values.ndim
    others = tuple(a for a in range(values.ndim) if a != dim)
    norms = (np.abs(values) ** n).sum(axis=others) ** (1.0 / n)
    alive = _current_mask(module, name).any(axis=others)
    k = _count(amount, int(alive.sum()), f"ln_structured({type(module).__name__}.{name}, dim={dim})")
    dropped = _smallest(norms, alive, k)
    shape = [1] * values.ndim
    shape[dim] = -1
    keep = np.broadcast_to(~dropped.reshape(shape), values.shape)
    return custom_from_mask(module, name, keep)


def prune_filters(module: Module, amount: float | int = 0.5, n: float = 1) -> Module:
    """Structured pruning of a convolution's output filters (or a Linear layer's neurons) by their L1 norm."""
    return ln_structured(module, "weight", amount, n=n, dim=0)


def prune_channels(module: Module, amount: float | int = 0.5, n: float = 1) -> Module:
    """Structured pruning of a layer's input channels (columns of a Linear weight) by their L1 norm."""
    return ln_structured(module, "weight", amount, n=n, dim=1)


def prunable(model: Module, include_bias: bool = False) -> list[tuple[Module, str]]:
    """The ``(module, "weight")`` pairs of every layer with a weight of at least 2 axes (Linear, Conv2d, …) — the
    usual argument of ``global_unstructured`` (biases and normalisation scales are left alone)."""
    pairs = []
    for module in model.modules():
        for name in ("weight", "bias") if include_bias else ("weight",):
            try:
                weight = _weight_of(module, name)
            except AttributeError:
                continue
            if name == "bias" or weight.ndim >= 2:
                pairs.append((module, name))
    return pairs


# ----------------------------------------------------------------------------------------------- report


@dataclass
class SparsityRow:
    name: str  # e.g. "0.weight"
    zeros: int
    total: int

    @property
    def sparsity(self) -> float:
        return self.zeros / self.total if self.total else 0.0


@dataclass
class SparsityReport:
    """Per-layer zero counts of the effective weights and the global fraction; ``str()`` is a table."""

    rows: list[SparsityRow]

    @property
    def zeros(self) -> int:
        return sum(r.zeros for r in self.rows)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)

    @property
    def global_sparsity(self) -> float:
        return self.zeros / self.total if self.total else 0.0

    def __str__(self) -> str:
        width = max([len("parameter")] + [len(r.name) for r in self.rows])
        lines = [f"{'parameter':<{width}}  {'zeros':>9}  {'total':>9}  sparsity", "─" * (width + 33)]
        for r in self.rows:
            lines.append(f"{r.name:<{width}}  {r.zeros:>9,}  {r.total:>9,}  {r.sparsity:8.2%}")
        lines.append("─" * (width + 33))
        lines.append(f"{'global':<{width}}  {self.zeros:>9,}  {self.total:>9,}  {self.global_sparsity:8.2%}")
        return "\n".join(lines)


def sparsity(model: Module, names: Sequence[str] = ("weight",)) -> SparsityReport:
    """The fraction of exact zeros in each layer's effective ``names`` (masked values for pruned layers) and over
    all of them together."""
    rows = []
    for module_name, module in model.named_modules():
        for name in names:
            try:
                weight = _weight_of(module, name)
            except AttributeError:
                continue
            values = to_numpy(weight)
            if name in getattr(module, "_prune_hooks", {}):  # what the next forward will use: w ⊙ m
                values = values * to_numpy(module._buffers[name + "_mask"])
            label = f"{module_name}.{name}" if module_name else name
            rows.append(SparsityRow(label, int(values.size - np.count_nonzero(values)), int(values.size)))
    return SparsityReport(rows)


__all__ = [
    "SparsityReport", "SparsityRow", "custom_from_mask", "global_unstructured", "is_pruned", "l1_unstructured",
    "ln_structured", "prunable", "prune_channels", "prune_filters", "random_unstructured", "remove", "sparsity",
]

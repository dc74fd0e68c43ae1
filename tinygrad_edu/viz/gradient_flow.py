"""``GradientFlow``: watch the gradients flow back through the layers while ``fit`` trains, and warn when they
vanish or explode.

Backpropagation sends the error back one layer at a time, δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ′(zˡ), and each layer multiplies
it by its weights and by the slope of its activation. The sigmoid's slope is at most ¼, so after ten sigmoid
layers δ has shrunk by 4¹⁰ ≈ 10⁶ at the least: the first layers hardly learn (*vanishing gradients*). Weights
that are too large make δ grow instead (*exploding gradients*). ReLU (slope 1 where active) with He
initialisation (Var w = 2 / fan_in) keeps ‖δ‖ about constant from layer to layer.

For every layer with a weight (Linear, Conv2d, …) the callback records, after each optimizer step:

* ‖∂L/∂W‖ — the Frobenius norm of the weight gradient (what the update uses);
* ‖δ‖ = ‖∂L/∂z‖ — the norm of the backprop delta arriving at the layer's output z, over the batch (caught with a
  tensor hook on the output; with a mean loss it scales like 1/batch size).

Warnings (``GradientFlowWarning``, each kind once per run; all kept in ``.warnings``), checked on the mean of
the last ``window`` recorded steps:

* **vanishing**: the smallest layer's ‖∂L/∂W‖ is below ``vanishing_ratio`` (default 10⁻³) times the largest
  — some layer learns a thousand times slower than another — or every layer's is below ``vanishing_norm``
  (10⁻⁸: nothing learns at all, e.g. dead ReLUs);
* **exploding**: some layer's ‖∂L/∂W‖ exceeds ``exploding_norm`` (10³), or is not finite.

    flow = GradientFlow()
    fit(model, loss_fn, optimizer, data, callbacks=[flow])
    flow.plot("gradient_flow.png")

Outside ``fit``, call ``flow.attach(model)`` once, ``flow.record_step()`` after each backward, ``flow.detach()``.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np

from ..backend import get_array_module
from ..train.callbacks import Callback

VANISHING_RATIO = 1e-3
VANISHING_NORM = 1e-8
EXPLODING_NORM = 1e3


class GradientFlowWarning(RuntimeWarning):
    """Gradients vanish or explode (see ``GradientFlow``)."""


def _norm(array: Any) -> float:
    """‖a‖ = √(Σ a²), summed in float64 (float16/32 sums of squares overflow or lose digits), on the array's
    device: only the norm is copied to the host."""
    xp = get_array_module(array)
    return float(xp.sqrt(xp.sum(xp.square(array, dtype=np.float64))))


class GradientFlow(Callback):
    """Per-layer ‖∂L/∂W‖ and ‖δ‖ at every ``every``-th step, plots of both, and warnings (thresholds above)."""

    def __init__(self, model: Any = None, every: int = 1, window: int = 10, vanishing_ratio: float = VANISHING_RATIO,
                 vanishing_norm: float = VANISHING_NORM, exploding_norm: float = EXPLODING_NORM,
                 warn: bool = True) -> None:
        if not (isinstance(every, int) and every >= 1):
            raise ValueError(f"GradientFlow(every={every!r}): a positive number of steps")
        self.model = model
        self.every, self.window = every, max(1, int(window))
        self.vanishing_ratio, self.vanishing_norm, self.exploding_norm = vanishing_ratio, vanishing_norm, exploding_norm
        self.warn = warn
        self.layers: list[str] = []
        self.steps: list[int] = []
        self.weight_grad_norms: dict[str, list[float]] = {}
        self.delta_norms: dict[str, list[float]] = {}
        self.warnings: list[str] = []
        self._weights: dict[str, Any] = {}
        self._pending: dict[str, float] = {}
        self._handles: list[Any] = []
        self._count = 0
        self._warned: set[str] = set()

    # ------------------------------------------------------------------------------------------ attaching

    def attach(self, model: Any) -> GradientFlow:
        """Find the layers with a ``weight`` and hook their outputs (done by ``fit`` at the start)."""
        self.detach()
        self.model = model
        for name, module in model.named_modules():
            weight = module._parameters.get("weight") if hasattr(module, "_parameters") else None
            if weight is None or not weight.requires_grad:
                continue
            label = f"{name or 'model'} ({type(module).__name__})"
            self.layers.append(label)
            self._weights[label] = weight
            self.weight_grad_norms.setdefault(label, [])
            self.delta_norms.setdefault(label, [])
            self._handles.append(module.register_forward_hook(self._forward_hook(label)))
        if not self.layers:
            raise ValueError(f"GradientFlow: {type(model).__name__} has no layer with a trainable 'weight' to watch")
        return self

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _forward_hook(self, label: str) -> Any:
        def hook(module: Any, args: tuple, output: Any) -> None:
            if getattr(output, "requires_grad", False) and module.training and self._count % self.every == 0:
                output.register_hook(lambda grad: self._pending.__setitem__(label, _norm(grad.data)))

        return hook

    # ----------------------------------------------------------------------------------------- recording

    def record_step(self, step: int | None = None) -> None:
        """Store the norms of the step just computed (call after backward, before the next forward)."""
        self._count += 1
        if (self._count - 1) % self.every:
            return
        self.steps.append(self._count if step is None else step)
        for label in self.layers:
            grad = self._weights[label].grad  # None (no gradient this step) is stored as NaN: a gap in the plot
            norm = math.nan if grad is None else _norm(grad.data)
            if grad is not None and not math.isfinite(norm) or norm > self.exploding_norm:
                self._report("exploding", f"exploding gradients: ‖∂L/∂W‖ of {label} is {norm:.3g} at step "
                             f"{self.steps[-1]} (threshold {self.exploding_norm:g}): lower the learning rate, clip "
                             "the gradients (clip_grad_norm_) or initialise the weights smaller")
            self.weight_grad_norms[label].append(norm)
            self.delta_norms[label].append(self._pending.get(label, math.nan))
        self._pending = {}
        self._check_vanishing()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.attach(self.model if self.model is not None else self.trainer.model)

    def on_batch_end(self, step: int, logs: dict | None = None) -> None:
        self.record_step()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.detach()

    # ------------------------------------------------------------------------------------------- checking

    def recent(self, which: str = "weight") -> dict[str, float]:
        """Mean norm of each layer over the last ``window`` recorded steps (``which``: "weight" or "delta")."""
        source = self.weight_grad_norms if which == "weight" else self.delta_norms
        result = {}
        for label in self.layers:
            values = [v for v in source[label][-self.window:] if not math.isnan(v)]
            result[label] = float(np.mean(values)) if values else math.nan
        return result

    def _check_vanishing(self) -> None:
        means = {k: v for k, v in self.recent("weight").items() if math.isfinite(v)}
        if len(self.steps) < min(self.window, 3) or not means:
            return
        largest, smallest = max(means.values()), min(means.values())
        weakest = min(means, key=means.get)
        strongest = max(means, key=means.get)
        if largest < self.vanishing_norm:
            self._report("vanishing", f"vanishing gradients: every layer's ‖∂L/∂W‖ is below {self.vanishing_norm:g} "
                         f"(largest {largest:.3g}, at {strongest}): nothing learns — look for dead ReLUs, saturated "
                         "sigmoids or a learning rate that is far too small")
        elif smallest < self.vanishing_ratio * largest:
            self._report("vanishing", f"vanishing gradients: ‖∂L/∂W‖ of {weakest} is {smallest:.3g}, "
                         f"{largest / max(smallest, 1e-300):.3g}× smaller than that of {strongest} ({largest:.3g}); "
                         f"threshold ratio {self.vanishing_ratio:g}. Use ReLU-like activations with He "
                         "initialisation, batch normalisation, or residual connections")

    def _report(self, kind: str, message: str) -> None:
        if kind in self._warned:
            return
        self._warned.add(kind)
        self.warnings.append(message)
        if self.warn:
            warnings.warn(message, GradientFlowWarning, stacklevel=2)

    # ------------------------------------------------------------------------------------------- showing

    def summary(self) -> str:
        """A table: each layer's mean ‖∂L/∂W‖ and ‖δ‖ over the last ``window`` steps, input side first."""
        weight, delta = self.recent("weight"), self.recent("delta")
        width = max([len("layer")] + [len(label) for label in self.layers])
        lines = [f"{'layer':<{width}}  {'‖∂L/∂W‖':>10}  {'‖δ‖':>10}", "─" * (width + 24)]
        for label in self.layers:
            lines.append(f"{label:<{width}}  {weight[label]:>10.3g}  {delta[label]:>10.3g}")
        return "\n".join(lines)

    def plot(self, path: str | os.PathLike | None = None, title: str = "", labels: dict[str, str] | None = None,
             figsize: tuple[float, float] = (14, 4.2)) -> Any:
        """Three panels: ‖∂L/∂W‖ per layer over the steps, ‖δ‖ per layer over the steps, and both by layer depth
        (mean of the last ``window`` steps). Returns the matplotlib Figure; saves a PNG to ``path`` if given.
        ``labels`` overrides the panel titles (keys "weight", "delta", "depth", "step", "layer")."""
        from matplotlib.figure import Figure

        text = {"weight": "‖∂L/∂W‖ per layer", "delta": "‖δ‖ = ‖∂L/∂z‖ per layer",
                "depth": "by depth (mean of the last steps)", "step": "step", "layer": "layer (input → output)"}
        text.update(labels or {})
        if not self.steps:
            raise ValueError("GradientFlow.plot(): nothing recorded yet — train with the callback first")
        figure = Figure(figsize=figsize, layout="constrained")
        over_weight, over_delta, by_depth = figure.subplots(1, 3)
        colors = [_color(i, len(self.layers)) for i in range(len(self.layers))]
        for label, color in zip(self.layers, colors, strict=True):
            over_weight.plot(self.steps, _positive(self.weight_grad_norms[label]), color=color, label=label,
                             linewidth=1)
            over_delta.plot(self.steps, _positive(self.delta_norms[label]), color=color, linewidth=1)
        for axes, key in ((over_weight, "weight"), (over_delta, "delta")):
            axes.set_yscale("log")
            axes.set_xlabel(text["step"])
            axes.set_title(text[key])
        over_weight.legend(fontsize=7, loc="best")
        depth = np.arange(len(self.layers))
        by_depth.plot(depth, _positive(list(self.recent("weight").values())), "o-", label="‖∂L/∂W‖")
        by_depth.plot(depth, _positive(list(self.recent("delta").values())), "s--", label="‖δ‖")
        by_depth.set_yscale("log")
        by_depth.set_xticks(depth, [label.split(" ")[0] for label in self.layers], rotation=45, fontsize=7)
        by_depth.set_xlabel(text["layer"])
        by_depth.set_title(text["depth"])
        by_depth.legend(fontsize=8)
        if title:
            figure.suptitle(title)
        if path is not None:
            figure.savefig(path, dpi=100)
        return figure


def _positive(values: list[float]) -> list[float]:
    """Zeros and NaNs cannot be drawn on a log axis: show them as gaps."""
    return [v if v > 0 and math.isfinite(v) else math.nan for v in values]


def _color(i: int, n: int) -> Any:
    from matplotlib import colormaps

    return colormaps["viridis"](i / max(1, n - 1) * 0.9)

"""Walkthrough ``optimizers``: SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam and AdamW race twice — on the
2-D ravine f(x, y) = x²/20 + y² (paths drawn over the contours) and on a small MLP learning the spiral data
(loss curves). Every optimizer is the library's own ``tinygrad_edu.optim`` class."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import tinygrad_edu as tg

from .. import backend, nn, optim
from ..data import DataLoader, TensorDataset, spiral
from ..nn import functional as F
from .narrate import Narrator

START = (-7.0, 2.0)


@dataclass(frozen=True)
class Racer:
    name: str
    rule: str  # the update rule, in the notation of optim's docstrings
    surface: Callable[[list], optim.Optimizer]  # the optimizer for the 2-D surface
    mlp: Callable[[list], optim.Optimizer]  # and for the MLP


RACERS = [
    Racer("SGD", "θ ← θ − α g",
          lambda p: optim.SGD(p, lr=0.95),
          lambda p: optim.SGD(p, lr=0.1)),
    Racer("Momentum", "b ← μ b + g,   θ ← θ − α b",
          lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
          lambda p: optim.SGD(p, lr=0.05, momentum=0.9)),
    Racer("Nesterov", "b ← μ b + g,   θ ← θ − α (g + μ b)",
          lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
          lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    Racer("AdaGrad", "G ← G + g²,   θ ← θ − α g / (√G + ε)",
          lambda p: optim.Adagrad(p, lr=1.5),
          lambda p: optim.Adagrad(p, lr=0.05)),
    Racer("RMSprop", "v ← ρ v + (1 − ρ) g²,   θ ← θ − α g / (√v + ε)",
          lambda p: optim.RMSprop(p, lr=0.3, alpha=0.9),
          lambda p: optim.RMSprop(p, lr=0.003)),
    Racer("Adam", "m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  θ ← θ − α m̂ / (√v̂ + ε)",
          lambda p: optim.Adam(p, lr=0.3),
          lambda p: optim.Adam(p, lr=0.005)),
    Racer("AdamW", "θ ← θ − αλθ,  then Adam's step",
          lambda p: optim.AdamW(p, lr=0.3, weight_decay=0.1),
          lambda p: optim.AdamW(p, lr=0.005, weight_decay=0.01)),
]


def ravine(theta: tg.Tensor) -> tg.Tensor:
    """f(x, y) = x²/20 + y²: twenty times steeper across the valley than along it."""
    return theta[0] ** 2 / 20 + theta[1] ** 2


def run(n: Narrator) -> None:
    n.title("optimizers.title")
    n.say("optimizers.intro")

    # ---------------------------------------------------------------------------------- Adam's first step
    n.section("optimizers.section_adam")
    theta = n.tensor(np.array(START), requires_grad=True)
    adam = optim.Adam([theta], lr=0.3)
    loss = ravine(theta)
    loss.backward()
    g = backend.to_device(theta.grad, "cpu").copy()
    adam.step()
    m, v = (1 - 0.9) * g, (1 - 0.999) * g**2
    m_hat, v_hat = m / (1 - 0.9), v / (1 - 0.999)
    by_hand = np.array(START) - 0.3 * m_hat / (np.sqrt(v_hat) + 1e-8)
    n.step("optimizers.adam_first", "m₁ = (1 − β₁) g,  v₁ = (1 − β₂) g²,  m̂₁ = g,  v̂₁ = g²  ⇒  θ₁ = θ₀ − α g/|g|",
           "by_hand = np.array(START) - 0.3 * m_hat / (np.sqrt(v_hat) + 1e-8)",
           {"g": g, "m₁": m, "v₁": v, "m̂₁": m_hat, "v̂₁": v_hat, n.t("by_hand"): by_hand, "adam.step()": theta})
    n.say("optimizers.adam_note")

    # ------------------------------------------------------------------------------------- the 2-D race
    n.section("optimizers.section_surface")
    steps = 20 if n.quick else 40
    paths: dict[str, np.ndarray] = {}
    for racer in RACERS:
        theta = n.tensor(np.array(START), requires_grad=True)
        optimizer = racer.surface([theta])
        path = [theta.numpy().copy()]
        for _ in range(steps):
            optimizer.zero_grad()
            loss = ravine(theta)
            loss.backward()
            optimizer.step()
            path.append(theta.numpy().copy())
        paths[racer.name] = np.array(path)
    n.step("optimizers.surface", n.t("optimizers.surface_formula"),
           "optimizer = racer.surface([theta])", steps=steps)
    rows = []
    for racer in RACERS:
        end = paths[racer.name][-1]
        rows.append([racer.name, hyperparameters(racer.surface), racer.rule, f"({end[0]:+.3f}, {end[1]:+.3f})",
                     f"{end[0] ** 2 / 20 + end[1] ** 2:.2e}"])
    n.table_rows(["", n.t("optimizers.col_settings"), n.t("optimizers.col_rule"), n.t("optimizers.col_end"),
                  "f"], rows)
    n.say("optimizers.surface_note")
    _plot_surface(n, paths)

    # ------------------------------------------------------------------------------------------ the MLP
    n.section("optimizers.section_mlp")
    points, labels = spiral(n_classes=3, n_per_class=100, seed=n.args.seed)
    epochs = n.epochs(full=100, quick=15)
    curves: dict[str, list[float]] = {}
    accuracies: dict[str, float] = {}
    for racer in RACERS:
        tg.manual_seed(n.args.seed)  # every optimizer starts from the same weights and sees the same batches
        model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
        optimizer = racer.mlp(model.parameters())
        loader = DataLoader(TensorDataset(points, labels), batch_size=30, shuffle=True)
        curve = []
        for _ in range(epochs):
            total = 0.0
            for inputs, targets in loader:
                loss = F.cross_entropy(model(inputs), targets)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(inputs)
            curve.append(total / len(points))
        curves[racer.name] = curve
        with tg.no_grad():
            predictions = model(n.tensor(points)).argmax(axis=1).numpy()
        accuracies[racer.name] = float((predictions == labels).mean())
    n.step("optimizers.mlp", n.t("optimizers.mlp_formula"),
           "loss = F.cross_entropy(model(inputs), targets)", epochs=epochs)
    n.table_rows(["", n.t("optimizers.col_settings"), n.t("optimizers.col_first"), n.t("optimizers.col_last"),
                  n.t("optimizers.col_accuracy")],
                 [[r.name, hyperparameters(r.mlp), f"{curves[r.name][0]:.3f}", f"{curves[r.name][-1]:.3f}",
                   f"{accuracies[r.name]:.1%}"] for r in RACERS])
    n.say("optimizers.mlp_note")
    _plot_curves(n, curves, points, labels)


def hyperparameters(make: Callable[[list], optim.Optimizer]) -> str:
    """The settings that differ from the defaults, read back from a freshly built optimizer."""
    probe = make([tg.zeros(1, requires_grad=True)])
    defaults = inspect.signature(type(probe)).parameters
    return ", ".join(f"{key}={value}" for key, value in probe.param_groups[0].items()
                     if key in defaults and key != "params"
                     and (key == "lr" or (key == "weight_decay" and value) or value != defaults[key].default))


def _plot_surface(n: Narrator, paths: dict[str, np.ndarray]) -> None:
    """One panel per optimizer (its path over the contours), and f along the way for all of them."""
    figure = n.figure(14, 6.5)
    panels = figure.subplots(2, 4).ravel()
    xs, ys = np.meshgrid(np.linspace(-8, 3, 220), np.linspace(-2.5, 2.5, 120))
    for k, (axes, (name, path)) in enumerate(zip(panels, paths.items(), strict=False)):
        axes.contour(xs, ys, xs**2 / 20 + ys**2, levels=np.geomspace(0.02, 8, 10), colors="lightgray",
                     linewidths=0.7)
        axes.plot(path[:, 0], path[:, 1], marker="o", markersize=2, linewidth=1, color=f"C{k}")
        axes.plot(*START, "k^", markersize=7)
        axes.plot(0, 0, "k*", markersize=9)
        axes.set_title(name)
        axes.set_xticks([])
        axes.set_yticks([])
    summary = panels[-1]
    for k, (name, path) in enumerate(paths.items()):
        summary.semilogy(path[:, 0] ** 2 / 20 + path[:, 1] ** 2, color=f"C{k}", label=name)
    summary.set_xlabel(n.label("plot_step"))
    summary.set_title("f(x, y)")
    summary.legend(fontsize=7)
    figure.suptitle(n.label("optimizers.plot_surface_title", steps=len(next(iter(paths.values()))) - 1))
    n.save(figure, "surface")


def _plot_curves(n: Narrator, curves: dict[str, list[float]], points: np.ndarray, labels: np.ndarray) -> None:
    figure = n.figure(11, 4.5)
    data_axes, curve_axes = figure.subplots(1, 2, width_ratios=[1, 2])
    data_axes.scatter(points[:, 0], points[:, 1], c=labels, cmap="brg", s=8)
    data_axes.set_aspect("equal")
    data_axes.set_title(n.label("optimizers.plot_spiral"))
    for k, (name, curve) in enumerate(curves.items()):
        curve_axes.semilogy(np.arange(1, len(curve) + 1), curve, color=f"C{k}", label=name)
    curve_axes.set_xlabel(n.label("plot_epoch"))
    curve_axes.set_ylabel(n.label("optimizers.plot_loss"))
    curve_axes.set_title(n.label("optimizers.plot_mlp_title"))
    curve_axes.legend(fontsize=8)
    n.save(figure, "mlp_loss")

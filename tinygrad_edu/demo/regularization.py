"""Walkthrough ``regularization``: an MLP with far more weights than the 60 points it learns from over-fits; six
runs from the same initial weights compare no regulariser, L1, L2, dropout, DropConnect and early stopping —
train/validation curves, weight histograms and decision boundaries."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tinygrad_edu as tg

from .. import nn, optim, train
from ..data import moons
from ..nn import functional as F
from .narrate import Narrator

HIDDEN = 128
L1_STRENGTH = 1e-3
L2_STRENGTH = 1e-2
DROP_PROBABILITY = 0.5
PATIENCE = 20
LEARNING_RATE = 0.01


@dataclass
class Run:
    name: str
    model: nn.Module
    history: train.History
    weights: np.ndarray  # every weight of the hidden-to-hidden layer, after training
    stopped_epoch: int = 0  # early stopping: the epoch training stopped at (0 when it ran to the end)
    best_epoch: int = 0  # early stopping: the epoch whose weights were kept


def build(variant: str) -> nn.Module:
    """The same 2 → 128 → 128 → 2 network, with dropout or DropConnect where the variant asks for them."""
    if variant == "dropout":
        return nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(), nn.Dropout(DROP_PROBABILITY),
                             nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Dropout(DROP_PROBABILITY),
                             nn.Linear(HIDDEN, 2))
    if variant == "dropconnect":
        return nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(),
                             nn.DropConnect(nn.Linear(HIDDEN, HIDDEN), p=DROP_PROBABILITY), nn.ReLU(),
                             nn.DropConnect(nn.Linear(HIDDEN, 2), p=DROP_PROBABILITY))
    return nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2))


def weight_matrices(model: nn.Module) -> list[tg.Tensor]:
    """The weight matrices (not the biases): what L1 and L2 penalise."""
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def data_loss(output: tg.Tensor, target: tg.Tensor) -> float:
    """The cross-entropy alone, without any penalty: the number the curves compare."""
    return float(F.cross_entropy(output, target).item())


def run(n: Narrator) -> None:
    n.title("regularization.title")
    n.say("regularization.intro")

    n.section("regularization.section_data")
    x_train, y_train = moons(60, noise=0.35, seed=n.args.seed + 1)
    x_val, y_val = moons(200 if n.quick else 500, noise=0.35, seed=n.args.seed + 2)
    n.step("regularization.data", n.t("regularization.data_formula"),
           "x_train, y_train = moons(60, noise=0.35, seed=n.args.seed + 1)",
           {"x_train.shape": x_train.shape, "x_val.shape": x_val.shape})
    parameters = sum(p.size for p in build("none").parameters())
    n.step("regularization.model", "2 → 128 → 128 → 2 (ReLU)", "return nn.Sequential(nn.Linear(2, HIDDEN), "
           "nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2))", {"parameters": parameters})

    n.section("regularization.section_cures")
    _show_penalties(n)
    _show_dropout(n)

    n.section("regularization.section_race")
    epochs = n.epochs(full=200, quick=10)
    runs = [train_variant(n, variant, epochs, (x_train, y_train), (x_val, y_val))
            for variant in ("none", "l1", "l2", "dropout", "dropconnect", "early_stopping")]
    n.step("regularization.race", n.t("regularization.race_formula"),
           "history = train.fit(model, loss_fn, optimizer, train_data, epochs=epochs, val_data=val_data,",
           epochs=epochs)
    rows = []
    for r in runs:  # the final models (early stopping: with its best epoch's weights restored)
        on_train = train.evaluate(r.model, (x_train, y_train), F.cross_entropy)
        on_val = train.evaluate(r.model, (x_val, y_val), F.cross_entropy)
        best = int(np.argmin(r.history["val_data_loss"]))
        rows.append([n.t(f"regularization.variant.{r.name}"), f"{on_train['loss']:.3f}", f"{on_val['loss']:.3f}",
                     f"{r.history['val_data_loss'][best]:.3f} @ {best + 1}", f"{on_val['accuracy']:.1%}",
                     f"{np.abs(r.weights).sum():.0f}", f"{np.mean(np.abs(r.weights) < 1e-3):.0%}"])
    n.table_rows([n.t("regularization.col_variant"), n.t("regularization.col_train"), n.t("regularization.col_val"),
                  n.t("regularization.col_best"), n.t("regularization.col_accuracy"), "‖W²‖₁",
                  n.t("regularization.col_zeros")], rows)
    stopper = runs[-1]
    if stopper.stopped_epoch:
        n.say("regularization.early_note", stopped=stopper.stopped_epoch, best=stopper.best_epoch, patience=PATIENCE)
    else:
        n.say("regularization.early_not_stopped", epochs=epochs, best=stopper.best_epoch, patience=PATIENCE)
    baseline = runs[0].history["val_data_loss"]
    final_val = {r.name: float(row[2]) for r, row in zip(runs, rows, strict=True)}
    if baseline[-1] > 1.2 * min(baseline):
        n.say("regularization.overfit", train=float(rows[0][1]), best=min(baseline), final=baseline[-1])
    else:
        n.say("regularization.too_short", epochs=epochs)
    better = [n.t(f"regularization.variant.{r.name}") for r in runs[1:] if final_val[r.name] < final_val["none"]]
    n.say("regularization.better", cures=", ".join(better) if better else "—")
    n.say("regularization.histograms")

    _plot_curves(n, runs)
    _plot_weights(n, runs)
    _plot_boundaries(n, runs, x_train, y_train)


def train_variant(n: Narrator, variant: str, epochs: int, train_data: tuple, val_data: tuple) -> Run:
    tg.manual_seed(n.args.seed)  # the same initial weights for every variant
    model = build(variant)
    weights = weight_matrices(model)

    def loss_fn(output: tg.Tensor, target: tg.Tensor) -> tg.Tensor:
        loss = F.cross_entropy(output, target)
        if variant == "l1":  # J = J₀ + λ Σ|w|
            loss = loss + L1_STRENGTH * sum(w.abs().sum() for w in weights)
        if variant == "l2":  # J = J₀ + (λ/2) Σ w²
            loss = loss + L2_STRENGTH / 2 * sum((w * w).sum() for w in weights)
        return loss

    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    callbacks = []
    if variant == "early_stopping":
        callbacks.append(train.EarlyStopping(monitor="val_loss", patience=PATIENCE, restore_best_weights=True))
    history = train.fit(model, loss_fn, optimizer, train_data, epochs=epochs, val_data=val_data,
                        metrics=["accuracy", data_loss], callbacks=callbacks, batch_size=len(train_data[0]),
                        progress=False)
    hidden = weights[1].numpy().ravel()
    if not callbacks:
        return Run(variant, model, history, hidden)
    return Run(variant, model, history, hidden, callbacks[0].stopped_epoch, callbacks[0].best_epoch)


def _show_penalties(n: Narrator) -> None:
    """The gradients the penalties add, computed by the engine on four weights."""
    w = n.tensor(np.array([-0.5, -0.01, 0.02, 0.8], dtype=np.float32), requires_grad=True)
    (L1_STRENGTH * w.abs().sum()).backward()
    n.step("regularization.l1", "J = J₀ + λ Σ|w|,   ∂/∂w (λ Σ|w|) = λ·sign(w)   (λ = 10⁻³)",
           "loss = loss + L1_STRENGTH * sum(w.abs().sum() for w in weights)", {"w": w, "∂/∂w": w.grad})
    w.grad = None
    (L2_STRENGTH / 2 * (w * w).sum()).backward()
    n.step("regularization.l2", "J = J₀ + (λ/2) Σ w²,   ∂/∂w ((λ/2) Σ w²) = λ·w   (λ = 10⁻²)",
           "loss = loss + L2_STRENGTH / 2 * sum((w * w).sum() for w in weights)", {"w": w, "∂/∂w": w.grad})


def _show_dropout(n: Narrator) -> None:
    """One dropout mask in training mode, none in evaluation mode; DropConnect drops weights instead."""
    dropout = nn.Dropout(DROP_PROBABILITY)
    h = n.tensor(np.ones((1, 8), dtype=np.float32))
    n.step("regularization.dropout", "h̃ = h ⊙ m / (1 − p),   m ~ Bernoulli(1 − p)   (p = 0.5)",
           "nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Dropout(DROP_PROBABILITY),",
           {"h": h, "dropout(h), train()": dropout(h), "dropout(h), eval()": dropout.eval()(h)})
    layer = nn.DropConnect(nn.Linear(4, 2), p=DROP_PROBABILITY)
    x = n.tensor(np.ones((1, 4), dtype=np.float32))
    n.step("regularization.dropconnect", "z = x (W ⊙ M / (1 − p))ᵀ + b,   M ~ Bernoulli(1 − p)",
           "nn.DropConnect(nn.Linear(HIDDEN, HIDDEN), p=DROP_PROBABILITY), nn.ReLU(),",
           {"W": layer.linear.weight, "z, train() (1)": layer(x), "z, train() (2)": layer(x),
            "z, eval()": layer.eval()(x)})


def _plot_curves(n: Narrator, runs: list[Run]) -> None:
    figure = n.figure(13, 7)
    panels = figure.subplots(2, 3, sharex=True, sharey=True).ravel()
    for axes, r in zip(panels, runs, strict=True):
        epochs = np.arange(1, len(r.history["loss"]) + 1)
        axes.plot(epochs, r.history["data_loss"], label=n.label("regularization.plot_train"))
        axes.plot(epochs, r.history["val_data_loss"], label=n.label("regularization.plot_val"))
        if r.name == "early_stopping":
            axes.axvline(r.best_epoch, color="gray", linestyle="--", label=n.label("regularization.plot_best"))
        axes.set_title(n.label(f"regularization.variant.{r.name}"))
        axes.set_yscale("log")
        axes.legend(fontsize=8)
    for axes in panels[3:]:
        axes.set_xlabel(n.label("plot_epoch"))
    figure.suptitle(n.label("regularization.plot_curves_title"))
    n.save(figure, "curves")


def _plot_weights(n: Narrator, runs: list[Run]) -> None:
    figure = n.figure(13, 6)
    panels = figure.subplots(2, 3, sharex=True).ravel()
    bins = np.linspace(-0.5, 0.5, 81)
    for axes, r in zip(panels, runs, strict=True):
        axes.hist(np.clip(r.weights, bins[0], bins[-1]), bins=bins, color="C2")
        axes.set_yscale("log")
        axes.set_title(n.label(f"regularization.variant.{r.name}"))
    for axes in panels[3:]:
        axes.set_xlabel("w")
    figure.suptitle(n.label("regularization.plot_weights_title"))
    n.save(figure, "weights")


def _plot_boundaries(n: Narrator, runs: list[Run], points: np.ndarray, labels: np.ndarray) -> None:
    figure = n.figure(13, 7)
    panels = figure.subplots(2, 3, sharex=True, sharey=True).ravel()
    xs, ys = np.meshgrid(np.linspace(-1.8, 2.8, 120), np.linspace(-1.4, 1.9, 90))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    for axes, r in zip(panels, runs, strict=True):
        r.model.eval()
        with tg.no_grad():
            probability = r.model(n.tensor(grid)).softmax(axis=1).numpy()[:, 1].reshape(xs.shape)
        axes.contourf(xs, ys, probability, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.6)
        axes.contour(xs, ys, probability, levels=[0.5], colors="black", linewidths=1)
        axes.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", edgecolor="black", s=18)
        axes.set_title(n.label(f"regularization.variant.{r.name}"))
    figure.suptitle(n.label("regularization.plot_boundaries_title"))
    n.save(figure, "boundaries")

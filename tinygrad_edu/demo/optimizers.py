"""Walkthrough ``optimizers``: SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam and AdamW race twice — on the
2-D ravine f(x, y) = x²/20 + y² (paths drawn over the contours) and on a small MLP learning the spiral data
(loss curves). Every optimizer is the library's own ``tinygrad_edu.optim`` class."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import tinygrad_edu as tg

from .. import nn, optim
from ..data import DataLoader, TensorDataset, spiral
from ..nn import functional as F
from . import strings
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
    g = theta.grad.numpy().copy()
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
        axes.set_xticks([-8, -6, -4, -2, 0, 2])
        axes.set_yticks([-2, 0, 2])
        if k % 4 == 0:
            axes.set_ylabel("y")
        if k >= 4:
            axes.set_xlabel("x")
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
    from matplotlib.colors import ListedColormap

    okabe_ito = ListedColormap(["#0072B2", "#E69F00", "#009E73", "#CC79A7"][: int(labels.max()) + 1])
    data_axes.scatter(points[:, 0], points[:, 1], c=labels, cmap=okabe_ito, s=8)  # colour-blind-safe colours
    data_axes.set_aspect("equal")
    data_axes.set_title(n.label("optimizers.plot_spiral"))
    styles = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D", "v", "x", "+"]
    for k, (name, curve) in enumerate(curves.items()):  # a style and marker each: curves that coincide still show
        curve_axes.semilogy(np.arange(1, len(curve) + 1), curve, color=f"C{k}", label=name,
                            linestyle=styles[k % len(styles)], marker=markers[k % len(markers)],
                            markevery=max(1, len(curve) // 8), markersize=4, linewidth=1.4)
    curve_axes.set_xlabel(n.label("plot_epoch"))
    curve_axes.set_ylabel(n.label("optimizers.plot_loss"))
    curve_axes.set_title(n.label("optimizers.plot_mlp_title"))
    curve_axes.legend(fontsize=8)
    n.save(figure, "mlp_loss")


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.optimizers": (
        "SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW race on a 2-D loss surface and on a small "
        "MLP; paths over contours, loss curves",
        "随机梯度下降（SGD）、Momentum、Nesterov、AdaGrad、RMSprop、Adam、AdamW 在二维损失曲面和小型 MLP 上比赛；"
        "等高线上的路径，损失曲线",
    ),
    "optimizers.title": ("Optimizers: seven ways to go downhill", "优化器：下山的七种走法"),
    "optimizers.intro": (
        "Every optimizer uses the same gradient g = ∇J(θ); they differ in how they turn it into a step.\n"
        "Momentum remembers past gradients, AdaGrad and RMSprop divide by their size, Adam does both, AdamW "
        "also shrinks the weights.",
        "所有优化器都使用同一个梯度 g = ∇J(θ)；区别在于如何把它变成一步更新。\n"
        "动量（Momentum）记住过去的梯度，AdaGrad 和 RMSprop 按梯度的大小自适应地调整学习率，Adam 两者兼有，"
        "AdamW 还会衰减权重。",
    ),
    "optimizers.section_adam": ("Adam's first step, by hand", "手算 Adam 的第一步"),
    "optimizers.adam_first": (
        "At t = 1 the bias corrections undo the zero start exactly, so the step is α times the sign of g:",
        "t = 1 时偏差修正正好抵消了从零开始的影响，所以这一步等于 α 乘以 g 的符号：",
    ),
    "optimizers.adam_note": (
        "    (Document 001's Adam, m_t = β₁x_t + (1 − β₁)(x_t − x_{{t−1}}), has no memory — no m_{{t−1}} term, so "
        "nothing is averaged over the steps — and no bias correction m̂_t = m_t/(1 − β₁ᵗ);\n"
        "     the rule above is Kingma & Ba's and PyTorch's.)",
        "    （原文 001 的 Adam 公式 m_t = β₁x_t + (1 − β₁)(x_t − x_{{t−1}}) 没有记忆——式中没有 m_{{t−1}}，"
        "不会对历次梯度求平均——也没有偏差修正 m̂_t = m_t/(1 − β₁ᵗ)；\n"
        "     上面是 Kingma & Ba 以及 PyTorch 的规则。）",
    ),
    "optimizers.section_surface": (
        "Race 1: a ravine, steep across and flat along",
        "第一场比赛：一条峡谷，横向陡峭、纵向平缓",
    ),
    "optimizers.surface": (
        "{steps} steps each from the same start; the same gradient, seven update rules:",
        "每个优化器都从同一起点走 {steps} 步；同样的梯度，七种更新规则：",
    ),
    "optimizers.surface_formula": (
        "f(x, y) = x²/20 + y²,   start (−7, 2),   minimum (0, 0)",
        "f(x, y) = x²/20 + y²，起点 (−7, 2)，最小值点 (0, 0)",
    ),
    "optimizers.col_settings": ("settings", "设置"),
    "optimizers.col_rule": ("update rule", "更新规则"),
    "optimizers.col_end": ("end point", "终点"),
    "optimizers.surface_note": (
        "Plain SGD zig-zags across the ravine and crawls along it; momentum overshoots and swings back; the "
        "adaptive methods\n"
        "(AdaGrad, RMSprop, Adam) rescale each coordinate, so the flat direction gets as large a step as the "
        "steep one.",
        "普通的随机梯度下降（SGD）在峡谷两壁之间来回振荡，沿谷底却走得很慢；动量会冲过头再摆回来；自适应方法\n"
        "（AdaGrad、RMSprop、Adam）对每个坐标分别缩放，平缓方向的步子和陡峭方向一样大。",
    ),
    "optimizers.section_mlp": (
        "Race 2: a small MLP on the spiral data (3 classes, 300 points)",
        "第二场比赛：小型 MLP 学习螺旋数据（3 类，300 个点）",
    ),
    "optimizers.mlp": (
        "The same network, the same initial weights and the same batches for every optimizer, {epochs} "
        "epochs:",
        "每个优化器使用相同的网络、相同的初始权重和相同的批量，训练 {epochs} 轮：",
    ),
    "optimizers.mlp_formula": (
        "2 → 64 → 64 → 3 (ReLU),   L = cross-entropy,   batches of 30",
        "2 → 64 → 64 → 3（ReLU），L = 交叉熵，批量 30",
    ),
    "optimizers.col_first": ("loss, epoch 1", "第 1 轮损失"),
    "optimizers.col_last": ("loss, last epoch", "最后一轮损失"),
    "optimizers.col_accuracy": ("accuracy", "准确率"),
    "optimizers.mlp_note": (
        "Each optimizer has its own good learning rate (the settings column); with those, the adaptive "
        "methods get there in fewer epochs.",
        "每个优化器有各自合适的学习率（见“设置”一列）；在这些设置下，自适应方法用更少的轮次达到目标。",
    ),
    "optimizers.plot_surface_title": (
        "f(x, y) = x²/20 + y²: {steps} steps from (−7, 2)",
        "f(x, y) = x²/20 + y²：从 (−7, 2) 出发走 {steps} 步",
    ),
    "optimizers.plot_spiral": ("spiral data", "螺旋数据"),
    "optimizers.plot_loss": ("cross-entropy loss (training)", "交叉熵损失（训练集）"),
    "optimizers.plot_mlp_title": ("MLP 2-64-64-3 on the spiral", "MLP 2-64-64-3 学习螺旋数据"),
}
strings.register(TEXT)

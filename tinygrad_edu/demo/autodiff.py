"""Walkthrough ``autodiff``: the chain rule by hand and by the engine on one neuron, then gradient descent
fitting a line."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg

from . import strings
from .narrate import Narrator


def run(n: Narrator) -> None:
    n.title("autodiff.title")
    n.section("autodiff.section_neuron")
    x, y = 1.5, 1.0
    w = tg.tensor(0.8, requires_grad=True, dtype="float64")
    b = tg.tensor(-0.5, requires_grad=True, dtype="float64")
    z = w * x + b
    n.step("autodiff.z", "z = w·x + b", "z = w * x + b", {"x": x, "w": w.item(), "b": b.item(), "z": z.item()})
    a = z.sigmoid()
    n.step("autodiff.a", "a = σ(z)", "a = z.sigmoid()", {"a": a.item()})
    loss = (a - y) ** 2
    n.step("autodiff.loss", "L = (a − y)²", "loss = (a - y) ** 2", {"y": y, "L": loss.item()})
    loss.backward()
    s = 1 / (1 + np.exp(-z.item()))
    dl_da, da_dz = 2 * (s - y), s * (1 - s)
    n.step("autodiff.chain", "∂L/∂w = ∂L/∂a · ∂a/∂z · ∂z/∂w = 2(a − y) · σ(z)(1 − σ(z)) · x",
           "dl_da, da_dz = 2 * (s - y), s * (1 - s)",
           {"∂L/∂a": dl_da, "∂a/∂z": da_dz, "∂z/∂w": x, "∂L/∂w": dl_da * da_dz * x})
    n.step("autodiff.engine", "w.grad = ∂L/∂w,   b.grad = ∂L/∂b", "loss.backward()",
           {"w.grad": w.grad.item(), "b.grad": b.grad.item()})

    n.section("autodiff.section_line")
    samples = 64
    xs = tg.randn(samples, 1)
    ys = xs * 3.0 - 2.0 + tg.randn(samples, 1) * 0.1
    weight = tg.zeros(1, requires_grad=True)
    bias = tg.zeros(1, requires_grad=True)
    steps = n.epochs(full=200, quick=50)
    losses = []
    for _ in range(steps):
        loss = ((xs * weight + bias - ys) ** 2).mean()
        weight.grad = bias.grad = None
        loss.backward()
        losses.append(loss.item())
        with tg.no_grad():  # an in-place update of a leaf: not recorded, the leaf stays trainable
            weight -= 0.1 * weight.grad
            bias -= 0.1 * bias.grad
    n.step("autodiff.descent", "J(w, b) = (1/n) Σ (w xᵢ + b − yᵢ)²,   θ ← θ − α∇J(θ),   α = 0.1",
           "with tg.no_grad(): weight -= 0.1 * weight.grad",
           {"J₀": losses[0], "J": losses[-1], "w": weight.item(), "b": bias.item()})
    n.say("autodiff.learned")

    figure = n.figure(10, 4)
    left, right = figure.subplots(1, 2)
    left.scatter(xs.numpy()[:, 0], ys.numpy()[:, 0], s=10, label=n.label("plot_data"))
    grid = np.linspace(xs.numpy().min(), xs.numpy().max(), 2)
    left.plot(grid, weight.item() * grid + bias.item(), color="C1", label=f"{weight.item():.2f}·x {bias.item():+.2f}")
    left.legend()
    left.set_title(n.label("autodiff.plot_fit"))
    right.semilogy(losses)
    right.set_xlabel(n.label("plot_step"))
    right.set_ylabel("J")
    right.set_title(n.label("autodiff.plot_loss"))
    n.save(figure, "line_fit")


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.autodiff": (
        "the chain rule on one neuron a = σ(wx + b), by hand and by backward(); then fit a line",
        "单个神经元 a = σ(wx + b) 上的链式法则，手算与 backward() 对照；然后拟合一条直线",
    ),
    "autodiff.title": (
        "Automatic differentiation: the chain rule, by hand and by the engine",
        "自动微分：链式法则，手算与引擎对照",
    ),
    "autodiff.section_neuron": ("One neuron, one sample", "一个神经元，一个样本"),
    "autodiff.z": ("The weighted sum:", "加权和："),
    "autodiff.a": ("The activation:", "激活值："),
    "autodiff.loss": ("The loss (squared error):", "损失（平方误差）："),
    "autodiff.chain": (
        "By hand, the chain rule multiplies the local derivatives along the path from L back to w:",
        "手算时，链式法则沿着从 L 到 w 的路径把局部导数相乘：",
    ),
    "autodiff.engine": (
        "The engine records each operation and applies the same rule in reverse:",
        "引擎记录每一步运算，并反向应用同样的法则：",
    ),
    "autodiff.section_line": (
        "Gradient descent fits a line y = 3x − 2 (plus noise)",
        "梯度下降拟合直线 y = 3x − 2（加噪声）",
    ),
    "autodiff.descent": (
        "Mean squared error and the gradient-descent update, repeated:",
        "均方误差与梯度下降的更新，反复进行：",
    ),
    "autodiff.learned": (
        "The learned w ≈ 3 and b ≈ −2: the gradients point the right way.",
        "学到 w ≈ 3、b ≈ −2：梯度指向了正确的方向。",
    ),
    "autodiff.plot_fit": ("Data and the fitted line", "数据与拟合的直线"),
    "autodiff.plot_loss": ("Mean squared error", "均方误差"),
}
strings.register(TEXT)

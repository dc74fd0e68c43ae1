"""Walkthrough ``regression``: the documents' ``nn.Linear(10, 1)`` + ``nn.MSELoss()`` + ``optim.SGD(lr=0.01)``
learning a linear function with a known answer, one forward/backward/update at a time, then 1000 epochs."""

from __future__ import annotations

import numpy as np

from .. import nn, optim
from ..data import regression
from . import strings
from .narrate import Narrator

SAMPLES, FEATURES, LEARNING_RATE = 200, 10, 0.01


def run(n: Narrator) -> None:
    n.title("regression.title")
    n.say("regression.intro")

    n.section("regression.section_data")
    x_np, y_np, w_true, b_true = regression(n=SAMPLES, d=FEATURES, noise=0.1, seed=n.args.seed)
    x, y = n.tensor(x_np), n.tensor(y_np)
    n.step("regression.data", "y = X w* + b* + ε,   X ∈ ℝ²⁰⁰ˣ¹⁰,   ε ~ N(0, 0.1²)",
           "x_np, y_np, w_true, b_true = regression(n=SAMPLES, d=FEATURES, noise=0.1, seed=n.args.seed)",
           {"X.shape": x_np.shape, "y.shape": y_np.shape, "w*": w_true[:, 0], "b*": b_true})

    n.section("regression.section_model")
    net = nn.Linear(10, 1)
    criterion = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=0.01)
    n.step("regression.model", "ŷ = X Wᵀ + b,   W ∈ ℝ¹ˣ¹⁰ ~ U(−1/√10, 1/√10),   b ∈ ℝ",
           "net = nn.Linear(10, 1)", {"W": net.weight.numpy()[0], "b": net.bias.numpy()})

    n.section("regression.section_one_step")
    outputs = net(x)
    n.step("regression.forward", "ŷᵢ = W xᵢ + b", "outputs = net(x)", {"ŷ[:4]": outputs.numpy()[:4, 0],
                                                                       "y[:4]": y_np[:4, 0]})
    loss = criterion(outputs, y)
    n.step("regression.loss", "MSE = (1/n) Σᵢ (yᵢ − ŷᵢ)²", "loss = criterion(outputs, y)", {"MSE": loss.item()})
    optimizer.zero_grad()
    loss.backward()
    engine_grad = net.weight.grad.numpy()
    grad_by_hand = 2 / SAMPLES * (outputs.numpy() - y_np).T @ x_np
    n.step("regression.backward", "∂MSE/∂W = (2/n) (ŷ − y)ᵀ X,   ∂MSE/∂b = (2/n) Σᵢ (ŷᵢ − yᵢ)",
           "grad_by_hand = 2 / SAMPLES * (outputs.numpy() - y_np).T @ x_np",
           {"W.grad": engine_grad[0], n.t("by_hand"): grad_by_hand[0],
            "max |Δ|": float(np.max(np.abs(engine_grad - grad_by_hand)))})
    weight_before = net.weight.numpy()[0].copy()
    optimizer.step()
    n.step("regression.update", "W ← W − α ∂MSE/∂W,   α = 0.01", "optimizer.step()",
           {"W (before)": weight_before[:4], "W (after)": net.weight.numpy()[0, :4],
            "−α·grad": -LEARNING_RATE * grad_by_hand[0, :4]})

    n.section("regression.section_train")
    epochs = n.epochs(full=1000, quick=200)
    losses = [loss.item()]
    for epoch in range(2, epochs + 1):  # epoch 1 was the step above
        outputs = net(x)  # forward pass
        loss = criterion(outputs, y)  # the loss
        optimizer.zero_grad()
        loss.backward()  # backward pass
        optimizer.step()  # the update
        losses.append(loss.item())
        if epoch % max(1, epochs // 5) == 0:
            n.say("regression.progress", epoch=epoch, epochs=epochs, loss=loss.item())
    n.step("regression.loop", n.t("regression.loop_formula"),
           "loss = criterion(outputs, y)  # the loss", {"MSE₀": losses[0], "MSE": losses[-1]})

    n.section("regression.section_compare")
    learned = net.weight.numpy()[0]
    design = np.hstack([x_np, np.ones((SAMPLES, 1), np.float32)]).astype(np.float64)
    least_squares = np.linalg.lstsq(design, y_np.astype(np.float64), rcond=None)[0][:, 0]
    n.step("regression.least_squares", n.t("regression.least_squares_formula"),
           "least_squares = np.linalg.lstsq(design, y_np.astype(np.float64), rcond=None)[0][:, 0]",
           {"w*": w_true[:, 0], "W (SGD)": learned, "W (lstsq)": least_squares[:-1],
            "b*, b (SGD), b (lstsq)": np.array([b_true[0], net.bias.numpy()[0], least_squares[-1]])})
    gap = float(np.max(np.abs(learned - least_squares[:-1])))
    n.say("regression.verdict", gap=gap, error=float(np.max(np.abs(learned - w_true[:, 0]))))

    figure = n.figure(7, 4)
    axes = figure.add_subplot()
    axes.semilogy(np.arange(1, len(losses) + 1), losses)
    axes.axhline(0.01, color="gray", linestyle="--", label=n.label("regression.plot_noise"))
    axes.set_xlabel(n.label("plot_epoch"))
    axes.set_ylabel("MSE")
    axes.set_title(n.label("regression.plot_loss_title"))
    axes.legend()
    n.save(figure, "loss")

    figure = n.figure(8, 4)
    axes = figure.add_subplot()
    positions = np.arange(FEATURES)
    axes.bar(positions - 0.2, w_true[:, 0], width=0.4, label=n.label("regression.plot_true"))
    axes.bar(positions + 0.2, learned, width=0.4, label=n.label("regression.plot_learned"))
    axes.set_xticks(positions, [f"w{i + 1}" for i in positions])
    axes.axhline(0, color="black", linewidth=0.5)
    axes.set_title(n.label("regression.plot_weights_title"))
    axes.legend()
    n.save(figure, "weights")


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.regression": (
        "the documents' Linear(10, 1) + MSE + SGD: one step in detail, then 1000 epochs; loss curve, true vs "
        "learned weights",
        "原文中的 Linear(10, 1) + 均方误差 + 随机梯度下降（SGD）：先细看一步，再训练 1000 轮；"
        "损失曲线，真实权重与学到的权重",
    ),
    "regression.title": (
        "Linear regression: nn.Linear(10, 1), the mean squared error and gradient descent",
        "线性回归：nn.Linear(10, 1)、均方误差与梯度下降",
    ),
    "regression.intro": (
        "The documents' first PyTorch listing: a fully connected layer with 10 inputs and 1 output, the MSE "
        "loss and SGD with learning rate 0.01,\n"
        "trained for 1000 epochs. The data come from a known linear function, so we can see whether the "
        "weights it learns are the true ones.",
        "原文中的第一个 PyTorch 例子：一个 10 输入、1 输出的全连接层，均方误差损失函数，"
        "学习率 0.01 的随机梯度下降（SGD），\n"
        "训练 1000 轮。数据来自一个已知的线性函数，因此可以检验学到的权重是否就是真实的权重。",
    ),
    "regression.section_data": ("Data with a known answer", "答案已知的数据"),
    "regression.data": (
        "200 samples of 10 features; the targets are a linear function of them plus a little noise:",
        "200 个样本、每个 10 个特征；目标值是它们的线性函数，再加一点噪声：",
    ),
    "regression.section_model": ("The model, the loss function and the optimizer", "模型、损失函数与优化器"),
    "regression.model": (
        "One fully connected layer (10 weights and a bias, initialised at random), as in the documents:",
        "一个全连接层（10 个权重和一个偏置，随机初始化），与原文相同：",
    ),
    "regression.section_one_step": ("One training step, in detail", "细看一个训练步骤"),
    "regression.forward": (
        "Forward pass: a prediction for every sample at once (a matrix product):",
        "前向传播：一次算出所有样本的预测值（一次矩阵乘法）：",
    ),
    "regression.loss": ("The loss function: the mean of the squared errors:", "损失函数：平方误差的平均值："),
    "regression.backward": (
        "Backward pass: loss.backward() fills W.grad; the formula gives the same numbers:",
        "反向传播：loss.backward() 填好 W.grad；公式给出同样的数值：",
    ),
    "regression.update": (
        "The update moves every weight a small step against its gradient:",
        "参数更新：每个权重沿梯度的反方向走一小步：",
    ),
    "regression.section_train": ("Training: the same step, over and over", "训练：同样的步骤，一遍又一遍"),
    "regression.progress": (
        "    epoch {epoch:5d}/{epochs}   MSE {loss:.6f}",
        "    第 {epoch:5d}/{epochs} 轮   均方误差 {loss:.6f}",
    ),
    "regression.loop": (
        "Each epoch is the documents' loop body (full batch: all 200 samples per step):",
        "每一轮就是原文中循环体的内容（全批量：每步使用全部 200 个样本）：",
    ),
    "regression.loop_formula": (
        "repeat: forward → loss → zero_grad → backward → step",
        "重复：前向传播 → 损失 → zero_grad → 反向传播 → step",
    ),
    "regression.section_compare": ("What did it learn?", "学到了什么？"),
    "regression.least_squares": ("The exact least-squares answer, for comparison:", "作为对照，精确的最小二乘解："),
    "regression.least_squares_formula": (
        "θ̂ = argmin ‖[X 1] θ − y‖²  (the normal equations, solved exactly)",
        "θ̂ = argmin ‖[X 1] θ − y‖²（精确求解正规方程）",
    ),
    "regression.verdict": (
        "Gradient descent is within {gap:.1e} of the exact least-squares weights and within {error:.1e} of "
        "the true ones (the noise ε limits how close any method can get).",
        "梯度下降的结果与精确的最小二乘权重相差 {gap:.1e}，与真实权重相差 {error:.1e}（噪声 ε "
        "决定了任何方法能达到的精度）。",
    ),
    "regression.plot_noise": ("noise variance 0.1² (the best possible MSE)", "噪声方差 0.1²（可能的最小均方误差）"),
    "regression.plot_loss_title": ("Mean squared error during training", "训练过程中的均方误差"),
    "regression.plot_true": ("true w*", "真实 w*"),
    "regression.plot_learned": ("learned W", "学到的 W"),
    "regression.plot_weights_title": ("True vs learned weights", "真实权重与学到的权重"),
}
strings.register(TEXT)

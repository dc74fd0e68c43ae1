"""Walkthrough ``backprop``: backpropagation by hand on a 2-layer MLP, checked against the engine and against
finite differences.

The network (column vectors, as in the documents): x ∈ ℝ³ → hidden layer of 4 sigmoid units → 2 sigmoid
outputs, loss L = ½‖a² − y‖². Everything is float64 so that the three gradients agree to ~1e-10.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from . import strings
from .narrate import Narrator

LEARNING_RATE = 0.5
FINITE_DIFFERENCE_STEP = 1e-6


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    return sigmoid(z) * (1.0 - sigmoid(z))


def network_loss(x: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray,
                 W2: np.ndarray, b2: np.ndarray) -> float:
    """The forward pass in one line, for the finite differences."""
    return 0.5 * float(np.sum((sigmoid(W2 @ sigmoid(W1 @ x + b1) + b2) - y) ** 2))


def run(n: Narrator) -> None:
    n.title("backprop.title")
    n.say("backprop.intro")
    rng = backend.generator("numpy")  # the project's seeded generator (--seed)

    n.section("backprop.section_setup")
    x = rng.normal(size=3)
    y = np.array([1.0, 0.0])
    W1, b1 = rng.normal(0.0, 0.8, size=(4, 3)), rng.normal(0.0, 0.1, size=4)
    W2, b2 = rng.normal(0.0, 0.8, size=(2, 4)), rng.normal(0.0, 0.1, size=2)
    n.step("backprop.setup", "x ∈ ℝ³,  y ∈ ℝ²,  W¹ ∈ ℝ⁴ˣ³,  b¹ ∈ ℝ⁴,  W² ∈ ℝ²ˣ⁴,  b² ∈ ℝ²",
           "W1, b1 = rng.normal(0.0, 0.8, size=(4, 3)), rng.normal(0.0, 0.1, size=4)",
           {"x": x, "y": y, "W¹": W1, "b¹": b1, "W²": W2, "b²": b2})

    # ---------------------------------------------------------------------------------------- forward pass
    n.section("backprop.section_forward")
    z1 = W1 @ x + b1
    n.step("backprop.z1", "z¹ = W¹x + b¹", "z1 = W1 @ x + b1", {"z¹": z1})
    a1 = sigmoid(z1)
    n.step("backprop.a1", "a¹ = σ(z¹) = 1 / (1 + e^(−z¹))", "a1 = sigmoid(z1)", {"a¹": a1})
    z2 = W2 @ a1 + b2
    n.step("backprop.z2", "z² = W²a¹ + b²", "z2 = W2 @ a1 + b2", {"z²": z2})
    a2 = sigmoid(z2)
    n.step("backprop.a2", "ŷ = a² = σ(z²)", "a2 = sigmoid(z2)", {"a²": a2})
    loss = 0.5 * np.sum((a2 - y) ** 2)
    n.step("backprop.loss", "L = ½ Σᵢ (a²ᵢ − yᵢ)²", "loss = 0.5 * np.sum((a2 - y) ** 2)", {"L": loss})

    # ------------------------------------------------------------------------------------ backward by hand
    n.section("backprop.section_backward")
    delta2 = (a2 - y) * sigmoid_prime(z2)
    n.step("backprop.delta2", "δᴸ = δ² = ∂L/∂z² = (a² − y) ⊙ σ′(z²),   σ′(z) = σ(z)(1 − σ(z))",
           "delta2 = (a2 - y) * sigmoid_prime(z2)", {"δ²": delta2})
    n.say("backprop.sign_note")
    grad_W2, grad_b2 = np.outer(delta2, a1), delta2
    n.step("backprop.grad_w2", "∂L/∂W² = δ² (a¹)ᵀ,   ∂L/∂b² = δ²",
           "grad_W2, grad_b2 = np.outer(delta2, a1), delta2", {"∂L/∂W²": grad_W2, "∂L/∂b²": grad_b2})
    delta1 = (W2.T @ delta2) * sigmoid_prime(z1)
    n.step("backprop.delta1", "δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ′(zˡ):   δ¹ = (W²)ᵀ δ² ⊙ σ′(z¹)",
           "delta1 = (W2.T @ delta2) * sigmoid_prime(z1)", {"(W²)ᵀδ²": W2.T @ delta2, "σ′(z¹)": sigmoid_prime(z1),
                                                            "δ¹": delta1})
    grad_W1, grad_b1 = np.outer(delta1, x), delta1
    n.step("backprop.grad_w1", "∂L/∂W¹ = δ¹ xᵀ,   ∂L/∂b¹ = δ¹",
           "grad_W1, grad_b1 = np.outer(delta1, x), delta1", {"∂L/∂W¹": grad_W1, "∂L/∂b¹": grad_b1})
    by_hand = {"W1": grad_W1, "b1": grad_b1, "W2": grad_W2, "b2": grad_b2}

    # ------------------------------------------------------------------------------------ the engine's turn
    n.section("backprop.section_engine")
    params = {name: n.tensor(value.copy(), requires_grad=True) for name, value in
              {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.items()}
    z1_t = params["W1"] @ n.tensor(x) + params["b1"]
    z1_t.retain_grad()  # keep ∂L/∂z¹ on this intermediate tensor (only leaves keep .grad by default)
    z2_t = params["W2"] @ z1_t.sigmoid() + params["b2"]
    z2_t.retain_grad()
    loss_t = 0.5 * ((z2_t.sigmoid() - n.tensor(y)) ** 2).sum()
    loss_t.backward()
    n.step("backprop.engine", n.t("backprop.engine_formula"),
           "loss_t.backward()", {"L": loss_t.item(), "W1.grad": params["W1"].grad})
    engine = {name: p.grad.numpy() for name, p in params.items()}
    n.step("backprop.engine_deltas", "z².grad = ∂L/∂z² = δ²,   z¹.grad = ∂L/∂z¹ = δ¹",
           "z2_t.retain_grad()",
           {"z².grad": z2_t.grad, "z¹.grad": z1_t.grad})

    # ------------------------------------------------------------------------------- finite differences
    n.section("backprop.section_numeric")
    h = FINITE_DIFFERENCE_STEP
    values = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    numeric = {name: np.zeros_like(value) for name, value in values.items()}
    for name, value in values.items():
        for index in np.ndindex(value.shape):
            saved = value[index]
            value[index] = saved + h
            loss_up = network_loss(x, y, **values)
            value[index] = saved - h
            loss_down = network_loss(x, y, **values)
            value[index] = saved
            numeric[name][index] = (loss_up - loss_down) / (2 * h)
    W1[0, 0] += h
    loss_up = network_loss(x, y, W1, b1, W2, b2)
    W1[0, 0] -= 2 * h
    loss_down = network_loss(x, y, W1, b1, W2, b2)
    W1[0, 0] += h
    n.step("backprop.numeric", n.t("backprop.numeric_formula"),
           "numeric[name][index] = (loss_up - loss_down) / (2 * h)",
           {"h": h, "L(W¹₀₀ + h)": f"{loss_up:.12f}", "L(W¹₀₀ − h)": f"{loss_down:.12f}",
            "(L⁺ − L⁻)/2h": (loss_up - loss_down) / (2 * h), "δ¹₀ x₀": grad_W1[0, 0]})

    rows = []
    for name in values:
        engine_error = np.max(np.abs(engine[name] - by_hand[name]))
        numeric_error = np.max(np.abs(numeric[name] - by_hand[name]) / (np.abs(by_hand[name]) + 1e-12))
        rows.append([name, f"{engine_error:.1e}", f"{numeric_error:.1e}"])
    n.say("backprop.compare")
    n.table_rows([n.t("backprop.col_param"), n.t("backprop.col_engine"), n.t("backprop.col_numeric")], rows)
    worst_engine = max(np.max(np.abs(engine[k] - by_hand[k])) for k in values)
    worst_numeric = max(np.max(np.abs(numeric[k] - by_hand[k])) for k in values)
    agree = worst_engine < 1e-12 and worst_numeric < 1e-7
    n.say("backprop.verdict_ok" if agree else "backprop.verdict_bad", engine=worst_engine, numeric=worst_numeric)

    # --------------------------------------------------------------------------- and then: descend
    n.section("backprop.section_descent")
    a1_before, a2_before = a1, a2  # for the picture of the network as it was
    losses = [float(loss)]
    steps = n.epochs(full=100, quick=30)  # gradient-descent steps on the one sample
    for _ in range(steps):
        z1 = W1 @ x + b1
        a1 = sigmoid(z1)
        z2 = W2 @ a1 + b2
        a2 = sigmoid(z2)
        delta2 = (a2 - y) * sigmoid_prime(z2)
        delta1 = (W2.T @ delta2) * sigmoid_prime(z1)
        W2 -= LEARNING_RATE * np.outer(delta2, a1)
        b2 -= LEARNING_RATE * delta2
        W1 -= LEARNING_RATE * np.outer(delta1, x)
        b1 -= LEARNING_RATE * delta1
        losses.append(network_loss(x, y, W1, b1, W2, b2))
    n.step("backprop.descent", "θ ← θ − α ∇J(θ),   α = 0.5", "W1 -= LEARNING_RATE * np.outer(delta1, x)",
           {"L₀": losses[0], "L₁": losses[1], f"L{_subscript(steps)}": losses[-1],
            "a²": sigmoid(W2 @ sigmoid(W1 @ x + b1) + b2)}, steps=steps)

    _plot_network(n, x, a1_before, a2_before, by_hand)
    _plot_gradients(n, by_hand, engine, numeric)
    _plot_descent(n, losses)


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _plot_network(n: Narrator, x: np.ndarray, a1: np.ndarray, a2: np.ndarray, grads: dict[str, np.ndarray]) -> None:
    """The network as a diagram: each edge coloured by its weight's gradient, each unit labelled with a and δ."""
    delta1, delta2 = grads["b1"], grads["b2"]  # ∂L/∂bˡ = δˡ
    from matplotlib import cm, colors

    figure = n.figure(9, 5.5)
    axes = figure.add_subplot()
    layers = [x, a1, a2]
    positions = [np.linspace(1, -1, len(layer)) * (len(layer) - 1) / 3 for layer in layers]  # unit 1 on top
    largest = max(np.max(np.abs(grads["W1"])), np.max(np.abs(grads["W2"])))
    norm = colors.TwoSlopeNorm(vmin=-largest, vcenter=0.0, vmax=largest)
    colormap = cm.coolwarm
    for layer, weight_grad in enumerate((grads["W1"], grads["W2"])):
        for i, target in enumerate(positions[layer + 1]):
            for j, source in enumerate(positions[layer]):
                g = weight_grad[i, j]
                axes.plot([layer, layer + 1], [source, target], color=colormap(norm(g)),
                          linewidth=0.8 + 5 * abs(g) / largest, zorder=1)
    for layer, (values, ys) in enumerate(zip(layers, positions, strict=True)):
        axes.scatter(np.full(len(ys), layer), ys, s=2400, color="white", edgecolor="black", zorder=2)
        for i, (value, y) in enumerate(zip(values, ys, strict=True)):
            if layer == 0:
                text = f"x{i + 1}\n{value:.2f}"
            else:
                delta = (delta1 if layer == 1 else delta2)[i]
                text = f"a={value:.2f}\nδ={delta:+.3f}"
            axes.text(layer, y, text, ha="center", va="center", fontsize=7, zorder=3)
    axes.set_xticks([0, 1, 2], [n.label("backprop.plot_input"), n.label("backprop.plot_hidden"),
                                n.label("backprop.plot_output")])
    axes.set_yticks([])
    axes.set_xlim(-0.4, 2.4)
    axes.set_ylim(-1.35, 1.35)
    axes.set_title(n.label("backprop.plot_network_title"))
    figure.colorbar(cm.ScalarMappable(norm=norm, cmap=colormap), ax=axes, label="∂L/∂w")
    n.save(figure, "network")


def _plot_gradients(n: Narrator, by_hand: dict, engine: dict, numeric: dict) -> None:
    """Every one of the 26 gradients three ways (they coincide), and how far apart they are (log scale)."""
    names = [f"{name}{list(index)}" for name, value in by_hand.items() for index in np.ndindex(value.shape)]
    hand = np.concatenate([v.ravel() for v in by_hand.values()])
    eng = np.concatenate([v.ravel() for v in engine.values()])
    num = np.concatenate([v.ravel() for v in numeric.values()])
    figure = n.figure(11, 6.5)
    top, bottom = figure.subplots(2, 1, sharex=True)
    positions = np.arange(len(hand))
    top.bar(positions - 0.27, hand, width=0.27, label=n.label("backprop.plot_by_hand"))
    top.bar(positions, eng, width=0.27, label=n.label("backprop.plot_engine"))
    top.bar(positions + 0.27, num, width=0.27, label=n.label("backprop.plot_numeric"))
    top.axhline(0, color="black", linewidth=0.5)
    top.set_ylabel("∂L/∂θ")
    top.legend()
    top.set_title(n.label("backprop.plot_gradients_title"))
    tiny = 1e-20  # log scale: an exact match is drawn at 1e-20
    bottom.semilogy(positions, np.abs(eng - hand) + tiny, "o", label=n.label("backprop.plot_engine_error"))
    bottom.semilogy(positions, np.abs(num - hand) + tiny, "s", label=n.label("backprop.plot_numeric_error"))
    bottom.axhline(tiny, color="gray", linewidth=0.8, linestyle=":")
    bottom.annotate(n.label("backprop.plot_floor"), (0, tiny), xytext=(0, 4), textcoords="offset points",
                    fontsize=7, color="gray")
    bottom.set_ylabel("|Δ|")
    bottom.set_xticks(positions, names, rotation=90, fontsize=7)
    bottom.legend()
    n.save(figure, "gradients")


def _plot_descent(n: Narrator, losses: list[float]) -> None:
    figure = n.figure(7, 4)
    axes = figure.add_subplot()
    axes.plot(losses, marker=".")
    axes.set_xlabel(n.label("plot_step"))
    axes.set_ylabel("L")
    axes.set_title(n.label("backprop.plot_descent_title"))
    n.save(figure, "descent")


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.backprop": (
        "backpropagation by hand on a 2-layer MLP: z, a, δᴸ, δˡ, ∂L/∂W — checked against backward() and "
        "finite differences",
        "在两层 MLP 上手算反向传播：z、a、δᴸ、δˡ、∂L/∂W——与 backward() 和有限差分对照",
    ),
    "backprop.title": (
        "Backpropagation, one number at a time: a 2-layer MLP on one sample",
        "反向传播，一个数一个数地算：两层 MLP，一个样本",
    ),
    "backprop.intro": (
        "Input x (3 values) → hidden layer of 4 sigmoid neurons → 2 sigmoid outputs, loss L = ½‖a² − y‖².\n"
        "We run the forward pass, send the error back layer by layer with the delta rule, and then check "
        "every gradient twice: against the engine's backward() and against finite differences.",
        "输入 x（3 个值）→ 含 4 个 sigmoid 神经元的隐藏层 → 2 个 sigmoid 输出，损失函数 L = ½‖a² − y‖²。\n"
        "先做前向传播，再用误差项逐层把误差反向传播，最后把每个梯度核对两遍：与引擎的 backward() 对照，"
        "与有限差分对照。",
    ),
    "backprop.section_setup": ("The network and one training sample", "网络与一个训练样本"),
    "backprop.setup": (
        "Random weights (seeded), one input x and its target y:",
        "随机权重（固定随机种子）、一个输入 x 及其目标 y：",
    ),
    "backprop.section_forward": (
        "Forward pass: each layer computes z = Wx + b, then a = σ(z)",
        "前向传播：每一层先算 z = Wx + b，再算 a = σ(z)",
    ),
    "backprop.z1": ("The hidden layer's weighted sums (pre-activations):", "隐藏层的加权和（激活前的值）："),
    "backprop.a1": (
        "The hidden activations, squashed into (0, 1) by the sigmoid:",
        "隐藏层的激活值，被 sigmoid 激活函数压到 (0, 1) 之间：",
    ),
    "backprop.z2": (
        "The output layer's weighted sums, from the hidden activations:",
        "输出层的加权和，由隐藏层的激活值算出：",
    ),
    "backprop.a2": ("The network's prediction:", "网络的预测值："),
    "backprop.loss": ("The loss function compares the prediction with the target:", "损失函数比较预测值与真实标签："),
    "backprop.section_backward": (
        "Backward pass by hand: the deltas δ = ∂L/∂z, from the output layer back",
        "手算反向传播：误差项 δ = ∂L/∂z，从输出层往回算",
    ),
    "backprop.delta2": (
        "The output-layer error δᴸ: how the loss changes with each output's weighted sum:",
        "输出层误差 δᴸ：损失随每个输出的加权和如何变化：",
    ),
    "backprop.sign_note": (
        "    (Document 001 writes δ_L = (y − ŷ) ⊙ σ′(z_L): the negative of ∂L/∂z_L above, i.e. the gradient of −L.\n"
        "     Its own update rule is θ ← θ − α∇J(θ), which needs δ = ∂L/∂z: fed the document's δ, that update would "
        "climb the loss. We keep δ = ∂L/∂z.)",
        "    （原文 001 写作 δ_L = (y − ŷ) ⊙ σ′(z_L)：它是上面 ∂L/∂z_L 的相反数，即 −L 的梯度。\n"
        "     原文自己的更新规则是 θ ← θ − α∇J(θ)，需要的是 δ = ∂L/∂z：代入原文的 δ，这一步更新会让损失上升。"
        "这里保持 δ = ∂L/∂z。）",
    ),
    "backprop.grad_w2": (
        "A weight's gradient is the delta of the neuron it feeds times the activation it carries:",
        "一个权重的梯度 = 它所连接的神经元的误差项 × 它传递的激活值：",
    ),
    "backprop.delta1": (
        "The hidden-layer error: the output deltas sent back through the transposed weights, times the local "
        "slope σ′:",
        "隐藏层误差：输出层误差经转置的权重传回，再乘以局部斜率 σ′：",
    ),
    "backprop.grad_w1": (
        "And the first layer's weight gradients, with the input x as the activation it carries:",
        "第一层权重的梯度，传递的激活值就是输入 x：",
    ),
    "backprop.section_engine": ("The engine does the same with loss.backward()", "引擎用 loss.backward() 做同样的事"),
    "backprop.engine": (
        "The same forward pass on Tensors with requires_grad=True, then one call:",
        "在 requires_grad=True 的张量上做同样的前向传播，然后调用一次：",
    ),
    "backprop.engine_formula": (
        "∂L/∂θ for every θ with requires_grad=True, by the chain rule in reverse order",
        "对每个 requires_grad=True 的 θ 求 ∂L/∂θ：按逆序应用链式法则",
    ),
    "backprop.engine_deltas": (
        "retain_grad() keeps the gradient on the intermediate z tensors — they are the deltas:",
        "retain_grad() 让中间张量 z 保留梯度——它们就是误差项：",
    ),
    "backprop.section_numeric": (
        "Finite differences: the definition of the derivative, no calculus needed",
        "有限差分：导数的定义本身，不需要微积分",
    ),
    "backprop.numeric": (
        "Nudge one weight up and down by h and watch the loss (shown for W¹₀₀; done for all 26):",
        "把一个权重加减 h，观察损失的变化（这里展示 W¹₀₀，26 个参数都已计算）：",
    ),
    "backprop.numeric_formula": (
        "∂L/∂θᵢ ≈ (L(θ + h eᵢ) − L(θ − h eᵢ)) / 2h,   error O(h²)",
        "∂L/∂θᵢ ≈ (L(θ + h eᵢ) − L(θ − h eᵢ)) / 2h，误差 O(h²)",
    ),
    "backprop.compare": (
        "\n"
        "Largest disagreement per parameter (by hand vs engine: absolute; vs finite differences: relative):",
        "\n"
        "每个参数的最大差异（手算 vs 引擎：绝对差；vs 有限差分：相对差）：",
    ),
    "backprop.col_param": ("parameter", "参数"),
    "backprop.col_engine": ("|engine − by hand|", "|引擎 − 手算|"),
    "backprop.col_numeric": ("|numeric − by hand| / |by hand|", "|数值 − 手算| / |手算|"),
    "backprop.verdict_ok": (
        "✓ All three agree: engine to {engine:.1e}, finite differences to {numeric:.1e} (the O(h²) "
        "truncation and rounding error of the difference quotient).",
        "✓ 三者一致：引擎相差 {engine:.1e}，有限差分相差 {numeric:.1e}（差商的 O(h²) 截断误差与舍入误差）。",
    ),
    "backprop.verdict_bad": (
        "✗ The gradients disagree (engine {engine:.1e}, finite differences {numeric:.1e}): this is a bug, "
        "please report it.",
        "✗ 梯度不一致（引擎 {engine:.1e}，有限差分 {numeric:.1e}）：这是一个 bug，请报告。",
    ),
    "backprop.section_descent": ("With the gradients, gradient descent can learn", "有了梯度，梯度下降就能学习"),
    "backprop.descent": (
        "{steps} steps of gradient descent, each a forward pass, the deltas, and the update:",
        "{steps} 步梯度下降，每一步：前向传播、误差项、参数更新：",
    ),
    "backprop.plot_input": ("input x", "输入 x"),
    "backprop.plot_hidden": ("hidden layer (σ)", "隐藏层 (σ)"),
    "backprop.plot_output": ("output layer (σ)", "输出层 (σ)"),
    "backprop.plot_network_title": (
        "Backpropagation: edges coloured by ∂L/∂w, units labelled a and δ",
        "反向传播：连线颜色表示 ∂L/∂w，神经元标注 a 与 δ",
    ),
    "backprop.plot_by_hand": ("by hand (delta rule)", "手算（误差项）"),
    "backprop.plot_engine": ("engine backward()", "引擎 backward()"),
    "backprop.plot_numeric": ("finite differences", "有限差分"),
    "backprop.plot_gradients_title": ("The 26 gradients, three ways", "26 个梯度，三种算法"),
    "backprop.plot_floor": ("10⁻²⁰: where an exact match (|Δ| = 0) is drawn on the log scale",
                            "10⁻²⁰：完全一致（|Δ| = 0）在对数刻度上画在这里"),
    "backprop.plot_engine_error": ("|engine − by hand|", "|引擎 − 手算|"),
    "backprop.plot_numeric_error": ("|finite differences − by hand|", "|有限差分 − 手算|"),
    "backprop.plot_descent_title": ("Loss during gradient descent on one sample", "在一个样本上梯度下降时的损失"),
}
strings.register(TEXT)

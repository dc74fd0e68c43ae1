"""Walkthrough ``backprop``: backpropagation by hand on a 2-layer MLP, checked against the engine and against
finite differences.

The network (column vectors, as in the documents): x ∈ ℝ³ → hidden layer of 4 sigmoid units → 2 sigmoid
outputs, loss L = ½‖a² − y‖². Everything is float64 so that the three gradients agree to ~1e-10.
"""

from __future__ import annotations

import numpy as np

from .. import backend
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
    engine = {name: backend.to_device(p.grad, "cpu") for name, p in params.items()}
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

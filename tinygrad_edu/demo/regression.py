"""Walkthrough ``regression``: the documents' ``nn.Linear(10, 1)`` + ``nn.MSELoss()`` + ``optim.SGD(lr=0.01)``
learning a linear function with a known answer, one forward/backward/update at a time, then 1000 epochs."""

from __future__ import annotations

import numpy as np

from .. import backend, nn, optim
from ..data import regression
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
    engine_grad = backend.to_device(net.weight.grad, "cpu")
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

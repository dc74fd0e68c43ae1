"""Walkthrough ``lstm``: one LSTM step by hand against ``nn.LSTM``; the adding problem (remember two marked
numbers across a sequence and add them), with the hidden state and the gates drawn over time; and the
documents' text classifier Embedding → LSTM → LSTM → Dense on a synthetic review task."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg

from .. import models, nn, optim, train
from ..data import adding_problem
from ..nn import functional as F
from .narrate import Narrator

SEQUENCE_LENGTH = 10
HIDDEN = 32
VOCABULARY = 20  # tokens 0–5 are "positive" words, 6–11 "negative", 12–19 neutral
REVIEW_LENGTH = 12


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class Adder(nn.Module):
    """LSTM(2 → 32) reading the sequence, a Linear layer reading its last hidden state: ŷ = W h_T + b."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(2, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        output, (h_n, c_n) = self.lstm(x)
        return self.head(h_n[-1])


def reviews(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Token sequences labelled 1 when they hold more "positive" words (ids 0–5) than "negative" ones (6–11)."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, VOCABULARY, size=(3 * n, REVIEW_LENGTH))
    positive, negative = (tokens < 6).sum(axis=1), ((tokens >= 6) & (tokens < 12)).sum(axis=1)
    keep = positive != negative  # no ties: every review has a clear answer
    return tokens[keep][:n], (positive > negative)[keep][:n].astype(np.int64)


def lstm_states(lstm: nn.LSTM, x: np.ndarray) -> dict[str, np.ndarray]:
    """Run one layer of ``lstm`` over one sequence x (T, input) in NumPy, keeping every gate and state."""
    w_ih, w_hh = lstm.weight_ih_l0.numpy(), lstm.weight_hh_l0.numpy()
    bias = lstm.bias_ih_l0.numpy() + lstm.bias_hh_l0.numpy()
    hidden = lstm.hidden_size
    h, c = np.zeros(hidden), np.zeros(hidden)
    record = {name: [] for name in ("i", "f", "g", "o", "c", "h")}
    for x_t in x:
        z = w_ih @ x_t + w_hh @ h + bias
        i, f, g, o = sigmoid(z[:hidden]), sigmoid(z[hidden:2 * hidden]), np.tanh(z[2 * hidden:3 * hidden]), \
            sigmoid(z[3 * hidden:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, value in zip(("i", "f", "g", "o", "c", "h"), (i, f, g, o, c, h), strict=True):
            record[name].append(value)
    return {name: np.array(values) for name, values in record.items()}  # each (T, hidden)


def run(n: Narrator) -> None:
    n.title("lstm.title")
    n.say("lstm.intro")
    _one_step(n)
    _adding(n)
    _classifier(n)


def _one_step(n: Narrator) -> None:
    n.section("lstm.section_step")
    lstm = nn.LSTM(2, 3)
    w_ih, w_hh = lstm.weight_ih_l0.numpy(), lstm.weight_hh_l0.numpy()
    b = lstm.bias_ih_l0.numpy() + lstm.bias_hh_l0.numpy()
    x_t, h_prev, c_prev = np.array([0.7, 1.0]), np.zeros(3), np.zeros(3)
    z = w_ih @ x_t + w_hh @ h_prev + b
    n.step("lstm.z", n.t("lstm.z_formula"),
           "z = w_ih @ x_t + w_hh @ h_prev + b", {"x_t": x_t, "W_ih.shape": w_ih.shape, "z": z})
    i, f, g, o = sigmoid(z[0:3]), sigmoid(z[3:6]), np.tanh(z[6:9]), sigmoid(z[9:12])
    n.step("lstm.gates", "i = σ(z_i),  f = σ(z_f),  g = tanh(z_g),  o = σ(z_o)",
           "i, f, g, o = sigmoid(z[0:3]), sigmoid(z[3:6]), np.tanh(z[6:9]), sigmoid(z[9:12])",
           {n.t("lstm.input_gate") + " i": i, n.t("lstm.forget_gate") + " f": f, n.t("lstm.candidate") + " g": g,
            n.t("lstm.output_gate") + " o": o})
    c_t = f * c_prev + i * g
    h_t = o * np.tanh(c_t)
    n.step("lstm.cell", "c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)", "c_t = f * c_prev + i * g",
           {"c_t": c_t, "h_t": h_t})
    with tg.no_grad():
        output, (h_n, c_n) = lstm(n.tensor(x_t[None, None].astype(np.float32)))
    n.step("lstm.check", n.t("lstm.check_formula"), "output, (h_n, c_n) = lstm(n.tensor(x_t[None, "
           "None].astype(np.float32)))", {"h_n": h_n.numpy().ravel(), "c_n": c_n.numpy().ravel(),
                                          "max |Δ|": float(np.max(np.abs(h_n.numpy().ravel() - h_t)))})


def _adding(n: Narrator) -> None:
    n.section("lstm.section_adding")
    count = 400 if n.quick else 2000
    x_train, y_train = adding_problem(count, SEQUENCE_LENGTH, seed=n.args.seed)
    x_val, y_val = adding_problem(500, SEQUENCE_LENGTH, seed=n.args.seed + 1)
    n.step("lstm.adding_data", n.t("lstm.adding_data_formula"),
           "x_train, y_train = adding_problem(count, SEQUENCE_LENGTH, seed=n.args.seed)",
           {"x_train.shape": x_train.shape, "x_train[0, :, 0]": x_train[0, :, 0], "x_train[0, :, 1]": x_train[0, :, 1],
            "y": y_train[0, 0]})
    model = Adder()
    epochs = n.epochs(full=12, quick=2)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    history = train.fit(model, F.mse_loss, optimizer, (x_train, y_train), epochs=epochs, val_data=(x_val, y_val),
                        batch_size=50, metrics=[], progress="auto")
    baseline = 1 / 6
    n.step("lstm.adding_trained", n.t("lstm.adding_trained_formula"),
           "history = train.fit(model, F.mse_loss, optimizer, (x_train, y_train), epochs=epochs, val_data=(x_val, "
           "y_val),", {"history['val_loss']": [round(v, 4) for v in history["val_loss"]]}, epochs=epochs)
    final = history["val_loss"][-1]
    n.say("lstm.adding_solved" if final < baseline / 10 else "lstm.adding_learning", mse=final, baseline=baseline,
          ratio=baseline / final)
    predictions = train.predict(model, x_val[:6]).numpy()[:, 0]
    n.step("lstm.adding_examples", "ŷ ≈ y", "predictions = train.predict(model, x_val[:6]).numpy()[:, 0]",
           {"y": y_val[:6, 0], "ŷ": predictions})

    states = lstm_states(model.lstm, x_val[0])
    with tg.no_grad():
        output, _ = model.lstm(n.tensor(x_val[:1]))
    n.step("lstm.adding_states", n.t("lstm.adding_states_formula"),
           "states = lstm_states(model.lstm, x_val[0])",
           {"max |h (NumPy) − h (nn.LSTM)|": float(np.max(np.abs(states["h"] - output.numpy()[0])))})
    _plot_adding(n, history, x_val[0], states, baseline)


def _classifier(n: Narrator) -> None:
    n.section("lstm.section_classifier")
    count = 400 if n.quick else 2000
    x_train, y_train = reviews(count, seed=n.args.seed)
    x_val, y_val = reviews(500, seed=n.args.seed + 1)
    n.step("lstm.reviews", n.t("lstm.reviews_formula"),
           "x_train, y_train = reviews(count, seed=n.args.seed)",
           {"x_train.shape": x_train.shape, "x_train[0]": x_train[0], "y_train[0]": y_train[0],
            n.t("lstm.positive_share"): f"{y_train.mean():.0%}"})
    model = models.LSTMClassifier(VOCABULARY, embedding_dim=16, hidden_size=HIDDEN)
    table = nn.summary(model, (REVIEW_LENGTH,), dtype=np.int64, print_fn=None)
    n.step("lstm.classifier", "Embedding(20, 16) → LSTM(16, 32) → LSTM(32, 32) → Linear(32, 2)",
           "sequence, _ = self.lstm1(self.embedding(tokens))", {"table.total_parameters": table.total_parameters})
    epochs = n.epochs(full=3, quick=1)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    history = train.fit(model, F.cross_entropy, optimizer, (x_train, y_train), epochs=epochs,
                        val_data=(x_val, y_val), batch_size=50, progress="auto")
    n.step("lstm.classifier_trained", n.t("lstm.classifier_trained_formula"),
           "history = train.fit(model, F.cross_entropy, optimizer, (x_train, y_train), epochs=epochs,",
           {n.t("cnn.accuracy"): [f"{a:.1%}" for a in history["val_accuracy"]]}, epochs=epochs)
    with tg.no_grad():
        running = model.running_scores(n.tensor(x_val[:1])).softmax(axis=-1).numpy()[0, :, 1]
    n.step("lstm.running", n.t("lstm.running_formula"),
           "running = model.running_scores(n.tensor(x_val[:1])).softmax(axis=-1).numpy()[0, :, 1]",
           {"x_val[0]": x_val[0], "running": running, "y_val[0]": y_val[0]})
    _plot_classifier(n, history, x_val[0], running)


def _plot_adding(n: Narrator, history: train.History, x: np.ndarray, states: dict[str, np.ndarray],
                 baseline: float) -> None:
    figure = n.figure(9, 3.6)
    axes = figure.add_subplot()
    epochs = np.arange(1, len(history["loss"]) + 1)
    axes.semilogy(epochs, history["loss"], marker="o", label=n.label("regularization.plot_train"))
    axes.semilogy(epochs, history["val_loss"], marker="o", label=n.label("regularization.plot_val"))
    axes.axhline(baseline, color="gray", linestyle="--", label=n.label("lstm.plot_baseline"))
    axes.set_xlabel(n.label("plot_epoch"))
    axes.set_ylabel("MSE")
    axes.set_title(n.label("lstm.plot_adding_title"))
    axes.legend()
    n.save(figure, "adding_loss")

    marked = np.flatnonzero(x[:, 1])
    figure = n.figure(10, 9)
    panels = figure.subplots(6, 1, sharex=True, height_ratios=[1, 2, 2, 2, 2, 2])
    steps = np.arange(len(x))
    panels[0].bar(steps, x[:, 0], color=["C3" if m else "C7" for m in x[:, 1]])
    panels[0].set_ylabel(n.label("lstm.plot_values"))
    rows = [("h", "lstm.plot_hidden", "RdBu_r"), ("c", "lstm.plot_cell", "RdBu_r"), ("i", "lstm.plot_input_gate",
            "viridis"), ("f", "lstm.plot_forget_gate", "viridis"), ("o", "lstm.plot_output_gate", "viridis")]
    for axes, (key, label, colormap) in zip(panels[1:], rows, strict=True):
        values = states[key].T  # (hidden, T)
        limits = dict(vmin=0, vmax=1) if colormap == "viridis" else dict(vmin=-np.abs(values).max(),
                                                                        vmax=np.abs(values).max())
        image = axes.imshow(values, aspect="auto", cmap=colormap, interpolation="nearest", **limits)
        axes.set_ylabel(n.label(label), fontsize=8)
        figure.colorbar(image, ax=axes, pad=0.01)
        for t in marked:
            axes.axvline(t, color="red", linewidth=0.8, linestyle=":")
    panels[-1].set_xlabel("t")
    panels[-1].set_xticks(steps)
    figure.suptitle(n.label("lstm.plot_states_title"))
    n.save(figure, "gates")


def _plot_classifier(n: Narrator, history: train.History, tokens: np.ndarray, running: np.ndarray) -> None:
    figure = n.figure(11, 4)
    left, right = figure.subplots(1, 2)
    n.plot_epochs(left, history, [("accuracy", "regularization.plot_train"),
                                  ("val_accuracy", "regularization.plot_val")], "cnn.accuracy")
    colors = ["C2" if t < 6 else "C3" if t < 12 else "C7" for t in tokens]
    steps = np.arange(len(tokens))
    right.bar(steps, running, color=colors)
    right.axhline(0.5, color="black", linewidth=0.5)
    right.set_xticks(steps, [str(t) for t in tokens])
    right.set_ylim(0, 1)
    right.set_xlabel(n.label("lstm.plot_words"))
    right.set_title(n.label("lstm.plot_running_title"))
    n.save(figure, "classifier")

"""Walkthrough ``lstm``: one LSTM step by hand against ``nn.LSTM``; the adding problem (remember two marked
numbers across a sequence and add them), with the hidden state and the gates drawn over time; and the
documents' text classifier Embedding → LSTM → LSTM → Dense on a synthetic review task."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg

from .. import models, nn, optim, train
from ..data import adding_problem
from ..nn import functional as F
from . import strings
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


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.lstm": (
        "one LSTM step by hand; the adding problem with hidden-state and gate plots; the documents' "
        "Embedding → LSTM → LSTM → Dense classifier",
        "手算一步 LSTM；加法问题，画出隐藏状态和门；原文中的嵌入层 → LSTM → LSTM → 全连接层 分类器",
    ),
    "lstm.title": ("Recurrent networks: the LSTM and its gates", "循环神经网络：LSTM 及其门"),
    "lstm.intro": (
        "A recurrent network reads a sequence one step at a time and carries a hidden state h_t from step to "
        "step. The LSTM adds a cell state c_t,\n"
        "changed only by gated addition, so information can survive many steps: the forget gate f decides "
        "what to keep, the input gate i what to write,\n"
        "the output gate o what to show.",
        "循环神经网络一次读取序列的一步，并把隐藏状态 h_t 从一步传到下一步。LSTM 增加了一个细胞状态 c_t，\n"
        "它只通过带门的加法改变，因此信息可以保留很多步：遗忘门 f 决定保留什么，输入门 i 决定写入什么，\n"
        "输出门 o 决定输出什么。",
    ),
    "lstm.section_step": ("One LSTM step by hand", "手算一步 LSTM"),
    "lstm.z": (
        "All four gates start from the same weighted sum of the input and the previous hidden state:",
        "四个门都从输入与上一个隐藏状态的同一个加权和出发：",
    ),
    "lstm.z_formula": (
        "[z_i, z_f, z_g, z_o] = W_ih x_t + W_hh h_{{t−1}} + b   (4 gates × 3 units)",
        "[z_i, z_f, z_g, z_o] = W_ih x_t + W_hh h_{{t−1}} + b（4 个门 × 3 个单元）",
    ),
    "lstm.gates": (
        "Three gates squashed into (0, 1) by the sigmoid, and the candidate values into (−1, 1) by tanh:",
        "三个门被 sigmoid 压到 (0, 1)，候选值被 tanh 压到 (−1, 1)：",
    ),
    "lstm.input_gate": ("input gate", "输入门"),
    "lstm.forget_gate": ("forget gate", "遗忘门"),
    "lstm.candidate": ("candidate", "候选值"),
    "lstm.output_gate": ("output gate", "输出门"),
    "lstm.cell": (
        "The cell state keeps what the forget gate lets through and adds what the input gate lets in:",
        "细胞状态保留遗忘门放行的部分，再加上输入门放入的部分：",
    ),
    "lstm.check": ("nn.LSTM computes the same step:", "nn.LSTM 计算出同样的一步："),
    "lstm.check_formula": ("nn.LSTM(2, 3) on the same x_t", "nn.LSTM(2, 3) 作用于同一个 x_t"),
    "lstm.section_adding": (
        "The adding problem: remember two numbers across the sequence",
        "加法问题：在整个序列中记住两个数",
    ),
    "lstm.adding_data": (
        "Each step brings a random value and a marker; the target is the sum of the two marked values:",
        "每一步给出一个随机数和一个标记；目标是两个被标记的数之和：",
    ),
    "lstm.adding_data_formula": (
        "x_t = (value_t, marker_t),   y = Σ_t value_t · marker_t   (two markers)",
        "x_t = (数值_t, 标记_t)，y = Σ_t 数值_t · 标记_t（两个标记）",
    ),
    "lstm.adding_trained": (
        "LSTM(2, 32) + Linear(32, 1), Adam(lr = 0.01), {epochs} epochs; validation MSE per epoch:",
        "LSTM(2, 32) + Linear(32, 1)，Adam(lr = 0.01)，训练 {epochs} 轮；每轮的验证均方误差：",
    ),
    "lstm.adding_trained_formula": (
        "MSE = (1/n) Σ (ŷ − y)²;   always answering 1 gives 1/6 ≈ 0.167",
        "均方误差 = (1/n) Σ (ŷ − y)²；总是回答 1 得到 1/6 ≈ 0.167",
    ),
    "lstm.adding_solved": (
        "Validation MSE {mse:.4f}, 1/{ratio:.0f} of the baseline {baseline:.3f}: the LSTM has learned to "
        "remember the two marked values and add them.",
        "验证均方误差 {mse:.4f}，只有基线 {baseline:.3f} 的 1/{ratio:.0f}：LSTM "
        "学会了记住两个被标记的数并把它们相加。",
    ),
    "lstm.adding_learning": (
        "Validation MSE {mse:.4f} against the baseline {baseline:.3f}: still learning — more epochs (without "
        "--quick) let the LSTM find the markers.",
        "验证均方误差 {mse:.4f}，基线为 {baseline:.3f}：仍在学习——更多的训练轮次（去掉 --quick）能让 LSTM "
        "找到标记。",
    ),
    "lstm.adding_examples": ("Six validation sequences, target and prediction:", "六个验证序列的目标值与预测值："),
    "lstm.adding_states": (
        "Recomputing every gate and state of one sequence by hand (the picture below draws them):",
        "手算一个序列的每个门和每个状态（下图画出了它们）：",
    ),
    "lstm.adding_states_formula": (
        "the loop of the previous section, over all T steps, with the trained weights",
        "上一节的循环，用训练好的权重走完全部 T 步",
    ),
    "lstm.section_classifier": (
        "The documents' text classifier: Embedding → LSTM → LSTM → Dense",
        "原文中的文本分类器：嵌入层 → LSTM → LSTM → 全连接层",
    ),
    "lstm.reviews": (
        "Synthetic reviews of 12 words from a vocabulary of 20: words 0–5 are positive, 6–11 negative, the "
        "rest neutral:",
        "合成的评论，每条 12 个词，词表大小 20：词 0–5 为正面，6–11 为负面，其余为中性：",
    ),
    "lstm.reviews_formula": (
        "label = 1 if #{{positive words}} > #{{negative words}} else 0",
        "标签 = 1 若 #{{正面词}} > #{{负面词}}，否则为 0",
    ),
    "lstm.positive_share": ("positive reviews", "正面评论"),
    "lstm.classifier": (
        "Each word id becomes a learned 16-dimensional vector; the second LSTM's last hidden state feeds the "
        "classifier:",
        "每个词的编号变成一个学到的 16 维向量；第二个 LSTM 最后的隐藏状态送入分类器：",
    ),
    "lstm.classifier_trained": (
        "{epochs} epoch(s); validation accuracy per epoch:",
        "训练 {epochs} 轮；每轮的验证准确率：",
    ),
    "lstm.classifier_trained_formula": ("L = cross-entropy,  Adam(lr = 0.01)", "L = 交叉熵，Adam(lr = 0.01)"),
    "lstm.running": (
        "Reading one review word by word: the model's answer after each word (it counts as it reads):",
        "逐词读一条评论：模型在每个词之后的判断（它边读边计数）：",
    ),
    "lstm.running_formula": (
        "P(positive | w₁ … w_t) = softmax(Dense(h_t))₁ after every word t",
        "P(正面 | w₁ … w_t) = softmax(Dense(h_t))₁，在每个词 t 之后",
    ),
    "lstm.plot_baseline": ("always answering 1 (MSE 1/6)", "总是回答 1（均方误差 1/6）"),
    "lstm.plot_adding_title": ("The adding problem: mean squared error", "加法问题：均方误差"),
    "lstm.plot_values": ("input", "输入"),
    "lstm.plot_hidden": ("hidden h_t", "隐藏状态 h_t"),
    "lstm.plot_cell": ("cell c_t", "细胞状态 c_t"),
    "lstm.plot_input_gate": ("input gate i", "输入门 i"),
    "lstm.plot_forget_gate": ("forget gate f", "遗忘门 f"),
    "lstm.plot_output_gate": ("output gate o", "输出门 o"),
    "lstm.plot_states_title": (
        "One sequence through the trained LSTM (red: the two marked steps; rows: the 32 units)",
        "一个序列经过训练好的 LSTM（红色：两个被标记的步；每行：32 个单元之一）",
    ),
    "lstm.plot_words": (
        "word id (green: positive, red: negative, grey: neutral)",
        "词的编号（绿：正面，红：负面，灰：中性）",
    ),
    "lstm.plot_running_title": ("P(positive) after each word", "每个词之后的 P(正面)"),
}
strings.register(TEXT)

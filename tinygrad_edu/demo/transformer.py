"""Walkthrough ``transformer``: attention softmax(QKᵀ/√d_k)V by hand against the library; the sinusoidal
positional encoding as a picture; then a small Transformer encoder learns to reverse digit sequences, and its
attention weights show how: every position looks at its mirror position."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg

from .. import backend, nn, optim, train
from ..data import reverse_sequences
from ..nn import functional as F
from ..nn.transformer import positional_encoding_table
from .narrate import Narrator

LENGTH, DIGITS, D_MODEL, HEADS, LAYERS = 8, 10, 32, 4, 2


class Reverser(nn.Module):
    """Embedding + positional encoding → 2 Transformer encoder layers → a Linear layer per position."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(DIGITS, D_MODEL)
        self.positional = nn.PositionalEncoding(D_MODEL, max_len=LENGTH)
        layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, dim_feedforward=2 * D_MODEL, dropout=0.0)
        self.encoder = nn.TransformerEncoder(layer, LAYERS)
        self.head = nn.Linear(D_MODEL, DIGITS)

    def forward(self, tokens: tg.Tensor) -> tg.Tensor:
        return self.head(self.encoder(self.positional(self.embedding(tokens))))

    def attention_weights(self, tokens: tg.Tensor) -> list[np.ndarray]:
        """The attention weights of every layer, (heads, L, L) each, for one batch of sequences."""
        weights = []
        with tg.no_grad():
            h = self.positional(self.embedding(tokens))
            for layer in self.encoder.layers:
                _, w = layer.self_attn(h, h, h, need_weights=True, average_attn_weights=False)
                weights.append(w.numpy()[0])
                h = layer(h)
        return weights


def sequence_loss(output: tg.Tensor, target: tg.Tensor) -> tg.Tensor:
    """Cross-entropy over every position: logits (B, L, 10) against digits (B, L)."""
    return F.cross_entropy(output.reshape(-1, DIGITS), target.reshape(-1))


def digit_accuracy(output: tg.Tensor, target: tg.Tensor) -> float:
    return float((output.argmax(axis=-1).numpy() == target.numpy()).mean())


def sequence_accuracy(output: tg.Tensor, target: tg.Tensor) -> float:
    """The share of sequences reversed without a single wrong digit."""
    return float((output.argmax(axis=-1).numpy() == target.numpy()).all(axis=1).mean())


def run(n: Narrator) -> None:
    n.title("transformer.title")
    n.say("transformer.intro")
    _attention_by_hand(n)
    _positional_encoding(n)
    _reversal(n)


def _attention_by_hand(n: Narrator) -> None:
    n.section("transformer.section_attention")
    rng = backend.generator("numpy")
    q, k, v = (rng.normal(size=(3, 4)) for _ in range(3))
    scores = q @ k.T / np.sqrt(4)
    n.step("transformer.scores", n.t("transformer.scores_formula"), "scores = q @ k.T / np.sqrt(4)",
           {"Q": q, "K": k, "S": scores})
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    n.step("transformer.softmax", n.t("transformer.softmax_formula"),
           "weights /= weights.sum(axis=1, keepdims=True)", {"A": weights, "Σⱼ Aᵢⱼ": weights.sum(axis=1)})
    out = weights @ v
    engine = F.scaled_dot_product_attention(*(n.tensor(a) for a in (q, k, v))).numpy()
    n.step("transformer.output", "Attention(Q, K, V) = A V", "out = weights @ v",
           {"V": v, "A V": out, "max |Δ| (F.scaled_dot_product_attention)": float(np.max(np.abs(out - engine)))})


def _positional_encoding(n: Narrator) -> None:
    n.section("transformer.section_positions")
    table = positional_encoding_table(50, 64)
    n.step("transformer.pe", "PE(pos, 2i) = sin(pos / 10000^{2i/d}),   PE(pos, 2i+1) = cos(pos / 10000^{2i/d})",
           "table = positional_encoding_table(50, 64)", {"PE[0:4, 0:6]": table[:4, :6]})
    n.say("transformer.pe_note")
    figure = n.figure(12, 4.2)
    left, right = figure.subplots(1, 2, width_ratios=[3, 2])
    image = left.imshow(table.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1)
    left.set_xlabel(n.label("transformer.plot_position"))
    left.set_ylabel(n.label("transformer.plot_dimension"))
    left.set_title(n.label("transformer.plot_pe_title"))
    figure.colorbar(image, ax=left)
    for column in (0, 4, 16, 40):
        right.plot(table[:, column], label=f"PE(pos, {column})")
    right.set_xlabel(n.label("transformer.plot_position"))
    right.set_title(n.label("transformer.plot_pe_columns"))
    right.legend(fontsize=8)
    n.save(figure, "positional_encoding")


def _reversal(n: Narrator) -> None:
    n.section("transformer.section_reverse")
    count = 600 if n.quick else 3000
    x_train, y_train = reverse_sequences(count, LENGTH, DIGITS, seed=n.args.seed)
    x_val, y_val = reverse_sequences(500, LENGTH, DIGITS, seed=n.args.seed + 1)
    n.step("transformer.data", n.t("transformer.data_formula"),
           "x_train, y_train = reverse_sequences(count, LENGTH, DIGITS, seed=n.args.seed)",
           {"x_train[0]": x_train[0], "y_train[0]": y_train[0]})
    model = Reverser()
    table = nn.summary(model, (LENGTH,), dtype=np.int64, print_fn=None)
    n.step("transformer.model", n.t("transformer.model_formula"),
           "return self.head(self.encoder(self.positional(self.embedding(tokens))))",
           {"table.total_parameters": table.total_parameters})
    n.say("transformer.scale_note")
    epochs = n.epochs(full=3, quick=1)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    history = train.fit(model, sequence_loss, optimizer, (x_train, y_train), epochs=epochs, val_data=(x_val, y_val),
                        batch_size=64, metrics=[digit_accuracy, sequence_accuracy], progress="auto")
    n.step("transformer.trained", n.t("transformer.trained_formula"),
           "history = train.fit(model, sequence_loss, optimizer, (x_train, y_train), epochs=epochs, "
           "val_data=(x_val, y_val),",
           {n.t("transformer.digits_right"): [f"{a:.1%}" for a in history["val_digit_accuracy"]],
            n.t("transformer.sequences_right"): [f"{a:.1%}" for a in history["val_sequence_accuracy"]]},
           epochs=epochs)
    predictions = train.predict(model, x_val[:4]).argmax(axis=-1).numpy()
    n.step("transformer.examples", n.t("transformer.examples_formula"),
           "predictions = train.predict(model, x_val[:4]).argmax(axis=-1).numpy()",
           {"x": x_val[:4], "ŷ": predictions})
    weights = model.attention_weights(n.tensor(x_val[:1]))
    positions = np.arange(LENGTH)
    mirror = {n.t("transformer.mirror", layer=k + 1): w[:, positions, LENGTH - 1 - positions].max(axis=0).mean()
              for k, w in enumerate(weights)}
    n.step("transformer.attention", n.t("transformer.attention_formula"),
           "_, w = layer.self_attn(h, h, h, need_weights=True, average_attn_weights=False)", mirror)
    _plot_attention(n, weights, x_val[0])
    _plot_training(n, history)


def _plot_attention(n: Narrator, weights: list[np.ndarray], tokens: np.ndarray) -> None:
    figure = n.figure(13, 6.5)
    panels = figure.subplots(LAYERS, HEADS)
    keys = [f"{j}\n({digit})" for j, digit in enumerate(tokens)]  # position and the digit there
    for layer, row in enumerate(panels):
        for head, axes in enumerate(row):
            axes.imshow(weights[layer][head], cmap="viridis", vmin=0, vmax=1)
            axes.set_xticks(range(LENGTH), keys, fontsize=7)
            axes.set_yticks(range(LENGTH), [str(t) for t in range(LENGTH)], fontsize=7)
            axes.set_title(n.label("transformer.plot_head", layer=layer + 1, head=head + 1), fontsize=9)
    figure.supxlabel(n.label("transformer.plot_keys"))
    figure.supylabel(n.label("transformer.plot_queries"))
    figure.suptitle(n.label("transformer.plot_attention_title"))
    n.save(figure, "attention")


def _plot_training(n: Narrator, history: train.History) -> None:
    figure = n.figure(10, 4)
    left, right = figure.subplots(1, 2)
    n.plot_epochs(left, history, [("loss", "regularization.plot_train"), ("val_loss", "regularization.plot_val")],
                  "cnn.plot_loss")
    n.plot_epochs(right, history, [("val_digit_accuracy", "transformer.digits_right"),
                                   ("val_sequence_accuracy", "transformer.sequences_right")], "cnn.accuracy")
    right.set_ylim(0, 1.02)
    n.save(figure, "training")

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
from . import strings
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
            image = axes.imshow(weights[layer][head], cmap="viridis", vmin=0, vmax=1)
            axes.set_xticks(range(LENGTH), keys, fontsize=7)
            axes.set_yticks(range(LENGTH), [str(t) for t in range(LENGTH)], fontsize=7)
            axes.set_title(n.label("transformer.plot_head", layer=layer + 1, head=head + 1), fontsize=9)
    figure.supxlabel(n.label("transformer.plot_keys"))
    figure.supylabel(n.label("transformer.plot_queries"))
    figure.colorbar(image, ax=panels, shrink=0.7, label=n.label("transformer.plot_weight"))  # all share 0…1
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


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.transformer": (
        "attention by hand, the positional encoding as a picture, and a small Transformer that learns to "
        "reverse digit sequences; attention heatmaps",
        "手算注意力机制，位置编码的图像，一个学会反转数字序列的小型 Transformer；注意力热图",
    ),
    "transformer.title": (
        "The Transformer: attention, positions, and a model that learns to reverse a sequence",
        "Transformer：注意力机制、位置，以及一个学会反转序列的模型",
    ),
    "transformer.intro": (
        "Self-attention lets every position of a sequence look at every other position at once and take a "
        "weighted average of what it finds;\n"
        "the weights come from how well a query matches each key. A position code tells the model where each "
        "token sits.",
        "自注意力让序列中的每个位置同时查看所有其他位置，并对看到的内容做加权平均；\n"
        "权重来自查询（query）与每个键（key）的匹配程度。位置编码告诉模型每个词元所在的位置。",
    ),
    "transformer.section_attention": ("Attention by hand: softmax(QKᵀ/√d_k) V", "手算注意力机制：softmax(QKᵀ/√d_k) V"),
    "transformer.scores": (
        "Every query is compared with every key by a dot product, scaled by 1/√d_k: a dot product of d_k "
        "unit-variance terms has variance d_k,\n"
        "so without the scale the scores would spread with the dimension and the softmax would saturate:",
        "每个查询与每个键做点积，再乘以 1/√d_k：d_k 个方差为 1 的乘积之和，方差为 d_k；\n"
        "不缩放的话，点积得分会随维度增大而越来越分散，softmax 随之饱和：",
    ),
    "transformer.scores_formula": ("S = Q Kᵀ / √d_k   (3 tokens, d_k = 4)", "S = Q Kᵀ / √d_k（3 个词元，d_k = 4）"),
    "transformer.softmax": (
        "The softmax turns each row of scores into weights that are positive and sum to 1:",
        "softmax 把每一行得分变成为正且和为 1 的权重：",
    ),
    "transformer.softmax_formula": (
        "A = softmax(S) row by row:  Aᵢⱼ = e^{{Sᵢⱼ}} / Σₖ e^{{Sᵢₖ}}",
        "A = 逐行 softmax(S)：Aᵢⱼ = e^{{Sᵢⱼ}} / Σₖ e^{{Sᵢₖ}}",
    ),
    "transformer.output": (
        "Each output row is the weighted average of the value rows; the library's function gives the same "
        "numbers:",
        "每一行输出是各行值（value）的加权平均；库函数给出同样的数值：",
    ),
    "transformer.section_positions": ("The positional encoding", "位置编码"),
    "transformer.pe": (
        "Attention by itself ignores order, so a code of the position is added to each token's vector:",
        "注意力机制本身不考虑顺序，因此要把位置的编码加到每个词元的向量上：",
    ),
    "transformer.pe_note": (
        "    (The documents' PyTorch listing of this layer does not run: it uses an undefined i and fills a "
        "1×1×d buffer. The formula above is Vaswani et al.'s.)",
        "    （原文中这一层的 PyTorch 代码无法运行：它使用了未定义的 i，并且只填充了一个 1×1×d 的缓冲区。"
        "上面的公式来自 Vaswani 等人。）",
    ),
    "transformer.section_reverse": (
        "A small Transformer learns to reverse digit sequences",
        "一个小型 Transformer 学习反转数字序列",
    ),
    "transformer.data": (
        "Random sequences of 8 digits; the target is the same sequence backwards:",
        "随机的 8 位数字序列；目标是倒过来的同一序列：",
    ),
    "transformer.data_formula": ("y[t] = x[L − 1 − t]   (L = 8 digits)", "y[t] = x[L − 1 − t]（L = 8 个数字）"),
    "transformer.model": (
        "Embedding(10, 32) + positional encoding → 2 encoder layers (4 heads, feed-forward 64) → Linear(32, "
        "10):",
        "嵌入层(10, 32) + 位置编码 → 2 个编码器层（4 个头，前馈 64）→ 全连接层(32, 10)：",
    ),
    "transformer.model_formula": (
        "x ↦ Linear(Encoder₂(Encoder₁(Embedding(x) + PE)))  per position",
        "x ↦ Linear(Encoder₂(Encoder₁(Embedding(x) + PE)))，逐个位置",
    ),
    "transformer.scale_note": (
        "    (No √d_model scaling of the embeddings here: with it, the N(0, 1) embeddings drown the position "
        "code, and this model — in PyTorch as well — does not learn the reversal in a few epochs.)",
        "    （这里嵌入向量不乘 √d_model：乘了之后 N(0, 1) 的嵌入会淹没位置编码，这个模型（在 PyTorch "
        "中也一样）在几轮之内学不会反转。）",
    ),
    "transformer.trained": (
        "{epochs} epoch(s); per epoch, the validation digits and whole sequences reversed correctly:",
        "训练 {epochs} 轮；每轮验证集上数字与整个序列被正确反转的比例：",
    ),
    "transformer.trained_formula": (
        "L = cross-entropy over all 8 positions,  Adam(lr = 3·10⁻³)",
        "L = 全部 8 个位置上的交叉熵，Adam(lr = 3·10⁻³)",
    ),
    "transformer.digits_right": ("digits right", "数字正确"),
    "transformer.sequences_right": ("sequences right", "序列正确"),
    "transformer.examples": ("Four validation sequences and the model's answers:", "四个验证序列和模型的回答："),
    "transformer.examples_formula": (
        "ŷ = argmax softmax(logits) at every position",
        "每个位置上 ŷ = argmax softmax(logits)",
    ),
    "transformer.attention": (
        "The attention weights of one sequence: position t should look at position 7 − t (the anti-diagonal) "
        "in some head:",
        "一个序列的注意力权重：位置 t 应当在某个头中关注位置 7 − t（反对角线）：",
    ),
    "transformer.attention_formula": (
        "A[t, j]: how much position t looks at position j (one map per head and layer)",
        "A[t, j]：位置 t 对位置 j 的关注程度（每层每个头一张图）",
    ),
    "transformer.mirror": (
        "layer {layer}: weight on the anti-diagonal (best head, mean over t)",
        "第 {layer} 层：反对角线上的权重（最佳的头，对 t 取平均）",
    ),
    "transformer.plot_position": ("position", "位置"),
    "transformer.plot_dimension": ("dimension", "维度"),
    "transformer.plot_pe_title": ("Positional encoding PE(pos, dim), d = 64", "位置编码 PE(pos, dim)，d = 64"),
    "transformer.plot_pe_columns": ("Four columns: fast to slow waves", "四列：从快到慢的波"),
    "transformer.plot_head": ("layer {layer}, head {head}", "第 {layer} 层，第 {head} 个头"),
    "transformer.plot_keys": ("key position j (the input digit there)", "键的位置 j（该位置的输入数字）"),
    "transformer.plot_queries": ("query position t (it outputs y[t])", "查询的位置 t（输出 y[t]）"),
    "transformer.plot_weight": ("attention weight (each row sums to 1)", "注意力权重（每行之和为 1）"),
    "transformer.plot_attention_title": (
        "Attention weights of the trained model for one sequence",
        "训练好的模型对一个序列的注意力权重",
    ),
}
strings.register(TEXT)

"""Walkthrough ``regularization``: an MLP with far more weights than the 60 points it learns from over-fits; six
runs from the same initial weights compare no regulariser, L1, L2, dropout, DropConnect and early stopping —
train/validation curves, weight histograms and decision boundaries."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tinygrad_edu as tg

from .. import nn, optim, train
from ..data import moons
from ..nn import functional as F
from . import strings
from .narrate import Narrator

HIDDEN = 128
L1_STRENGTH = 1e-3
L2_STRENGTH = 1e-2
DROP_PROBABILITY = 0.5
PATIENCE = 20
LEARNING_RATE = 0.01


@dataclass
class Run:
    name: str
    model: nn.Module
    history: train.History
    weights: np.ndarray  # every weight of the hidden-to-hidden layer, after training
    stopped_epoch: int = 0  # early stopping: the epoch training stopped at (0 when it ran to the end)
    best_epoch: int = 0  # early stopping: the epoch whose weights were kept


def build(variant: str) -> nn.Module:
    """The same 2 → 128 → 128 → 2 network, with dropout or DropConnect where the variant asks for them."""
    if variant == "dropout":
        return nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(), nn.Dropout(DROP_PROBABILITY),
                             nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Dropout(DROP_PROBABILITY),
                             nn.Linear(HIDDEN, 2))
    if variant == "dropconnect":
        return nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(),
                             nn.DropConnect(nn.Linear(HIDDEN, HIDDEN), p=DROP_PROBABILITY), nn.ReLU(),
                             nn.DropConnect(nn.Linear(HIDDEN, 2), p=DROP_PROBABILITY))
    return nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2))


def weight_matrices(model: nn.Module) -> list[tg.Tensor]:
    """The weight matrices (not the biases): what L1 and L2 penalise."""
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def data_loss(output: tg.Tensor, target: tg.Tensor) -> float:
    """The cross-entropy alone, without any penalty: the number the curves compare."""
    return float(F.cross_entropy(output, target).item())


def run(n: Narrator) -> None:
    n.title("regularization.title")
    n.say("regularization.intro")

    n.section("regularization.section_data")
    x_train, y_train = moons(60, noise=0.35, seed=n.args.seed + 1)
    x_val, y_val = moons(200 if n.quick else 500, noise=0.35, seed=n.args.seed + 2)
    n.step("regularization.data", n.t("regularization.data_formula"),
           "x_train, y_train = moons(60, noise=0.35, seed=n.args.seed + 1)",
           {"x_train.shape": x_train.shape, "x_val.shape": x_val.shape})
    parameters = sum(p.size for p in build("none").parameters())
    n.step("regularization.model", "2 → 128 → 128 → 2 (ReLU)", "return nn.Sequential(nn.Linear(2, HIDDEN), "
           "nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2))", {"parameters": parameters})

    n.section("regularization.section_cures")
    _show_penalties(n)
    _show_dropout(n)

    n.section("regularization.section_race")
    epochs = n.epochs(full=200, quick=10)
    runs = [train_variant(n, variant, epochs, (x_train, y_train), (x_val, y_val))
            for variant in ("none", "l1", "l2", "dropout", "dropconnect", "early_stopping")]
    n.step("regularization.race", n.t("regularization.race_formula"),
           "history = train.fit(model, loss_fn, optimizer, train_data, epochs=epochs, val_data=val_data,",
           epochs=epochs)
    rows = []
    for r in runs:  # the final models (early stopping: with its best epoch's weights restored)
        on_train = train.evaluate(r.model, (x_train, y_train), F.cross_entropy)
        on_val = train.evaluate(r.model, (x_val, y_val), F.cross_entropy)
        best = int(np.argmin(r.history["val_data_loss"]))
        rows.append([n.t(f"regularization.variant.{r.name}"), f"{on_train['loss']:.3f}", f"{on_val['loss']:.3f}",
                     f"{r.history['val_data_loss'][best]:.3f} @ {best + 1}", f"{on_val['accuracy']:.1%}",
                     f"{np.abs(r.weights).sum():.0f}", f"{np.mean(np.abs(r.weights) < 1e-3):.0%}"])
    n.table_rows([n.t("regularization.col_variant"), n.t("regularization.col_train"), n.t("regularization.col_val"),
                  n.t("regularization.col_best"), n.t("regularization.col_accuracy"), "‖W²‖₁",
                  n.t("regularization.col_zeros")], rows)
    stopper = runs[-1]
    if stopper.stopped_epoch:
        n.say("regularization.early_note", stopped=stopper.stopped_epoch, best=stopper.best_epoch, patience=PATIENCE)
    else:
        n.say("regularization.early_not_stopped", epochs=epochs, best=stopper.best_epoch, patience=PATIENCE)
    baseline = runs[0].history["val_data_loss"]
    final_val = {r.name: float(row[2]) for r, row in zip(runs, rows, strict=True)}
    if baseline[-1] > 1.2 * min(baseline):
        n.say("regularization.overfit", train=float(rows[0][1]), best=min(baseline), final=baseline[-1])
    else:
        n.say("regularization.too_short", epochs=epochs)
    better = [n.t(f"regularization.variant.{r.name}") for r in runs[1:] if final_val[r.name] < final_val["none"]]
    n.say("regularization.better", cures=", ".join(better) if better else "—")
    n.say("regularization.histograms")
    _cross_validation(n, epochs, (x_train, y_train), {r.name: float(row[2]) for r, row in zip(runs, rows, strict=True)})

    _plot_curves(n, runs)
    _plot_weights(n, runs)
    _plot_boundaries(n, runs, x_train, y_train)


def _cross_validation(n: Narrator, epochs: int, train_data: tuple, held_out: dict[str, float]) -> None:
    """k-fold cross-validation on the 60 training points only, for two of the variants: the estimate of the
    validation loss a teacher would have without the 500 held-out points."""
    n.section("regularization.section_cv")
    estimates = {}
    for variant in ("none", "dropout"):
        result = train.cross_validate(lambda variant=variant: build(variant),
                                      lambda model: optim.Adam(model.parameters(), lr=LEARNING_RATE),
                                      train_data, k=5, epochs=epochs, batch_size=60, seed=n.args.seed)
        estimates[variant] = result
    n.step("regularization.cv", n.t("regularization.cv_formula"),
           "result = train.cross_validate(lambda variant=variant: build(variant),",
           {f"{n.t(f'regularization.variant.{v}')}: CV": f"{r.mean['loss']:.3f} ± {r.std['loss']:.3f}  "
            f"({n.t('regularization.cv_held_out')} {held_out[v]:.3f})" for v, r in estimates.items()})
    n.say("regularization.cv_note")


def train_variant(n: Narrator, variant: str, epochs: int, train_data: tuple, val_data: tuple) -> Run:
    tg.manual_seed(n.args.seed)  # the same initial weights for every variant
    model = build(variant)
    weights = weight_matrices(model)

    def loss_fn(output: tg.Tensor, target: tg.Tensor) -> tg.Tensor:
        loss = F.cross_entropy(output, target)
        if variant == "l1":  # J = J₀ + λ Σ|w|
            loss = loss + L1_STRENGTH * sum(w.abs().sum() for w in weights)
        if variant == "l2":  # J = J₀ + (λ/2) Σ w²
            loss = loss + L2_STRENGTH / 2 * sum((w * w).sum() for w in weights)
        return loss

    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    callbacks = []
    if variant == "early_stopping":
        callbacks.append(train.EarlyStopping(monitor="val_loss", patience=PATIENCE, restore_best_weights=True))
    history = train.fit(model, loss_fn, optimizer, train_data, epochs=epochs, val_data=val_data,
                        metrics=["accuracy", data_loss], callbacks=callbacks, batch_size=len(train_data[0]),
                        progress=False)
    hidden = weights[1].numpy().ravel()
    if not callbacks:
        return Run(variant, model, history, hidden)
    return Run(variant, model, history, hidden, callbacks[0].stopped_epoch, callbacks[0].best_epoch)


def _show_penalties(n: Narrator) -> None:
    """The gradients the penalties add, computed by the engine on four weights."""
    w = n.tensor(np.array([-0.5, -0.01, 0.02, 0.8], dtype=np.float32), requires_grad=True)
    (L1_STRENGTH * w.abs().sum()).backward()
    n.step("regularization.l1", "J = J₀ + λ Σ|w|,   ∂/∂w (λ Σ|w|) = λ·sign(w)   (λ = 10⁻³)",
           "loss = loss + L1_STRENGTH * sum(w.abs().sum() for w in weights)", {"w": w, "∂/∂w": w.grad})
    w.grad = None
    (L2_STRENGTH / 2 * (w * w).sum()).backward()
    n.step("regularization.l2", "J = J₀ + (λ/2) Σ w²,   ∂/∂w ((λ/2) Σ w²) = λ·w   (λ = 10⁻²)",
           "loss = loss + L2_STRENGTH / 2 * sum((w * w).sum() for w in weights)", {"w": w, "∂/∂w": w.grad})


def _show_dropout(n: Narrator) -> None:
    """One dropout mask in training mode, none in evaluation mode; DropConnect drops weights instead."""
    dropout = nn.Dropout(DROP_PROBABILITY)
    h = n.tensor(np.ones((1, 8), dtype=np.float32))
    n.step("regularization.dropout", "h̃ = h ⊙ m / (1 − p),   m ~ Bernoulli(1 − p)   (p = 0.5)",
           "nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Dropout(DROP_PROBABILITY),",
           {"h": h, "dropout(h), train()": dropout(h), "dropout(h), eval()": dropout.eval()(h)})
    layer = nn.DropConnect(nn.Linear(4, 2), p=DROP_PROBABILITY)
    x = n.tensor(np.ones((1, 4), dtype=np.float32))
    n.step("regularization.dropconnect", "z = x (W ⊙ M / (1 − p))ᵀ + b,   M ~ Bernoulli(1 − p)",
           "nn.DropConnect(nn.Linear(HIDDEN, HIDDEN), p=DROP_PROBABILITY), nn.ReLU(),",
           {"W": layer.linear.weight, "z, train() (1)": layer(x), "z, train() (2)": layer(x),
            "z, eval()": layer.eval()(x)})


def _plot_curves(n: Narrator, runs: list[Run]) -> None:
    figure = n.figure(13, 7)
    panels = figure.subplots(2, 3, sharex=True, sharey=True).ravel()
    for axes, r in zip(panels, runs, strict=True):
        epochs = np.arange(1, len(r.history["loss"]) + 1)
        axes.plot(epochs, r.history["data_loss"], label=n.label("regularization.plot_train"))
        axes.plot(epochs, r.history["val_data_loss"], label=n.label("regularization.plot_val"))
        if r.name == "early_stopping":
            axes.axvline(r.best_epoch, color="gray", linestyle="--", label=n.label("regularization.plot_best"))
        axes.set_title(n.label(f"regularization.variant.{r.name}"))
        axes.set_yscale("log")
        axes.legend(fontsize=8)
    for axes in panels[3:]:
        axes.set_xlabel(n.label("plot_epoch"))
    figure.suptitle(n.label("regularization.plot_curves_title"))
    n.save(figure, "curves")


def _plot_weights(n: Narrator, runs: list[Run]) -> None:
    figure = n.figure(13, 6)
    panels = figure.subplots(2, 3, sharex=True, sharey=True).ravel()  # one y scale: the counts compare
    bins = np.linspace(-0.5, 0.5, 81)
    for axes, r in zip(panels, runs, strict=True):
        axes.hist(np.clip(r.weights, bins[0], bins[-1]), bins=bins, color="C2")
        axes.set_yscale("log")
        axes.set_title(n.label(f"regularization.variant.{r.name}"))
    for axes in panels[3:]:
        axes.set_xlabel("w")
    for axes in panels[::3]:
        axes.set_ylabel(n.label("regularization.plot_count"))
    figure.suptitle(n.label("regularization.plot_weights_title"))
    n.save(figure, "weights")


def _plot_boundaries(n: Narrator, runs: list[Run], points: np.ndarray, labels: np.ndarray) -> None:
    figure = n.figure(13, 7)
    panels = figure.subplots(2, 3, sharex=True, sharey=True).ravel()
    xs, ys = np.meshgrid(np.linspace(-1.8, 2.8, 120), np.linspace(-1.4, 1.9, 90))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    for axes, r in zip(panels, runs, strict=True):
        r.model.eval()
        with tg.no_grad():
            probability = r.model(n.tensor(grid)).softmax(axis=1).numpy()[:, 1].reshape(xs.shape)
        axes.contourf(xs, ys, probability, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.6)
        axes.contour(xs, ys, probability, levels=[0.5], colors="black", linewidths=1)
        axes.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", edgecolor="black", s=18)
        axes.set_title(n.label(f"regularization.variant.{r.name}"))
    figure.suptitle(n.label("regularization.plot_boundaries_title"))
    n.save(figure, "boundaries")


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.regularization": (
        "over-fitting and its cures: none vs L1 vs L2 vs dropout vs DropConnect vs early stopping; "
        "train/validation curves, weight histograms; cross-validation to estimate generalisation",
        "过拟合及其对策：无正则化、L1、L2、Dropout、DropConnect、早停；训练/验证曲线，权重直方图；"
        "用交叉验证估计泛化能力",
    ),
    "regularization.title": ("Regularisation: over-fitting and five cures", "正则化：过拟合与五种对策"),
    "regularization.intro": (
        "A network with 17,000 weights can memorise 60 noisy points — and then it predicts new points worse: it "
        "generalises badly. "
        "We train the same network\n"
        "six times from the same initial weights and watch the validation loss: with no regulariser, with L1,"
        " L2, dropout, DropConnect, and with early stopping.",
        "一个有 17,000 个权重的网络能记住 60 个带噪声的点——然后对新数据的预测反而变差：泛化能力下降。"
        "我们从相同的初始权重出发，\n"
        "把同一个网络训练六遍，观察验证损失：无正则化、L1、L2、Dropout、DropConnect，以及早停。",
    ),
    "regularization.section_data": ("Few, noisy training points; many validation points", "训练点少且有噪声，验证点多"),
    "regularization.data": (
        "Two interleaving half-moons with heavy noise (the classes overlap):",
        "两个交错的半月形，噪声很大（两类相互重叠）：",
    ),
    "regularization.data_formula": (
        "60 training points, 500 validation points (--quick: 200), 2 classes",
        "60 个训练点，500 个验证点（--quick：200 个），2 类",
    ),
    "regularization.model": ("A network much larger than the problem needs:", "一个远大于问题所需的网络："),
    "regularization.section_cures": ("The cures, one number at a time", "各种对策，一个数一个数地看"),
    "regularization.l1": (
        "L1 adds λ·sign(w) to every weight's gradient: a constant pull towards 0, which sets many weights "
        "exactly to 0:",
        "L1 正则化在每个权重的梯度上加 λ·sign(w)：一个恒定的、指向 0 的拉力，会让许多权重恰好变成 0：",
    ),
    "regularization.l2": (
        "L2 adds λ·w: a pull proportional to the weight (\"weight decay\"), which shrinks all weights.\n"
        "(Here the penalty is (λ/2)Σw², so that λ is PyTorch's weight_decay; document 001 and notebook 05 write "
        "λΣθ², whose gradient is 2λθ: the same λ is twice as strong there.)",
        "L2 正则化加 λ·w：与权重成正比的拉力（“权重衰减”），让所有权重变小。\n"
        "（这里的惩罚项是 (λ/2)Σw²，这样 λ 就是 PyTorch 的 weight_decay；原文 001 和 notebook 05 写作 λΣθ²，"
        "梯度为 2λθ：同一个 λ 在那里强一倍。）",
    ),
    "regularization.dropout": (
        "Dropout zeroes each activation with probability p in training and scales the others by 1/(1 − p); "
        "in evaluation it does nothing:",
        "Dropout 在训练时以概率 p 随机丢弃每个激活值，其余的乘以 1/(1 − p)；评估时不起作用：",
    ),
    "regularization.dropconnect": (
        "DropConnect drops weights instead of activations — a new mask at every forward pass in training, "
        "the plain weights in evaluation:",
        "DropConnect 丢弃的是权重而不是激活值——训练时每次前向传播换一个新掩码，评估时使用完整的权重：",
    ),
    "regularization.section_race": ("Six runs from the same initial weights", "从相同初始权重出发的六次训练"),
    "regularization.race": (
        "{epochs} epochs each (early stopping: until the validation loss stops improving):",
        "每次训练 {epochs} 轮（早停：直到验证损失不再下降）：",
    ),
    "regularization.race_formula": (
        "J = cross-entropy (+ penalty),  Adam(lr=0.01),  full batch",
        "J = 交叉熵（+ 惩罚项），Adam(lr=0.01)，全批量",
    ),
    "regularization.col_variant": ("regulariser", "正则化方法"),
    "regularization.col_train": ("train loss", "训练损失"),
    "regularization.col_val": ("val loss", "验证损失"),
    "regularization.col_best": ("best val loss @ epoch", "最佳验证损失 @ 轮次"),
    "regularization.col_accuracy": ("val accuracy", "验证准确率"),
    "regularization.col_zeros": ("|w| < 10⁻³", "|w| < 10⁻³"),
    "regularization.early_note": (
        "Early stopping ended training at epoch {stopped}, {patience} epochs without improvement after its "
        "best epoch {best}, and restored that epoch's weights.",
        "早停在第 {stopped} 轮结束训练：在最佳的第 {best} 轮之后连续 {patience} 轮没有改进，"
        "并恢复了那一轮的权重。",
    ),
    "regularization.early_not_stopped": (
        "Early stopping did not trigger in {epochs} epochs (it stops after {patience} epochs without "
        "improvement); it kept the weights of epoch {best}.",
        "早停在 {epochs} 轮内没有触发（连续 {patience} 轮没有改进才会停止）；保留了第 {best} 轮的权重。",
    ),
    "regularization.overfit": (
        "Without a regulariser the training loss falls to {train:.3f} while the validation loss climbs from "
        "its best {best:.3f} back up to {final:.3f}: over-fitting.",
        "没有正则化时，训练损失降到 {train:.3f}，验证损失却从最低的 {best:.3f} 回升到 {final:.3f}："
        "这就是过拟合。",
    ),
    "regularization.too_short": (
        "In {epochs} epochs the network has hardly begun to over-fit; run without --quick (200 epochs) to "
        "see the validation loss climb.",
        "{epochs} 轮训练中网络几乎还没有开始过拟合；去掉 --quick（训练 200 轮）即可看到验证损失回升。",
    ),
    "regularization.better": (
        "Final validation loss lower than without a regulariser: {cures}.",
        "最终验证损失低于无正则化的方法：{cures}。",
    ),
    "regularization.histograms": (
        "The histograms show how: L1 pulls most weights to 0 and keeps a few large ones; L2 shrinks every "
        "weight (under Adam, the weights of units\n"
        "that get no gradient from the data decay to 0 too); dropout and DropConnect leave the weights large "
        "but teach the network to work with parts of it missing;\n"
        "early stopping keeps the weights from before they grew.",
        "直方图显示了原因：L1 把大多数权重拉到 0，只保留少数较大的权重；L2 让所有权重变小（在 Adam 下，\n"
        "得不到数据梯度的神经元的权重也会衰减到 0）；Dropout 和 DropConnect 让权重保持较大，"
        "但让网络学会在缺少一部分时也能工作；\n"
        "早停则保留了权重变大之前的那一轮。",
    ),
    "regularization.section_cv": (
        "Cross-validation: estimating generalisation from the 60 training points alone",
        "交叉验证：只用 60 个训练点估计泛化能力",
    ),
    "regularization.cv": (
        "5 folds of 12 points: each fold is validated by a fresh model trained on the other 48 (mean ± standard "
        "deviation over the folds):",
        "5 折，每折 12 个点：每一折由在其余 48 个点上重新训练的模型来验证（各折的均值 ± 标准差）：",
    ),
    "regularization.cv_formula": (
        "CV = (1/k) Σᵢ Lᵢ,  Lᵢ = the loss on fold i of the model trained without fold i  (k = 5)",
        "CV = (1/k) Σᵢ Lᵢ，Lᵢ = 不含第 i 折训练出的模型在第 i 折上的损失（k = 5）",
    ),
    "regularization.cv_held_out": ("held-out loss above:", "上面留出集上的损失："),
    "regularization.cv_note": (
        "Cross-validation cures nothing (document 001 lists it among the cures for over-fitting): it estimates how "
        "well a model generalises,\n"
        "from the training data alone, so that a regulariser, its λ or the epoch to stop at can be chosen without "
        "looking at the test data.",
        "交叉验证本身并不能治疗过拟合（原文 001 把它列为防止过拟合的方法之一）：它只用训练数据估计模型的泛化能力，\n"
        "好让我们在不看测试数据的情况下选择正则化方法、它的 λ 或停止训练的轮次。",
    ),
    "regularization.variant.none": ("no regulariser", "无正则化"),
    "regularization.variant.l1": ("L1 (λ = 10⁻³)", "L1（λ = 10⁻³）"),
    "regularization.variant.l2": ("L2 (λ = 10⁻²)", "L2（λ = 10⁻²）"),
    "regularization.variant.dropout": ("dropout (p = 0.5)", "Dropout（p = 0.5）"),
    "regularization.variant.dropconnect": ("DropConnect (p = 0.5)", "DropConnect（p = 0.5）"),
    "regularization.variant.early_stopping": ("early stopping", "早停"),
    "regularization.plot_train": ("training", "训练集"),
    "regularization.plot_val": ("validation", "验证集"),
    "regularization.plot_best": ("weights kept", "保留的权重"),
    "regularization.plot_curves_title": (
        "Cross-entropy loss on the training and validation data",
        "训练集与验证集上的交叉熵损失",
    ),
    "regularization.plot_count": ("number of weights (log scale)", "权重个数（对数刻度）"),
    "regularization.plot_weights_title": (
        "Weights of the hidden layer (128 × 128) after training",
        "训练后隐藏层（128 × 128）的权重",
    ),
    "regularization.plot_boundaries_title": (
        "Decision boundaries (the 60 training points shown)",
        "决策边界（图中为 60 个训练点）",
    ),
}
strings.register(TEXT)

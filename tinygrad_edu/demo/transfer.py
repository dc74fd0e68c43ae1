"""Walkthrough ``transfer``: document 001's transfer-learning project, done with a test set.

A MobileNetV2 (inverted residual blocks of depthwise-separable convolutions) is pre-trained on MNIST digits, then
moved to Fashion-MNIST with 1,000 labels three ways — frozen backbone + new head, fine-tuned top blocks, the same
network from scratch — and the three validation curves are drawn on one plot with their test accuracies.
Offline (no MNIST files) the same runs use generated shapes → the same shapes with three times the noise.
"""

from __future__ import annotations

import time

import numpy as np

from .. import backend, nn
from ..data import DatasetNotFoundError
from ..kernels import dispatch as kernels
from ..models import mobilenet_v2_small
from ..models.mobilenet import separable_cost
from ..ops.conv import per_group_matmul
from ..train import transfer as T
from . import strings
from .narrate import Narrator, Unavailable

TEXT = {
    "summary.transfer": (
        "document 001's transfer learning: MobileNetV2 pre-trained on MNIST, then frozen / fine-tuned / from scratch "
        "on 1,000 Fashion-MNIST labels",
        "文章 001 的迁移学习：在 MNIST 上预训练 MobileNetV2，再用 1,000 个 Fashion-MNIST 标签做冻结 / 微调 / 从头训练"),
    "transfer.title": ("Transfer learning: a pre-trained backbone, a new head, few labels",
                       "迁移学习：预训练的主干网络、新的分类头、少量标签"),
    "transfer.intro": (
        "Document 001 freezes an ImageNet MobileNetV2, adds GlobalAveragePooling → Dense(128, relu) → Dense(10),\n"
        "trains with Adam(1e-4) and EarlyStopping(val_loss, patience=10), and reports as 'test accuracy' the\n"
        "accuracy on the very validation set it early-stopped on. Here: the same recipe, a separate test set,\n"
        "and the two baselines that say whether transfer helped (fine-tuning, and training from scratch).",
        "文章 001 冻结在 ImageNet 上预训练的 MobileNetV2，加上 GlobalAveragePooling → Dense(128, relu) → Dense(10)，\n"
        "用 Adam(1e-4) 和 EarlyStopping(val_loss, patience=10) 训练，却把用于早停的验证集上的准确率当作“测试准确率”。\n"
        "这里：同样的方法，单独的测试集，外加两个对照（微调、从头训练），看迁移学习到底有没有帮助。"),
    "transfer.section_data": ("The two tasks: source (pre-training) and target (few labels)",
                              "两个任务：源任务（预训练）和目标任务（少量标签）"),
    "transfer.data": ("Source {source}; target {target}. Pixels scaled to [−1, 1], MobileNetV2's range (the "
                      "document's rescale=1/255 gives [0, 1])",
                      "源任务 {source}；目标任务 {target}。像素缩放到 [−1, 1]，即 MobileNetV2 的输入范围（原文的 "
                      "rescale=1/255 得到的是 [0, 1]）"),
    "transfer.offline": ("(MNIST / Fashion-MNIST not found: generated shapes → noisier shapes. For the "
                         "real task: --data-dir DIR)",
                         "（没有找到 MNIST / Fashion-MNIST：改用生成的图形 → 噪声更大的图形。真实任务请用 "
                         "--data-dir 目录）"),
    "transfer.missing": ("MNIST / Fashion-MNIST are not in --data-dir: {error}",
                         "--data-dir 中没有 MNIST / Fashion-MNIST：{error}"),
    "transfer.section_model": ("MobileNetV2: depthwise-separable convolutions and inverted residuals",
                               "MobileNetV2：深度可分离卷积与倒残差结构"),
    "transfer.separable": ("A 3×3 convolution 32 → 64 channels on a 14×14 map, full vs depthwise + pointwise",
                           "14×14 特征图上 32 → 64 通道的 3×3 卷积：普通卷积 vs 深度卷积 + 逐点卷积"),
    "transfer.model": ("The network (width multiplier α = {width}): features (stem, {blocks} inverted residual "
                       "blocks, 1×1 conv) → pooling → classifier",
                       "网络（宽度乘子 α = {width}）：features（stem、{blocks} 个倒残差块、1×1 卷积）→ 池化 → 分类器"),
    "transfer.depthwise": ("The depthwise convolution (groups = C): grouped im2col (C products of (N·OH·OW)×9 · 9×1) "
                           "vs the dedicated kernel, forward, same numbers",
                           "深度卷积（groups = C）：分组 im2col（C 个 (N·OH·OW)×9 · 9×1 的乘积）vs 专用核函数，前向，"
                           "结果相同"),
    "transfer.section_pretrain": ("Step 1: pre-train on the source task", "第 1 步：在源任务上预训练"),
    "transfer.pretrained": ("Pre-trained for {epochs} epoch(s)", "预训练 {epochs} 轮"),
    "transfer.section_frozen": ("Step 2 (a): frozen backbone + new head, Adam(1e-4) (1e-3 with --quick)",
                                "第 2 步 (a)：冻结主干网络 + 新分类头，Adam(1e-4)（--quick 时为 1e-3）"),
    "transfer.freeze": ("freeze(): no gradients for the backbone, and its BatchNorm keeps the source statistics "
                        "(evaluation mode) — only the head trains",
                        "freeze()：主干网络不再计算梯度，其 BatchNorm 保持源任务的统计量（评估模式）——只训练分类头"),
    "transfer.cached": ("The frozen backbone is a fixed function: its features are computed once per image, not "
                        "once per epoch (feature extraction)",
                        "冻结的主干网络是一个固定函数：每张图像只计算一次特征，而不是每轮都算（特征提取）"),
    "transfer.run": ("{name}: {epochs} epochs (best {best}), test accuracy {accuracy}, {seconds} s",
                     "{name}：{epochs} 轮（最佳第 {best} 轮），测试准确率 {accuracy}，{seconds} 秒"),
    "transfer.section_finetune": ("Step 3 (b): unfreeze the top {top} modules, learning rate 10× lower",
                                  "第 3 步 (b)：解冻最上面 {top} 个模块，学习率降低 10 倍"),
    "transfer.finetune": ("Fine-tuning: the top blocks move a little, at α/10; their BatchNorm stays frozen",
                          "微调：顶部的块以 α/10 的学习率小幅调整；它们的 BatchNorm 仍然冻结"),
    "transfer.section_scratch": ("Step 4 (c): the same network from scratch on the same labels",
                                 "第 4 步 (c)：同样的网络，在同样的标签上从头训练"),
    "transfer.scratch": ("From scratch: random weights, everything trains, Adam(1e-3)",
                         "从头训练：随机初始化，全部参数都训练，Adam(1e-3)"),
    "transfer.section_results": ("Results on the test set (never seen by EarlyStopping)",
                                 "测试集上的结果（EarlyStopping 从未见过）"),
    "transfer.verdict": ("Best here: {best}. One seed on a loaded machine: docs/transfer-learning.md has the mean ± "
                         "spread over 3 seeds.",
                         "本次最好：{best}。这只是一个随机种子：docs/transfer-learning.md 给出 3 个种子的"
                         "均值 ± 离散程度。"),
    "transfer.errata": (
        "Errata of document 001's listing: (1) 'Test accuracy' is measured on validation_generator, the set\n"
        "EarlyStopping watched — optimistic; keep a separate test set. (2) rescale=1./255 feeds [0, 1] to a\n"
        "MobileNetV2 trained on [−1, 1] (preprocess_input). (3) Its log prints 'Train on 2000 samples' and\n"
        "'ms/sample', the format of fit() on arrays, not on a generator; and EarlyStopping(patience=10) cannot\n"
        "stop at epoch 91 when val_loss improved at epoch 91.",
        "文章 001 代码的勘误：(1)“测试准确率”是在 validation_generator 上测的，也就是 EarlyStopping 监视的集合——\n"
        "结果偏乐观；应当另留测试集。(2) rescale=1./255 得到 [0, 1]，而 MobileNetV2 训练时的输入是 [−1, 1]\n"
        "（preprocess_input）。(3) 它的日志写着 “Train on 2000 samples” 和 “ms/sample”，那是对数组调用 fit()\n"
        "的格式，不是生成器的；而且 val_loss 在第 91 轮还在下降，EarlyStopping(patience=10) 不可能在第 91 轮停止。"),
    "transfer.plot_title": ("Validation accuracy: frozen → fine-tuned vs scratch",
                            "验证准确率：冻结 → 微调 vs 从头训练"),
    "transfer.plot_frozen": ("frozen backbone (test {accuracy})", "冻结主干（测试 {accuracy}）"),
    "transfer.plot_finetuned": ("fine-tuned top blocks (test {accuracy})", "微调顶部模块（测试 {accuracy}）"),
    "transfer.plot_scratch": ("from scratch (test {accuracy})", "从头训练（测试 {accuracy}）"),
    "transfer.plot_accuracy": ("validation accuracy", "验证准确率"),
}
strings.register(TEXT)

WIDTH = 0.5


def make_backbone(classes: int) -> nn.Module:
    return mobilenet_v2_small(num_classes=classes, width_mult=WIDTH)


def make_quick_backbone(classes: int) -> nn.Module:  # --quick: a quarter of the channels, seconds to train
    return mobilenet_v2_small(num_classes=classes, width_mult=0.25, last_channel=64)


def load_tasks(n: Narrator) -> tuple[T.Task, T.Task, bool]:
    """MNIST → Fashion-MNIST when the files are in --data-dir or on disk, else generated shapes (offline)."""
    if n.quick:
        sizes = T.Sizes(source_train=600, source_val=100, source_test=200, labelled=150, val=100, test=200)
    else:
        sizes = T.Sizes(source_train=8000, source_val=500, source_test=1000, labelled=1000, val=500, test=2000)
    data_dir = n.args.data_dir
    if data_dir is not None or (n.explicit and not n.quick):
        try:
            source, target = T.mnist_to_fashion(data_dir, sizes, seed=n.args.seed)
            return source, target, True
        except DatasetNotFoundError as error:
            if data_dir is not None:
                raise Unavailable(n.t("transfer.missing", error=error)) from error
    source, target = T.shapes_to_noisy_shapes(sizes, seed=n.args.seed)
    return source, target, False


def run(n: Narrator) -> None:
    n.title("transfer.title")
    n.say("transfer.intro")

    n.section("transfer.section_data")
    source, target, real = load_tasks(n)
    if not real:
        n.say("transfer.offline")
    n.step("transfer.data", "x ← 2x − 1 ∈ [−1, 1]",
           "source, target = T.mnist_to_fashion(data_dir, sizes, seed=n.args.seed)",
           {"x_train.shape": target.x_train.shape, "min, max": (float(target.x_train.min()),
                                                                 float(target.x_train.max()))},
           source=source.describe(), target=target.describe())

    n.section("transfer.section_model")
    cost = separable_cost(14, 14, 32, 64)
    n.step("transfer.separable", "H·W·k²·C·O  vs  H·W·C·(k² + O):  ratio 1/O + 1/k²",
           "cost = separable_cost(14, 14, 32, 64)",
           {"full": cost["full"], "separable": cost["separable"], "ratio": cost["separable"] / cost["full"]})
    backend.manual_seed(n.args.seed)
    make = make_quick_backbone if n.quick else make_backbone
    probe = make(len(source.classes))
    blocks = sum(type(m).__name__ == "InvertedResidual" for m in probe.features)
    table = nn.summary(probe, (1, 28, 28), print_fn=None)
    n.step("transfer.model", "out = x + BN(W_p · ReLU6(BN(dw₃ₓ₃(ReLU6(BN(W_e · x))))))   (s = 1, C_in = C_out)",
           "probe = make(len(source.classes))  # mobilenet_v2_small(num_classes, width_mult)",
           {"parameters": table.total_parameters, "features.1": str(probe.features[2]).splitlines()[0]},
           width=0.25 if n.quick else WIDTH, blocks=blocks)
    _show_depthwise(n)

    n.section("transfer.section_pretrain")
    epochs = n.epochs(full=1, quick=3)
    pre = T.pretrain(make, source, epochs=epochs, batch_size=32 if n.quick else 64, seed=n.args.seed)
    n.step("transfer.pretrained", "θ_B, θ_old-head ← argmin J_source", "pre = T.pretrain(make, source, epochs=epochs, "
           "batch_size=32 if n.quick else 64, seed=n.args.seed)", {"test accuracy": f"{pre.test_accuracy:.2%}",
                                                 "seconds": f"{pre.seconds:.1f}"}, epochs=epochs)

    # --quick has a few steps per epoch: the head gets Adam(1e-3), as the 1e-4 of the document needs ~100 epochs
    recipe = T.Recipe(lr=1e-3 if n.quick else 1e-4, patience=3 if n.quick else 5, max_epochs=10 if n.quick else 40,
                      finetune_max_epochs=4 if n.quick else 10, scratch_max_epochs=5 if n.quick else 10)
    n.section("transfer.section_frozen")
    n.say("transfer.freeze")
    n.say("transfer.cached")
    results = T.transfer(pre.extra["model"], make, target, recipe, seed=n.args.seed)
    frozen = results["frozen"].extra["model"]
    trainable = sum(p.data.size for p in frozen.parameters() if p.requires_grad)
    total = sum(p.data.size for p in frozen.parameters())
    n.step("transfer.run", "θ_H ← θ_H − α·Adam(∇_θ_H J),  θ_B fixed",
           "net.features.freeze()  # inside T.transfer (train/transfer.py)",
           {"trainable / total parameters": f"{trainable:,} / {total:,}"}, **_numbers(n, results["frozen"]))
    n.section("transfer.section_finetune", top=recipe.unfreeze_top)
    n.say("transfer.finetune")
    n.step("transfer.run", "θ_top, θ_H ← … − (α/10)·Adam(∇J)",
           "for module in list(net.features)[-recipe.unfreeze_top:]:  # inside T.transfer\n    module.unfreeze()",
           None,
           **_numbers(n, results["fine-tuned"]))
    n.section("transfer.section_scratch")
    n.say("transfer.scratch")
    n.step("transfer.run", "θ ~ init,  θ ← θ − α·Adam(∇J)",
           "scratch = TransferNet(scratch_features, feature_channels(scratch_features), classes, recipe.hidden)",
           None, **_numbers(n, results["scratch"]))

    n.section("transfer.section_results")
    n.table_rows(["run", "epochs", "best epoch", "test accuracy", "seconds"],
                 [[name, r.epochs, r.best_epoch, f"{r.test_accuracy:.2%}", f"{r.seconds:.1f}"]
                  for name, r in results.items()])
    best = max(results, key=lambda name: results[name].test_accuracy)
    n.say("transfer.verdict", best=best)
    _plot_curves(n, results)
    n.say("transfer.errata")


def _numbers(n: Narrator, result: T.RunResult) -> dict[str, object]:
    return {"name": result.name, "epochs": result.epochs, "best": result.best_epoch,
            "accuracy": f"{result.test_accuracy:.2%}", "seconds": f"{result.seconds:.1f}"}


def _show_depthwise(n: Narrator) -> None:
    """The same depthwise convolution twice: grouped im2col (what groups=C meant before) and the dedicated kernel."""
    rng = np.random.default_rng(0)
    channels, side = 48, 14
    x = rng.standard_normal((32, side, side, channels)).astype(np.float32).transpose(0, 3, 1, 2)
    weight = rng.standard_normal((channels, 1, 3, 3)).astype(np.float32)
    geometry = ((3, 3), (1, 1), (1, 1), (1, 1), (side, side))

    def grouped_im2col() -> np.ndarray:
        cols = kernels.im2col(x, *geometry)  # (N·OH·OW, C·9)
        rows = per_group_matmul(cols, weight.reshape(channels, 9, 1), channels)  # C products (N·OH·OW, 9)·(9, 1)
        return rows.reshape(32, side, side, channels).transpose(0, 3, 1, 2)

    def dedicated() -> np.ndarray:
        return kernels.depthwise(x).forward(x, weight, *geometry[1:])

    times = {}
    for name, fn in (("grouped im2col", grouped_im2col), ("kernels/depthwise.py", dedicated)):
        fn()  # compiled and warm
        start = time.perf_counter()
        for _ in range(3):
            out = fn()
        times[name] = (time.perf_counter() - start) / 3
        if name == "grouped im2col":
            reference = out
    n.step("transfer.depthwise", "y[n, c] = Σ_{i, j} W[c, 0, i, j] · x[n, c, · + i, · + j]",
           "out = kernels.depthwise(x).forward(x, weight, *geometry[1:])",
           {f"{name} (ms)": f"{1000 * t:.2f}" for name, t in times.items()}
           | {"max |Δ|": float(np.max(np.abs(out - reference))), "x.shape": x.shape})


def _plot_curves(n: Narrator, results: dict[str, T.RunResult]) -> None:
    figure = n.figure(8, 5)
    axis = figure.add_subplot()
    frozen, tuned, scratch = results["frozen"], results["fine-tuned"], results["scratch"]
    first = np.arange(1, frozen.epochs + 1)
    axis.plot(first, frozen.history["val_accuracy"], marker="o",
              label=n.label("transfer.plot_frozen", accuracy=f"{frozen.test_accuracy:.1%}"))
    axis.plot(np.arange(frozen.epochs + 1, frozen.epochs + tuned.epochs + 1), tuned.history["val_accuracy"],
              marker="o", label=n.label("transfer.plot_finetuned", accuracy=f"{tuned.test_accuracy:.1%}"))
    axis.plot(np.arange(1, scratch.epochs + 1), scratch.history["val_accuracy"], marker="o",
              label=n.label("transfer.plot_scratch", accuracy=f"{scratch.test_accuracy:.1%}"))
    axis.set_xlabel(n.label("plot_epoch"))
    axis.set_ylabel(n.label("transfer.plot_accuracy"))
    axis.set_title(n.label("transfer.plot_title"))
    axis.legend()
    n.save(figure, "curves")

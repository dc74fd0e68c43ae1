"""Walkthrough ``cnn``: the documents' Keras CNN — Conv2D(32) → MaxPool → Conv2D(64) → MaxPool → Conv2D(64) →
Flatten → Dense(64) → Dense(classes) — built from ``nn.Conv2d`` and friends and trained on generated shapes
(offline), or on real MNIST with ``--data-dir`` or when the files are already on disk.

It shows how a convolution becomes one matrix product (im2col), what max pooling does to a patch, the parameter
summary, and after training: the first layer's filters, the feature maps of one image, a confusion matrix and
the misclassified examples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tinygrad_edu as tg

from .. import backend, models, nn, optim, train
from ..data import SHAPE_CLASSES, DatasetNotFoundError, mnist, shapes
from ..kernels import dispatch as kernels
from ..nn import functional as F
from . import strings
from .narrate import Narrator, Unavailable

LEARNING_RATE = 2e-3
BATCH_SIZE = 64


@dataclass
class ImageData:
    name: str
    classes: list[str]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_data(n: Narrator) -> ImageData:
    """MNIST when asked for (--data-dir) or already on disk (explicit ``cnn`` only), else generated shapes."""
    train_count, test_count = (320, 100) if n.quick else (4000, 1000)
    data_dir = n.args.data_dir
    if data_dir is not None or n.explicit:
        try:  # with --data-dir: found there or downloaded into it; otherwise only files already on disk
            train_set = mnist(root=data_dir, train=True, download=data_dir is not None, progress=True)
            test_set = mnist(root=data_dir, train=False, download=data_dir is not None, progress=True)
        except DatasetNotFoundError as error:
            if data_dir is not None:
                raise Unavailable(n.t("cnn.mnist_missing", error=error)) from error
            n.say("cnn.mnist_hint")
        else:
            train_count, test_count = (640, 200) if n.quick else (6000, 1000)
            rng = np.random.default_rng(n.args.seed)
            x_train, y_train = train_set.arrays
            x_test, y_test = test_set.arrays
            pick_train = rng.choice(len(y_train), min(train_count, len(y_train)), replace=False)
            pick_test = rng.choice(len(y_test), min(test_count, len(y_test)), replace=False)
            return ImageData("MNIST", [str(d) for d in range(10)], x_train[pick_train], y_train[pick_train],
                             x_test[pick_test], y_test[pick_test])
    x_train, y_train = shapes(train_count, seed=n.args.seed)
    x_test, y_test = shapes(test_count, seed=n.args.seed + 1)
    return ImageData("shapes", list(SHAPE_CLASSES), x_train, y_train, x_test, y_test)


def run(n: Narrator) -> None:
    n.title("cnn.title")
    n.say("cnn.intro")

    n.section("cnn.section_data")
    data = load_data(n)
    n.step("cnn.data_" + data.name.lower(), "x ∈ [0, 1]^(N×1×28×28),  y ∈ {0, …, K − 1}",
           "x_train, y_train = shapes(train_count, seed=n.args.seed)" if data.name == "shapes" else
           "train_set = mnist(root=data_dir, train=True, download=data_dir is not None, progress=True)",
           {"x_train.shape": data.x_train.shape, "x_test.shape": data.x_test.shape, "data.classes": data.classes,
            "y_train[:12]": data.y_train[:12]})

    n.section("cnn.section_model")
    model = models.DocumentsCNN(len(data.classes))
    table = nn.summary(model, (1, 28, 28), print_fn=None)
    n.step("cnn.model", n.t("cnn.model_formula"),
           "table = nn.summary(model, (1, 28, 28), print_fn=None)", {"table.total_parameters": table.total_parameters})
    n.print("\n".join("    " + line for line in str(table).splitlines()))

    x = n.tensor(data.x_train[:BATCH_SIZE])
    _show_im2col(n, model, x)
    _show_pooling(n, model, x)

    n.section("cnn.section_train")
    epochs = n.epochs(full=6, quick=1)
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    with n.timed() as clock:
        history = train.fit(model, F.cross_entropy, optimizer, (data.x_train, data.y_train), epochs=epochs,
                            val_data=(data.x_test, data.y_test), batch_size=BATCH_SIZE, progress="auto")
    for epoch, (loss, accuracy, val_accuracy) in enumerate(zip(history["loss"], history["accuracy"],
                                                              history["val_accuracy"], strict=True), start=1):
        n.say("cnn.progress", epoch=epoch, epochs=epochs, loss=loss, accuracy=accuracy, val_accuracy=val_accuracy)
    steps = epochs * -(-len(data.y_train) // BATCH_SIZE)
    n.step("cnn.trained", n.t("cnn.trained_formula"),
           "history = train.fit(model, F.cross_entropy, optimizer, (data.x_train, data.y_train), epochs=epochs,",
           {n.t("cnn.seconds"): f"{clock['seconds']:.1f}", n.t("cnn.per_step"): f"{1000 * clock['seconds'] / steps:.0f}"
            " ms"}, epochs=epochs, steps=steps)

    n.section("cnn.section_inside")
    predictions = train.predict(model, data.x_test).argmax(axis=1).numpy()
    confusion = np.zeros((len(data.classes), len(data.classes)), dtype=np.int64)
    np.add.at(confusion, (data.y_test, predictions), 1)
    n.step("cnn.confusion", n.t("cnn.confusion_formula"),
           "np.add.at(confusion, (data.y_test, predictions), 1)",
           {"C": confusion, n.t("cnn.accuracy"): f"{np.trace(confusion) / confusion.sum():.1%}"})
    _plot_filters(n, model)
    _plot_feature_maps(n, model, data)
    _plot_confusion(n, confusion, data.classes)
    _plot_mistakes(n, data, predictions)
    _plot_history(n, history)


def _show_im2col(n: Narrator, model: nn.Sequential, x: tg.Tensor) -> None:
    """The first convolution by hand: receptive fields as rows, one matrix product, the same numbers."""
    n.section("cnn.section_im2col")
    conv = model[0]
    cols = kernels.im2col(x.data, (3, 3), (1, 1), (0, 0), (1, 1), (26, 26))
    n.step("cnn.im2col", "cols[(n, oh, ow), (c, i, j)] = x[n, c, oh + i, ow + j]:  (N·26·26) × (1·3·3)",
           "cols = kernels.im2col(x.data, (3, 3), (1, 1), (0, 0), (1, 1), (26, 26))",
           {"x.shape": x.shape, "cols.shape": cols.shape, "cols[0]": cols[0],
            "x[0, 0, 0:3, 0:3]": x.data[0, 0, 0:3, 0:3].ravel()})
    weight_rows = conv.weight.data.reshape(32, -1)
    out = (cols @ weight_rows.T + conv.bias.data).reshape(x.shape[0], 26, 26, 32).transpose(0, 3, 1, 2)
    with tg.no_grad():
        engine = conv(x).data
    n.step("cnn.matmul", n.t("cnn.matmul_formula"),
           "out = (cols @ weight_rows.T + conv.bias.data).reshape(x.shape[0], 26, 26, 32).transpose(0, 3, 1, 2)",
           {"weight_rows.shape": weight_rows.shape, "out.shape": out.shape,
            "max |out − conv(x)|": float(np.max(np.abs(backend.to_device(out - engine, "cpu"))))})
    shapes_after = []
    h = x
    with tg.no_grad():
        for layer in model:
            h = layer(h)
            shapes_after.append(f"{type(layer).__name__}{list(h.shape)}")
    n.step("cnn.shapes", "OH = ⌊(H + 2p − k)/s⌋ + 1:  28 → 26 → 13 → 11 → 5 → 3", "h = layer(h)",
           " →\n".join(" → ".join(shapes_after[i:i + 4]) for i in range(0, len(shapes_after), 4)))


def _show_pooling(n: Narrator, model: nn.Sequential, x: tg.Tensor) -> None:
    with tg.no_grad():
        activated = model[1](model[0](x))
        pooled = model[2](activated)
    patch = activated.numpy()[0, 0, 10:14, 10:14]
    n.step("cnn.pooling", "y[oh, ow] = max_{i, j < 2} a[2·oh + i, 2·ow + j]", "pooled = model[2](activated)",
           {"a[0, 0, 10:14, 10:14]": patch, "y[0, 0, 5:7, 5:7]": pooled.numpy()[0, 0, 5:7, 5:7]})


def _plot_filters(n: Narrator, model: nn.Sequential) -> None:
    weights = model[0].weight.numpy()[:, 0]  # (32, 3, 3)
    figure = n.figure(8, 4.4)
    panels = figure.subplots(4, 8)
    limit = np.abs(weights).max()
    for k, axes in enumerate(panels.ravel()):
        axes.imshow(weights[k], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes.set_xticks([])
        axes.set_yticks([])
    figure.suptitle(n.label("cnn.plot_filters_title"))
    n.save(figure, "filters")


def _plot_feature_maps(n: Narrator, model: nn.Sequential, data: ImageData) -> None:
    image = n.tensor(data.x_test[:1])
    with tg.no_grad():
        first = model[1](model[0](image)).numpy()[0]  # after Conv2d + ReLU: (32, 26, 26)
        second = model[4](model[3](model[2](model[1](model[0](image))))).numpy()[0]  # (64, 11, 11)
    figure = n.figure(13, 6)
    grid = figure.add_gridspec(4, 17)
    axes = figure.add_subplot(grid[:, :3])
    axes.imshow(data.x_test[0, 0], cmap="gray")
    axes.set_title(n.label("cnn.plot_input", label=data.classes[data.y_test[0]]))
    axes.axis("off")
    for maps, count, columns, left in ((first, 32, 8, 3), (second, 24, 6, 11)):  # one colour scale per layer
        top = float(maps[:count].max()) or 1.0
        panels = []
        for k in range(count):
            axes = figure.add_subplot(grid[k // columns, left + k % columns])
            image = axes.imshow(maps[k], cmap="viridis", vmin=0, vmax=top)
            axes.axis("off")
            panels.append(axes)
        figure.colorbar(image, ax=panels, shrink=0.6, location="bottom")
    figure.suptitle(n.label("cnn.plot_maps_title") + "\n" + n.label("cnn.plot_maps_dark"))
    n.save(figure, "feature_maps")


def _plot_confusion(n: Narrator, confusion: np.ndarray, classes: list[str]) -> None:
    figure = n.figure(6, 5.2)
    axes = figure.add_subplot()
    image = axes.imshow(confusion, cmap="Blues")
    for i in range(len(classes)):
        for j in range(len(classes)):
            color = "white" if confusion[i, j] > confusion.max() / 2 else "black"
            axes.text(j, i, str(confusion[i, j]), ha="center", va="center", color=color, fontsize=8)
    axes.set_xticks(range(len(classes)), classes, rotation=45)
    axes.set_yticks(range(len(classes)), classes)
    axes.set_xlabel(n.label("cnn.plot_predicted"))
    axes.set_ylabel(n.label("cnn.plot_true"))
    axes.set_title(n.label("cnn.plot_confusion_title"))
    figure.colorbar(image, ax=axes)
    n.save(figure, "confusion")


def _plot_mistakes(n: Narrator, data: ImageData, predictions: np.ndarray) -> None:
    wrong = np.flatnonzero(predictions != data.y_test)[:16]
    figure = n.figure(10, 3.2)
    panels = figure.subplots(2, 8).ravel()
    for axes in panels:
        axes.axis("off")
    for axes, index in zip(panels, wrong, strict=False):
        axes.imshow(data.x_test[index, 0], cmap="gray")
        axes.set_title(f"{data.classes[data.y_test[index]]} → {data.classes[predictions[index]]}", fontsize=8)
    title_key = "cnn.plot_mistakes_title" if len(wrong) else "cnn.plot_no_mistakes"
    figure.suptitle(n.label(title_key, count=int(np.sum(predictions != data.y_test)), total=len(predictions)))
    n.save(figure, "mistakes")


def _plot_history(n: Narrator, history: train.History) -> None:
    figure = n.figure(10, 4)
    left, right = figure.subplots(1, 2)
    n.plot_epochs(left, history, [("loss", "regularization.plot_train"), ("val_loss", "cnn.plot_test")],
                  "cnn.plot_loss")
    n.plot_epochs(right, history, [("accuracy", "regularization.plot_train"), ("val_accuracy", "cnn.plot_test")],
                  "cnn.accuracy", percent=True)
    figure.supxlabel(n.label("cnn.plot_loss_note"), fontsize=8)
    n.save(figure, "training")


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.cnn": (
        "the documents' Keras CNN on generated shapes (or MNIST with --data-dir): im2col, pooling, filters, "
        "feature maps, confusion matrix, mistakes",
        "原文中的 Keras 卷积神经网络，在生成的图形上训练（或用 --data-dir 使用 MNIST）：im2col、池化、"
        "卷积核、特征图、混淆矩阵、错误样本",
    ),
    "cnn.title": (
        "A convolutional neural network: the documents' Keras CNN, layer by layer",
        "卷积神经网络：原文中的 Keras CNN，逐层来看",
    ),
    "cnn.intro": (
        "Conv2D(32, 3×3) → MaxPooling 2×2 → Conv2D(64, 3×3) → MaxPooling 2×2 → Conv2D(64, 3×3) → Flatten → "
        "Dense(64) → Dense(classes).\n"
        "A convolution slides a small filter over the image; in the engine it is one matrix product "
        "(im2col). Pooling keeps the largest value of each 2×2 window.",
        "Conv2D(32, 3×3) → 最大池化 2×2 → Conv2D(64, 3×3) → 最大池化 2×2 → Conv2D(64, 3×3) → 扁平化 → "
        "全连接层(64) → 全连接层(类别数)。\n"
        "卷积是让一个小卷积核在图像上滑动；在引擎中它是一次矩阵乘法（im2col）。池化保留每个 2×2 "
        "窗口中的最大值。",
    ),
    "cnn.mnist_missing": (
        "MNIST is not available in --data-dir and could not be downloaded.\n"
        "{error}",
        "--data-dir 中没有 MNIST，也无法下载。\n"
        "{error}",
    ),
    "cnn.mnist_hint": (
        "(MNIST was not found on this machine, so the generated shapes are used. To train on real "
        "handwritten digits: --data-dir DIR, which downloads the four files into DIR when they are missing.)",
        "（本机没有找到 MNIST，因此使用生成的图形。要用真实的手写数字训练：--data-dir 目录，"
        "缺少文件时会把四个文件下载到该目录。）",
    ),
    "cnn.section_data": ("The images", "图像数据"),
    "cnn.data_shapes": (
        "Generated 28×28 images of five shapes (offline, seeded) — circle, square, triangle, cross, ring:",
        "生成的 28×28 图像，五种图形（离线、固定随机种子）——圆、正方形、三角形、十字、圆环：",
    ),
    "cnn.data_mnist": (
        "Real handwritten digits from MNIST (a random subset, to keep the walkthrough short):",
        "来自 MNIST 的真实手写数字（随机取一个子集，让演示保持简短）：",
    ),
    "cnn.section_model": ("The model and its parameters", "模型及其参数"),
    "cnn.model": (
        "Each convolution has C_in·3·3 weights and a bias per output channel; the table lists every layer:",
        "每个卷积层对每个输出通道有 C_in·3·3 个权重和一个偏置；下表列出每一层：",
    ),
    "cnn.model_formula": (
        "parameters = Σ_conv (C_in·k·k + 1)·C_out + Σ_dense (in + 1)·out",
        "参数数量 = Σ_卷积层 (C_in·k·k + 1)·C_out + Σ_全连接层 (in + 1)·out",
    ),
    "cnn.section_im2col": ("Convolution as one matrix product (im2col)", "卷积就是一次矩阵乘法（im2col）"),
    "cnn.im2col": (
        "im2col copies every 3×3 receptive field into a row: the first row is the top-left patch of the "
        "first image:",
        "im2col 把每个 3×3 的感受野复制成一行：第一行就是第一张图像左上角的小块：",
    ),
    "cnn.matmul": (
        "Then all 32 filters apply to all patches in one product, the same numbers the Conv2d layer gives:",
        "然后 32 个卷积核通过一次矩阵乘法作用于所有小块，结果与 Conv2d 层完全相同：",
    ),
    "cnn.matmul_formula": (
        "Y = cols · Wᵀ + b:  (N·26·26 × 9) · (9 × 32) → reshape to (N, 32, 26, 26)",
        "Y = cols · Wᵀ + b：(N·26·26 × 9) · (9 × 32) → 变形为 (N, 32, 26, 26)",
    ),
    "cnn.shapes": (
        "The shape after each layer (3×3 convolutions without padding shrink by 2, pooling halves):",
        "每一层之后的形状（无填充的 3×3 卷积使边长减 2，池化使边长减半）：",
    ),
    "cnn.pooling": (
        "Max pooling keeps the largest activation of each 2×2 window (a 4×4 patch of one feature map):",
        "最大池化保留每个 2×2 窗口中最大的激活值（一个特征图中 4×4 的小块）：",
    ),
    "cnn.section_train": ("Training", "训练"),
    "cnn.progress": (
        "    epoch {epoch}/{epochs}   loss {loss:.4f}   training accuracy {accuracy:.1%}   test accuracy "
        "{val_accuracy:.1%}",
        "    第 {epoch}/{epochs} 轮   损失 {loss:.4f}   训练准确率 {accuracy:.1%}   测试准确率 {val_accuracy:"
        ".1%}",
    ),
    "cnn.trained": (
        "{epochs} epoch(s), {steps} steps of forward pass, backpropagation through every layer, and Adam:",
        "{epochs} 轮，共 {steps} 步：前向传播、穿过每一层的反向传播、Adam 更新：",
    ),
    "cnn.trained_formula": (
        "Adam(lr = 2·10⁻³),  batch 64,  L = cross-entropy",
        "Adam(lr = 2·10⁻³)，批量 64，L = 交叉熵",
    ),
    "cnn.seconds": ("seconds", "秒"),
    "cnn.per_step": ("per step", "每步"),
    "cnn.section_inside": ("What the network learned", "网络学到了什么"),
    "cnn.confusion": (
        "The confusion matrix of the test images (rows: true class, columns: predicted):",
        "测试图像的混淆矩阵（行：真实类别，列：预测类别）：",
    ),
    "cnn.confusion_formula": (
        "C[i, j] = #{{test images of class i predicted as j}},  accuracy = trace(C) / ΣC",
        "C[i, j] = #{{真实类别为 i、预测为 j 的测试图像}}，准确率 = trace(C) / ΣC",
    ),
    "cnn.accuracy": ("accuracy", "准确率"),
    "cnn.plot_filters_title": (
        "The 32 learned 3×3 filters of the first convolution",
        "第一个卷积层学到的 32 个 3×3 卷积核",
    ),
    "cnn.plot_input": ("input ({label})", "输入（{label}）"),
    "cnn.plot_maps_dark": (
        "(one colour scale per layer; an all-dark map is a ReLU that outputs 0 on this whole image: a filter this "
        "image does not excite, or a dead ReLU)",
        "（每层一个颜色刻度；全黑的特征图表示 ReLU 在整幅图像上输出 0：该滤波器未被这幅图像激活，或是“死亡”的 ReLU）",
    ),
    "cnn.plot_loss_note": (
        "training loss and accuracy: means over the epoch's batches, taken while the weights were still improving;\n"
        "test loss and accuracy: measured after the epoch — so the test loss can sit below the training loss",
        "训练损失和准确率：整个轮次各批次的平均值，计算时权重仍在改进；\n"
        "测试损失和准确率：在轮次结束后测得——因此测试损失可能低于训练损失",
    ),
    "cnn.plot_maps_title": (
        "Feature maps: after Conv2d(1, 32) + ReLU (middle), after Conv2d(32, 64) + ReLU (right, 24 of 64)",
        "特征图：Conv2d(1, 32) + ReLU 之后（中），Conv2d(32, 64) + ReLU 之后（右，64 个中的 24 个）",
    ),
    "cnn.plot_predicted": ("predicted", "预测类别"),
    "cnn.plot_true": ("true", "真实类别"),
    "cnn.plot_confusion_title": ("Confusion matrix (test images)", "混淆矩阵（测试图像）"),
    "cnn.plot_mistakes_title": (
        "Misclassified test images, true → predicted ({count} of {total})",
        "分类错误的测试图像，真实 → 预测（{total} 个中的 {count} 个）",
    ),
    "cnn.plot_no_mistakes": (
        "No misclassified test images ({count} of {total})",
        "没有分类错误的测试图像（{total} 个中的 {count} 个）",
    ),
    "cnn.plot_test": ("test", "测试集"),
    "cnn.plot_loss": ("cross-entropy loss", "交叉熵损失"),
}
strings.register(TEXT)

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
    for k in range(32):
        axes = figure.add_subplot(grid[k // 8, 3 + k % 8])
        axes.imshow(first[k], cmap="viridis")
        axes.axis("off")
    for k in range(24):
        axes = figure.add_subplot(grid[k // 6, 11 + k % 6])
        axes.imshow(second[k], cmap="magma")
        axes.axis("off")
    figure.suptitle(n.label("cnn.plot_maps_title"))
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
                  "cnn.accuracy")
    n.save(figure, "training")

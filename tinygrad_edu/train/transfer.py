"""Transfer learning, document 001's project: a pre-trained backbone, a new head, few labels.

The recipe (Keras' and PyTorch's usual one; ``docs/transfer-learning.md`` shows the numbers):

1. **Pre-train** a backbone on a large source task (here MNIST digits).
2. **Frozen backbone + new head** (a): keep the backbone's weights θ_B fixed, put a new head on its features —
   global average pooling, Dense(128, relu), Dense(K) — and train only the head θ_H with Adam(1e-4), as the
   document does:  θ_H ← θ_H − α·Adam(∇_{θ_H} J),  θ_B unchanged (∇_{θ_B} J is never computed).
3. **Fine-tune** (b): unfreeze the top blocks of the backbone and go on training them with the head at a
   learning rate 10× lower (1e-5), so that the pre-trained features are adjusted, not overwritten.
4. **From scratch** (c): the same network, randomly initialised, trained on the same few labels — the baseline
   that tells whether the transfer helped.

Every run stops with EarlyStopping(val_loss, patience, restore_best_weights=True) on a *validation* set, and is
scored on a separate *test* set that no decision looked at (the document scores the set it early-stopped on).

**Frozen layers are computed once.** A frozen prefix of the backbone, in evaluation mode, is a fixed function
of the image, so its outputs are computed once for every image before training (Keras calls this "feature
extraction") and the trainable rest trains on them: the same numbers as running the whole network every epoch,
at a fraction of the cost. ``fit_trainable`` does this for any model whose ``features`` start with frozen
modules (``Module.freeze``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend, nn, optim
from ..grad_mode import no_grad
from ..nn import functional as F
from ..tensor import Tensor
from .callbacks import EarlyStopping
from .fit import evaluate, fit
from .history import History


@dataclass
class Task:
    """A classification task split three ways: train (the labelled images), val (watched by EarlyStopping) and
    test (scored once, at the end). Images are float32 (N, 1, H, W) in [−1, 1]."""

    name: str
    classes: list[str]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def describe(self) -> str:
        return (f"{self.name}: {len(self.y_train)} train / {len(self.y_val)} val / {len(self.y_test)} test, "
                f"{len(self.classes)} classes")


def to_signed_unit(images: np.ndarray) -> np.ndarray:
    """[0, 1] → [−1, 1]: x ↦ 2x − 1, the input range MobileNetV2 is trained with (Keras' ``preprocess_input``)."""
    return (images * np.float32(2) - np.float32(1)).astype(np.float32)


def split_task(name: str, classes: list[str], x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
               train: int, val: int, test: int, seed: int) -> Task:
    """``train`` and ``val`` images drawn without overlap from (x, y), ``test`` from (x_test, y_test), by ``seed``."""
    if train + val > len(y):
        raise ValueError(f"split_task({name}): {train} train + {val} val images asked for, the set has {len(y)}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    pick_test = rng.permutation(len(y_test))[:test]
    tr, va = order[:train], order[train:train + val]
    return Task(name, classes, to_signed_unit(x[tr]), y[tr], to_signed_unit(x[va]), y[va],
                to_signed_unit(x_test[pick_test]), y_test[pick_test])


class TransferNet(nn.Module):
    """The document's network: a backbone's ``features``, global average pooling, and a new ``classifier``
    Dense(hidden, relu) → Dense(num_classes) (softmax is inside the cross-entropy loss)."""

    def __init__(self, features: nn.Sequential, feature_channels: int, num_classes: int, hidden: int = 128) -> None:
        super().__init__()
        self.features = features
        self.classifier = nn.Sequential(nn.Linear(feature_channels, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(_pool(self.features(x)))


def _pool(x: Tensor) -> Tensor:
    """Global average pooling (N, C, H, W) → (N, C); vectors pass unchanged."""
    if x.ndim != 4:
        return x
    pooled = F.adaptive_avg_pool2d(x, 1)
    return pooled.reshape(pooled.shape[0], -1)


class _TrainablePart(nn.Module):
    """The modules of a TransferNet after its frozen prefix, sharing them (training this trains the network)."""

    def __init__(self, body: nn.Sequential, classifier: nn.Sequential) -> None:
        super().__init__()
        self.body, self.classifier = body, classifier

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(_pool(self.body(x)))


def frozen_prefix(features: nn.Sequential) -> int:
    """How many leading modules of ``features`` are frozen (``freeze()``d: no gradients, evaluation mode)."""
    count = 0
    for module in features:
        if not all(m.__dict__.get("frozen", False) for m in module.modules()):
            break
        count += 1
    return count


def precompute(module: nn.Module, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``module(x)`` in evaluation mode without gradients, batch by batch (the frozen part's fixed output)."""
    was_training = module.training
    module.eval()
    outputs = []
    with no_grad():
        for start in range(0, len(x), batch_size):
            outputs.append(backend.to_numpy(module(Tensor(x[start:start + batch_size])).data))
    module.train(was_training)
    return np.concatenate(outputs)


@dataclass
class RunResult:
    """One training run: its History, test accuracy, epochs run, best epoch and wall time."""

    name: str
    history: History
    test_accuracy: float
    epochs: int
    best_epoch: int
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recipe:
    """The hyper-parameters of the three runs (the document's where it gives them)."""

    lr: float = 1e-4  # the document's Adam(learning_rate=0.0001) for the new head
    finetune_lr_factor: float = 0.1  # fine-tuning at a 10× lower rate
    scratch_lr: float = 1e-3  # from scratch: Adam's default; at 1e-4 the comparison would handicap it
    unfreeze_top: int = 3  # modules at the end of ``features`` unfrozen for fine-tuning
    finetune_batchnorm: bool = False  # False: the unfrozen blocks' BatchNorm stays frozen (Keras' advice)
    patience: int = 10  # the document's EarlyStopping(patience=10)
    max_epochs: int = 100  # the document's epochs=100
    finetune_max_epochs: int = 100
    scratch_max_epochs: int = 100
    batch_size: int = 32  # the document's batch_size=32
    hidden: int = 128  # Dense(128, relu)


def fit_trainable(net: TransferNet, task: Task, lr: float, recipe: Recipe, max_epochs: int,
                  seed: int) -> tuple[History, int, int]:
    """Train the part of ``net`` after its frozen prefix on ``task`` (Adam, EarlyStopping on val_loss with the
    best weights restored); the frozen prefix's outputs are computed once. Returns (history, epochs, best)."""
    k = frozen_prefix(net.features)
    prefix = nn.Sequential(*list(net.features)[:k])
    body = nn.Sequential(*list(net.features)[k:])
    part = _TrainablePart(body, net.classifier)
    if k == len(net.features):  # all frozen: pool too, and train the head on feature vectors
        prefix = nn.Sequential(prefix, _Pooling())
    x_train, x_val = (precompute(prefix, task.x_train), precompute(prefix, task.x_val)) if k else (task.x_train,
                                                                                                   task.x_val)
    trainable = [p for p in part.parameters() if p.requires_grad]
    optimizer = optim.Adam(trainable, lr=lr)
    stopper = EarlyStopping(monitor="val_loss", patience=recipe.patience, restore_best_weights=True)
    backend.manual_seed(seed)
    history = fit(part, F.cross_entropy, optimizer, (x_train, task.y_train), epochs=max_epochs,
                  val_data=(x_val, task.y_val), callbacks=[stopper], batch_size=recipe.batch_size, progress=False)
    return history, len(history.epochs), stopper.best_epoch


class _Pooling(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return _pool(x)


def score(net: nn.Module, task: Task) -> float:
    """Accuracy of the whole network on the task's test set (evaluation mode)."""
    return float(evaluate(net, (task.x_test, task.y_test), metrics=("accuracy",))["accuracy"])


def pretrain(make_backbone: Callable[[int], nn.Module], source: Task, epochs: int, lr: float = 1e-3,
             batch_size: int = 64, seed: int = 0) -> RunResult:
    """Step 1: train ``make_backbone(num_classes)`` (a network with ``features``) on the source task."""
    backend.manual_seed(seed)
    model = make_backbone(len(source.classes))
    start = time.perf_counter()
    history = fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=lr), (source.x_train, source.y_train),
                  epochs=epochs, val_data=(source.x_val, source.y_val), batch_size=batch_size, progress=False)
    seconds = time.perf_counter() - start
    return RunResult("pretrain", history, score(model, source), epochs, epochs, seconds,
                     extra={"model": model})


def feature_channels(features: nn.Sequential) -> int:
    """The channel count of the last module of ``features`` (what global average pooling hands the head)."""
    return int(list(features)[-1].out_channels)


def transfer(pretrained: nn.Module, make_backbone: Callable[[int], nn.Module], target: Task, recipe: Recipe,
             seed: int = 0) -> dict[str, RunResult]:
    """Steps 2–4 on ``target``: "frozen" (a), "fine-tuned" (b, continuing from a) and "scratch" (c).

    ``pretrained`` is left untouched (its ``features`` are deep-copied); the results hold the trained networks
    under ``extra["model"]``.
    """
    classes = len(target.classes)
    results: dict[str, RunResult] = {}

    backend.manual_seed(seed)
    features = copy.deepcopy(pretrained.features)
    net = TransferNet(features, feature_channels(features), classes, recipe.hidden)
    net.features.freeze()  # (a) the backbone is a fixed feature extractor; BatchNorm keeps the source statistics
    start = time.perf_counter()
    history, epochs, best = fit_trainable(net, target, recipe.lr, recipe, recipe.max_epochs, seed)
    results["frozen"] = RunResult("frozen", history, score(net, target), epochs, best,
                                  time.perf_counter() - start, extra={"model": copy.deepcopy(net)})

    for module in list(net.features)[-recipe.unfreeze_top:]:  # (b) unfreeze the top blocks
        module.unfreeze()
        if not recipe.finetune_batchnorm:
            for layer in module.modules():
                if isinstance(layer, nn.BatchNorm2d):
                    layer.freeze()
    start = time.perf_counter()
    history, epochs, best = fit_trainable(net, target, recipe.lr * recipe.finetune_lr_factor, recipe,
                                          recipe.finetune_max_epochs, seed + 1)
    results["fine-tuned"] = RunResult("fine-tuned", history, score(net, target), epochs, best,
                                      time.perf_counter() - start, extra={"model": net})

    backend.manual_seed(seed)
    scratch_features = make_backbone(classes).features  # (c) the same architecture, random weights
    scratch = TransferNet(scratch_features, feature_channels(scratch_features), classes, recipe.hidden)
    start = time.perf_counter()
    history, epochs, best = fit_trainable(scratch, target, recipe.scratch_lr, recipe, recipe.scratch_max_epochs,
                                          seed)
    results["scratch"] = RunResult("scratch", history, score(scratch, target), epochs, best,
                                   time.perf_counter() - start, extra={"model": scratch})
    return results


def summarize(runs: list[dict[str, RunResult]]) -> dict[str, dict[str, float]]:
    """Mean, sample standard deviation, min and max of the test accuracy of each run kind over seeds."""
    summary = {}
    for name in runs[0]:
        values = np.array([r[name].test_accuracy for r in runs])
        spread = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        summary[name] = {"mean": float(values.mean()), "std": spread, "min": float(values.min()),
                         "max": float(values.max()), "n": len(values)}
    return summary


# ------------------------------------------------------------------------------------------------- the data


@dataclass
class Sizes:
    """How many images each split gets: the source task's (pre-training) and the target task's (transfer)."""

    source_train: int = 12000
    source_val: int = 1000
    source_test: int = 2000
    labelled: int = 1000  # the target task's few labels
    val: int = 500
    test: int = 2000


def mnist_to_fashion(root: Any = None, sizes: Sizes | None = None, seed: int = 0,
                     download: bool = False) -> tuple[Task, Task]:
    """Source MNIST digits, target Fashion-MNIST with ``sizes.labelled`` labels (``DatasetNotFoundError`` when
    the files are not in ``root``, $TINYGRAD_EDU_DATA or the cache and ``download`` is False)."""
    from ..data import fashion_mnist, mnist

    sizes = sizes or Sizes()
    tasks = []
    for loader, name, counts, offset in ((mnist, "MNIST", (sizes.source_train, sizes.source_val, sizes.source_test), 0),
                                         (fashion_mnist, "Fashion-MNIST", (sizes.labelled, sizes.val, sizes.test), 1)):
        train_set = loader(root=root, train=True, download=download, progress=False)
        test_set = loader(root=root, train=False, download=download, progress=False)
        (x, y), (x_test, y_test) = train_set.arrays, test_set.arrays
        tasks.append(split_task(name, list(train_set.classes), x, y, x_test, y_test, *counts, seed=seed + offset))
    return tasks[0], tasks[1]


def shapes_to_noisy_shapes(sizes: Sizes | None = None, seed: int = 0) -> tuple[Task, Task]:
    """The offline stand-in: source = generated shapes (noise 0.1); target = the same five shapes drawn with three
    times the pixel noise (0.3) — a shifted domain with few labels."""
    from ..data import SHAPE_CLASSES, shapes

    sizes = sizes or Sizes()
    source_x, source_y = shapes(sizes.source_train + sizes.source_val, seed=seed)
    source_tx, source_ty = shapes(sizes.source_test, seed=seed + 1)
    target_x, target_y = shapes(sizes.labelled + sizes.val, noise=0.3, seed=seed + 2)
    target_tx, target_ty = shapes(sizes.test, noise=0.3, seed=seed + 3)
    classes = list(SHAPE_CLASSES)
    source = split_task("shapes", classes, source_x, source_y, source_tx, source_ty, sizes.source_train,
                        sizes.source_val, sizes.source_test, seed)
    target = split_task("noisy shapes", classes, target_x, target_y, target_tx, target_ty,
                        sizes.labelled, sizes.val, sizes.test, seed)
    return source, target

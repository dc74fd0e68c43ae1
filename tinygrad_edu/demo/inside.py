"""Walkthrough ``inside``: seeing inside a network and making it smaller, on a small CNN trained on generated
shapes (offline) — the computation graph and the architecture drawn as Mermaid flowcharts and PNGs, hooks,
gradient flow (a deep sigmoid MLP vanishing, ReLU + He initialisation not), explanations (saliency, integrated
gradients, occlusion, permutation importance, a LIME-style surrogate), pruning to 80% sparsity, mixed precision
(autocast and loss scaling) and anomaly detection."""

from __future__ import annotations

import time

import numpy as np

import tinygrad_edu as tg

from .. import explain, nn, optim, train, viz
from ..amp import GradScaler, autocast
from ..data import SHAPE_CLASSES, moons, shapes
from ..nn import functional as F
from ..nn.utils import prune
from . import strings
from .narrate import Narrator

BATCH_SIZE = 64


def build_cnn(classes: int = len(SHAPE_CLASSES)) -> nn.Sequential:
    """A small CNN for 28 × 28 images: two convolutions with pooling, then two dense layers."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),  # 28 → 26 → 13
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),  # 13 → 11 → 5
        nn.Flatten(), nn.Linear(16 * 5 * 5, 32), nn.ReLU(), nn.Linear(32, classes),
    )


def deep_mlp(activation: type, he: bool) -> nn.Sequential:
    """2 → 32 → … → 32 → 2 with ten weight layers; He initialisation (Var w = 2/fan_in) when ``he``."""
    layers: list[nn.Module] = []
    width_in = 2
    for _ in range(9):
        layers += [nn.Linear(width_in, 32), activation()]
        width_in = 32
    model = nn.Sequential(*layers, nn.Linear(32, 2))
    if he:
        for layer in model:
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                nn.init.zeros_(layer.bias)
    return model


def run(n: Narrator) -> None:
    n.title("inside.title")
    n.say("inside.intro")
    _drawings(n)
    _hooks(n)
    _gradient_flow(n)
    model, data = _train_cnn(n)
    _explanations(n, model, data)
    _tabular(n)
    _pruning(n, model, data)
    _mixed_precision(n, model, data)
    _anomaly(n)


# ----------------------------------------------------------------------------------------------- drawings


def _drawings(n: Narrator) -> None:
    n.section("inside.section_drawings")
    w = n.tensor(np.float32(0.8), requires_grad=True)
    b = n.tensor(np.float32(-0.5), requires_grad=True)
    loss = ((w * 1.5 + b).sigmoid() - 1.0) ** 2
    diagram = viz.graph(loss, names={"w": w, "b": b})
    n.step("inside.graph", "L = (σ(w·x + b) − y)²,   x = 1.5, y = 1",
           'diagram = viz.graph(loss, names={"w": w, "b": b})',
           {"nodes": len(diagram.nodes), "edges": len(diagram.edges)})
    n.print("\n".join("    " + line for line in diagram.splitlines() if "class" not in line))
    n.save(viz.draw(diagram, title=n.label("inside.plot_graph_title")), "graph")

    model = build_cnn()
    architecture = viz.model_diagram(model, (1, 28, 28))
    n.step("inside.architecture", "input → Conv → ReLU → Pool → Conv → ReLU → Pool → Flatten → Dense → Dense",
           "architecture = viz.model_diagram(model, (1, 28, 28))",
           {"nodes": len(architecture.nodes), "edges": len(architecture.edges)})
    n.save(viz.draw(architecture, title=n.label("inside.plot_model_title")), "model")

    class Documents(nn.Module):  # the flowchart of the documents: input → backbone → attention → FC → output
        def __init__(self) -> None:
            super().__init__()
            self.backbone = nn.Linear(8, 16)
            self.attention = nn.MultiHeadAttention(16, 2)
            self.fc = nn.Linear(16, 4)

        def forward(self, x: tg.Tensor) -> tg.Tensor:
            h = self.backbone(x).relu()
            return self.fc(self.attention(h, h, h)[0].mean(axis=1))

    flowchart = viz.model_diagram(Documents(), (5, 8), depth=1)
    n.step("inside.flowchart", "depth = 1: one box per top-level child",
           "flowchart = viz.model_diagram(Documents(), (5, 8), depth=1)", "```mermaid")
    n.print("\n".join("    " + line for line in flowchart.splitlines() if "class" not in line) + "\n    ```")


# ------------------------------------------------------------------------------------------------- hooks


def _hooks(n: Narrator) -> None:
    n.section("inside.section_hooks")
    w = n.tensor(np.float32(0.8), requires_grad=True)
    z = w * 1.5 - 0.5
    seen = []
    z.register_hook(lambda grad: seen.append(float(grad)))
    a = z.sigmoid()
    ((a - 1.0) ** 2).backward()
    by_hand = 2 * (a.item() - 1.0) * a.item() * (1 - a.item())
    n.step("inside.tensor_hook", "δ = ∂L/∂z = 2(a − y) · σ(z)(1 − σ(z))",
           "z.register_hook(lambda grad: seen.append(float(grad)))", {"δ (hook)": seen[0], "δ (by hand)": by_hand})

    model = build_cnn()
    shapes_seen: list[str] = []
    handles = [layer.register_forward_hook(lambda module, args, out: shapes_seen.append(str(out.shape)))
               for layer in model]
    deltas: list[float] = []
    handles.append(model[-1].register_full_backward_hook(
        lambda module, grad_input, grad_output: deltas.append(float((grad_output[0] ** 2).sum() ** 0.5))))
    F.cross_entropy(model(n.tensor(shapes(8, seed=n.args.seed)[0])), n.tensor(np.arange(8) % 5)).backward()
    for handle in handles:
        handle.remove()
    n.step("inside.module_hooks", "hook(module, inputs, output);   hook(module, ∂L/∂input, ∂L/∂output)",
           "handles = [layer.register_forward_hook(lambda module, args, out: shapes_seen.append(str(out.shape)))",
           {"shapes": " → ".join(shapes_seen[:4]) + " → …", "‖∂L/∂logits‖": deltas[0]})


# ----------------------------------------------------------------------------------------- gradient flow


def _gradient_flow(n: Narrator) -> None:
    n.section("inside.section_flow")
    x, y = moons(256, noise=0.15, seed=n.args.seed)
    epochs = n.epochs(full=20, quick=4)
    flows = {}
    for name, activation, he in (("sigmoid", nn.Sigmoid, False), ("relu", nn.ReLU, True)):
        tg.manual_seed(n.args.seed)
        model = deep_mlp(activation, he)
        flow = viz.GradientFlow(window=5, warn=False)
        train.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=epochs,
                  batch_size=BATCH_SIZE, callbacks=[flow], progress=False)
        flows[name] = flow
        recent = flow.recent()
        n.step(f"inside.flow_{name}", "δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ′(zˡ),   ∂L/∂Wˡ = δˡ (aˡ⁻¹)ᵀ",
               "flow = viz.GradientFlow(window=5, warn=False)",
               {"‖∂L/∂W¹‖": recent[flow.layers[0]], "‖∂L/∂W¹⁰‖": recent[flow.layers[-1]],
                "‖∂L/∂W¹‖ / ‖∂L/∂W¹⁰‖": recent[flow.layers[0]] / recent[flow.layers[-1]]})
        n.say("inside.flow_warnings", warnings=" / ".join(w.split(":")[0] for w in flow.warnings) or "—")
    n.say("inside.flow_lesson")
    labels = {key: n.label(f"inside.plot_flow_{key}") for key in ("weight", "delta", "depth", "step", "layer")}
    for name, flow in flows.items():
        n.save(flow.plot(title=n.label(f"inside.plot_flow_{name}"), labels=labels), f"flow_{name}")


# ---------------------------------------------------------------------------------------------- the CNN


def _train_cnn(n: Narrator) -> tuple[nn.Sequential, dict]:
    n.section("inside.section_cnn")
    count = 640 if n.quick else 3000
    x_train, y_train = shapes(count, seed=n.args.seed)
    x_test, y_test = shapes(count // 4, seed=n.args.seed + 1)
    tg.manual_seed(n.args.seed)
    model = build_cnn()
    epochs = n.epochs(full=6, quick=5)
    history = train.fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=3e-3), (x_train, y_train),
                        epochs=epochs, val_data=(x_test, y_test), batch_size=BATCH_SIZE, progress=False)
    n.step("inside.cnn", "J = cross-entropy,  Adam(lr = 3·10⁻³)",
           "history = train.fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=3e-3), (x_train, y_train),",
           {"epochs": epochs, "val_accuracy": f"{history['val_accuracy'][-1]:.1%}"})
    return model, {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


# ------------------------------------------------------------------------------------------ explanations


def _explanations(n: Narrator, model: nn.Sequential, data: dict) -> None:
    n.section("inside.section_explain")
    images, labels = data["x_test"][:4], data["y_test"][:4]
    maps = explain.saliency(model, images, target=labels)
    n.step("inside.saliency", "S_c(x),   |∂S_c/∂x|", "maps = explain.saliency(model, images, target=labels)",
           {"maps.shape": maps.shape})
    steps = 32 if n.quick else 64
    ig, delta = explain.integrated_gradients(model, images, target=labels, steps=steps, return_delta=True)
    change = ig.reshape(4, -1).sum(axis=1) - delta
    n.step("inside.ig", "IGᵢ = (xᵢ − x′ᵢ) ∫₀¹ ∂S(x′ + α(x − x′))/∂xᵢ dα,   Σᵢ IGᵢ = S(x) − S(x′)",
           "ig, delta = explain.integrated_gradients(model, images, target=labels, steps=steps, return_delta=True)",
           {"Σ IG": ig.reshape(4, -1).sum(axis=1), "S(x) − S(x′)": change,
            "max |gap| / |S(x) − S(x′)|": f"{np.max(np.abs(delta / change)):.3%}"}, steps=steps)
    occluded = explain.occlusion(model, images, target=labels, window=4, stride=2)
    n.step("inside.occlusion", "A(p) = mean_{P ∋ p} [S(x) − S(x with P grey)]",
           "occluded = explain.occlusion(model, images, target=labels, window=4, stride=2)",
           {"occluded.shape": occluded.shape})
    titles = [SHAPE_CLASSES[c] for c in labels]
    figure = explain.plot_attributions(images, {n.label("inside.plot_saliency"): maps, "IG": ig,
                                                n.label("inside.plot_occlusion"): occluded}, titles=titles,
                                       legend=n.label("inside.plot_sign"))
    n.save(figure, "attributions")


def _tabular(n: Narrator) -> None:
    points, y = moons(400, noise=0.15, seed=n.args.seed)
    rng = np.random.default_rng(n.args.seed)
    x = np.concatenate([points, rng.standard_normal((400, 2)).astype(np.float32)], axis=1)  # two noise columns
    tg.manual_seed(n.args.seed)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
    train.fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.02), (x, y),
              epochs=n.epochs(full=40, quick=15), batch_size=BATCH_SIZE, progress=False)
    names = ["x₁", "x₂", n.t("inside.noise") + " 1", n.t("inside.noise") + " 2"]
    plot_names = ["x₁", "x₂", n.label("inside.noise") + " 1", n.label("inside.noise") + " 2"]
    importance = explain.permutation_importance(model, x, y, n_repeats=5, seed=n.args.seed)
    n.step("inside.permutation", "I_j = accuracy(X, y) − accuracy(X with column j shuffled, y)",
           "importance = explain.permutation_importance(model, x, y, n_repeats=5, seed=n.args.seed)",
           dict(zip(names, np.round(importance.mean, 3), strict=True)))
    surrogate = explain.local_surrogate(model, x[0], target=1, scale=x.std(axis=0), seed=n.args.seed)
    n.step("inside.surrogate", "min Σᵢ πᵢ (f(zᵢ) − b − wᵀuᵢ)² + λ‖w‖²,   πᵢ = exp(−‖uᵢ‖²/σ²)",
           "surrogate = explain.local_surrogate(model, x[0], target=1, scale=x.std(axis=0), seed=n.args.seed)",
           {"w": surrogate.coefficients, "R²": surrogate.score, "f(x)": surrogate.prediction})
    figure = n.figure(11, 3.6)
    left, right = figure.subplots(1, 2)
    explain.plot_importance(importance, plot_names, title=n.label("inside.plot_importance"), axes=left)
    explain.plot_surrogate(surrogate, plot_names, title=n.label("inside.plot_surrogate"), axes=right)
    n.save(figure, "tabular")


# ----------------------------------------------------------------------------------------------- pruning


def _pruning(n: Narrator, model: nn.Sequential, data: dict) -> None:
    n.section("inside.section_prune")
    test = (data["x_test"], data["y_test"])
    dense = train.evaluate(model, test)["accuracy"]
    before = [module.weight.numpy().ravel().copy() for module, _ in prune.prunable(model)]
    prune.global_unstructured(prune.prunable(model), amount=0.8)
    report = prune.sparsity(model)
    pruned = train.evaluate(model, test)["accuracy"]
    n.step("inside.prune", "keep w where |w| ≥ t,  t = the 80% quantile of |w| over all layers",
           "prune.global_unstructured(prune.prunable(model), amount=0.8)",
           {n.t("inside.dense"): f"{dense:.1%}", n.t("inside.pruned"): f"{pruned:.1%}"})
    n.print("\n".join("    " + line for line in str(report).splitlines()))
    train.fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=1e-3), (data["x_train"], data["y_train"]),
              epochs=1, batch_size=BATCH_SIZE, progress=False)
    tuned = train.evaluate(model, test)["accuracy"]
    n.step("inside.finetune", "masks stay: w ← w ⊙ m before each forward,  ∂L/∂w ← ∂L/∂w ⊙ m",
           "train.fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=1e-3), (data[\"x_train\"], "
           "data[\"y_train\"]),", {n.t("inside.tuned"): f"{tuned:.1%}",
                                   n.t("inside.sparsity"): f"{prune.sparsity(model).global_sparsity:.1%}"})
    conv = nn.Conv2d(1, 8, 3)
    norms = np.abs(conv.weight.numpy()).sum(axis=(1, 2, 3))
    prune.prune_filters(conv, amount=0.25)
    removed = np.flatnonzero(np.all(conv.weight.numpy() == 0, axis=(1, 2, 3)))
    n.step("inside.structured", "‖W_c‖₁ = Σ |w|  for each filter c; remove the smallest",
           "prune.prune_filters(conv, amount=0.25)", {"‖W_c‖₁": norms, n.t("inside.removed"): removed})

    figure = n.figure(11, 3.6)
    left, right = figure.subplots(1, 2)
    values = np.concatenate(before)
    bins = np.linspace(-np.abs(values).max(), np.abs(values).max(), 61)
    left.hist(values, bins=bins, color="C0", alpha=0.6, label=n.label("inside.plot_dense"))
    left.hist(np.concatenate([m.weight.numpy().ravel() for m, _ in prune.prunable(model)]), bins=bins, color="C3",
              alpha=0.6, label=n.label("inside.plot_pruned"))
    left.set_yscale("log")
    left.legend()
    left.set_title(n.label("inside.plot_weights"))
    right.bar(range(len(report.rows)), [r.sparsity for r in report.rows], color="C3")
    right.set_xticks(range(len(report.rows)), [r.name for r in report.rows], rotation=30)
    right.set_title(n.label("inside.plot_sparsity"))
    n.save(figure, "pruning")


# ---------------------------------------------------------------------------------------- mixed precision


def _mixed_precision(n: Narrator, model: nn.Sequential, data: dict) -> None:
    n.section("inside.section_amp")
    images = n.tensor(data["x_train"][:BATCH_SIZE])
    labels = n.tensor(data["y_train"][:BATCH_SIZE])
    with autocast():
        conv_out = model[0](images)
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
    n.step("inside.autocast", "matmul, conv: float16;   sum, softmax, losses: float32",
           "with autocast():", {"conv": conv_out.dtype, "logits": logits.dtype, "loss": loss.dtype})

    layer = nn.Linear(4, 40)
    x = tg.randn(100, 4)
    (F.mse_loss(layer(x), tg.zeros(100, 40)) * 1e-5).backward()
    exact = layer.weight.grad.numpy().copy()
    counts = {}
    for scale in (1.0, 2.0**16):
        layer.zero_grad()
        with autocast():
            tiny = F.mse_loss(layer(x), tg.zeros(100, 40)) * 1e-5
        (tiny * scale).backward()
        counts[scale] = layer.weight.grad.numpy() / scale
    n.step("inside.underflow", "float16: |g| < 2⁻¹⁴ ≈ 6·10⁻⁵ subnormal (fewer bits),  |g| < 2⁻²⁵ ≈ 3·10⁻⁸ → 0;   "
           "scaled: S·g, then g = (S·g)/S in float32",
           "(tiny * scale).backward()",
           {n.t("inside.nonzero_plain"): f"{np.count_nonzero(counts[1.0])} / {exact.size}",
            n.t("inside.nonzero_scaled"): f"{np.count_nonzero(counts[2.0**16])} / {exact.size}",
            n.t("inside.max_error"): float(np.max(np.abs(counts[2.0**16] - exact)) / np.max(np.abs(exact)))})

    scaler = GradScaler()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    losses, skipped = [], 0
    for _ in range(4 if n.quick else 10):
        optimizer.zero_grad()
        with autocast():
            loss = F.cross_entropy(model(images), labels)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow to inf is what the scaler looks for
            scaler.scale(loss).backward()
        scaler.step(optimizer)
        skipped += scaler.found_inf(optimizer)
        scaler.update()
        losses.append(loss.item())
    n.step("inside.scaler", "L_S = S·L;  g = ĝ/S;  skip if any g is inf/NaN;  S ← S/2 then, ×2 after 2000 good steps",
           "scaler.scale(loss).backward()", {"losses": np.array(losses), n.t("inside.skipped"): skipped,
                                             "S": scaler.get_scale()})

    a32 = np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32)
    times = {}
    for dtype in ("float32", "float16"):
        a = a32.astype(dtype)
        start = time.perf_counter()
        for _ in range(5):
            a @ a
        times[dtype] = (time.perf_counter() - start) / 5 * 1000
    n.step("inside.cpu_speed", "256 × 256 @ 256 × 256 on the CPU (NumPy)", "a @ a",
           {"float32": f"{times['float32']:.2f} ms", "float16": f"{times['float16']:.2f} ms"})
    n.say("inside.cpu_note")

    figure = n.figure(8, 3.6)
    axes = figure.subplots()
    magnitudes = np.abs(exact.ravel())
    axes.hist(np.log2(magnitudes), bins=40, color="C0", alpha=0.7, label=n.label("inside.plot_grad"))
    axes.hist(np.log2(magnitudes * 2.0**16), bins=40, color="C2", alpha=0.7, label=n.label("inside.plot_scaled"))
    axes.axvline(-24, color="C3", linestyle="--", label=n.label("inside.plot_smallest"))
    axes.set_xlabel("log₂ |g|")
    axes.legend(fontsize=8)
    axes.set_title(n.label("inside.plot_amp_title"))
    n.save(figure, "amp")


# ----------------------------------------------------------------------------------------------- anomaly


def _anomaly(n: Narrator) -> None:
    n.section("inside.section_anomaly")
    logits = n.tensor(np.array([[0.0, -200.0]], dtype=np.float32), requires_grad=True)
    message = ""
    with tg.detect_anomaly(), np.errstate(divide="ignore"):
        try:
            probabilities = logits.softmax(axis=1)
            probabilities.log()  # log(softmax) by hand: e⁻²⁰⁰ is 0 in float32, and log 0 = −inf
        except tg.AnomalyError as error:
            message = str(error)
    n.step("inside.anomaly", "log softmax(z)ⱼ = zⱼ − log Σ exp(z):  by hand, softmax underflows to 0 first",
           "probabilities.log()  # log(softmax) by hand: e⁻²⁰⁰ is 0 in float32, and log 0 = −inf", None)
    n.print("\n".join("    │ " + line for line in message.splitlines()))
    fused = logits.log_softmax(axis=1)
    n.step("inside.fused", "log_softmax(z) = z − max z − log Σ exp(z − max z)", "fused = logits.log_softmax(axis=1)",
           {"log_softmax": fused, "isfinite": bool(np.isfinite(fused.numpy()).all())})
    n.say("inside.closing")


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.inside": (
        "seeing inside and making it smaller: graph and architecture drawings, hooks, gradient flow, "
        "saliency / integrated gradients / occlusion / LIME, pruning to 80%, mixed precision, NaN hunting",
        "看清网络内部并让它变小：计算图与结构图、钩子、梯度流、显著图 / 积分梯度 / 遮挡 / LIME、剪枝到 80%、"
        "混合精度、追查 NaN",
    ),
    "inside.title": (
        "Inside the network: drawings, hooks, gradient flow, explanations, pruning, mixed precision",
        "网络内部：绘图、钩子、梯度流、可解释性、剪枝、混合精度",
    ),
    "inside.intro": (
        "A small CNN trained on generated shapes, looked at from every side: the graph the engine builds, "
        "the architecture as a flowchart,\n"
        "the gradients flowing back layer by layer, which pixels a decision rests on — and then made smaller "
        "(pruning) and cheaper (float16).",
        "一个在生成图形上训练的小型卷积神经网络，从各个角度观察：引擎构建的计算图、画成流程图的网络结构，\n"
        "逐层反向流动的梯度、决策依赖哪些像素——然后让它更小（剪枝）、更省（float16）。",
    ),
    "inside.section_drawings": (
        "Drawings: the computation graph and the architecture (Mermaid text and PNG)",
        "绘图：计算图与网络结构（Mermaid 文本和 PNG）",
    ),
    "inside.graph": (
        "The graph behind the loss of one neuron, as Mermaid text (paste it into Markdown between ```mermaid "
        "fences):",
        "一个神经元的损失背后的计算图，Mermaid 文本（放进 Markdown 的 ```mermaid 代码块即可显示）：",
    ),
    "inside.plot_graph_title": ("Computation graph of L = (σ(w·1.5 + b) − 1)²", "L = (σ(w·1.5 + b) − 1)² 的计算图"),
    "inside.architecture": (
        "The CNN's architecture, traced by running it once on zeros; the shapes ride on the arrows:",
        "CNN 的结构：在全零输入上运行一次追踪得到；箭头上标着数据的形状：",
    ),
    "inside.plot_model_title": ("The small CNN, layer by layer", "小型 CNN，逐层展示"),
    "inside.flowchart": (
        "The documents' flowchart, from a model with a backbone, multi-head attention and a fully connected "
        "head:",
        "原文中的流程图，来自一个由主干网络、多头注意力机制和全连接层组成的模型：",
    ),
    "inside.section_hooks": (
        "Hooks: your code inside the forward and backward passes",
        "钩子：在前向和反向传播中运行你自己的代码",
    ),
    "inside.tensor_hook": (
        "A tensor hook receives the gradient of z when backward reaches it — the delta of the neuron:",
        "张量钩子在反向传播到达 z 时收到它的梯度——也就是该神经元的误差项 δ：",
    ),
    "inside.module_hooks": (
        "Forward hooks see each layer's output, a backward hook the gradient at the logits:",
        "前向钩子看到每一层的输出，反向钩子看到 logits 处的梯度：",
    ),
    "inside.section_flow": (
        "Gradient flow: ten layers of sigmoid against ten layers of ReLU with He initialisation",
        "梯度流：十层 sigmoid 对比十层使用 He 初始化的 ReLU",
    ),
    "inside.flow_sigmoid": (
        "Sigmoid, default initialisation: the first layer's gradient is tiny beside the last's",
        "sigmoid，默认初始化：第一层的梯度与最后一层相比微乎其微",
    ),
    "inside.flow_relu": (
        "ReLU with He initialisation: the gradient stays of the same order of magnitude from the last layer to the "
        "first",
        "ReLU 加 He 初始化：从最后一层到第一层，梯度的数量级大致不变",
    ),
    "inside.flow_warnings": ("    GradientFlow warnings: {warnings}", "    GradientFlow 警告：{warnings}"),
    "inside.flow_lesson": (
        "σ′ ≤ ¼ shrinks δ at every sigmoid layer (vanishing gradients); ReLU passes it on unchanged where "
        "active, and He's Var w = 2/fan_in keeps its size.",
        "σ′ ≤ ¼，每经过一个 sigmoid 层 δ 就缩小（梯度消失）；ReLU 在激活处原样传递，He 初始化的 Var w = "
        "2/fan_in 保持其大小。",
    ),
    "inside.plot_flow_weight": ("‖∂L/∂W‖ per layer", "每层的 ‖∂L/∂W‖"),
    "inside.plot_flow_delta": ("‖δ‖ = ‖∂L/∂z‖ per layer", "每层的 ‖δ‖ = ‖∂L/∂z‖"),
    "inside.plot_flow_depth": ("by depth (mean of the last steps)", "按深度（最近几步的平均）"),
    "inside.plot_flow_step": ("step", "步数"),
    "inside.plot_flow_layer": ("layer (input → output)", "层（输入 → 输出）"),
    "inside.plot_flow_sigmoid": (
        "10 sigmoid layers: the gradient vanishes towards the input",
        "10 个 sigmoid 层：梯度向输入端消失",
    ),
    "inside.plot_flow_relu": (
        "10 ReLU layers, He initialisation: the gradient stays of the same order",
        "10 个 ReLU 层，He 初始化：梯度的数量级大致不变",
    ),
    "inside.section_cnn": ("The CNN we look inside", "我们要观察的 CNN"),
    "inside.cnn": (
        "Trained on generated shapes (circle, square, triangle, cross, ring):",
        "在生成的图形（圆、方块、三角形、十字、圆环）上训练：",
    ),
    "inside.section_explain": ("Explanations: which pixels did the decision rest on?", "可解释性：决策依赖哪些像素？"),
    "inside.saliency": (
        "Saliency: how much the class score changes for a small change of each pixel:",
        "显著图：每个像素微小变化时类别得分变化多少：",
    ),
    "inside.ig": (
        "Integrated gradients with {steps} Gauss–Legendre points: the attributions add up to the change of "
        "the score from a black image:",
        "积分梯度，使用 {steps} 个 Gauss–Legendre 点：各像素的归因之和等于从全黑图像出发得分的变化：",
    ),
    "inside.occlusion": (
        "Occlusion: grey out a 4 × 4 patch at a time and watch the score drop (no gradients):",
        "遮挡法：每次把一个 4 × 4 的小块涂灰，观察得分下降（不需要梯度）：",
    ),
    "inside.plot_sign": (
        "red: the pixel raises the class score, blue: it lowers it; black → yellow (saliency): size of the effect only",
        "红色：该像素提高类别得分，蓝色：降低得分；黑 → 黄（显著性图）：只表示影响大小",
    ),
    "inside.plot_saliency": ("saliency", "显著图"),
    "inside.plot_occlusion": ("occlusion", "遮挡"),
    "inside.noise": ("noise", "噪声"),
    "inside.permutation": (
        "Tabular data — two moons plus two columns of noise. Permutation importance of each feature:",
        "表格数据——双月数据加两列噪声。用置换法衡量每个特征的特征重要性：",
    ),
    "inside.surrogate": (
        "A LIME-style local linear surrogate around one point: the local effect of each feature:",
        "在一个点附近拟合 LIME 式的局部线性代理模型：每个特征的局部影响：",
    ),
    "inside.plot_importance": ("Permutation importance (drop in accuracy)", "特征重要性（置换后准确率的下降）"),
    "inside.plot_surrogate": ("Local surrogate at one point", "一个点处的局部代理模型"),
    "inside.section_prune": ("Pruning: 80% of the weights set to zero", "剪枝：把 80% 的权重置零"),
    "inside.dense": ("dense", "稠密"),
    "inside.pruned": ("pruned, before fine-tuning", "剪枝后、微调前"),
    "inside.prune": (
        "Global magnitude pruning: the 80% smallest |w| of all layers together become 0:",
        "全局幅值剪枝：所有层合在一起，|w| 最小的 80% 变为 0：",
    ),
    "inside.finetune": ("One epoch of fine-tuning with the masks in place:", "保持掩码不变，微调一个轮次："),
    "inside.tuned": ("pruned and fine-tuned", "剪枝并微调后"),
    "inside.sparsity": ("sparsity", "稀疏度"),
    "inside.structured": (
        "Structured pruning removes whole filters — those with the smallest L1 norm:",
        "结构化剪枝删除整个卷积核——L1 范数最小的那些：",
    ),
    "inside.removed": ("removed filters", "删除的卷积核"),
    "inside.plot_dense": ("before pruning", "剪枝前"),
    "inside.plot_pruned": ("after pruning and fine-tuning", "剪枝并微调后"),
    "inside.plot_weights": ("Weights of all layers", "所有层的权重"),
    "inside.plot_sparsity": ("Sparsity per layer", "每层的稀疏度"),
    "inside.section_amp": (
        "Mixed precision: float16 products, float32 sums, and loss scaling",
        "混合精度：float16 做乘积，float32 做求和，再加上损失缩放",
    ),
    "inside.autocast": (
        "Inside autocast, the convolution runs in float16, the loss in float32:",
        "在 autocast 中，卷积以 float16 运行，损失以 float32 计算：",
    ),
    "inside.underflow": (
        "A loss term multiplied by 10⁻⁵: in float16 its gradients fall below the smallest normal number 2⁻¹⁴ and "
        "lose precision, and those below half the smallest subnormal 2⁻²⁴ round to zero (underflow) — unless the "
        "loss is scaled first:",
        "一个乘以 10⁻⁵ 的损失项：在 float16 中，它的梯度小于最小的正规数 2⁻¹⁴，精度下降；小于最小次正规数 2⁻²⁴ "
        "一半的梯度被舍入为零（下溢）——除非先把损失放大：",
    ),
    "inside.nonzero_plain": ("non-zero gradients, unscaled", "非零梯度，未缩放"),
    "inside.nonzero_scaled": ("non-zero gradients, scaled by 2¹⁶", "非零梯度，乘以 2¹⁶"),
    "inside.max_error": ("largest error of the scaled ones (relative)", "缩放后梯度的最大（相对）误差"),
    "inside.scaler": (
        "GradScaler does this in a training loop, choosing S by itself:",
        "GradScaler 在训练循环中完成这些，并自动选择 S：",
    ),
    "inside.skipped": ("steps skipped (inf in a gradient: S halved)", "跳过的步数（梯度中出现 inf：S 减半）"),
    "inside.cpu_speed": (
        "The same product in float32 and float16 on this CPU:",
        "同一个矩阵乘积在这台 CPU 上分别用 float32 和 float16：",
    ),
    "inside.cpu_note": (
        "    NumPy has no float16 arithmetic on the CPU: it converts to float32 and back around every "
        "operation, so float16 is slower here.\n"
        "    The method pays off on a GPU with tensor cores (CuPy); on the CPU it is here to learn and to "
        "check the numbers.",
        "    NumPy 在 CPU 上没有 float16 运算：每次运算都先转换成 float32 再转回来，所以这里 float16 更慢。\n"
        "    这种方法在带张量核心的 GPU（CuPy）上才有收益；在 CPU 上用于学习和核对数值。",
    ),
    "inside.plot_grad": ("gradients (float32)", "梯度（float32）"),
    "inside.plot_scaled": ("× 2¹⁶ (loss scaling)", "× 2¹⁶（损失缩放）"),
    "inside.plot_smallest": ("smallest positive float16, a subnormal (2⁻²⁴)", "float16 最小的正数，次正规数（2⁻²⁴）"),
    "inside.plot_amp_title": (
        "Why loss scaling: the gradients live below float16's range",
        "为什么要缩放损失：梯度落在 float16 的表示范围之下",
    ),
    "inside.section_anomaly": ("Anomaly detection: where does the NaN come from?", "异常检测：NaN 从哪里来？"),
    "inside.anomaly": (
        "Inside detect_anomaly(), the first op whose output is NaN or inf stops with this message:",
        "在 detect_anomaly() 中，第一个输出 NaN 或 inf 的运算会停下并给出这条信息：",
    ),
    "inside.fused": ("The fused op computes the same thing stably:", "融合的运算以数值稳定的方式计算同样的结果："),
    "inside.closing": (
        "Everything above is in tinygrad_edu.viz, .explain, .nn.utils.prune, .amp and detect_anomaly; "
        "docs/inside-the-network.md explains each.",
        "以上内容都在 tinygrad_edu.viz、.explain、.nn.utils.prune、.amp 和 detect_anomaly 中；"
        "docs/inside-the-network.md 逐一讲解。",
    ),
}
strings.register(TEXT)

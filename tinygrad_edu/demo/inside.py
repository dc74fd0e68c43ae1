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
                                                n.label("inside.plot_occlusion"): occluded}, titles=titles)
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
    exact = tg.backend.to_device(layer.weight.grad, "cpu").copy()
    counts = {}
    for scale in (1.0, 2.0**16):
        layer.zero_grad()
        with autocast():
            tiny = F.mse_loss(layer(x), tg.zeros(100, 40)) * 1e-5
        (tiny * scale).backward()
        counts[scale] = tg.backend.to_device(layer.weight.grad, "cpu") / scale
    n.step("inside.underflow", "float16: |g| < 2⁻²⁴ ≈ 6·10⁻⁸ → 0;   scaled: S·g, then g = (S·g)/S in float32",
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

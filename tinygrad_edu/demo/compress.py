"""Walkthrough ``compress``: making the documents' CNN small — bfloat16 (range against precision), int8
post-training quantisation, knowledge distillation into a small student, and pruning that does (structured) or
does not (unstructured) make inference faster. MNIST with --data-dir, else generated shapes."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg

from .. import models, nn
from ..amp import autocast, round_to_bfloat16, to_bfloat16_bits
from ..amp.bfloat16 import FORMATS
from ..nn import functional as F
from ..nn.utils import prune, shrink
from ..quantization import int8, quantize, weight_bytes
from ..train import compress_mnist as lab
from . import strings
from .cnn import load_data
from .narrate import Narrator

TEXT = {
    "summary.compress": ("Making models small: bfloat16, int8 quantisation, distillation, structured pruning",
                         "让模型变小：bfloat16、int8 量化、知识蒸馏、结构化剪枝"),
    "compress.title": ("Making models small: fewer bits, fewer weights, a smaller student",
                       "让模型变小：更少的比特、更少的权重、更小的学生模型"),
    "compress.intro": ("A trained network is larger and slower than it needs to be. Four ways to shrink the documents' "
                       "CNN, each measured: numbers with fewer bits (bfloat16, int8), a small network that learns from "
                       "the large one (distillation), and removing weights (pruning).",
                       "训练好的网络往往比需要的更大、更慢。这里用四种方法压缩原文中的 CNN，并逐一测量：更少比特的数"
                       "（bfloat16、int8）、向大模型学习的小网络（知识蒸馏），以及删除权重（剪枝）。"),
    "compress.section_bf16": ("1. bfloat16: float32's range with 7 mantissa bits",
                              "1. bfloat16：float32 的数值范围，7 位尾数"),
    "compress.formats": ("Three formats: bfloat16 keeps float32's exponent (range) and gives up precision; "
                         "float16 keeps 3 more mantissa bits and gives up range",
                         "三种格式：bfloat16 保留 float32 的指数位（范围），牺牲精度；"
                         "float16 多 3 位尾数，但范围小得多"),
    "compress.round": ("Rounding to bfloat16 = keeping the upper 16 bits of the float32, to nearest, ties to even",
                       "舍入到 bfloat16 = 保留 float32 的高 16 位，就近舍入，平局取偶"),
    "compress.underflow": ("The float16 lesson's example (a loss weighted by 10⁻⁵): under float16 autocast every "
                           "gradient underflows to 0 without a GradScaler; under bfloat16 all survive, no scaling",
                           "沿用 float16 课中的例子（权重为 10⁻⁵ 的损失项）：float16 自动混合精度下，不用 GradScaler "
                           "梯度全部下溢为 0；bfloat16 下全部保留，无需放大损失"),
    "compress.section_teacher": ("2. The model to compress: the documents' CNN", "2. 要压缩的模型：原文中的 CNN"),
    "compress.teacher": ("Trained {epochs} epoch(s) on {data}", "在 {data} 上训练 {epochs} 轮"),
    "compress.section_int8": ("3. int8 post-training quantisation", "3. int8 训练后量化"),
    "compress.per_channel": ("One scale per output filter: the largest weight of each filter becomes ±127",
                             "每个输出卷积核一个缩放因子：每个卷积核中绝对值最大的权重变成 ±127"),
    "compress.quantized": ("quantize(model, calibration batches): int8 weights, input scales calibrated on a few "
                           "batches, int8 × int8 products summed in int32",
                           "quantize(model, 校准批次)：int8 权重，输入缩放因子在几个批次上校准，"
                           "int8 × int8 乘积在 int32 中累加"),
    "compress.section_distill": ("4. Knowledge distillation: a small student learns from the teacher",
                                 "4. 知识蒸馏：小的学生模型向教师模型学习"),
    "compress.distilled": ("The same student ({params} parameters) trained on the labels alone, and on the teacher's "
                           "softened outputs plus the labels",
                           "同一个学生模型（{params} 个参数）分别只用标签训练，以及用教师的软化输出加标签训练"),
    "compress.section_prune": ("5. Pruning: zeros do not make a network faster, smaller layers do",
                               "5. 剪枝：零不会让网络变快，更小的层才会"),
    "compress.pruned": ("80% of the weights zeroed (unstructured) against half of the filters removed (structured, "
                        "the layers rebuilt smaller); inference on the same batch",
                        "把 80% 的权重置零（非结构化）与删除一半卷积核（结构化，重建更小的层）对比；同一批数据推理"),
    "compress.erratum": ("Erratum: the documents say pruning \"提高训练和推理速度\" (speeds up training and "
                         "inference). Unstructured zeros run through the same dense products: no speed-up "
                         "without sparse kernels. Only structured pruning, which makes the arrays smaller, is "
                         "faster here.",
                         "勘误：原文称剪枝可以“提高训练和推理速度”。非结构化剪枝产生的零仍然走同样的稠密矩阵乘法：没有稀疏"
                         "算子就没有加速。只有让数组真正变小的结构化剪枝在这里更快。"),
    "compress.finetuned": ("After {epochs} fine-tuning epoch(s)", "微调 {epochs} 轮之后"),
    "compress.verdict": ("Summary on this machine (times are from one run on a shared CPU: compare them within the "
                         "run only)", "本机汇总（时间来自共享 CPU 上的一次运行，只在本次运行内比较）"),
    "compress.formats_header": ("format | mantissa bits | ε | largest | smallest subnormal",
                                "格式 | 尾数位数 | ε | 最大值 | 最小次正规数"),
    "compress.summary_header": ("model | test accuracy | ms / batch | weight bytes",
                                "模型 | 测试准确率 | 毫秒 / 批 | 权重字节数"),
    "compress.plot_gradients": ("|gradient| of the 10⁻⁵-weighted loss", "权重为 10⁻⁵ 的损失的 |梯度|"),
    "compress.plot_f16_min": ("float16 smallest number", "float16 最小数"),
    "compress.plot_bf16_min": ("bfloat16 smallest number", "bfloat16 最小数"),
    "compress.plot_count": ("weights", "权重数"),
    "compress.plot_accuracy": ("test accuracy", "测试准确率"),
    "compress.plot_time": ("inference ms (one batch)", "推理毫秒（一批）"),
    "compress.plot_bytes": ("weight bytes", "权重字节数"),
}
strings.register(TEXT)


def run(n: Narrator) -> None:
    n.title("compress.title")
    n.say("compress.intro")
    _bfloat16(n)

    n.section("compress.section_teacher")
    data = load_data(n)
    teacher = models.DocumentsCNN(len(data.classes))
    epochs = n.epochs(full=3, quick=1)
    with n.timed() as clock:
        lab.train(teacher, data.x_train, data.y_train, epochs=epochs, seed=n.args.seed)
    float_accuracy = lab.accuracy(teacher, data.x_test, data.y_test)
    n.step("compress.teacher", "L = CE(model(x), y),  Adam, one-cycle lr",
           "lab.train(teacher, data.x_train, data.y_train, epochs=epochs, seed=n.args.seed)",
           {"accuracy": f"{float_accuracy:.1%}", "parameters": lab.parameter_count(teacher),
            "seconds": f"{clock['seconds']:.1f}"}, epochs=epochs, data=data.name)
    batch = data.x_test[:64 if n.quick else 256]
    rows = {"float32": (float_accuracy, _ms(n, teacher, batch), weight_bytes(teacher))}

    rows["int8"] = _int8(n, teacher, data, batch)
    rows["student"], rows["distilled"] = _distill(n, teacher, data, batch)
    rows.update(_prune(n, teacher, data, batch))

    n.section("compress.verdict")
    n.table_rows(n.t("compress.summary_header").split(" | "),
                 [[name, f"{a:.1%}", f"{ms:.1f}", f"{size:,}"] for name, (a, ms, size) in rows.items()])
    _plot_summary(n, rows)


def _ms(n: Narrator, model: nn.Module, batch: np.ndarray) -> float:
    """Median milliseconds of one forward pass (2 repeats with --quick, 7 otherwise)."""
    return lab.inference_ms(model, batch, repeats=2 if n.quick else 7)


def _bfloat16(n: Narrator) -> None:
    n.section("compress.section_bf16")
    rows = [[name, m, f"{2.0**-m:.1e}", f"{big:.3g}", f"{tiny:.2g}"] for name, (m, big, _, tiny) in FORMATS.items()]
    n.step("compress.formats", "ε = 2⁻ᵐ;  range: largest … smallest subnormal", "FORMATS", None)
    n.table_rows(n.t("compress.formats_header").split(" | "), rows)

    x = np.float32([np.pi, 1 + 2**-8, 1 + 3 * 2**-8, 3.4e38])
    bits = to_bfloat16_bits(x)
    n.step("compress.round", "bits = (u + 0x7FFF + ((u >> 16) & 1)) >> 16", "bits = to_bfloat16_bits(x)",
           {"x": x, "bf16(x)": round_to_bfloat16(x), "bits": [f"{b:#06x}" for b in bits.tolist()]})

    tg.manual_seed(n.args.seed)
    layer = nn.Linear(4, 40)
    x = tg.randn(100, 4)
    gradients = {}
    for dtype in ("float16", "bfloat16"):
        layer.zero_grad()
        with autocast(dtype):
            tiny = F.mse_loss(layer(x), tg.zeros(100, 40)) * 1e-5
        tiny.backward()  # no GradScaler
        gradients[dtype] = tg.backend.to_numpy(layer.weight.grad).copy()
    output_grad = 2e-5 * np.abs(tg.backend.to_numpy(layer(x).data)) / 4000
    n.step("compress.underflow", "∂L/∂out ≈ 10⁻⁵ · 2·out / 4000 ≈ 5·10⁻⁹:  < 2⁻²⁴ (float16),  ≫ 2⁻¹³³ (bfloat16)",
           "with autocast(dtype):",
           {"max ∂L/∂out": float(output_grad.max()),
            "float16 ≠ 0": f"{np.count_nonzero(gradients['float16'])} / {gradients['float16'].size}",
            "bfloat16 ≠ 0": f"{np.count_nonzero(gradients['bfloat16'])} / {gradients['bfloat16'].size}"})
    figure = n.figure(7, 3.6)
    axes = figure.add_subplot()
    axes.hist(np.log10(output_grad.reshape(-1) + 1e-30), bins=40, color="tab:blue")
    axes.axvline(np.log10(FORMATS["float16"][3]), color="tab:red", label=n.label("compress.plot_f16_min"))
    axes.axvline(np.log10(FORMATS["bfloat16"][3]), color="tab:green", label=n.label("compress.plot_bf16_min"))
    axes.set_xlabel("log₁₀ " + n.label("compress.plot_gradients"))
    axes.set_ylabel(n.label("compress.plot_count"))
    axes.legend()
    n.save(figure, "underflow")


def _int8(n: Narrator, teacher: nn.Sequential, data, batch: np.ndarray) -> tuple[float, float, int]:
    n.section("compress.section_int8")
    q, s = int8.quantize_per_channel(tg.backend.to_numpy(teacher[0].weight.data), axis=0)
    restored = int8.dequantize(q, s[:, None, None, None])
    error = np.abs(restored - tg.backend.to_numpy(teacher[0].weight.data)).max(axis=(1, 2, 3))
    n.step("compress.per_channel", "s[o] = max|W[o]| / 127,  q = clip(round(W/s), −127, 127),  |W − s·q| ≤ s/2",
           "q, s = int8.quantize_per_channel(tg.backend.to_numpy(teacher[0].weight.data), axis=0)",
           {"s[:4]": s[:4], "q[0, 0]": q[0, 0], "max error / (s/2)": float((error / (s / 2)).max())})
    calibration = [data.x_train[i:i + 64] for i in range(0, min(len(data.x_train), 8 * 64), 64)]
    small = quantize(teacher, calibration)
    accuracy = lab.accuracy(small, data.x_test, data.y_test)
    size = weight_bytes(small)
    ms = _ms(n, small, batch)
    n.step("compress.quantized", "acc = Σ q_x·q_w (int32);  y = s_x·s_w[o]·acc + b[o]",
           "small = quantize(teacher, calibration)",
           {"accuracy (float32 → int8)": f"{lab.accuracy(teacher, data.x_test, data.y_test):.1%} → {accuracy:.1%}",
            "bytes (float32 → int8)": f"{weight_bytes(teacher):,} → {size:,} "
                                      f"({weight_bytes(teacher) / size:.2f}×)"})
    return accuracy, ms, size


def _distill(n: Narrator, teacher: nn.Sequential, data, batch: np.ndarray) -> tuple[tuple, tuple]:
    n.section("compress.section_distill")
    teacher_logits = lab.predict(teacher, data.x_train)
    seeds = range(n.args.seed, n.args.seed + (1 if n.quick else 3))
    results: dict[str, list[float]] = {"labels": [], "distilled": []}
    for seed in seeds:
        for kind, logits in (("labels", None), ("distilled", teacher_logits)):
            tg.manual_seed(seed)
            student = lab.student_cnn(len(data.classes))
            lab.train(student, data.x_train, data.y_train, epochs=n.epochs(full=2, quick=1), seed=seed,
                      teacher_logits=logits)
            results[kind].append(lab.accuracy(student, data.x_test, data.y_test))
    n.step("compress.distilled", "L = α·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)) + (1 − α)·CE(z_s, y),  T = 4, α = 0.9",
           "loss = F.distillation_loss(logits, teacher_logits[index], labels, temperature=temperature,",
           {"labels alone": " ".join(f"{a:.1%}" for a in results["labels"]),
            "distilled": " ".join(f"{a:.1%}" for a in results["distilled"]),
            "seeds": list(seeds)}, params=lab.parameter_count(student))
    ms, size = _ms(n, student, batch), weight_bytes(student)
    return (float(np.mean(results["labels"])), ms, size), (float(np.mean(results["distilled"])), ms, size)


def _prune(n: Narrator, teacher: nn.Sequential, data, batch: np.ndarray) -> dict[str, tuple]:
    n.section("compress.section_prune")
    sparse = lab.sparse_copy(teacher, 0.8)
    shrunk = shrink(teacher, 0.5)
    times = {name: _ms(n, model, batch) for name, model in
             (("dense", teacher), ("sparse", sparse), ("shrunk", shrunk))}
    before = {"sparse": lab.accuracy(sparse, data.x_test, data.y_test),
              "shrunk": lab.accuracy(shrunk, data.x_test, data.y_test)}
    n.step("compress.pruned", "‖W[o]‖₁ = Σ |W[o, c, i, j]|: keep the largest half of the filters",
           "shrunk = shrink(teacher, 0.5)",
           {"ms (dense, 80% zeros, half the filters)":
                f"{times['dense']:.1f}, {times['sparse']:.1f}, {times['shrunk']:.1f}",
            "parameters": f"{lab.parameter_count(teacher):,}, {lab.parameter_count(sparse):,} "
                          f"({prune.sparsity(sparse).zeros:,} zeros), {lab.parameter_count(shrunk):,}",
            "accuracy (80% zeros, half the filters)": f"{before['sparse']:.1%}, {before['shrunk']:.1%}"})
    n.say("compress.erratum")
    epochs = 1
    for model in (sparse, shrunk):
        lab.train(model, data.x_train, data.y_train, epochs=epochs, lr=5e-4, seed=n.args.seed)
    after = {"sparse": lab.accuracy(sparse, data.x_test, data.y_test),
             "shrunk": lab.accuracy(shrunk, data.x_test, data.y_test)}
    n.step("compress.finetuned", "θ ← θ − α ∇L  (masks keep the zeros)",
           "lab.train(model, data.x_train, data.y_train, epochs=epochs, lr=5e-4, seed=n.args.seed)",
           {"accuracy (80% zeros, half the filters)": f"{after['sparse']:.1%}, {after['shrunk']:.1%}"},
           epochs=epochs)
    dense_bytes = weight_bytes(teacher)
    return {"80% zeros": (after["sparse"], times["sparse"], dense_bytes),
            "half filters": (after["shrunk"], times["shrunk"], weight_bytes(shrunk))}


def _plot_summary(n: Narrator, rows: dict[str, tuple]) -> None:
    figure = n.figure(11, 3.6)
    names = list(rows)
    for index, (key, scale) in enumerate((("compress.plot_accuracy", 100), ("compress.plot_time", 1),
                                          ("compress.plot_bytes", 1))):
        axes = figure.add_subplot(1, 3, index + 1)
        axes.bar(range(len(names)), [rows[name][index] * scale for name in names], color="tab:blue")
        axes.set_xticks(range(len(names)), names, rotation=35, ha="right")
        axes.set_title(n.label(key))
    n.save(figure, "summary")

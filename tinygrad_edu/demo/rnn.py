"""Walkthrough ``rnn``: the plain (Elman) RNN of the documents, h_t = tanh(W x_t + U h_{t−1} + b), run by hand
against ``nn.RNN``; backpropagation through time (BPTT) by hand against ``backward()``; why its gradients vanish or
explode over many steps; and training it with the two remedies the documents name, gradient clipping (梯度裁剪) and
learning-rate decay (学习率衰减)."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg

from .. import nn, optim
from ..data import adding_problem
from ..nn import functional as F
from ..nn.utils import clip_grad_norm_
from . import strings
from .narrate import Narrator

HIDDEN = 3
SEQUENCE_LENGTH = 10
LONG = 40  # steps over which the gradient's size is followed
MAX_NORM = 1.0


class Adder(nn.Module):
    """RNN(2 → 32, tanh) reading the sequence, a Linear layer reading its last hidden state: ŷ = W h_T + b."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNN(2, 32, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        output, h_n = self.rnn(x)
        return self.head(h_n[-1])


def forward_by_hand(w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """h_t = tanh(W_ih x_t + W_hh h_{t−1} + b) for t = 1 … T from h_0 = 0; returns h_0 … h_T (T + 1, H)."""
    hs = [np.zeros(w_hh.shape[0])]
    for x_t in xs:
        hs.append(np.tanh(w_ih @ x_t + w_hh @ hs[-1] + bias))
    return np.array(hs)


def bptt_by_hand(w_ih: np.ndarray, w_hh: np.ndarray, xs: np.ndarray, hs: np.ndarray,
                 grad_h_last: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[float]]:
    """Backpropagation through time for a loss on h_T only: walk t = T … 1 with the delta of h_t,

        δ_T = ∂L/∂h_T,   dz_t = δ_t ⊙ (1 − h_t²),   δ_{t−1} = W_hhᵀ dz_t,
        ∂L/∂W_ih = Σ_t dz_t x_tᵀ,   ∂L/∂W_hh = Σ_t dz_t h_{t−1}ᵀ,   ∂L/∂b = Σ_t dz_t

    and return the three gradients and ‖δ_t‖ for t = T … 1 (the same weights serve every step, so their
    gradients are sums over the steps)."""
    grad_w_ih, grad_w_hh, grad_b = np.zeros_like(w_ih), np.zeros_like(w_hh), np.zeros(w_hh.shape[0])
    delta, norms = grad_h_last, []
    for t in range(len(xs), 0, -1):
        norms.append(float(np.linalg.norm(delta)))
        dz = delta * (1 - hs[t] ** 2)
        grad_w_ih += np.outer(dz, xs[t - 1])
        grad_w_hh += np.outer(dz, hs[t - 1])
        grad_b += dz
        delta = w_hh.T @ dz
    return grad_w_ih, grad_w_hh, grad_b, norms


def run(n: Narrator) -> None:
    n.title("rnn.title")
    n.say("rnn.intro")
    _by_hand(n)
    norms = _vanishing_and_exploding(n)
    histories = _clipping_and_decay(n)
    _plot(n, norms, histories)


def _by_hand(n: Narrator) -> None:
    n.section("rnn.section_forward")
    rnn = nn.RNN(2, HIDDEN)
    w_ih, w_hh = rnn.weight_ih_l0.numpy().astype(np.float64), rnn.weight_hh_l0.numpy().astype(np.float64)
    bias = (rnn.bias_ih_l0.numpy() + rnn.bias_hh_l0.numpy()).astype(np.float64)
    xs = np.array([[0.5, -1.0], [1.0, 0.0], [-0.3, 0.8], [0.2, 0.4]])
    hs = forward_by_hand(w_ih, w_hh, bias, xs)
    n.step("rnn.forward", "h_t = tanh(W_ih x_t + W_hh h_{t−1} + b),   h_0 = 0",
           "hs.append(np.tanh(w_ih @ x_t + w_hh @ hs[-1] + bias))", {"x_t": xs, "h_t": hs[1:]})
    x = n.tensor(xs[:, None].astype(np.float32))
    output, h_n = rnn(x)
    n.step("rnn.check", n.t("rnn.check_formula"), "output, h_n = rnn(x)",
           {"max |h (by hand) − h (nn.RNN)|": float(np.max(np.abs(output.numpy()[:, 0] - hs[1:])))})

    n.section("rnn.section_bptt")
    target = np.array([0.5, -0.5, 0.25])
    grad_h_last = hs[-1] - target  # L = ½‖h_T − y‖²
    grad_w_ih, grad_w_hh, grad_b, norms = bptt_by_hand(w_ih, w_hh, xs, hs, grad_h_last)
    n.step("rnn.bptt", n.t("rnn.bptt_formula"), "dz = delta * (1 - hs[t] ** 2)",
           {"∂L/∂W_hh": grad_w_hh, "‖δ_t‖, t = T … 1": np.round(norms, 5)})
    loss = 0.5 * ((h_n[0, 0] - n.tensor(target.astype(np.float32))) ** 2).sum()
    loss.backward()
    n.step("rnn.bptt_check", "∂L/∂W_hh (backward()) = Σ_t dz_t h_{t−1}ᵀ", "loss.backward()",
           {"max |Δ ∂L/∂W_hh|": float(np.max(np.abs(rnn.weight_hh_l0.grad.numpy() - grad_w_hh))),
            "max |Δ ∂L/∂W_ih|": float(np.max(np.abs(rnn.weight_ih_l0.grad.numpy() - grad_w_ih))),
            "max |Δ ∂L/∂b|": float(np.max(np.abs(rnn.bias_hh_l0.grad.numpy() - grad_b)))})


def _vanishing_and_exploding(n: Narrator) -> dict[float, list[float]]:
    n.section("rnn.section_gradients")
    rng = np.random.default_rng(n.args.seed)
    hidden = 16
    w_ih = rng.normal(0, 0.5, (hidden, 2))
    xs = rng.normal(0, 1, (LONG, 2))
    direction = rng.normal(0, 1, (hidden, hidden))
    direction /= np.max(np.abs(np.linalg.eigvals(direction)))  # spectral radius 1
    norms = {}
    for radius in (0.5, 1.0, 3.0):
        w_hh = radius * direction
        hs = forward_by_hand(w_ih, w_hh, np.zeros(hidden), xs)
        *_, norms[radius] = bptt_by_hand(w_ih, w_hh, xs, hs, np.ones(hidden) / np.sqrt(hidden))
    n.step("rnn.gradients", n.t("rnn.gradients_formula"),
           "*_, norms[radius] = bptt_by_hand(w_ih, w_hh, xs, hs, np.ones(hidden) / np.sqrt(hidden))",
           {f"ρ(W_hh) = {radius}: ‖δ_1‖ / ‖δ_T‖": norms[radius][-1] / norms[radius][0] for radius in norms})
    n.say("rnn.gradients_note")
    return norms


def _clipping_and_decay(n: Narrator) -> dict[str, dict[str, list[float]]]:
    n.section("rnn.section_train")
    count = 400 if n.quick else 2000
    x_train, y_train = adding_problem(count, SEQUENCE_LENGTH, seed=n.args.seed)
    x_val, y_val = adding_problem(500, SEQUENCE_LENGTH, seed=n.args.seed + 1)
    epochs = n.epochs(full=12, quick=2)
    histories = {}
    for name in ("plain", "clipped"):
        tg.manual_seed(n.args.seed)
        model = Adder()
        optimizer = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs) if name == "clipped" else None
        record = {"norm": [], "loss": [], "lr": [], "val_loss": []}
        for _epoch in range(epochs):
            record["lr"].append(optimizer.param_groups[0]["lr"])
            for start in range(0, count, 50):
                prediction = model(n.tensor(x_train[start:start + 50]))
                loss = F.mse_loss(prediction, n.tensor(y_train[start:start + 50]))
                optimizer.zero_grad()
                loss.backward()
                if name == "clipped":
                    norm = clip_grad_norm_(model.parameters(), max_norm=MAX_NORM)
                else:
                    norm = clip_grad_norm_(model.parameters(), max_norm=float("inf"))  # measures, clips nothing
                record["norm"].append(float(norm.item()))
                record["loss"].append(float(loss.item()))
                optimizer.step()
            if scheduler is not None:
                scheduler.step()
            with tg.no_grad():
                record["val_loss"].append(float(F.mse_loss(model(n.tensor(x_val)), n.tensor(y_val)).item()))
        histories[name] = record
    plain, clipped = histories["plain"], histories["clipped"]
    n.step("rnn.train", n.t("rnn.train_formula"), "norm = clip_grad_norm_(model.parameters(), max_norm=MAX_NORM)",
           {n.t("rnn.col_plain"): _summary(plain), n.t("rnn.col_clipped"): _summary(clipped),
            "lr (CosineAnnealingLR)": [f"{lr:.3g}" for lr in clipped["lr"]]}, epochs=epochs)
    clipped_share = float(np.mean(np.array(clipped["norm"]) > MAX_NORM))
    n.say("rnn.train_note", share=clipped_share, largest=max(plain["norm"]))
    better = clipped["val_loss"][-1] < plain["val_loss"][-1] or not np.isfinite(plain["val_loss"][-1])
    n.say("rnn.train_better" if better else "rnn.train_not_better", plain=plain["val_loss"][-1],
          clipped=clipped["val_loss"][-1])
    return histories


def _summary(record: dict[str, list[float]]) -> str:
    return (f"val MSE {record['val_loss'][-1]:.4f}, max ‖g‖ {max(record['norm']):.3g}, "
            f"median ‖g‖ {np.median(record['norm']):.3g}")


def _plot(n: Narrator, norms: dict[float, list[float]], histories: dict[str, dict[str, list[float]]]) -> None:
    figure = n.figure(13, 4)
    left, middle, right = figure.subplots(1, 3)
    for radius, values in norms.items():
        steps = np.arange(LONG, 0, -1)
        left.semilogy(steps, values, marker=".", label=f"ρ(W_hh) = {radius}")
    left.invert_xaxis()
    left.set_xlabel(n.label("rnn.plot_t"))
    left.set_ylabel("‖δ_t‖ = ‖∂L/∂h_t‖")
    left.set_title(n.label("rnn.plot_gradients_title"))
    left.legend()
    for name, style in (("plain", "-"), ("clipped", "--")):
        record = histories[name]
        middle.semilogy(record["norm"], style, label=n.label(f"rnn.col_{name}"))
        right.semilogy(record["loss"], style, label=n.label(f"rnn.col_{name}"))
    middle.axhline(MAX_NORM, color="black", linewidth=0.8, linestyle=":", label=n.label("rnn.plot_max_norm"))
    middle.set_xlabel(n.label("plot_step"))
    middle.set_ylabel("‖g‖ " + n.label("rnn.plot_before_clipping"))
    middle.set_title(n.label("rnn.plot_norm_title"))
    middle.legend()
    right.set_xlabel(n.label("plot_step"))
    right.set_ylabel("MSE")
    right.set_title(n.label("rnn.plot_loss_title"))
    right.legend()
    n.save(figure, "bptt")


# ---------------------------------------------------------------------------- what it says (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    "summary.rnn": (
        "the plain RNN by hand; backpropagation through time (BPTT) by hand vs backward(); vanishing and exploding "
        "gradients; training with gradient clipping and learning-rate decay",
        "手算普通 RNN；手算随时间反向传播（BPTT）并与 backward() 对照；梯度消失与梯度爆炸；"
        "用梯度裁剪和学习率衰减训练",
    ),
    "rnn.title": (
        "The recurrent neural network and backpropagation through time",
        "循环神经网络与随时间反向传播（BPTT）",
    ),
    "rnn.intro": (
        "The documents' RNN, h_t = f(W x_t + U h_{{t−1}} + b): the same weights at every step, and a hidden state that "
        "carries the past.\n"
        "Training it unrolls the loop over time and backpropagates through every step (BPTT); the gradient is "
        "multiplied by Uᵀ once per step, so over\n"
        "many steps it shrinks or grows geometrically. Gradient clipping caps the second, learning-rate decay calms "
        "the end of training.",
        "原文中的 RNN：h_t = f(W x_t + U h_{{t−1}} + b)：每一步使用同样的权重，隐藏状态携带过去的信息。\n"
        "训练时把循环按时间展开，再穿过每一步做反向传播（BPTT）；梯度每经过一步就乘一次 Uᵀ，\n"
        "因此经过很多步后会按几何级数缩小或增大。梯度裁剪限制后者，学习率衰减让训练的后期更平稳。",
    ),
    "rnn.section_forward": (
        "The forward pass by hand: four steps, three hidden units", "手算前向传播：四步，三个隐藏单元",
    ),
    "rnn.forward": (
        "Each step mixes the new input with the previous hidden state (W_ih = the documents' W, W_hh = U):",
        "每一步把新的输入与上一个隐藏状态混合（W_ih 即原文的 W，W_hh 即 U）：",
    ),
    "rnn.check": ("nn.RNN computes the same states:", "nn.RNN 计算出同样的隐藏状态："),
    "rnn.check_formula": ("nn.RNN(2, 3) on the same x_1 … x_4", "nn.RNN(2, 3) 作用于同样的 x_1 … x_4"),
    "rnn.section_bptt": ("Backpropagation through time, by hand", "手算随时间反向传播"),
    "rnn.bptt": (
        "The loss L = ½‖h_T − y‖² sits on the last state; its delta walks back one step at a time, and every step "
        "adds its share to the shared weights:",
        "损失 L = ½‖h_T − y‖² 只作用在最后一个状态上；它的误差项一步一步往回传，"
        "每一步都给共享的权重加上自己的一份梯度：",
    ),
    "rnn.bptt_formula": (
        "dz_t = δ_t ⊙ (1 − h_t²),  δ_{{t−1}} = W_hhᵀ dz_t,  ∂L/∂W_hh = Σ_t dz_t h_{{t−1}}ᵀ,  ∂L/∂W_ih = Σ_t dz_t x_tᵀ",
        "dz_t = δ_t ⊙ (1 − h_t²)，δ_{{t−1}} = W_hhᵀ dz_t，∂L/∂W_hh = Σ_t dz_t h_{{t−1}}ᵀ，∂L/∂W_ih = Σ_t dz_t x_tᵀ",
    ),
    "rnn.bptt_check": (
        "The engine's backward() through nn.RNN gives the same gradients (float32 against float64):",
        "引擎穿过 nn.RNN 的 backward() 得到同样的梯度（float32 对 float64）：",
    ),
    "rnn.section_gradients": (
        "Vanishing and exploding gradients over 40 steps",
        "40 步上的梯度消失与梯度爆炸",
    ),
    "rnn.gradients": (
        "The same recurrent matrix scaled to three spectral radii ρ; the size of the delta after walking back all "
        "40 steps:",
        "把同一个循环权重矩阵缩放到三种谱半径 ρ；误差项往回走完 40 步之后的大小：",
    ),
    "rnn.gradients_formula": (
        "δ_{{t−1}} = W_hhᵀ (δ_t ⊙ tanh′):   ‖δ_1‖ ≲ (ρ · max tanh′)^{{T−1}} ‖δ_T‖ when W_hh is diagonalisable",
        "δ_{{t−1}} = W_hhᵀ (δ_t ⊙ tanh′)：当 W_hh 可对角化时，‖δ_1‖ ≲ (ρ · max tanh′)^{{T−1}} ‖δ_T‖",
    ),
    "rnn.gradients_note": (
        "With ρ < 1 the early steps get almost no gradient (vanishing: the network cannot learn long-range "
        "dependencies, the documents' caveat);\n"
        "with large ρ, tanh saturates (tanh′ ≈ 0) on this input and hides the growth, but where the states are not "
        "saturated the product grows\nstep by step (exploding) — the spikes the training below shows. The LSTM's "
        "additive cell state is the cure for the first; clipping, for the second.",
        "ρ < 1 时，前面的步几乎得不到梯度（梯度消失：网络学不到长距离依赖，即原文提到的局限）；\n"
        "ρ 很大时，tanh 在这个输入上饱和（tanh′ ≈ 0），掩盖了增长；但在状态未饱和的地方，乘积会一步步变大\n"
        "（梯度爆炸）——下面训练中出现的尖峰就是它。LSTM 的加法式细胞状态治前者，梯度裁剪治后者。",
    ),
    "rnn.section_train": (
        "Training on the adding problem: gradient clipping and learning-rate decay",
        "在加法问题上训练：梯度裁剪与学习率衰减",
    ),
    "rnn.train": (
        "Two runs from the same initial weights, SGD with momentum (lr 0.2), {epochs} epoch(s): as is, and with "
        "clip_grad_norm_(max_norm = 1) plus cosine learning-rate decay:",
        "从相同初始权重出发的两次训练，带动量的随机梯度下降（lr 0.2），{epochs} 轮：一次不加处理，一次加上 "
        "clip_grad_norm_(max_norm = 1) 和余弦学习率衰减：",
    ),
    "rnn.train_formula": (
        "clip: g ← g · min(1, c/‖g‖),  c = 1;   decay: α_e = ½ α₀ (1 + cos(π e / E))",
        "梯度裁剪：g ← g · min(1, c/‖g‖)，c = 1；学习率衰减：α_e = ½ α₀ (1 + cos(π e / E))",
    ),
    "rnn.col_plain": ("constant lr, no clipping", "固定学习率，不裁剪"),
    "rnn.col_clipped": ("clipping + cosine decay", "梯度裁剪 + 余弦衰减"),
    "rnn.train_note": (
        "Clipping rescaled {share:.0%} of the steps; the largest gradient norm of the unclipped run was {largest:.3g}. "
        "Clipping keeps the direction of g and caps its length,\n"
        "so one exploding step cannot throw the weights far away; the decaying learning rate takes ever smaller "
        "steps near the end.",
        "梯度裁剪缩放了 {share:.0%} 的更新步；不裁剪时最大的梯度范数为 {largest:.3g}。"
        "梯度裁剪保留 g 的方向、限制它的长度，\n"
        "因此一次梯度爆炸不会把权重甩到很远的地方；衰减的学习率在训练后期迈出越来越小的步子。",
    ),
    "rnn.train_better": (
        "Final validation MSE: {plain:.4f} without, {clipped:.4f} with clipping and decay.",
        "最终验证均方误差：不处理 {plain:.4f}，梯度裁剪加学习率衰减 {clipped:.4f}。",
    ),
    "rnn.train_not_better": (
        "Final validation MSE: {plain:.4f} without, {clipped:.4f} with clipping and decay — in this run the plain "
        "one did as well (no step exploded badly enough to matter; try another --seed or more epochs).",
        "最终验证均方误差：不处理 {plain:.4f}，梯度裁剪加学习率衰减 {clipped:.4f}——这一次不处理的训练同样好"
        "（没有哪一步爆炸到足以造成影响；可以换一个 --seed 或增加训练轮次）。",
    ),
    "rnn.plot_t": ("step t (walking back from T = 40)", "步 t（从 T = 40 往回走）"),
    "rnn.plot_gradients_title": ("BPTT: the delta over 40 steps", "BPTT：误差项在 40 步上的变化"),
    "rnn.plot_max_norm": ("max_norm = 1", "max_norm = 1"),
    "rnn.plot_before_clipping": ("(before clipping)", "（裁剪前）"),
    "rnn.plot_norm_title": ("Gradient norm per step", "每步的梯度范数"),
    "rnn.plot_loss_title": ("Training loss per step", "每步的训练损失"),
}
strings.register(TEXT)

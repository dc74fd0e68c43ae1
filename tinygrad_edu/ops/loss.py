"""Fused losses: each computes the loss of a whole batch in one op, with a closed-form backward.

Composing a loss from primitives (log of a softmax, then a gather, then a mean) works for moderate values but
overflows for large logits and builds a graph of several nodes; the fused ops below are stable for any input
and send back the compact gradient the documents derive, e.g. δ = softmax(z) − y for cross-entropy.

``reduction`` is PyTorch's: ``"mean"`` (the default), ``"sum"`` or ``"none"`` (one loss per sample).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module, to_device
from . import backward_math
from .activation import stable_sigmoid
from .broadcast import unbroadcast

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}(reduction={reduction!r}): use one of {', '.join(map(repr, REDUCTIONS))}")


def _reduce(losses: Any, reduction: str, denominator: Any = None) -> Any:
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    return total / (losses.size if denominator is None else denominator)


def _spread(grad: Any, reduction: str, shape: tuple[int, ...], denominator: Any) -> Any:
    """∂L/∂loss_i for every sample i, from the gradient of the reduced loss."""
    xp = get_array_module(grad)
    if reduction == "none":
        return grad
    scale = grad if reduction == "sum" else grad / denominator
    return xp.broadcast_to(scale, shape)


def _weighted_log_likelihood(log_p: Any, q: Any, shape: tuple[int, ...], reduction: str, denominator: Any) -> Any:
    """L = reduce(−Σ_c qᶜ log pᶜ) on Tensors: the definition the fused losses compute, for ``composite``."""
    rows = _classes_last(log_p) if log_p.ndim != 2 else log_p
    losses = -(rows * q).sum(axis=1).reshape(_sample_shape(shape))
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / float(denominator)


def _reduce_tensor(losses: Any, shape: tuple[int, ...], reduction: str) -> Any:
    losses = losses.broadcast_to(shape) if losses.shape != shape else losses
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def _index_target_matrix(xp: Any, t: Any, classes: int, kept: Any, target_weight: Any, weight: Any, eps: float,
                         dtype: Any) -> Any:
    """qᶜ per row for class-index targets: (1 − ε)·w_t·[c = t] + (ε/C)·w_c, zero on ignored rows."""
    q = xp.zeros((t.size, classes), dtype=dtype)
    q[xp.arange(t.size), t] = (1 - eps) * target_weight
    if eps:
        q += (eps / classes) * (1 if weight is None else weight) * kept[:, None]
    return q


def _classes_last(x: Any) -> Any:
    """(N, C, d₁, …) → (N·d₁·…, C): PyTorch puts the class axis second; the maths wants one row per sample."""
    if x.ndim == 2:
        return x
    if hasattr(x, "permute"):  # a Tensor (composite): the same move with differentiable ops
        return x.permute(0, *range(2, x.ndim), 1).reshape(-1, x.shape[1])
    xp = get_array_module(x)
    return xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _classes_back(rows: Any, shape: tuple[int, ...]) -> Any:
    """The inverse of ``_classes_last``: (M, C) back to (N, C, d₁, …)."""
    if len(shape) == 2:
        return rows
    xp = get_array_module(rows)
    moved = rows.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    return xp.moveaxis(moved, -1, 1)


def _sample_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (shape[0],) + tuple(shape[2:])


class CrossEntropy(Function):
    """Softmax cross-entropy on logits z (N, C) or (N, C, d₁, …), fused and stable.

    With p = softmax(z) computed as log pᶜ = zᶜ − m − ln Σⱼ e^{zⱼ − m}  (m = maxⱼ zⱼ, so nothing overflows), and
    a target distribution qᶜ per sample, the loss of one sample is

        ℓ = − Σ_c qᶜ log pᶜ

    - class indices t:  qᶜ = (1 − ε)·w_t·[c = t] + (ε/C)·w_c   (ε = label_smoothing, w = class weights, all 1
      by default; samples with t = ignore_index have q = 0);  "mean" divides by Σᵢ w_{tᵢ} over kept samples.
    - class probabilities y (same shape as z):  qᶜ = w_c·((1 − ε) yᶜ + ε/C);  "mean" divides by the number of
      samples.

    Backward:  ∂ℓ/∂zᶜ = pᶜ·Σ_k q^k − qᶜ,  which for one-hot (or probability) targets without weights is the
    documents' output delta  δ = softmax(z) − y = ŷ − y.  For a probability target that requires grad,
    ∂ℓ/∂yᶜ = −(1 − ε)·w_c·log pᶜ.

    Call as ``CrossEntropy.apply(logits, indices=..., ...)`` or ``CrossEntropy.apply(logits, probabilities, ...)``.
    """

    def forward(self, logits: Any, probabilities: Any = None, indices: Any = None, weight: Any = None,
                reduction: str = "mean", label_smoothing: float = 0.0, ignore_index: int = -100) -> Any:
        xp = get_array_module(logits)
        check_reduction("cross_entropy", reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        if logits.ndim < 2:
            raise ValueError("cross_entropy needs logits of shape (N, C) or (N, C, d1, ...)")
        classes = logits.shape[1]
        if weight is not None and tuple(weight.shape) != (classes,):
            raise ValueError(f"weight has shape {tuple(weight.shape)} but there are {classes} classes: "
                             f"use shape ({classes},)")
        self.shape, self.reduction, self.eps, self.weight = logits.shape, reduction, label_smoothing, weight
        z = _classes_last(logits)
        shifted = z - z.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_total = xp.log(total)
        e /= total  # e is now p = softmax(z)
        self.probs = e
        smoothing = label_smoothing / classes
        if probabilities is None:
            return self._forward_indices(xp, z, shifted, log_total, indices, weight, smoothing, ignore_index)
        if probabilities.shape == _sample_shape(logits.shape) and logits.shape[1] != 1:
            raise TypeError(
                f"cross_entropy: the target is a float tensor of shape {probabilities.shape}, one number per sample: "
                f"class labels must be integers — convert them with y.astype('int64') (a float target is read as "
                f"class probabilities and needs the logits' shape {logits.shape})"
            )
        if probabilities.shape != logits.shape:
            raise ValueError(
                f"class-probability target has shape {probabilities.shape} but the logits have {logits.shape}: "
                "they must match (or pass class indices of shape (N, d1, ...))"
            )
        y = _classes_last(probabilities).astype(z.dtype, copy=False)
        log_p = shifted - log_total
        q = y * (1 - label_smoothing) + smoothing
        if weight is not None:
            q = q * weight
        self.q, self.log_p, self.denominator = q, log_p, z.shape[0]
        losses = -(q * log_p).sum(axis=1)
        return _reduce(losses.reshape(_sample_shape(self.shape)), reduction, self.denominator)

    def composite(self, logits: Any, probabilities: Any = None) -> Any:
        """The loss from its definition on Tensors (second derivatives, autograd.py): −Σ_c qᶜ log softmax(z)ᶜ."""
        classes = self.shape[1]
        log_p = logits.log_softmax(axis=1)
        if probabilities is not None:
            y = _classes_last(probabilities)
            q = y * (1 - self.eps) + self.eps / classes
            if self.weight is not None:
                q = q * self.weight
        else:
            xp = logits.xp
            kept = getattr(self, "kept", None)
            kept = xp.ones(self.t.size, dtype=bool) if kept is None else kept
            target_weight = getattr(self, "target_weight", kept.astype(logits.dtype))
            q = _index_target_matrix(xp, self.t, classes, kept, target_weight, self.weight, self.eps, logits.dtype)
        return _weighted_log_likelihood(log_p, q, self.shape, self.reduction, self.denominator)

    def _forward_indices(self, xp: Any, z: Any, shifted: Any, log_total: Any, indices: Any, weight: Any,
                         smoothing: float, ignore_index: int) -> Any:
        t = indices.reshape(-1)
        if tuple(indices.shape) != _sample_shape(self.shape):
            hint = (f": drop the extra axis with y.reshape(-1) (PyTorch refuses a {indices.shape} target too)"
                    if t.size == z.shape[0] else "")
            raise ValueError(
                f"cross_entropy: class-index target has shape {indices.shape} but the logits {self.shape} need "
                f"{_sample_shape(self.shape)} (one class index per sample){hint}"
            )
        classes = z.shape[1]
        rows = xp.arange(t.size)
        # the range check needs the labels' bounds on the host: on the GPU one copy of both (a sync)
        if not t.size:
            lowest, highest = 0, 0
        elif xp is np:
            lowest, highest = int(t.min()), int(t.max())
        else:
            lowest, highest = to_device(xp.stack((t.min(), t.max())), "cpu").tolist()
        self.fast = (weight is None and not smoothing and self.reduction != "none" and 0 <= lowest
                     and highest < classes and not lowest <= ignore_index <= highest)
        if self.fast:  # the everyday case written out: L = (1/N) Σᵢ (ln Σ_c e^{z̃ᶜ} − z̃_{tᵢ}),  z̃ = z − m
            self.rows, self.t, self.denominator = rows, t, t.size
            total = log_total.sum() - shifted[rows, t].sum()
            return total / t.size if self.reduction == "mean" else total
        kept = t != ignore_index
        safe_t = xp.where(kept, t, 0)
        lowest, highest = (int(safe_t.min()), int(safe_t.max())) if t.size else (0, 0)
        if lowest < 0 or highest >= classes:
            raise IndexError(
                f"cross_entropy: target contains class {lowest if lowest < 0 else highest} but the logits have "
                f"{classes} classes: class indices must be in 0..{classes - 1} (or ignore_index={ignore_index})"
            )
        target_weight = kept.astype(z.dtype) if weight is None else weight[safe_t] * kept
        log_p_target = shifted[rows, safe_t] - log_total[:, 0]
        losses = -(1 - self.eps) * target_weight * log_p_target
        if smoothing:
            # Σ_c w_c log pᶜ = Σ_c w_c (z̃ᶜ − ln Σ e^z̃) without building log p
            if weight is None:
                weighted_sum = shifted.sum(axis=1) - classes * log_total[:, 0]
            else:
                weighted_sum = shifted @ weight - weight.sum() * log_total[:, 0]
            losses = losses - smoothing * weighted_sum * kept
        self.rows, self.t, self.kept, self.target_weight = rows, safe_t, kept, target_weight
        self.denominator = target_weight.sum()
        return _reduce(losses.reshape(_sample_shape(self.shape)), self.reduction, self.denominator)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        p = self.probs
        if getattr(self, "fast", False):  # δ = (softmax(z) − onehot(t)) · ∂L/∂loss / N
            scale = grad if self.reduction == "sum" else grad / grad.dtype.type(self.denominator)
            grad_z = p * scale
            grad_z[self.rows, self.t] -= scale
            return _classes_back(grad_z, self.shape), None
        per_sample = _spread(grad, self.reduction, _sample_shape(self.shape), self.denominator).reshape(-1)
        grad_y = None
        if hasattr(self, "q"):  # probability target
            q_total = self.q.sum(axis=1)
            grad_z = p * (per_sample * q_total)[:, None] - self.q * per_sample[:, None]
            needs = self.needs_input_grad
            if len(needs) > 1 and needs[1]:
                scale = (1 - self.eps) * (1 if self.weight is None else self.weight)
                grad_y = _classes_back(-scale * self.log_p * per_sample[:, None], self.shape)
            return _classes_back(grad_z, self.shape), grad_y
        smoothing = self.eps / p.shape[1]
        weight_total = p.shape[1] if self.weight is None else self.weight.sum()
        q_total = (1 - self.eps) * self.target_weight + smoothing * weight_total * self.kept
        grad_z = p * (per_sample * q_total)[:, None]
        grad_z[self.rows, self.t] -= per_sample * (1 - self.eps) * self.target_weight
        if smoothing:
            spread = (per_sample * smoothing * self.kept)[:, None]
            grad_z -= spread if self.weight is None else spread * self.weight
        return _classes_back(grad_z.astype(p.dtype, copy=False), self.shape), grad_y


class NLLLoss(Function):
    """Negative log-likelihood on log-probabilities x (N, C) or (N, C, d₁, …) and class indices t:

        ℓᵢ = −w_{tᵢ} · x_{i, tᵢ}    ("mean" divides by Σᵢ w_{tᵢ}; samples with tᵢ = ignore_index count 0)

    Backward:  ∂ℓᵢ/∂x_{i,c} = −w_{tᵢ}·[c = tᵢ].   (``cross_entropy`` = ``nll_loss`` of ``log_softmax``.)
    """

    def forward(self, x: Any, indices: Any, weight: Any = None, reduction: str = "mean",
                ignore_index: int = -100) -> Any:
        xp = get_array_module(x)
        check_reduction("nll_loss", reduction)
        if x.ndim < 2:
            raise ValueError("nll_loss needs log-probabilities of shape (N, C) or (N, C, d1, ...)")
        rows_x = _classes_last(x)
        classes = x.shape[1]
        t = indices.reshape(-1)
        if t.size != rows_x.shape[0]:
            raise ValueError(f"target has shape {indices.shape}; input {x.shape} needs {_sample_shape(x.shape)}")
        kept = t != ignore_index
        safe_t = xp.where(kept, t, 0)
        if t.size and (int(safe_t.min()) < 0 or int(safe_t.max()) >= classes):
            raise IndexError(f"nll_loss: target classes must be in 0..{classes - 1} (or ignore_index={ignore_index})")
        rows = xp.arange(t.size)
        target_weight = kept.astype(x.dtype) if weight is None else weight[safe_t] * kept
        losses = -target_weight * rows_x[rows, safe_t]
        self.shape, self.reduction, self.rows, self.t = x.shape, reduction, rows, safe_t
        self.target_weight, self.denominator = target_weight, target_weight.sum()
        return _reduce(losses.reshape(_sample_shape(x.shape)), reduction, self.denominator)

    def composite(self, x: Any) -> Any:
        """ℓ = −Σ_c qᶜ xᶜ with q the weighted one-hot target, on Tensors (second derivatives, autograd.py)."""
        q = _index_target_matrix(x.xp, self.t, self.shape[1], self.target_weight != 0, self.target_weight, None, 0.0,
                                 x.dtype)
        return _weighted_log_likelihood(x, q, self.shape, self.reduction, self.denominator)

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        per_sample = _spread(grad, self.reduction, _sample_shape(self.shape), self.denominator).reshape(-1)
        grad_rows = xp.zeros((self.rows.size, self.shape[1]), dtype=self.target_weight.dtype)
        grad_rows[self.rows, self.t] = -per_sample * self.target_weight
        return _classes_back(grad_rows, self.shape)


class MSELoss(Function):
    """Mean squared error  L = (1/n) Σᵢ (ŷᵢ − yᵢ)²  (``reduction="mean"``; "sum" drops the 1/n).

    Backward:  ∂L/∂ŷᵢ = (2/n)(ŷᵢ − yᵢ),   ∂L/∂yᵢ = −(2/n)(ŷᵢ − yᵢ).
    """

    differentiable_backward = True

    def forward(self, prediction: Any, target: Any, reduction: str = "mean") -> Any:
        check_reduction("mse_loss", reduction)
        self.diff = prediction - target
        self.save_for_backward(prediction, target)
        self.shapes, self.reduction = (prediction.shape, target.shape), reduction
        return _reduce(self.diff * self.diff, reduction)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        scale = grad * 2 if self.reduction != "mean" else grad * (2 / self.diff.size)
        prediction, target = self.saved
        diff = prediction - target if backward_math.is_tensor(grad) else self.diff  # recorded: from the inputs
        grad_prediction = scale * diff
        need_p, need_t = self.needs_input_grad
        return (unbroadcast(grad_prediction, self.shapes[0]) if need_p else None,
                unbroadcast(-grad_prediction, self.shapes[1]) if need_t else None)


class BinaryCrossEntropy(Function):
    """Binary cross-entropy on probabilities x ∈ [0, 1] and targets y:

        ℓᵢ = −wᵢ (yᵢ log xᵢ + (1 − yᵢ) log(1 − xᵢ))     (each log clamped at −100, as PyTorch, so x = 0 or 1
                                                            gives a large finite loss instead of inf)
    Backward:  ∂ℓᵢ/∂xᵢ = wᵢ (xᵢ − yᵢ) / max(xᵢ(1 − xᵢ), 10⁻¹²),   ∂ℓᵢ/∂yᵢ = −wᵢ (log xᵢ − log(1 − xᵢ)).
    """

    def forward(self, x: Any, y: Any, weight: Any = None, reduction: str = "mean") -> Any:
        xp = get_array_module(x)
        check_reduction("binary_cross_entropy", reduction)
        if x.shape != y.shape:
            raise ValueError(f"binary_cross_entropy: input {x.shape} and target {y.shape} must have the same shape")
        if x.size and (float(x.min()) < 0 or float(x.max()) > 1):
            raise ValueError("binary_cross_entropy needs probabilities in [0, 1]: apply sigmoid first, or use "
                             "binary_cross_entropy_with_logits on the raw scores (more stable)")
        with np.errstate(divide="ignore"):  # log 0 = −inf is expected here and clamped
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        w = 1 if weight is None else weight
        self.save_for_backward(x, y)
        self.log_x, self.log_1mx, self.w, self.reduction = log_x, log_1mx, w, reduction
        losses = -w * (y * log_x + (1 - y) * log_1mx)
        return _reduce(xp.broadcast_to(losses, x.shape), reduction)

    def composite(self, x: Any, y: Any) -> Any:
        """The loss from its definition on Tensors (second derivatives, autograd.py)."""
        with np.errstate(divide="ignore"):
            log_x, log_1mx = x.log().maximum(-100.0), (1 - x).log().maximum(-100.0)
        return _reduce_tensor(-self.w * (y * log_x + (1 - y) * log_1mx), x.shape, self.reduction)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        xp = get_array_module(x)
        per_element = _spread(grad, self.reduction, x.shape, x.size)
        need_x, need_y = self.needs_input_grad
        grad_x = per_element * self.w * (x - y) / xp.maximum(x * (1 - x), 1e-12) if need_x else None
        grad_y = -per_element * self.w * (self.log_x - self.log_1mx) if need_y else None
        return grad_x, grad_y


class BinaryCrossEntropyWithLogits(Function):
    """Binary cross-entropy on logits z (sigmoid fused in), stable for any z:

        ℓᵢ = wᵢ [ (1 − yᵢ) zᵢ + lᵢ · softplus(−zᵢ) ],   lᵢ = 1 + (pos_weight − 1) yᵢ,
        softplus(−z) = ln(1 + e^{−z}) = max(−z, 0) + ln(e^{−max(−z,0)} + e^{−z−max(−z,0)})

    which equals −w (y log σ(z) + (1 − y) log(1 − σ(z))) when pos_weight = 1, without ever forming σ(z) = 0 or 1.

    Backward:  ∂ℓ/∂z = w [ (1 − y) − l·σ(−z) ]  (= w (σ(z) − y) when pos_weight = 1),
               ∂ℓ/∂y = w [ −z + (pos_weight − 1)·softplus(−z) ].
    """

    def forward(self, z: Any, y: Any, weight: Any = None, pos_weight: Any = None, reduction: str = "mean") -> Any:
        xp = get_array_module(z)
        check_reduction("binary_cross_entropy_with_logits", reduction)
        if z.shape != y.shape:
            raise ValueError(f"binary_cross_entropy_with_logits: input {z.shape} and target {y.shape} must match")
        biggest = xp.maximum(-z, 0)
        softplus_neg = biggest + xp.log(xp.exp(-biggest) + xp.exp(-z - biggest))
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        w = 1 if weight is None else weight
        losses = w * ((1 - y) * z + log_weight * softplus_neg)
        self.save_for_backward(z, y)
        self.softplus_neg, self.log_weight, self.w, self.pos_weight = softplus_neg, log_weight, w, pos_weight
        self.reduction = reduction
        return _reduce(xp.broadcast_to(losses, z.shape), reduction)

    def composite(self, z: Any, y: Any) -> Any:
        """The loss from its definition on Tensors (second derivatives, autograd.py)."""
        biggest = (-z).maximum(0.0)
        softplus_neg = biggest + ((-biggest).exp() + (-z - biggest).exp()).log()
        log_weight = 1 if self.pos_weight is None else 1 + (self.pos_weight - 1) * y
        return _reduce_tensor(self.w * ((1 - y) * z + log_weight * softplus_neg), z.shape, self.reduction)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        z, y = self.saved
        per_element = _spread(grad, self.reduction, z.shape, z.size)
        need_z, need_y = self.needs_input_grad
        grad_z = grad_y = None
        if need_z:
            sigmoid_neg = stable_sigmoid(-z)  # σ(−z) = 1/(1 + e^{z}), without overflow
            grad_z = per_element * self.w * ((1 - y) - self.log_weight * sigmoid_neg)
        if need_y:
            extra = 0 if self.pos_weight is None else (self.pos_weight - 1) * self.softplus_neg
            grad_y = per_element * self.w * (-z + extra)
        return grad_z, grad_y

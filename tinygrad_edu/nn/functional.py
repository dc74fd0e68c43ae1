"""The functional API (``import tinygrad_edu.nn.functional as F``): layers and losses as plain functions.

Argument names and defaults are PyTorch's (``dim``, ``reduction="mean"``, ``ignore_index=-100`` …), so code
written for ``torch.nn.functional`` reads the same here. Each function hands its work to one fused op in
``tinygrad_edu/ops`` whose docstring has the formula and the backward; where the formula is short it is
repeated here.

Other parts of the project add their functions to this module (convolution, pooling, attention, …): add the
import below and the name to ``__all__``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend, ops
from ..ops import activation_more, linalg, movement
from ..ops.broadcast import normalize_dim
from ..ops.loss import check_reduction
from ..tensor import Tensor, maximum, where
from .attention import scaled_dot_product_attention
from .conv import conv2d
from .embedding import embedding
from .layernorm import layer_norm
from .layers_more import (
    avg_pool1d,
    conv1d,
    conv_transpose1d,
    conv_transpose2d,
    group_norm,
    instance_norm,
    max_pool1d,
    pixel_shuffle,
    pixel_unshuffle,
)
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "batch_norm", "cross_entropy", "dropout",
    "gelu", "l1_loss", "leaky_relu", "linear", "log_softmax", "mse_loss", "nll_loss", "pad", "relu", "relu6", "sigmoid",
    "softmax", "softmax_cross_entropy_simple", "tanh",
    "adaptive_avg_pool2d", "avg_pool2d", "conv2d", "max_pool2d",
    "embedding", "layer_norm", "scaled_dot_product_attention",
    "distillation_loss", "kl_div",
    "celu", "cosine_embedding_loss", "cosine_similarity", "dropout1d", "dropout2d", "elu", "glu", "hardshrink",
    "hardsigmoid", "hardswish", "hardtanh", "huber_loss", "interpolate", "logsigmoid", "mish", "normalize", "one_hot",
    "pairwise_distance", "prelu", "selu", "silu", "smooth_l1_loss", "softmin", "softplus", "softshrink", "softsign",
    "tanhshrink", "threshold", "upsample",
    "avg_pool1d", "conv1d", "conv_transpose1d", "conv_transpose2d", "group_norm", "instance_norm", "max_pool1d",
    "pixel_shuffle", "pixel_unshuffle",
]


# ------------------------------------------------------------------------------------------ layers


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """The affine map of a fully connected layer, ``ops.Linear`` (formula and backward there); W has the shape
    (out_features, in_features), ``bias=None`` leaves b out."""
    return ops.Linear.apply(input, weight, bias)


def relu(input: Tensor) -> Tensor:  # noqa: A002
    """a = max(z, 0)."""
    return ops.ReLU.apply(input)


def relu6(input: Tensor) -> Tensor:  # noqa: A002
    """a = min(max(z, 0), 6)."""
    return ops.ReLU6.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """a = z for z > 0, negative_slope·z otherwise."""
    return ops.LeakyReLU.apply(input, negative_slope=negative_slope)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """a = σ(z) = 1 / (1 + e⁻ᶻ)."""
    return ops.Sigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """a = tanh z."""
    return ops.Tanh.apply(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """a = z·Φ(z) (``approximate="tanh"``: the tanh formula)."""
    return ops.GELU.apply(input, approximate=approximate)


def _require_dim(name: str, dim: int | None) -> int:
    if dim is None:
        raise TypeError(f"{name}(..., dim=None): say which axis to normalise over, e.g. dim=-1 for the class axis "
                        "of (N, C) logits (PyTorch's implicit choice of dim is deprecated)")
    return dim


def softmax(input: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """sᵢ = e^{zᵢ} / Σⱼ e^{zⱼ} along ``dim`` (computed with the max subtracted, so it never overflows)."""
    return ops.Softmax.apply(input, axis=_require_dim("softmax", dim))


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """yᵢ = zᵢ − log Σⱼ e^{zⱼ} along ``dim`` (stable for any logits)."""
    return ops.LogSoftmax.apply(input, axis=_require_dim("log_softmax", dim))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1 − p), in training only.

    ``inplace`` is accepted for PyTorch compatibility and ignored (a new tensor is always returned).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got p={p}")
    if not training or p == 0.0:
        return input
    return ops.Dropout.apply(input, p=p)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,  # noqa: A002
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = γ (x − μ)/√(σ² + ε) + β per channel (axis 1); see ``ops.BatchNorm`` for the statistics used in
    training and evaluation and the backward. ``running_mean`` / ``running_var`` are updated in place in
    training (when given)."""
    channels = input.shape[1] if input.ndim >= 2 else 0
    xp = input.xp
    if weight is None:
        weight = Tensor._from_op(xp.ones(channels, dtype=input.dtype), None)
    if bias is None:
        bias = Tensor._from_op(xp.zeros(channels, dtype=input.dtype), None)
    return ops.BatchNorm.apply(
        input, weight, bias,
        running_mean=None if running_mean is None else running_mean.data,
        running_var=None if running_var is None else running_var.data,
        training=training, momentum=momentum, eps=eps,
    )


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """Padding with PyTorch's flat, last-axis-first ``pad``: (left, right) pads the last axis, (left, right,
    top, bottom) the last two, and so on; negative amounts crop. ``mode``: "constant" (``value``), "reflect",
    "replicate" or "circular" (see ``ops.movement.pad``). (``Tensor.pad`` takes NumPy's per-axis pairs.)"""
    return movement.pad(input, pad, mode, value)


# ------------------------------------------------------------------------------------------ losses


def _as_tensor_like(value: Any, reference: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor._from_op(reference.xp.asarray(value, dtype=reference.dtype), None)


def _array_or_none(value: Any, reference: Tensor) -> Any:
    if value is None:
        return None
    data = value.data if isinstance(value, Tensor) else reference.xp.asarray(value)
    return data.astype(reference.dtype, copy=False)


def _check_same_shape(name: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    if input.shape != target.shape:
        warnings.warn(
            f"{name}: input {input.shape} and target {target.shape} differ in shape and will be broadcast, which is "
            "rarely intended (e.g. (N, 1) against (N,) gives an (N, N) loss): reshape one of them",
            UserWarning, stacklevel=3,
        )


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error  MSE = (1/n) Σᵢ (yᵢ − ŷᵢ)²  (the documents' regression loss; "sum": no 1/n).

    One document writes MSE = 1/(2n) Σ (yᵢ − ŷᵢ)². The ½ only cancels the 2 of the derivative, so its gradient
    (1/n)(ŷ − y) is half of ours (2/n)(ŷ − y): the minimum is the same and a learning rate twice as large gives
    the same steps. PyTorch and this library use 1/n.
    """
    target = _as_tensor_like(target, input)
    _check_same_shape("mse_loss", input, target)
    return ops.MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean absolute error  L = (1/n) Σᵢ |ŷᵢ − yᵢ|;  ∂L/∂ŷᵢ = sign(ŷᵢ − yᵢ)/n (0 where they are equal)."""
    check_reduction("l1_loss", reduction)
    target = _as_tensor_like(target, input)
    _check_same_shape("l1_loss", input, target)
    losses = (input - target).abs()
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between softmax(logits) and the target, fused and stable:  ℓ = −Σ_c yᶜ log softmax(z)ᶜ.

    ``input``: logits (N, C) or (N, C, d₁, …) or one sample (C,). ``target``: class indices (an integer tensor of
    shape (N,) or (N, d₁, …)) or class probabilities (a float tensor of the input's shape). ``weight`` rescales
    each class, ``ignore_index`` skips samples with that class, ``label_smoothing`` ε mixes the target with the
    uniform distribution: y ← (1 − ε) y + ε/C. Logits of any size (±1e4) give a finite loss and gradient.

    The gradient is the documents' output delta  ∂ℓ/∂z = softmax(z) − y  (divided by N for "mean").
    The formula with weights, smoothing and the "mean" denominator is in ``ops.CrossEntropy``.
    """
    squeeze = input.ndim == 1  # one sample: logits (C,) with a class index () or probabilities (C,)
    if squeeze:
        input = input.reshape(1, -1)
    options = dict(weight=None if weight is None else _array_or_none(weight, input), reduction=reduction,
                   label_smoothing=label_smoothing, ignore_index=ignore_index)
    if isinstance(target, Tensor) and target.dtype.kind == "f":
        if squeeze:
            target = target.reshape(1, -1)
        out = ops.CrossEntropy.apply(input, target, **options)
    else:
        indices = target.data if isinstance(target, Tensor) else input.xp.asarray(target)
        if indices.dtype.kind not in "iu":
            raise TypeError(f"cross_entropy: target of dtype {indices.dtype} is neither class indices (integers) nor "
                            "class probabilities (a float Tensor of the logits' shape)")
        out = ops.CrossEntropy.apply(input, indices=indices.reshape(-1) if squeeze else indices, **options)
    return out.reshape(()) if squeeze and reduction == "none" else out


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood  ℓᵢ = −w_{tᵢ} xᵢ,ₜᵢ  on log-probabilities x (apply ``log_softmax`` first)."""
    squeeze = input.ndim == 1
    if squeeze:
        input = input.reshape(1, -1)
    indices = target.data if isinstance(target, Tensor) else input.xp.asarray(target)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"nll_loss: target must hold class indices (integers), got dtype {indices.dtype}")
    out = ops.NLLLoss.apply(input, indices=indices.reshape(-1) if squeeze else indices,
                            weight=_array_or_none(weight, input), reduction=reduction, ignore_index=ignore_index)
    return out.reshape(()) if squeeze and reduction == "none" else out


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                         reduction: str = "mean") -> Tensor:
    """ℓᵢ = −wᵢ (yᵢ log xᵢ + (1 − yᵢ) log(1 − xᵢ)) on probabilities x (logs clamped at −100, as PyTorch).
    Prefer ``binary_cross_entropy_with_logits`` on raw scores: it is stable where σ(z) rounds to 0 or 1."""
    target = _as_tensor_like(target, input)
    return ops.BinaryCrossEntropy.apply(input, target, weight=_array_or_none(weight, input), reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of σ(z) fused with the sigmoid, stable for any logits z; the gradient is σ(z) − y.
    ``pos_weight`` multiplies the loss of positive targets (per class, broadcast over the last axis)."""
    target = _as_tensor_like(target, input)
    return ops.BinaryCrossEntropyWithLogits.apply(
        input, target, weight=_array_or_none(weight, input), pos_weight=_array_or_none(pos_weight, input),
        reduction=reduction,
    )


def softmax_cross_entropy_simple(logits: Tensor, target: Any) -> Tensor:
    """The teaching version of ``cross_entropy``, composed from primitive ops so every step is visible:

        p = softmax(z) = e^z / Σ e^z,    ℓᵢ = −log p_{i, tᵢ},    L = (1/N) Σᵢ ℓᵢ

    Each op sends its own gradient back and the chain rule assembles δ = p − y. It is correct for moderate
    logits, but e^z overflows to inf for z ≳ 89 (float32) and log p underflows to log 0 = −inf for very wrong
    predictions; use the fused, stable ``cross_entropy`` for real work (the tests show both).
    """
    indices = target.data if isinstance(target, Tensor) else logits.xp.asarray(target)
    e = logits.exp()
    probabilities = e / e.sum(axis=1, keepdims=True)
    picked = probabilities[logits.xp.arange(logits.shape[0]), indices]
    return -(picked.log().mean())


# ------------------------------------------------------------------------------------------- distillation

KL_REDUCTIONS = ("none", "batchmean", "sum", "mean")


def kl_div(input: Tensor, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:  # noqa: A002
    """Kullback–Leibler divergence KL(p ‖ q) with PyTorch's argument order and semantics: ``input`` holds
    log-probabilities log q (e.g. ``log_softmax``), ``target`` holds probabilities p (log p if ``log_target``):

        ℓᵢ = pᵢ · (log pᵢ − log qᵢ)      (0 where pᵢ = 0, the limit of p log p)

    ``reduction``: ``"batchmean"`` Σ ℓ / N — the KL divergence per sample, what the formula means; ``"sum"``;
    ``"none"``; ``"mean"`` Σ ℓ / (number of elements), PyTorch's default, which divides by the classes too (a
    warning says so, as PyTorch's does). Differentiable in both arguments.
    """
    if reduction not in KL_REDUCTIONS:
        raise ValueError(f"kl_div(reduction={reduction!r}): use one of {', '.join(map(repr, KL_REDUCTIONS))}")
    target = _as_tensor_like(target, input)
    _check_same_shape("kl_div", input, target)
    if log_target:
        losses = target.exp() * (target - input)
    else:
        safe = (target.data > 0)
        log_p = target.where(safe, 1.0).log()  # log p where p > 0, log 1 = 0 elsewhere (then multiplied by p = 0)
        losses = target * (log_p - input)
    if reduction == "none":
        return losses
    if reduction == "batchmean":
        return losses.sum() / (input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn("kl_div(reduction='mean') divides the total loss by the number of elements, not by the batch "
                      "size: use reduction='batchmean' for the KL divergence per sample", UserWarning, stacklevel=2)
        return losses.mean()
    return losses.sum()


def distillation_loss(student_logits: Tensor, teacher_logits: Any, target: Any, temperature: float = 4.0,
                      alpha: float = 0.9) -> Tensor:
    """Knowledge distillation (Hinton et al. 2015): the student learns the teacher's softened outputs and the labels,

        L = α · T² · KL(softmax(z_t / T) ‖ softmax(z_s / T)) + (1 − α) · CE(z_s, y)

    with KL per sample (``kl_div(..., reduction="batchmean")``). A temperature T > 1 flattens both distributions
    so that the teacher's small probabilities — which wrong classes look alike — carry weight; the gradient of the
    soft term with respect to z_s is (softmax(z_s/T) − softmax(z_t/T)) / T per sample, so the T² keeps its size
    comparable to the hard term's when T changes. The teacher's logits are constants (no gradient flows into the
    teacher). ``target``: class indices for the cross-entropy.
    """
    if not temperature > 0:
        raise ValueError(f"distillation_loss(temperature={temperature}): T must be positive (T = 1: plain softmax)")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation_loss(alpha={alpha}): α weighs the soft term against the labels, in [0, 1]")
    teacher = _as_tensor_like(teacher_logits, student_logits).detach()
    if tuple(teacher.shape) != tuple(student_logits.shape):
        raise ValueError(f"distillation_loss: student logits {tuple(student_logits.shape)} and teacher logits "
                         f"{tuple(teacher.shape)} must have the same shape (N, classes)")
    soft_targets = (teacher / temperature).softmax(axis=1)
    soft = kl_div((student_logits / temperature).log_softmax(axis=1), soft_targets, reduction="batchmean")
    hard = cross_entropy(student_logits, target)
    return soft * (alpha * temperature**2) + hard * (1.0 - alpha)


# ------------------------------------------------------------------------------------------ issue 18: more activations,
# distances, resizing and losses (formulas in ops/activation_more.py where one Function computes them)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """a = z·σ(z) (swish); ``ops.activation_more.SiLU``."""
    return activation_more.SiLU.apply(input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """a = z for z > 0, α(eᶻ − 1) otherwise; ``ops.activation_more.ELU``."""
    return activation_more.ELU.apply(input, alpha=alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """a = λ·elu(z, α) with α ≈ 1.6733, λ ≈ 1.0507 (self-normalising); ``ops.activation_more.ELU``."""
    return activation_more.ELU.apply(input, alpha=_SELU_ALPHA, scale=_SELU_SCALE)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """a = max(0, z) + min(0, α(e^{z/α} − 1)); ``ops.activation_more.ELU`` with input_scale 1/α."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (the formula divides by it)")
    return activation_more.ELU.apply(input, alpha=alpha, input_scale=1 / alpha)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """a = (1/β) ln(1 + e^{βz}), the identity where βz > threshold; ``ops.activation_more.Softplus``."""
    return activation_more.Softplus.apply(input, beta=beta, threshold=threshold)


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """a = z / (1 + |z|); ``ops.activation_more.Softsign``."""
    return activation_more.Softsign.apply(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """a = z·tanh(softplus(z)); ``ops.activation_more.Mish``."""
    return activation_more.Mish.apply(input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """a = clamp(z, min_val, max_val); ``ops.activation_more.Hardtanh``."""
    return activation_more.Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """a = z·clamp(z + 3, 0, 6)/6; ``ops.activation_more.Hardswish``."""
    return activation_more.Hardswish.apply(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """a = clamp(z/6 + ½, 0, 1); ``ops.activation_more.Hardsigmoid``."""
    return activation_more.Hardsigmoid.apply(input)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """a = ln σ(z) = −softplus(−z); ``ops.activation_more.LogSigmoid``."""
    return activation_more.LogSigmoid.apply(input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """a = z where |z| > λ, else 0; ``ops.activation_more.Shrink``."""
    return activation_more.Shrink.apply(input, kind="hard", lambd=lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """a = z − λ·sign(z) where |z| > λ, else 0; ``ops.activation_more.Shrink``."""
    return activation_more.Shrink.apply(input, kind="soft", lambd=lambd)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """a = z where z > threshold, else value; ``ops.activation_more.Shrink``."""
    return activation_more.Shrink.apply(input, kind="threshold", lambd=threshold, value=value)


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """a = z − tanh z. Composed (Sub, Tanh): ∂a/∂z = tanh² z."""
    return input - input.tanh()


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """Gated linear unit: split ``input`` in halves a, b along ``dim``;  out = a ⊙ σ(b).
    Composed (slicing, Sigmoid, Mul): ∂L/∂a = ∂L/∂out ⊙ σ(b),  ∂L/∂b = ∂L/∂out ⊙ a σ(b)(1 − σ(b))."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = normalize_dim(dim, input.ndim, "glu")
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {input.shape[dim]}")
    a, b = input.split(input.shape[dim] // 2, dim)
    return a * b.sigmoid()


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """sᵢ = e^{−zᵢ} / Σⱼ e^{−zⱼ} along ``dim``: softmax(−z). Composed (Neg, Softmax)."""
    if dtype is not None:
        input = input.astype(dtype)
    return softmax(-input, dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """Parametric ReLU  a = z for z > 0, w_c·z otherwise, with one learned slope per channel (axis 1) or one for
    all. Composed (Where, Mul): ∂L/∂z = ∂L/∂a ⊙ (1 if z > 0 else w),  ∂L/∂w_c = Σ_{z ≤ 0 in channel c} ∂L/∂a · z."""
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-D or 1-D (one slope per channel), got shape {tuple(weight.shape)}")
    slopes = weight.numel()
    if slopes != 1:
        channels = input.shape[1] if input.ndim >= 2 else (input.shape[0] if input.ndim else 1)
        if channels != slopes:
            raise ValueError(f"prelu: weight has {slopes} slopes but the input of shape {tuple(input.shape)} has "
                             f"{channels} channels (axis 1): use one slope per channel, or one for all")
        if input.ndim >= 2:
            weight = weight.reshape(slopes, *([1] * (input.ndim - 2)))
    elif weight.ndim == 1:
        weight = weight.reshape(())
    return where(input.data > 0, input, input * weight)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """y[…, c] = 1 where tensor[…] = c, else 0: an int64 tensor with one more axis of length ``num_classes``
    (−1: max + 1). Not differentiable (the input is indices)."""
    data = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    xp = backend.get_array_module(data)
    if data.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensor (int64), got dtype {data.dtype}")
    if data.size and int(data.min()) < 0:
        raise RuntimeError("one_hot: Class values must be non-negative.")
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    elif data.size and int(data.max()) >= num_classes:
        raise RuntimeError(f"one_hot: Class values must be smaller than num_classes ({num_classes}), got "
                           f"{int(data.max())}.")
    return Tensor._from_op((data[..., None] == xp.arange(num_classes)).astype(np.int64), None)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Tensor:  # noqa: A002
    """v / max(‖v‖_p, ε) for each vector v along ``dim``. Composed (VectorNorm, Maximum, Div)."""
    norms = linalg.vector_norm(input, p, dim, keepdim=True)
    return input / maximum(norms, eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cos θ = Σᵢ (x1ᵢ / max(‖x1‖, ε)) (x2ᵢ / max(‖x2‖, ε)) along ``dim`` (inputs broadcast), PyTorch's way of
    keeping it finite at 0. Composed (VectorNorm, Maximum, Div, Mul, Sum)."""
    shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.broadcast_to(shape), x2.broadcast_to(shape)
    dim = normalize_dim(dim, len(shape), "cosine_similarity")
    unit1 = x1 / maximum(linalg.vector_norm(x1, 2, dim, keepdim=True), eps)
    unit2 = x2 / maximum(linalg.vector_norm(x2, 2, dim, keepdim=True), eps)
    return (unit1 * unit2).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """d = ‖x1 − x2 + ε‖_p over the last axis (inputs broadcast). Composed (Sub, Add, VectorNorm)."""
    difference = x1 - x2 + eps
    if difference.ndim == 0:
        return linalg.vector_norm(difference, p, None, keepdim)
    return linalg.vector_norm(difference, p, -1, keepdim)


def _channel_dropout(name: str, input: Tensor, p: float, training: bool, spatial: int) -> Tensor:  # noqa: A002
    """Zero whole channels: one Bernoulli(1 − p) draw per (sample, channel), the last ``spatial`` axes share it;
    survivors scaled by 1/(1 − p). Composed: a constant mask times the input (∂L/∂x = ∂L/∂y ⊙ mask/(1 − p))."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received a "
                           f"{input.ndim}D input of shape {tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    mask_shape = tuple(input.shape[: input.ndim - spatial]) + (1,) * spatial
    if p == 1.0:
        return input * input.xp.zeros(mask_shape, dtype=input.dtype)
    uniform = backend.generator(input.device).random(mask_shape)
    return input * ((uniform >= p) / (1 - p)).astype(input.dtype)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Channel dropout of (N, C, L) / (C, L) inputs: whole channels zeroed with probability p."""
    return _channel_dropout("dropout1d", input, p, training, 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Channel dropout of (N, C, H, W) / (C, H, W) inputs: whole feature maps zeroed with probability p."""
    return _channel_dropout("dropout2d", input, p, training, 2)


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",  # noqa: A002
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize (N, C, W) or (N, C, H, W) to ``size`` or by ``scale_factor``: mode 'nearest', 'linear' (3-D) or
    'bilinear' (4-D, with ``align_corners``). Formula and backward: ``ops.activation_more.Interpolate``."""
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not implemented")
    out_size, scales = activation_more.check_interpolate(tuple(input.shape), size, scale_factor, mode, align_corners)
    if recompute_scale_factor:
        scales = (None,) * len(scales)
    return activation_more.Interpolate.apply(input, size=out_size, scales=scales, mode=mode,
                                             align_corners=bool(align_corners))


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",  # noqa: A002
             align_corners: bool | None = None) -> Tensor:
    """The old name of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def _elementwise_loss(name: str, input: Tensor, target: Any, reduction: str) -> tuple[Tensor, Tensor]:  # noqa: A002
    check_reduction(name, reduction)
    target = _as_tensor_like(target, input)
    _check_same_shape(name, input, target)
    return input - target, target


def _reduce_losses(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def smooth_l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1:  ℓ = ½ d²/β where |d| < β, |d| − ½β otherwise (d = input − target; β = 0: L1).
    Composed (Where, Abs, Mul): ∂ℓ/∂d = d/β inside, sign(d) outside."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    difference, _ = _elementwise_loss("smooth_l1_loss", input, target, reduction)
    absolute = difference.abs()
    if beta == 0:
        return _reduce_losses(absolute, reduction)
    losses = where(absolute.data < beta, difference * difference * (0.5 / beta), absolute - 0.5 * beta)
    return _reduce_losses(losses, reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight: Any = None) -> Tensor:
    """Huber:  ℓ = ½ d² where |d| < δ, δ(|d| − ½δ) otherwise (= δ · smooth_l1 with β = δ).
    Composed: ∂ℓ/∂d = d inside, δ·sign(d) outside."""
    if delta <= 0:
        raise ValueError(f"huber_loss does not support non-positive values for delta, got {delta}")
    difference, _ = _elementwise_loss("huber_loss", input, target, reduction)
    absolute = difference.abs()
    losses = where(absolute.data < delta, difference * difference * 0.5, (absolute - 0.5 * delta) * delta)
    if weight is not None:
        losses = losses * weight
    return _reduce_losses(losses, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                          size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """ℓ = 1 − cos(x1, x2) where y = 1,  max(0, cos(x1, x2) − margin) where y = −1 (cos over the last axis;
    PyTorch's ε = 1e-12 on the squared norms). Composed."""
    check_reduction("cosine_embedding_loss", reduction)
    dim = input1.ndim - 1
    eps = 1e-12
    product = (input1 * input2).sum(dim)
    magnitude = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = product / magnitude.sqrt()
    labels = target.data if isinstance(target, Tensor) else np.asarray(target)
    losses = where(labels == 1, 1 - cos, (cos - margin).relu())
    losses = where(labels == 0, cos * 0, losses) if (labels == 0).any() else losses
    return _reduce_losses(losses, reduction)
# ------------------------------------------------------------------------------------------ windows (issue 18)


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:  # noqa: A002
    """im2col: (N, C, H, W) → (N, C·kh·kw, L), one column per kh×kw window (``ops.movement.Unfold``).
    ``conv2d(x, w)`` equals ``(w.view(C_out, -1) @ unfold(x, k)).view(N, C_out, OH, OW)``."""
    return movement.unfold2d(input, kernel_size, dilation, padding, stride)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
         stride: Any = 1) -> Tensor:
    """col2im: (N, C·kh·kw, L) → (N, C, H, W), overlapping entries summed: the adjoint of ``unfold``
    (``ops.movement.Fold``), not its inverse."""
    return movement.fold(input, output_size, kernel_size, dilation, padding, stride)


__all__ += ["fold", "unfold"]

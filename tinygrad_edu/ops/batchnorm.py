"""Batch normalisation as one op with the closed-form backward (instead of a graph of a dozen primitives)."""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..backend import get_array_module


def update_running_stats(running_mean: Any, running_var: Any, mean: Any, var: Any, n: float, momentum: float) -> None:
    """In place: r ← (1 − m) r + m · batch statistic, with the variance unbiased (× n/(n − 1)) as PyTorch keeps it.
    Either buffer may be None (``track_running_stats=False``)."""
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean.astype(running_mean.dtype, copy=False)
    if running_var is not None:
        running_var *= 1 - momentum
        running_var += (momentum * n / (n - 1)) * var.astype(running_var.dtype, copy=False)

class BatchNorm(Function):
    """Batch normalisation over every axis but the channel axis 1 of x (N, C) or (N, C, d₁, …):

        μ_c = mean of x over the batch (and spatial) positions of channel c,   σ²_c = their *biased* variance
        x̂ = (x − μ) / √(σ² + ε),    y = γ ⊙ x̂ + β

    In training the batch statistics are used, and when ``running_mean`` / ``running_var`` arrays are given they
    are updated in place with the *unbiased* variance (PyTorch's rule):
        running_mean ← (1 − momentum)·running_mean + momentum·μ
        running_var  ← (1 − momentum)·running_var  + momentum·σ²·n/(n − 1)
    In evaluation (``training=False``) the running statistics replace μ and σ².

    Backward (training), with n values per channel and g = ∂L/∂y:
        ∂L/∂γ = Σ g ⊙ x̂,   ∂L/∂β = Σ g,
        ∂L/∂x = γ/√(σ² + ε) · (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂))   (means per channel)
    Backward (evaluation): ∂L/∂x = γ/√(running_var + ε) · g  (a fixed affine map).
    """

    def forward(self, x: Any, weight: Any, bias: Any, running_mean: Any = None, running_var: Any = None,
                training: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Any:
        xp = get_array_module(x)
        if x.ndim < 2:
            raise ValueError(f"batch_norm needs input of shape (N, C) or (N, C, ...), got {x.shape}")
        channels = x.shape[1]
        if weight.shape != (channels,) or bias.shape != (channels,):
            raise ValueError(f"batch_norm: input has {channels} channels but weight/bias have shapes "
                             f"{weight.shape}/{bias.shape}: they must be ({channels},)")
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, channels) + (1,) * (x.ndim - 2)
        if training:
            n = x.size // channels
            if n <= 1:
                raise ValueError(f"batch_norm in training needs more than 1 value per channel, got input {x.shape}: "
                                 "use a larger batch, or call .eval() to normalise with the running statistics")
            mean = x.mean(axis=axes)
            centered = x - mean.reshape(shape)
            var = (centered * centered).mean(axis=axes)
            update_running_stats(running_mean, running_var, mean, var, n, momentum)
        else:
            if running_mean is None or running_var is None:
                raise ValueError("batch_norm with training=False needs running_mean and running_var")
            mean, var = running_mean.astype(x.dtype, copy=False), running_var.astype(x.dtype, copy=False)
            centered = x - mean.reshape(shape)
        inv_std = 1 / xp.sqrt(var + eps)
        x_hat = centered * inv_std.reshape(shape)
        self.x_hat, self.inv_std, self.weight = x_hat, inv_std, weight
        self.axes, self.shape, self.training = axes, shape, training
        return x_hat * weight.reshape(shape) + bias.reshape(shape)

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        need_x, need_w, need_b = self.needs_input_grad
        x_hat, axes, shape = self.x_hat, self.axes, self.shape
        grad_x = grad_w = grad_b = None
        if need_w or (need_x and self.training):
            grad_w_full = (grad * x_hat).sum(axis=axes)
            grad_w = grad_w_full if need_w else None
        if need_b or (need_x and self.training):
            grad_b_full = grad.sum(axis=axes)
            grad_b = grad_b_full if need_b else None
        if need_x:
            scale = (self.weight * self.inv_std).reshape(shape)
            if self.training:
                n = grad.size // grad.shape[1]
                mean_g = (grad_b_full / n).reshape(shape)
                mean_gx = (grad_w_full / n).reshape(shape)
                grad_x = scale * (grad - mean_g - x_hat * mean_gx)
            else:
                grad_x = scale * grad
        return grad_x, grad_w, grad_b

"""Batch normalisation layers with PyTorch's train/eval behaviour and running statistics."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, ops
from ..tensor import Tensor
from .module import Module, Parameter


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d: y = γ (x − μ)/√(σ² + ε) + β per channel.

    Training: μ, σ² are the batch's (biased) statistics, and the running estimates are updated with momentum
    (``momentum=None``: a cumulative average over all batches, 1/num_batches_tracked). Evaluation: the running
    estimates are used (or the batch's when ``track_running_stats=False``). Parameters ``weight`` (γ, ones) and
    ``bias`` (β, zeros) exist when ``affine=True``; buffers ``running_mean`` (zeros), ``running_var`` (ones) and
    ``num_batches_tracked`` (an int64 counter) when ``track_running_stats=True`` — PyTorch's names, so a PyTorch
    state_dict loads unchanged. Formulas and backward: ``ops.BatchNorm``.
    """

    expected_ndim: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        add_normalization_state(self, num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim not in self.expected_ndim:
            raise ValueError(f"{type(self).__name__} expects input with {' or '.join(map(str, self.expected_ndim))} "
                             f"axes (N, C{', ...' if max(self.expected_ndim) > 2 else ''}), got shape {input.shape}")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) got input of shape {input.shape}: axis 1 "
                             f"(the channels) must be {self.num_features}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or not self.track_running_stats
        weight, bias = self.weight, self.bias
        xp = input.xp
        if weight is None:
            weight = Tensor._from_op(xp.ones(self.num_features, dtype=input.dtype), None)
            bias = Tensor._from_op(xp.zeros(self.num_features, dtype=input.dtype), None)
        track = self.training and self.track_running_stats
        return ops.BatchNorm.apply(
            input, weight, bias,
            running_mean=self.running_mean.data if (track or not use_batch_stats) else None,
            running_var=self.running_var.data if (track or not use_batch_stats) else None,
            training=use_batch_stats, momentum=momentum, eps=self.eps,
        )

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C (statistics over N and L)."""

    expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images (N, C, H, W), per channel C (statistics over N, H and W)."""

    expected_ndim = (4,)


def add_affine_parameters(module: Module, num_features: int, affine: bool, device: str | None,
                          dtype: Any) -> tuple[Any, np.dtype]:
    """γ (``weight``, ones) and β (``bias``, zeros) of a normalisation layer when ``affine``, else registered as
    None (PyTorch's names); returns the array module and dtype they were made with."""
    module.affine = affine
    xp = backend.array_module(None if device is None else backend.normalize_device(device))
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    if affine:
        module.weight = Parameter(xp.ones(num_features, dtype=dtype))
        module.bias = Parameter(xp.zeros(num_features, dtype=dtype))
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)
    return xp, dtype


def add_normalization_state(module: Module, num_features: int, eps: float, momentum: float | None, affine: bool,
                            track_running_stats: bool, device: str | None, dtype: Any) -> None:
    """The parameters and buffers every per-channel normalisation layer has, under PyTorch's names: ``weight`` (γ,
    ones) and ``bias`` (β, zeros) when ``affine``; ``running_mean`` (zeros), ``running_var`` (ones) and
    ``num_batches_tracked`` when ``track_running_stats`` (BatchNorm, SyncBatchNorm, InstanceNorm)."""
    module.num_features, module.eps, module.momentum = num_features, eps, momentum
    module.track_running_stats = track_running_stats
    xp, dtype = add_affine_parameters(module, num_features, affine, device, dtype)
    if track_running_stats:
        module.register_buffer("running_mean", Tensor(xp.zeros(num_features, dtype=dtype)))
        module.register_buffer("running_var", Tensor(xp.ones(num_features, dtype=dtype)))
        module.register_buffer("num_batches_tracked", Tensor(xp.zeros((), dtype=np.int64)))
    else:
        module.register_buffer("running_mean", None)
        module.register_buffer("running_var", None)
        module.register_buffer("num_batches_tracked", None)

"""``SyncBatchNorm``: batch normalisation whose statistics are those of the *global* batch, over all ranks.

Plain BatchNorm under data parallelism normalises each rank's shard by the shard's own mean and variance, so p
ranks × b samples is not the same network as one process × p·b samples. SyncBatchNorm all-reduces the statistics
(two collectives per forward: the sums and counts, then the centred squares) and, in backward, the two sums the
gradient needs. With N values per channel over all ranks:

    μ = (1/N) Σ_ranks Σ x,   σ² = (1/N) Σ_ranks Σ (x − μ)²,   x̂ = (x − μ)/√(σ² + ε),   y = γ x̂ + β
    ∂L/∂x = γ/√(σ² + ε) · (g − (1/N) Σ_ranks Σ g − x̂ · (1/N) Σ_ranks Σ g x̂)

∂L/∂γ = Σ g x̂ and ∂L/∂β = Σ g stay this rank's sums: DistributedDataParallel averages them with the other gradients.
``SyncBatchNorm.convert_sync_batchnorm(model)`` swaps every BatchNorm layer for one (PyTorch's name).
"""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..backend import get_array_module
from ..nn.batchnorm import _BatchNorm
from ..nn.module import Module
from ..ops.batchnorm import update_running_stats
from ..tensor import Tensor
from .process_group import all_reduce_array, init


class SyncBatchNormOp(Function):
    """The op: batch statistics and backward sums all-reduced over the ranks (formulas in the module docstring)."""

    def forward(self, x: Any, weight: Any, bias: Any, running_mean: Any = None, running_var: Any = None,
                momentum: float = 0.1, eps: float = 1e-5) -> Any:
        xp = get_array_module(x)
        channels = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, channels) + (1,) * (x.ndim - 2)
        sums = xp.concatenate([x.sum(axis=axes), xp.asarray([x.size // channels], dtype=x.dtype)])
        sums = all_reduce_array(sums, "sum")
        n = float(sums[-1])
        if n <= 1:
            raise ValueError(f"SyncBatchNorm in training needs more than 1 value per channel over all ranks, got {n}")
        mean = sums[:-1] / n
        centered = x - mean.reshape(shape)
        var = all_reduce_array((centered * centered).sum(axis=axes), "sum") / n
        update_running_stats(running_mean, running_var, mean, var, n, momentum)
        inv_std = 1 / xp.sqrt(var + eps)
        x_hat = centered * inv_std.reshape(shape)
        self.x_hat, self.inv_std, self.weight, self.axes, self.shape, self.n = x_hat, inv_std, weight, axes, shape, n
        return x_hat * weight.reshape(shape) + bias.reshape(shape)

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        xp = get_array_module(grad)
        x_hat, axes, shape = self.x_hat, self.axes, self.shape
        grad_w = (grad * x_hat).sum(axis=axes)
        grad_b = grad.sum(axis=axes)
        both = all_reduce_array(xp.concatenate([grad_w, grad_b]), "sum")  # one collective for the two sums
        channels = grad_w.shape[0]
        mean_gx, mean_g = both[:channels] / self.n, both[channels:] / self.n
        scale = (self.weight * self.inv_std).reshape(shape)
        grad_x = scale * (grad - mean_g.reshape(shape) - x_hat * mean_gx.reshape(shape))
        need_x, need_w, need_b = self.needs_input_grad
        return (grad_x if need_x else None), (grad_w if need_w else None), (grad_b if need_b else None)


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C, …) inputs with the statistics of the global batch in training (all ranks); in
    evaluation, or in a world of one, exactly ``BatchNorm``. Same parameters, buffers and state_dict keys."""

    expected_ndim = (2, 3, 4, 5)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if not self.training or init().size == 1:
            return super().forward(input)
        if input.ndim not in self.expected_ndim or input.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm({self.num_features}) got input of shape {input.shape}: expected "
                             f"(N, {self.num_features}, ...)")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.data)
        weight, bias = self.weight, self.bias
        if weight is None:
            weight = Tensor._from_op(input.xp.ones(self.num_features, dtype=input.dtype), None)
            bias = Tensor._from_op(input.xp.zeros(self.num_features, dtype=input.dtype), None)
        track = self.track_running_stats
        return SyncBatchNormOp.apply(input, weight, bias, running_mean=self.running_mean.data if track else None,
                                     running_var=self.running_var.data if track else None, momentum=momentum,
                                     eps=self.eps)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module) -> Module:
        """``module`` with every BatchNorm1d/2d replaced by a SyncBatchNorm holding the same parameters and
        buffers (the module itself when it is a BatchNorm layer)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats)
            for name in ("weight", "bias"):
                if getattr(module, name) is not None:
                    setattr(converted, name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                if getattr(module, name) is not None:
                    setattr(converted, name, getattr(module, name))
            converted.train(module.training)
            return converted
        for name, child in list(module.named_children()):
            setattr(module, name, cls.convert_sync_batchnorm(child))
        return module

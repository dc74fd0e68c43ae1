"""The fully connected layer  z = W x + b  of the documents, and DropConnect."""

from __future__ import annotations

from typing import Any

from .. import ops
from ..tensor import Tensor
from . import init
from .module import Module, add_weight_and_bias


class Linear(Module):
    """Fully connected layer: the affine map of ``ops.Linear`` (formula and backward there), the documents'
    z = Wx + b applied to a batch of rows x.

    ``weight`` has PyTorch's layout (out_features, in_features) and ``bias`` (out_features,), so a PyTorch
    state_dict loads unchanged. Initialisation is PyTorch's: W ~ U(−1/√in, 1/√in) (``kaiming_uniform_`` with
    a = √5) and b ~ U(−1/√in, 1/√in).

    ``dropconnect=p`` drops *weights* instead of activations during training (Wan et al., 2013): each forward
    pass uses W ⊙ M / (1 − p) with a fresh Bernoulli(1 − p) mask M; in evaluation the plain W is used.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: str | None = None,
                 dtype: Any = None, dropconnect: float = 0.0) -> None:
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear({in_features}, {out_features}): the numbers of features must be positive")
        if not 0.0 <= dropconnect < 1.0:
            raise ValueError(f"Linear(dropconnect={dropconnect}): the drop probability must be in [0, 1)")
        self.in_features, self.out_features, self.dropconnect = in_features, out_features, dropconnect
        add_weight_and_bias(self, (out_features, in_features), bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(W, a=√5), i.e. U(±1/√fan_in), and the same bound for b."""
        init.layer_default_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        params = self._parameters  # direct lookups: this runs for every layer of every step
        weight, bias = params["weight"], params["bias"]
        if self.dropconnect and self.training:
            weight = ops.Dropout.apply(weight, p=self.dropconnect)
        return ops.Linear.apply(input, weight, bias)

    def extra_repr(self) -> str:
        text = f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        return text + (f", dropconnect={self.dropconnect}" if self.dropconnect else "")


class DropConnect(Module):
    """Wrap a ``Linear`` layer so that training drops its weights: ``DropConnect(Linear(784, 64), p=0.5)``.

    z = x (W ⊙ M / (1 − p))ᵀ + b with a fresh mask M ~ Bernoulli(1 − p) per forward pass in training; the plain
    layer in evaluation. The parameters stay those of the wrapped layer (named ``linear.weight``, …).
    """

    def __init__(self, linear: Linear, p: float = 0.5) -> None:
        super().__init__()
        if not isinstance(linear, Linear):
            raise TypeError(f"DropConnect wraps a Linear layer, got {type(linear).__name__}")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"DropConnect(p={p}): the drop probability must be in [0, 1)")
        self.linear, self.p = linear, p

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        weight = self.linear.weight
        if self.training and self.p:
            weight = ops.Dropout.apply(weight, p=self.p)
        return ops.Linear.apply(input, weight, self.linear.bias)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    """Merge the axes ``start_dim`` … ``end_dim`` into one: (N, C, H, W) → (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

"""Activation layers a = σ(z): thin modules over the ops in ``tinygrad_edu/ops/activation.py``."""

from __future__ import annotations

from .. import ops
from ..tensor import Tensor
from . import functional as F
from .module import Module


class ReLU(Module):
    """a = max(z, 0). (``inplace`` is accepted for PyTorch compatibility; the result is always a new tensor.)"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return ops.ReLU.apply(input)


class ReLU6(Module):
    """a = min(max(z, 0), 6), MobileNet's activation. (``inplace`` is accepted for PyTorch compatibility.)"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return ops.ReLU6.apply(input)


class LeakyReLU(Module):
    """a = z for z > 0, negative_slope·z otherwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return ops.LeakyReLU.apply(input, negative_slope=self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """a = σ(z) = 1 / (1 + e⁻ᶻ)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return ops.Sigmoid.apply(input)


class Tanh(Module):
    """a = tanh z."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return ops.Tanh.apply(input)


class GELU(Module):
    """a = z·Φ(z); ``approximate="tanh"`` for the tanh formula."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return ops.GELU.apply(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate='{self.approximate}'"


class Softmax(Module):
    """sᵢ = e^{zᵢ} / Σⱼ e^{zⱼ} along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """yᵢ = zᵢ − log Σⱼ e^{zⱼ} along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

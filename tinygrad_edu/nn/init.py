"""Weight initialisation, in place, with PyTorch's formulas and defaults (``torch.nn.init``).

Every function overwrites ``tensor.data`` (keeping its shape, dtype and device), draws from the project's seeded
generator (``tinygrad_edu.manual_seed``), records no graph, and returns the tensor.

Why the scale matters: with n inputs of unit variance, zᵢ = Σⱼ Wᵢⱼ xⱼ has variance n·Var(W). Keeping the
variance of the signal roughly constant from layer to layer (forward) and of the gradient (backward) gives
    Xavier/Glorot (tanh, sigmoid):  Var(W) = gain² · 2 / (fan_in + fan_out)
    Kaiming/He (ReLU):              Var(W) = gain² / fan        (gain² = 2 for ReLU: it zeroes half the signal)
A uniform distribution U(−a, a) has variance a²/3, hence the bounds a = √3 · std below.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_", "orthogonal_",
    "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table):

    linear, conv*, sigmoid → 1;  tanh → 5/3;  relu → √2;  leaky_relu → √(2 / (1 + slope²)) (slope 0.01 by
    default);  selu → 3/4.
    """
    linear_like = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                   "conv_transpose3d", "sigmoid")
    if nonlinearity in linear_like:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, int | float):
            raise ValueError(f"negative_slope {param} is not a valid number")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}: use one of {', '.join(linear_like)}, tanh, relu, "
                     "leaky_relu, selu")


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in = shape[1]·r and fan_out = shape[0]·r with r = Π shape[2:] (the kernel size of a convolution):
    a weight (out_features, in_features) has fan_in = in_features."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
                         f"(shape {tensor.shape})")
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} not supported: use 'fan_in' or 'fan_out'")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write ``values`` into the tensor's array in place (cast to its dtype, on its device)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init functions work on a Tensor or Parameter, got {type(tensor).__name__}")
    tensor.data[...] = backend.to_device(np.asarray(values) if np.isscalar(values) else values, tensor.device)
    return tensor


def _generator(tensor: Tensor) -> Any:
    return backend.generator(tensor.device)


# The draws use only ``random`` and ``standard_normal``, the methods CuPy's generator shares with NumPy's (CuPy's
# has no ``uniform`` or ``normal``); NumPy's own uniform(a, b) and normal(μ, σ) compute the same numbers this way.


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with draws from U(a, b):  a + (b − a)·u  with u ~ U[0, 1)."""
    return _fill(tensor, a + (b - a) * _generator(tensor).random(tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with draws from N(mean, std²):  mean + std·z  with z ~ N(0, 1) (the documents' Gaussian
    initialisation, e.g. std = 0.01)."""
    return _fill(tensor, mean + std * _generator(tensor).standard_normal(tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(−a, a) with a = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(−b, b) with b = gain · √(3 / fan), gain = calculate_gain(nonlinearity, a).

    PyTorch's Linear and Conv layers use ``a=√5``, which gives b = 1/√fan_in.
    """
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std²) with std = gain / √fan, gain = calculate_gain(nonlinearity, a)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``: the Q of the QR decomposition of a Gaussian matrix, with the
    signs fixed so that the distribution is uniform (Saxe et al.); extra axes are flattened into columns."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_ needs a tensor with at least 2 dimensions, got shape {tensor.shape}")
    rows = tensor.shape[0]
    cols = tensor.size // rows
    flat = np.asarray(backend.to_device(_generator(tensor).standard_normal((rows, cols)), "cpu"))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def layer_default_(weight: Tensor, bias: Tensor | None = None) -> None:
    """PyTorch's default for ``Linear`` and ``Conv2d``: kaiming_uniform_(W, a=√5), which is W ~ U(±1/√fan_in),
    and b ~ U(±1/√fan_in) with the same fan_in (inputs per output unit: in_features, or in/groups·kh·kw)."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in)
        uniform_(bias, -bound, bound)

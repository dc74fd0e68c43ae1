"""Elementwise functions of one tensor, and the conversions (dtype, device)."""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..backend import device_of, get_array_module, to_device
from . import backward_math as bm


class Neg(Function):
    """Negation  z = −x.    Backward:  ∂L/∂x = −∂L/∂z."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        return -x

    def backward(self, grad: Any) -> Any:
        return -grad


class Exp(Function):
    """Exponential  z = eˣ.    Backward:  ∂L/∂x = ∂L/∂z ⊙ eˣ  (the output, reused)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        out = get_array_module(x).exp(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * out


class Log(Function):
    """Natural logarithm  z = ln x.    Backward:  ∂L/∂x = ∂L/∂z / x."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return get_array_module(x).log(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / x


class Sqrt(Function):
    """Square root  z = √x.    Backward:  ∂L/∂x = ∂L/∂z / (2√x)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        out = get_array_module(x).sqrt(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad / (2 * out)


class Abs(Function):
    """Absolute value  z = |x|.    Backward:  ∂L/∂x = ∂L/∂z ⊙ sign(x)  (0 at x = 0, as PyTorch)."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return get_array_module(x).abs(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * bm.sign(x)


class Sin(Function):
    """Sine  z = sin x.    Backward:  ∂L/∂x = ∂L/∂z ⊙ cos x."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return get_array_module(x).sin(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * bm.cos(x)


class Cos(Function):
    """Cosine  z = cos x.    Backward:  ∂L/∂x = −∂L/∂z ⊙ sin x."""

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return get_array_module(x).cos(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return -grad * bm.sin(x)


class Clip(Function):
    """Clamp to an interval  z = min(max(x, low), high)  (either bound may be None).

    Backward:  ∂L/∂x = ∂L/∂z where low ≤ x ≤ high, else 0  (the bounds themselves pass the gradient, as
    PyTorch's ``clamp``).
    """

    differentiable_backward = True

    def forward(self, x: Any, low: float | None, high: float | None) -> Any:
        if low is None and high is None:
            raise ValueError("clip needs at least one of min and max")
        xp = get_array_module(x)
        inside = xp.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        self.inside = inside
        return xp.clip(x, low, high).astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> Any:
        return grad * self.inside


class Cast(Function):
    """Change of dtype  z = x (in another precision).    Backward: ∂L/∂x = ∂L/∂z, cast back."""

    differentiable_backward = True

    def forward(self, x: Any, dtype: Any) -> Any:
        self.input_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad: Any) -> Any:
        return grad.astype(self.input_dtype)


class ToDevice(Function):
    """A copy to another device (CPU ↔ GPU).    Backward: the gradient is copied back."""

    def forward(self, x: Any, device: str) -> Any:
        self.input_device = device_of(x)
        return to_device(x, device)

    def backward(self, grad: Any) -> Any:
        return to_device(grad, self.input_device)

"""Elementwise operations of two tensors, with NumPy broadcasting."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from . import backward_math as bm
from .broadcast import unbroadcast


class Add(Function):
    """Sum  z = x + y.

    Backward:  ∂L/∂x = ∂L/∂z,   ∂L/∂y = ∂L/∂z   (then summed over broadcast axes).
    """

    promotes = "same"

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        self.shapes = x.shape, y.shape
        return x + y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x_shape, y_shape = self.shapes
        return unbroadcast(grad, x_shape), unbroadcast(grad, y_shape)


class Sub(Function):
    """Difference  z = x − y.

    Backward:  ∂L/∂x = ∂L/∂z,   ∂L/∂y = −∂L/∂z.
    """

    promotes = "same"

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        self.shapes = x.shape, y.shape
        return x - y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x_shape, y_shape = self.shapes
        need_x, need_y = self.needs_input_grad
        return (unbroadcast(grad, x_shape) if need_x else None,
                unbroadcast(-grad, y_shape) if need_y else None)


class Mul(Function):
    """Elementwise product  z = x ⊙ y.

    Backward:  ∂L/∂x = ∂L/∂z ⊙ y,   ∂L/∂y = ∂L/∂z ⊙ x   (then summed over broadcast axes).
    """

    promotes = "same"

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        self.save_for_backward(x, y)
        return x * y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        need_x, need_y = self.needs_input_grad
        return (unbroadcast(grad * y, x.shape) if need_x else None,
                unbroadcast(grad * x, y.shape) if need_y else None)


class Div(Function):
    """Quotient  z = x / y.

    Backward:  ∂L/∂x = ∂L/∂z / y,   ∂L/∂y = −∂L/∂z ⊙ x / y².
    """

    promotes = "float"

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        self.save_for_backward(x, y)
        return x / y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        need_x, need_y = self.needs_input_grad
        grad_over_y = grad / y
        return (unbroadcast(grad_over_y, x.shape) if need_x else None,
                unbroadcast(-grad_over_y * x / y, y.shape) if need_y else None)


class Pow(Function):
    """Power  z = xʸ.

    Backward:  ∂L/∂x = ∂L/∂z ⊙ y·xʸ⁻¹,   ∂L/∂y = ∂L/∂z ⊙ xʸ·ln x,  with PyTorch's conventions at the edges:
    ∂/∂x is 0 where y = 0 (x⁰ = 1 for every x, even 0), ∂/∂y is 0 where x = 0 and y ≥ 0 (0ʸ is flat there);
    elsewhere the formulas give what they give (±inf at x = 0, y < 1; NaN for ln of a negative base).
    """

    promotes = "same"

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 to a negative power is inf, as in PyTorch
            out = x**y
        if out.dtype != x.dtype and x.dtype == y.dtype:
            out = out.astype(x.dtype)  # bool ** bool stays bool, as in PyTorch (NumPy gives int8)
        self.save_for_backward(x, y, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y, out = self.saved
        need_x, need_y = self.needs_input_grad
        grad_x = grad_y = None
        with np.errstate(divide="ignore", invalid="ignore"):  # the edges give inf/NaN on purpose (see above)
            if need_x:
                grad_x = unbroadcast(bm.where(bm.constant(y) == 0, 0.0, grad * y * x ** (y - 1)), x.shape)
            if need_y:
                flat = (bm.constant(x) == 0) & (bm.constant(y) >= 0)
                grad_y = unbroadcast(bm.where(flat, 0.0, grad * out * bm.log(x)), y.shape)
        return grad_x, grad_y


class Maximum(Function):
    """Elementwise maximum  z = max(x, y).

    Backward: the gradient goes to the larger input; where x = y it is split evenly (½ each), as PyTorch.
    """

    promotes = "same"

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        self.save_for_backward(x, y)
        return get_array_module(x).maximum(x, y)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        return _route_to_winner(grad, x, y, x > y)


class Minimum(Function):
    """Elementwise minimum  z = min(x, y).

    Backward: the gradient goes to the smaller input; where x = y it is split evenly (½ each), as PyTorch.
    """

    promotes = "same"

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        self.save_for_backward(x, y)
        return get_array_module(x).minimum(x, y)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        return _route_to_winner(grad, x, y, x < y)


def _route_to_winner(grad: Any, x: Any, y: Any, x_wins: Any) -> tuple[Any, Any]:
    x, y, x_wins = bm.constant(x), bm.constant(y), bm.constant(x_wins)
    tie = (x == y) * 0.5
    share_x = (x_wins + tie).astype(grad.dtype)
    share_y = (1 - share_x).astype(grad.dtype)
    return unbroadcast(grad * share_x, x.shape), unbroadcast(grad * share_y, y.shape)


class Where(Function):
    """Selection  z = x where condition else y.

    Backward:  ∂L/∂x = ∂L/∂z ⊙ [condition],   ∂L/∂y = ∂L/∂z ⊙ [not condition].
    """

    promotes = "same"

    differentiable_backward = True

    def forward(self, x: Any, y: Any, condition: Any) -> Any:
        xp = get_array_module(x)
        self.condition = xp.asarray(condition, dtype=bool)
        self.shapes = x.shape, y.shape
        return xp.where(self.condition, x, y)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x_shape, y_shape = self.shapes
        need_x, need_y = self.needs_input_grad
        return (unbroadcast(bm.where(self.condition, grad, 0.0), x_shape) if need_x else None,
                unbroadcast(bm.where(self.condition, 0.0, grad), y_shape) if need_y else None)

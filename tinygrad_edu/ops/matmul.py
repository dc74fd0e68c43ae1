"""Matrix products: ``x @ y`` (NumPy's matmul rules) and the fused affine map of a Linear layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, OpError
from ..backend import get_array_module
from ..kernels import dispatch
from . import backward_math as bm
from .broadcast import unbroadcast


class MatMul(Function):
    """Matrix product  Z = X Y  (1-D, 2-D and batched, with NumPy's ``matmul`` rules).

    Backward:  ∂L/∂X = ∂L/∂Z Yᵀ,   ∂L/∂Y = Xᵀ ∂L/∂Z   (batch axes summed back where they were broadcast).
    A 1-D X is treated as a row (1, n) and a 1-D Y as a column (n, 1), and the added axis removed again.
    """

    differentiable_backward = True

    def forward(self, x: Any, y: Any) -> Any:
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError("matmul needs tensors with at least one axis: use * for a scalar product")
        if (x.dtype.kind == "f") != (y.dtype.kind == "f"):  # PyTorch refuses; NumPy would go to float64 silently
            raise OpError(f"matmul of {x.dtype} {x.shape} @ {y.dtype} {y.shape}: both must be floating point (or "
                          "both integer): convert the integer one with .float()")
        if x.shape[-1] != y.shape[-2 if y.ndim > 1 else -1]:
            raise ValueError(
                f"matmul of shapes {x.shape} @ {y.shape}: the last axis of the left ({x.shape[-1]}) must equal "
                f"the {'second-to-last' if y.ndim > 1 else 'only'} axis of the right "
                f"({y.shape[-2 if y.ndim > 1 else -1]})"
            )
        self.save_for_backward(x, y)
        return x @ y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        need_x, need_y = self.needs_input_grad
        x2 = x[None, :] if x.ndim == 1 else x  # promote 1-D operands as matmul does
        y2 = y[:, None] if y.ndim == 1 else y
        if x.ndim == 1:
            grad = grad[..., None, :] if y.ndim > 1 else grad[..., None]
        if y.ndim == 1:
            grad = grad[..., None]
        grad_x = grad_y = None
        if need_x:
            grad_x = unbroadcast(grad @ bm.swap_last_two(y2), x2.shape).reshape(x.shape)
        if need_y:
            grad_y = unbroadcast(bm.swap_last_two(x2) @ grad, y2.shape).reshape(y.shape)
        return grad_x, grad_y


class Linear(Function):
    """The affine map of a fully connected layer  z = x Wᵀ + b  (the documents' z = Wx + b, for a batch of row
    vectors x; W has PyTorch's layout (out_features, in_features)).

    Backward:  ∂L/∂x = ∂L/∂z W,   ∂L/∂W = (∂L/∂z)ᵀ x,   ∂L/∂b = Σ_batch ∂L/∂z.
    One fused op instead of a transpose, a matmul and an add: fewer graph nodes, and no ∂L/∂x is computed for
    the network's input, which needs none. ``bias=None`` (a layer built with ``bias=False``): z = x Wᵀ.
    """

    differentiable_backward = True

    optional_inputs = 1  # the bias


    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        if x.shape[-1] != weight.shape[1]:
            flat = int(np.prod(x.shape[1:])) if x.ndim > 2 else None
            hint = (f"; this looks like a batch of images with {flat} values each: put nn.Flatten() before the "
                    "Linear layer (or x.flatten(1))" if flat == weight.shape[1] else "")
            raise OpError(
                f"Linear(in_features={weight.shape[1]}, out_features={weight.shape[0]}) got input of shape "
                f"{x.shape}: the last axis must be {weight.shape[1]}{hint}"
            )
        self.save_for_backward(x, weight)
        out = dispatch.matmul(x.reshape(-1, x.shape[-1]), weight.T).reshape(x.shape[:-1] + (weight.shape[0],))
        if bias is not None:
            out += bias
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, weight = self.saved
        needs = self.needs_input_grad
        rows = grad.reshape(-1, grad.shape[-1])
        grad_x = dispatch.matmul(rows, weight).reshape(x.shape) if needs[0] else None
        grad_w = grad_b = None
        if needs[1]:
            grad_w = dispatch.matmul(rows.T, x.reshape(-1, x.shape[-1]))
        if len(needs) > 2 and needs[2]:
            grad_b = rows.sum(axis=0)
        return grad_x, grad_w, grad_b


class LinearReLU(Linear):
    """A fully connected layer and its ReLU as one op (``nn.Sequential`` runs Linear → ReLU so, nn/fusion.py):

        a = max(x Wᵀ + b, 0)

    Backward:  δ = ∂L/∂a ⊙ [a > 0],  then ``Linear``'s three products with δ in place of ∂L/∂z.
    The numbers of ``Linear`` then ``ReLU``, bit for bit; one op fewer for the engine to record and run, and no
    separate pass over the activation each way (in an MLP step of 784-256-128-10 the ReLU ops were 8% of it).
    """

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        out = super().forward(x, weight, bias)  # a fresh array: rectified where it is
        out = get_array_module(out).maximum(out, 0, out=out)  # as ReLU's max(z, 0): NaN stays NaN, −0 becomes 0
        self.rectified = out
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        return super().backward(dispatch.relu_backward(grad, bm.constant(self.rectified)))


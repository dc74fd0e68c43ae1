"""In-place operations (``add_``, ``mul_``, ``x[i] = v``, ``-=``, ...) with PyTorch's rules.

Three cases, decided by what the change would mean for a backward pass:

1. Nothing to record (inside ``no_grad()``, or no tensor involved requires grad): the new values are written
   into the tensor's own array — views of it see them — and its version counter goes up by one. A leaf stays a
   trainable leaf, which is what the hand-written update ``with no_grad(): w -= lr * w.grad`` needs.
2. A leaf that requires grad, with recording on: refused, as PyTorch does. The old value is a variable of the
   computation; overwriting it would leave nothing for the gradient to be taken with respect to.
3. Anything else with recording on: the op is recorded as an ordinary one, out of place (``z = f(x)``), and the
   tensor object becomes z. Its previous self lives on as a snapshot (``_before_inplace``): ops that used the
   tensor before the change still send their gradients to the old value (autograd.py follows the versions).

The version counter is what makes case 1 safe: every op records the versions of its inputs, and backward refuses
to use a saved input whose version moved on (the "modified by an inplace operation" error).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import grad_mode, ops
from .tensor import Tensor


def apply_inplace(t: Tensor, name: str, compute: Callable[[], Tensor], others: tuple = ()) -> Tensor:
    """Make ``t`` hold ``compute()`` (a new Tensor of t's shape) by the rules in the module docstring."""
    recording = grad_mode.state.enabled and (
        t.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others))
    if recording and t.requires_grad and t._ctx is None:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation ({name} on a tensor of "
            f"shape {t.shape}): wrap a manual update in `with tg.no_grad():` (e.g. `with tg.no_grad(): w -= lr * "
            "w.grad`), or use the out-of-place form (w = w - ...)"
        )
    if not recording:
        with grad_mode.no_grad():
            result = compute()
        _write(t, result, name)
        return t
    result = compute()
    if result.shape != t.shape:
        raise RuntimeError(f"{name}: the result has shape {result.shape} but an in-place op keeps the tensor's "
                           f"shape {t.shape} (the other operand must broadcast to it)")
    before = Tensor._from_op(t.data, t._ctx)
    before.requires_grad, before._version = t.requires_grad, t._version
    before._before_inplace = t._before_inplace
    fn = result._ctx
    fn.parents = [before if p is t else p for p in fn.parents]
    t.data, t._ctx, t.requires_grad = result.data, fn, True
    t._version += 1
    t._before_inplace = before
    return t


def _write(t: Tensor, result: Tensor, name: str) -> None:
    """Copy the values into ``t``'s array (its views see them) and count the change."""
    values = result.data
    if values.dtype != t.dtype and not np.can_cast(values.dtype, t.dtype, casting="same_kind"):
        raise RuntimeError(f"{name}: result type {values.dtype} can't be cast to the desired output type "
                           f"{t.dtype} (an in-place op keeps the tensor's dtype): use the out-of-place form")
    try:
        t.data[...] = values
    except ValueError as error:
        if "read-only" in str(error):
            raise ValueError(f"{name}: this tensor's array is read-only (a gradient handed to a hook, or a "
                             "broadcast view): return a new tensor instead of changing it in place") from None
        raise RuntimeError(f"{name}: a value of shape {values.shape} does not fit the tensor of shape "
                           f"{t.shape} in place ({error})") from None
    t._version += 1


# ------------------------------------------------------------------------------------- the methods


def add_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """self ← self + α·other, in place."""
    return apply_inplace(self, "add_", lambda: self + (other if alpha == 1 else other * alpha), (other,))


def sub_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """self ← self − α·other, in place."""
    return apply_inplace(self, "sub_", lambda: self - (other if alpha == 1 else other * alpha), (other,))


def mul_(self: Tensor, other: Any) -> Tensor:
    return apply_inplace(self, "mul_", lambda: self * other, (other,))


def div_(self: Tensor, other: Any) -> Tensor:
    return apply_inplace(self, "div_", lambda: self / other, (other,))


def pow_(self: Tensor, exponent: Any) -> Tensor:
    return apply_inplace(self, "pow_", lambda: self**exponent, (exponent,))


def neg_(self: Tensor) -> Tensor:
    return apply_inplace(self, "neg_", lambda: -self)


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 (PyTorch's names)
    return apply_inplace(self, "clamp_", lambda: self.clip(min, max))


def zero_(self: Tensor) -> Tensor:
    return fill_(self, 0)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Every element ← value (a number or a one-element tensor, which is differentiable)."""
    if isinstance(value, Tensor):
        if value.data.size != 1:
            raise RuntimeError(f"fill_ only supports a 0-dimensional value tensor, got shape {value.shape}")
        return apply_inplace(self, "fill_", lambda: ops.SetItem.apply(self, _as_dtype(value.reshape(()), self.dtype),
                                                                      index=Ellipsis), (value,))
    return apply_inplace(self, "fill_", lambda: Tensor._from_op(self.xp.full(self.shape, value, self.dtype), None))


def copy_(self: Tensor, src: Any) -> Tensor:
    """self ← src (broadcast to self's shape, converted to self's dtype); differentiable in src."""
    if isinstance(src, Tensor):
        return apply_inplace(self, "copy_", lambda: ops.SetItem.apply(self, _as_dtype(src, self.dtype),
                                                                      index=Ellipsis), (src,))
    values = self.xp.broadcast_to(self.xp.asarray(src, dtype=self.dtype), self.shape)
    return apply_inplace(self, "copy_", lambda: Tensor._from_op(values.copy(), None))


def _as_dtype(t: Tensor, dtype: Any) -> Tensor:
    return t if t.dtype == dtype else t.astype(dtype)


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value``: write into x (in place) or record ``SetItem`` (see the module docstring)."""
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(value, Tensor):
        if value.device != self.device:
            raise TypeError(f"x[...] = value: value is on {value.device} but x is on {self.device}")
        value_t = _as_dtype(value, self.dtype) if value.dtype != self.dtype else value
    else:
        value_t = Tensor._from_op(self.xp.asarray(value, dtype=self.dtype), None)
    apply_inplace(self, "__setitem__", lambda: ops.SetItem.apply(self, value_t, index=index), (value,))


def iadd(self: Tensor, other: Any) -> Tensor:
    return add_(self, other)


def isub(self: Tensor, other: Any) -> Tensor:
    return sub_(self, other)


def imul(self: Tensor, other: Any) -> Tensor:
    return mul_(self, other)


def itruediv(self: Tensor, other: Any) -> Tensor:
    return div_(self, other)

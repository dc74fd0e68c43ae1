"""``autocast``: run the matrix products in half precision and keep the sensitive ops in single precision.

Mixed-precision training keeps the weights in float32 ("master weights") and runs the expensive products in
float16, which halves the memory traffic and, on GPUs with tensor cores, multiplies the arithmetic throughput.
float16 has a 10-bit mantissa (about 3 decimal digits) and a range of 6·10⁻⁸ … 65504, so ops that add up many
numbers, exponentiate or take logarithms stay in float32. Inside ``with autocast():``

* ``FLOAT16_OPS`` — matrix products, linear layers, convolutions — cast their float32 inputs to float16;
* ``FLOAT32_OPS`` — reductions (sum, mean, var, log-sum-exp), exp/log/pow/sqrt, softmax and log-softmax,
  normalisation layers, attention (its softmax) and every loss — cast float16 inputs back to float32;
* every other op runs in the type of its inputs (NumPy's promotion: float16 with float32 gives float32).

The casts are ordinary ``Cast`` ops in the graph, so the backward pass converts the gradient back: a float32
weight gets a float32 ``.grad`` although its product ran in float16. float64 tensors are never cast (as in
PyTorch). Gradients that pass through float16 ops can underflow to zero (below 6·10⁻⁸): ``GradScaler``
(grad_scaler.py) multiplies the loss by a large factor before backward to keep them representable.

How: the outermost block registers ``_cast_inputs`` as an op interceptor (``autograd.interceptors``, the one
extension point of ``Function.apply``), which casts the inputs of the listed ops before they run; it unregisters
it on exit, also when the block raises. Nesting works, and ``autocast(enabled=False)`` switches casting off
inside an enabled block. The state is process-wide, like ``no_grad``.

On the CPU, NumPy has no float16 arithmetic units to use: it converts each float16 to float32 and back around
every operation, so float16 is *slower* than float32 there. This module is here to teach the method and to check
its numerics on any machine; the speed-up needs a GPU (CuPy, tensor cores).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import ops
from ..autograd import Function, interceptors
from ..tensor import Tensor
from . import bfloat16

FLOAT16_OPS: tuple[type[Function], ...] = (ops.MatMul, ops.Linear, ops.Conv2d)
FLOAT32_OPS: tuple[type[Function], ...] = (
    ops.Sum, ops.Mean, ops.Var, ops.LogSumExp, ops.Exp, ops.Log, ops.Pow, ops.Sqrt,
    ops.Softmax, ops.LogSoftmax, ops.BatchNorm, ops.LayerNorm, ops.ScaledDotProductAttention,
    ops.CrossEntropy, ops.NLLLoss, ops.MSELoss, ops.BinaryCrossEntropy, ops.BinaryCrossEntropyWithLogits,
)
SUPPORTED = ("float16", bfloat16.BFLOAT16)

class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.stack: list[np.dtype | str | None] = []  # the low-precision dtype of each active block (None: off)


_state = _ThreadState()  # per thread, as PyTorch's autocast state


def _current() -> np.dtype | str | None:
    return _state.stack[-1] if _state.stack else None


def _cast(value: Any, source: np.dtype, target: np.dtype) -> Any:
    """A float tensor of dtype ``source`` cast to ``target`` (a differentiable Cast); anything else unchanged."""
    if isinstance(value, Tensor) and value.dtype == source:
        return value.astype(target)
    return value


def _cast_inputs(op: type[Function], inputs: tuple, options: dict,
                 proceed: Callable[[tuple, dict], Tensor]) -> Tensor:
    """The interceptor: float32 inputs of FLOAT16_OPS (and their subclasses) go down to the block's dtype,
    low-precision inputs of FLOAT32_OPS come back up to float32; every other op runs as it is."""
    low = _current()
    if isinstance(low, str):  # "bfloat16", emulated: float32 tensors whose values are rounded (amp/bfloat16.py)
        if issubclass(op, FLOAT16_OPS):
            return bfloat16.autocast_apply(proceed, inputs, options)
    elif low is not None:
        if issubclass(op, FLOAT16_OPS):
            inputs = tuple(_cast(x, np.dtype(np.float32), low) for x in inputs)
        elif issubclass(op, FLOAT32_OPS):
            inputs = tuple(_cast(x, low, np.dtype(np.float32)) for x in inputs)
    return proceed(inputs, options)


def is_autocast_enabled() -> bool:
    """True inside an enabled ``autocast`` block."""
    return _current() is not None


class autocast(contextlib.ContextDecorator):  # noqa: N801 (named like PyTorch's)
    """``with autocast(): ...`` (or ``@autocast()``): matrix products and convolutions in ``dtype`` (float16, or
    ``"bfloat16"``: emulated, see amp/bfloat16.py — no GradScaler needed), reductions, softmax, normalisation
    and losses in float32. Run the forward pass and the loss inside, and the backward pass outside (it follows
    the dtypes the forward pass chose)."""

    def __init__(self, dtype: str | Any = "float16", enabled: bool = True) -> None:
        self.dtype = bfloat16.BFLOAT16 if str(dtype).endswith(bfloat16.BFLOAT16) else np.dtype(dtype)
        if str(self.dtype) not in SUPPORTED:
            raise ValueError(f"autocast(dtype={dtype!r}): supported low-precision dtypes are {SUPPORTED} "
                             "(bfloat16 is emulated: float32 values rounded to 7 mantissa bits)")
        self.enabled = bool(enabled)

    def _recreate_cm(self) -> autocast:
        return type(self)(self.dtype, self.enabled)

    def __enter__(self) -> autocast:
        if not _state.stack:
            interceptors.add(_cast_inputs)
        _state.stack.append(self.dtype if self.enabled else None)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _state.stack.pop()
        if not _state.stack:
            interceptors.remove(_cast_inputs)

"""Anomaly detection: stop at the first operation that turns numbers into NaN or infinity, and say where it is.

    >>> import tinygrad_edu as tg
    >>> with tg.detect_anomaly():                     # doctest: +SKIP
    ...     loss = model(x).log().mean()              # an op whose forward gives NaN/Inf raises here
    ...     loss.backward()                           # ... or the first backward that does, here

A NaN spreads: once one number is NaN, every result computed from it is NaN too, and by the time the loss is
``nan`` the operation that started it is long gone. Inside ``detect_anomaly()`` every op's output — forward and
backward — is checked with ``isfinite`` as soon as it is computed, and the first non-finite one raises an
``AnomalyError`` naming

* the op (``Log``, ``Div``, …) and whether its forward or its backward failed,
* the shapes of its inputs and their min / max (and how many are NaN or ±inf),
* where in your code the op was created: the line outside the engine, found by walking the call stack when the
  op runs (captured only in anomaly mode: it costs a few microseconds per op),
* the usual causes for that op (log of 0, division by 0, exp overflowing, …).

How: the outermost block registers ``_check_op`` as an op interceptor (``autograd.interceptors``, the one
extension point of ``Function.apply``). It runs the op, checks the output, records the creation site on the
graph node and wraps that node's ``backward`` with the same check. On exit (also when the block raises) it is
unregistered, so outside the block nothing costs anything.
"""

from __future__ import annotations

import contextlib
import linecache
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .autograd import Function, interceptors
from .backend import get_array_module, to_numpy
from .tensor import Tensor

_PACKAGE = Path(__file__).resolve().parent
_DEMO = _PACKAGE / "demo"
class _ThreadState(threading.local):
    depth = 0  # how many detect_anomaly blocks are open in this thread


_state = _ThreadState()

USUAL_CAUSES = {
    "Log": "log of 0 gives −inf and of a negative number NaN: clamp the input (x.clip(1e-12, None)) or use a fused "
           "op (log_softmax, cross_entropy) instead of log(softmax(x))",
    "Div": "division by zero (0/0 is NaN): add a small ε to the denominator",
    "Sqrt": "sqrt of a negative number is NaN, and its gradient 1/(2√x) is infinite at 0: add ε inside the root",
    "Pow": "a negative base with a fractional exponent is NaN; large bases overflow",
    "Exp": "exp overflows above 88.7 in float32 (11.1 in float16): subtract the maximum first (the log-sum-exp "
           "trick), or lower the learning rate if activations grow",
    "Cast": "the value does not fit the new dtype (float16 holds at most 65504): scale it, or keep it in float32",
    "MatMul": "the inputs are too large (exploding activations or weights): lower the learning rate, clip the "
              "gradients, initialise the weights smaller",
    "Linear": "the inputs or weights are too large (exploding activations): lower the learning rate or clip the "
              "gradients",
}


class AnomalyError(FloatingPointError):
    """An op produced NaN or ±inf while ``detect_anomaly()`` was on; the message says which op, where, and why."""


@dataclass(frozen=True)
class CreationSite:
    """Where an op was created: the first frame in user code, and the innermost layer of ``nn`` (if any)."""

    user: tuple[str, int, str] | None
    layer: tuple[str, int, str] | None

    def describe(self) -> str:
        lines = []
        if self.user is not None:
            filename, lineno, function = self.user
            lines.append(f'  File "{filename}", line {lineno}, in {function}')
            source = linecache.getline(filename, lineno).strip()
            if source:
                lines.append(f"    {source}")
        if self.layer is not None:
            filename, lineno, function = self.layer
            lines.append(f"  (inside {function}, {Path(filename).relative_to(_PACKAGE.parent)}:{lineno})")
        return "\n".join(lines) if lines else "  (no frame outside the engine was found)"


def creation_site(skip: int = 1) -> CreationSite:
    """Walk up the call stack from the caller: the first frame outside the engine is the user's line; the first
    frame in ``tinygrad_edu/nn/`` (a layer's forward, not the Module machinery) is the layer that ran the op.
    The walkthroughs in ``demo/`` count as user code."""
    frame = sys._getframe(skip)
    layer = None
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        inside = _PACKAGE in path.parents and _DEMO not in path.parents
        if not inside:
            user = (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
            return CreationSite(user, layer)
        if layer is None and path.parent.name == "nn" and path.name not in ("module.py", "functional.py"):
            qualname = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
            layer = (frame.f_code.co_filename, frame.f_lineno, qualname)
        frame = frame.f_back
    return CreationSite(None, layer)


def _is_finite(array: Any) -> bool:
    if not np.issubdtype(array.dtype, np.inexact):
        return True
    return bool(get_array_module(array).isfinite(array).all())


def describe_array(array: Any) -> str:
    """``shape (3, 4) float32, min -1.2, max 3.4`` (+ the counts of NaN and ±inf when there are any)."""
    if not hasattr(array, "dtype"):
        return f"the number {array!r}"
    values = to_numpy(array)
    text = f"shape {values.shape} {values.dtype}"
    if values.size == 0 or not np.issubdtype(values.dtype, np.number):
        return text
    finite = values[np.isfinite(values)] if np.issubdtype(values.dtype, np.inexact) else values
    bad = values.size - finite.size
    if finite.size:
        text += f", min {finite.min():.6g}, max {finite.max():.6g}" + (" (of the finite values)" if bad else "")
    if bad:
        nan, pos, neg = int(np.isnan(values).sum()), int(np.isposinf(values).sum()), int(np.isneginf(values).sum())
        text += f"; {nan} NaN, {pos} +inf, {neg} −inf"
    return text


def _message(op: str, stage: str, inputs: list[Any], bad: Any, site: CreationSite, extra: str = "") -> str:
    parts = [f"{op} produced {_what(bad)} in its {stage} (detect_anomaly)."]
    for i, array in enumerate(inputs):
        parts.append(f"  input {i}: {describe_array(array)}")
    if extra:
        parts.append(extra)
    parts.append(f"  result: {describe_array(bad)}")
    upstream = [a for a in inputs if hasattr(a, "dtype") and not _is_finite(a)]
    if upstream:
        parts.append("An input was already NaN/inf: the problem starts before this op (in the data, or in "
                     "code that did not run through the engine).")
    parts.append(f"The op was created at:\n{site.describe()}")
    if op in USUAL_CAUSES:
        parts.append(f"Usual cause: {USUAL_CAUSES[op]}.")
    return "\n".join(parts)


def _what(array: Any) -> str:
    values = to_numpy(array)
    kinds = [name for name, test in (("NaN", np.isnan), ("inf", np.isinf)) if test(values).any()]
    return " and ".join(kinds) or "a non-finite value"


def _check_op(op: type[Function], inputs: tuple, options: dict, proceed: Callable[[tuple, dict], Tensor]) -> Tensor:
    """The interceptor of anomaly mode: run the op, check its output, remember where it was created and check
    its backward too."""
    out = proceed(inputs, options)
    if not _is_finite(out.data):
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        raise AnomalyError(_message(op.__name__, "forward output", arrays, out.data, creation_site(2)))
    fn = out._ctx
    if fn is not None:
        fn.created_at = creation_site(2)
        fn.backward = _checked_backward(fn, fn.backward)  # an instance attribute: release() drops it
    return out


def _checked_backward(fn: Function, backward: Any) -> Any:
    def checked(grad: Any) -> Any:
        grads = backward(grad)
        for i, g in enumerate(grads if isinstance(grads, tuple) else (grads,)):
            if g is not None and not _is_finite(g):
                inputs = [p.data for p in fn.parents]
                extra = f"  incoming gradient ∂L/∂output: {describe_array(grad)}\n  (∂L/∂input {i} is the bad one)"
                raise AnomalyError(_message(type(fn).__name__, "backward (∂L/∂input)", inputs, g, fn.created_at,
                                            extra))
        return grads

    return checked


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return _state.depth > 0


class detect_anomaly(contextlib.ContextDecorator):  # noqa: N801 (named like PyTorch's)
    """Inside this block (or decorated function) the first op whose forward or backward produces NaN or ±inf
    raises an ``AnomalyError`` that names the op, its inputs' shapes and ranges, and the line of your code that
    created it. Slower (every result is checked): use it to find a NaN, not for training runs.

    Blocks may be nested; only the backward of ops *created* inside the block is checked."""

    def __enter__(self) -> detect_anomaly:
        if _state.depth == 0:
            interceptors.add(_check_op)
        _state.depth += 1
        return self

    def __exit__(self, *exc_info: object) -> None:
        _state.depth -= 1
        if _state.depth == 0:
            interceptors.remove(_check_op)

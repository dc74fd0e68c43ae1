"""Checking a backward pass against the definition of the derivative.

For every element xᵢ of every input that requires grad, the analytic gradient from ``backward`` is compared
with the central difference

    ∂f/∂xᵢ ≈ (f(x + ε eᵢ) − f(x − ε eᵢ)) / 2ε

whose error is O(ε²). Everything runs in float64 (in float32, ε² would drown in rounding error). A
non-scalar output f is reduced to the scalar Σ f ⊙ w with fixed random weights w, so that one backward pass
checks the gradient of every output at once. With ``params=True`` the function is a layer (a ``Module``) and its
parameters are checked as well, perturbed in place one element at a time by the same loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .autograd import GradientShapeError
from .backend import to_numpy
from .tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree; the message holds the per-input table."""


@dataclass
class InputReport:
    """How one input's gradient compared: the largest errors and where the worst one sits."""

    index: int | str  # the position of an input, or the name of a parameter (``params=True``)
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...] | None
    analytic: float | None
    numeric: float | None
    passed: bool


@dataclass
class GradcheckReport:
    inputs: list[InputReport] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.inputs)

    def __str__(self) -> str:
        lines = [
            "input  shape            max abs err  max rel err  worst index      analytic       numeric  ok",
        ]
        for r in self.inputs:
            lines.append(
                f"{r.index:<6} {str(r.shape):<16} {r.max_abs_error:11.3e}  {r.max_rel_error:11.3e}  "
                f"{str(r.worst_index):<14} {_fmt(r.analytic):>12}  {_fmt(r.numeric):>12}  "
                f"{'yes' if r.passed else 'NO'}"
            )
        return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    raise_on_failure: bool = True,
    seed: int = 0,
    params: bool = False,
) -> GradcheckReport:
    """Compare ``backward`` with central differences for every element of every input that requires grad.

    ``fn(*inputs)`` must return a Tensor. Inputs that are Tensors with ``requires_grad=True`` are checked
    (converted to float64 copies first); other arguments are passed through unchanged. With ``params=True``,
    ``fn`` is a layer (``gradcheck(nn.Linear(3, 2), x, params=True)``): it is converted to float64 in place
    (``fn.double()``) and every parameter is checked too, under its name. An element passes when
    |analytic − numeric| ≤ atol + rtol·|numeric|. Returns a ``GradcheckReport``; raises ``GradcheckError``
    with the report's table when any element fails (unless ``raise_on_failure=False``).
    """
    args = [_to_float64(x) for x in inputs]
    checked: list[tuple[int | str, Tensor]] = [
        (i, x) for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
    if params:
        if not hasattr(fn, "named_parameters"):
            raise TypeError(f"gradcheck(params=True) needs a Module, got {type(fn).__name__}: pass the layer "
                            "itself, not a function that calls it")
        fn.double()  # type: ignore[attr-defined]
        fn.zero_grad()  # type: ignore[attr-defined]
        checked += list(fn.named_parameters())  # type: ignore[attr-defined]
    if not checked:
        raise ValueError("gradcheck needs at least one input Tensor with requires_grad=True (or params=True and "
                         "a layer with parameters)")

    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape)
    weights = out.xp.asarray(weights)

    def scalar(arguments: list[Any]) -> float:
        value = fn(*arguments)
        return float((value.data.astype(np.float64) * weights).sum())

    try:
        (out * Tensor(weights)).sum().backward()
    except GradientShapeError as error:  # e.g. a backward that forgot to unbroadcast
        raise GradcheckError(f"gradient check failed: {error}") from error

    report = GradcheckReport()
    for i, x in checked:
        analytic = np.zeros(x.shape) if x.grad is None else np.asarray(to_numpy(x.grad), dtype=np.float64)
        numeric = np.zeros(x.shape)
        flat = x.data.reshape(-1)  # a view: writing into it perturbs the input in place
        for k in range(flat.size):
            original = flat[k].item()
            flat[k] = original + eps
            plus = scalar(args)
            flat[k] = original - eps
            minus = scalar(args)
            flat[k] = original
            numeric.reshape(-1)[k] = (plus - minus) / (2 * eps)
        report.inputs.append(_compare(i, analytic, numeric, atol, rtol))

    if raise_on_failure and not report.passed:
        raise GradcheckError(f"gradient check failed (eps={eps}, atol={atol}, rtol={rtol}):\n{report}")
    return report


def _to_float64(x: Any) -> Any:
    if isinstance(x, Tensor) and np.issubdtype(x.dtype, np.floating):
        copy = Tensor(x.data.astype(np.float64, copy=True))
        copy.requires_grad = x.requires_grad
        return copy
    return x


def _compare(index: int, analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float) -> InputReport:
    error = np.abs(analytic - numeric)
    relative = error / np.maximum(np.abs(numeric), 1e-12)
    ok = error <= atol + rtol * np.abs(numeric)
    if error.size == 0:
        return InputReport(index, analytic.shape, 0.0, 0.0, None, None, None, True)
    worst = np.unravel_index(int(np.argmax(error - (atol + rtol * np.abs(numeric)))), error.shape)
    return InputReport(
        index=index,
        shape=tuple(analytic.shape),
        max_abs_error=float(error.max()),
        max_rel_error=float(relative.max()),
        worst_index=tuple(int(i) for i in worst),
        analytic=float(analytic[worst]),
        numeric=float(numeric[worst]),
        passed=bool(ok.all()),
    )


def gradgradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    raise_on_failure: bool = True,
    seed: int = 0,
) -> GradcheckReport:
    """Check second derivatives: ``gradcheck`` applied to the first derivative.

    With fixed random weights w (for the output) and uᵢ (one per input), the first derivative is reduced to

        h(x) = Σᵢ ⟨ ∂(Σ f ⊙ w)/∂xᵢ , uᵢ ⟩

    computed by ``autograd.grad(..., create_graph=True)``. Its backward therefore runs through the recorded
    backward pass of every op (the second derivatives), while its central differences need first derivatives
    only: agreement means the op's backward is itself differentiated correctly.
    """
    from . import autograd

    args = [_to_float64(x) for x in inputs]
    wrt = [i for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradgradcheck needs at least one input Tensor with requires_grad=True")
    rng = np.random.default_rng(seed + 1)
    out_shape = fn(*args).shape
    weights = Tensor(rng.uniform(0.5, 1.5, size=out_shape))
    directions = [Tensor(rng.uniform(-1.0, 1.0, size=args[i].shape)) for i in wrt]

    def first_derivative(*arguments: Any) -> Tensor:
        xs = [arguments[i] for i in wrt]
        grads = autograd.grad((fn(*arguments) * weights).sum(), xs, create_graph=True, allow_unused=True)
        total = sum((x * 0.0).sum() for x in xs)  # keeps h connected to every input, even where f is linear
        for g, u in zip(grads, directions, strict=True):
            if g is not None:
                total = total + (g * u).sum()
        return total

    return gradcheck(first_derivative, *args, eps=eps, atol=atol, rtol=rtol, raise_on_failure=raise_on_failure,
                     seed=seed)

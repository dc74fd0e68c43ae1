"""Which inputs made the model decide: saliency, integrated gradients and occlusion.

Each method returns an array of the input's shape — an *attribution*, one number per input value (per pixel),
saying how much that value pushed the score of the ``target`` class up (positive) or down (negative). ``x`` is a
batch (N, …), as the model takes it; ``target`` is one class index for all samples, one per sample, or None
when the model gives one number per sample. The model runs in eval mode (dropout off); its mode is restored.

* ``saliency`` — the gradient  ∂S_c/∂x  (Simonyan et al., 2013): how much S_c changes for a small change of
  each input. One backward pass, but only local: a saturated neuron has gradient 0 even when its input matters.
* ``integrated_gradients`` — the gradient averaged along the straight path from a baseline x′ (a black image)
  to x, times the distance travelled (Sundararajan et al., 2017):

      IGᵢ(x) = (xᵢ − x′ᵢ) · ∫₀¹ ∂S(x′ + α (x − x′)) / ∂xᵢ dα

  By the fundamental theorem of calculus for path integrals the attributions add up to the change of the score,
  Σᵢ IGᵢ(x) = S(x) − S(x′) ("completeness"): a check that the integral was computed accurately enough.
* ``occlusion`` — slide a patch of the baseline value over the input and record how much the score drops:
  Δ = S(x) − S(x with the patch covered), averaged over the patches covering each pixel (Zeiler & Fergus, 2014).
  No gradients at all: it works for any model, at the cost of one forward pass per patch position.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import to_numpy
from ..grad_mode import no_grad
from ..tensor import Tensor

Target = int | Sequence[int] | np.ndarray | None


def _as_batch(x: Any) -> np.ndarray:
    values = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    if values.ndim == 0:
        raise ValueError("the input must be a batch (N, ...): add a batch axis with x[None]")
    if not np.issubdtype(values.dtype, np.floating):
        values = values.astype(np.float32)
    return values


def _device_like(model: Any, values: np.ndarray) -> Tensor:
    """A tensor of ``values`` on the device (and in the float dtype) of the model's weights."""
    from .. import backend

    first = next(model.parameters(), None) if hasattr(model, "parameters") else None
    dtype = first.dtype if first is not None else values.dtype
    device = first.device if first is not None else "cpu"
    return Tensor(backend.to_device(values.astype(dtype, copy=False), device))


def _targets(target: Target, n: int) -> np.ndarray | None:
    if target is None:
        return None
    indices = np.asarray(target, dtype=np.int64).reshape(-1)
    if indices.size == 1:
        indices = np.full(n, int(indices[0]))
    if indices.size != n:
        raise ValueError(f"target has {indices.size} class indices for a batch of {n} samples: give one index, or "
                         "one per sample")
    return indices


def class_scores(output: Tensor, indices: np.ndarray | None) -> Tensor:
    """S_c for each sample: ``output[i, indices[i]]`` (differentiable), or the output itself when it has one
    number per sample (``indices`` None)."""
    if indices is None:
        if output.size != output.shape[0]:
            raise ValueError(f"the model's output has shape {output.shape}: pass target= (the class to explain)")
        return output.reshape(output.shape[0])
    if output.ndim != 2:
        raise ValueError(f"the model's output has shape {output.shape}; with target= it must be (N, classes)")
    if indices.min() < 0 or indices.max() >= output.shape[1]:
        raise ValueError(f"target {indices.tolist()} is out of range for {output.shape[1]} classes")
    one_hot = np.zeros(output.shape, dtype=output.dtype)
    one_hot[np.arange(output.shape[0]), indices] = 1
    return (output * Tensor(output.xp.asarray(one_hot))).sum(axis=1)


class _EvalMode:
    """Run the model in eval mode and put its mode back afterwards."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.modes = [(m, m.training) for m in self.model.modules()] if hasattr(self.model, "modules") else []
        for module, _ in self.modes:
            object.__setattr__(module, "training", False)

    def __exit__(self, *exc_info: object) -> None:
        for module, mode in self.modes:
            object.__setattr__(module, "training", mode)


def _gradients(model: Any, inputs: np.ndarray, indices: np.ndarray | None, batch_size: int) -> tuple[np.ndarray,
                                                                                                        np.ndarray]:
    """(∂S/∂x for every row of ``inputs``, S for every row), computed ``batch_size`` rows at a time.

    The rows do not interact in eval mode, so ∂(Σ_rows S)/∂x gives every row's own gradient in one backward."""
    grads, scores = np.empty(inputs.shape, dtype=np.float64), np.empty(inputs.shape[0], dtype=np.float64)
    for start in range(0, inputs.shape[0], batch_size):
        stop = min(start + batch_size, inputs.shape[0])
        x = _device_like(model, inputs[start:stop]).requires_grad_()
        score = class_scores(model(x), None if indices is None else indices[start:stop])
        score.sum().backward()
        grads[start:stop] = to_numpy(x.grad)
        scores[start:stop] = score.numpy()
    return grads, scores


def saliency(model: Any, x: Any, target: Target = None, absolute: bool = True) -> np.ndarray:
    """The gradient of the target score with respect to each input value, ∂S_c/∂x (its absolute value by
    default, as in the saliency maps of Simonyan et al.). Shape: that of ``x``."""
    values = _as_batch(x)
    with _EvalMode(model):
        grads, _ = _gradients(model, values, _targets(target, len(values)), batch_size=len(values))
    return np.abs(grads) if absolute else grads


def _path_points(steps: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Nodes αₖ in [0, 1] and weights wₖ with ∫₀¹ g(α) dα ≈ Σₖ wₖ g(αₖ)."""
    if method == "gausslegendre":  # exact for polynomials of degree 2·steps − 1
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return (nodes + 1) / 2, weights / 2
    if method == "trapezoid":
        alphas = np.linspace(0.0, 1.0, steps)
        weights = np.full(steps, 1.0 / (steps - 1))
        weights[[0, -1]] /= 2
        return alphas, weights
    if method == "riemann_middle":
        return (np.arange(steps) + 0.5) / steps, np.full(steps, 1.0 / steps)
    raise ValueError(f"integrated_gradients(method={method!r}): use 'gausslegendre', 'trapezoid' or 'riemann_middle'")


def integrated_gradients(model: Any, x: Any, target: Target = None, baseline: Any = None, steps: int = 50,
                         method: str = "gausslegendre", batch_size: int = 256,
                         return_delta: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """IGᵢ(x) = (xᵢ − x′ᵢ) · ∫₀¹ ∂S(x′ + α(x − x′))/∂xᵢ dα, the integral taken with ``steps`` points of
    ``method`` (Gauss–Legendre by default, as Captum; or "trapezoid", "riemann_middle").

    ``baseline`` x′: zeros by default (a black image), a number, or an array broadcastable to ``x``. With
    ``return_delta=True`` also returns, per sample, the completeness gap  Σᵢ IGᵢ − (S(x) − S(x′)): close to 0
    when ``steps`` is large enough (increase it if not).
    """
    values = _as_batch(x)
    if not (isinstance(steps, int) and steps >= 2):
        raise ValueError(f"integrated_gradients(steps={steps!r}): at least 2 points on the path")
    base = np.zeros_like(values) if baseline is None else np.broadcast_to(
        _as_batch(baseline) if np.ndim(baseline) else np.asarray(baseline, dtype=values.dtype), values.shape)
    alphas, weights = _path_points(steps, method)
    n = len(values)
    indices = _targets(target, n)
    # every point of every path in one array: (steps·N, ...), point k of sample i at row k·N + i
    path = base[None] + alphas.reshape(-1, *([1] * values.ndim)) * (values - base)[None]
    path = path.reshape(steps * n, *values.shape[1:]).astype(values.dtype)
    with _EvalMode(model):
        grads, _ = _gradients(model, path, None if indices is None else np.tile(indices, steps), batch_size)
        ends = np.concatenate([values, base.astype(values.dtype)])
        _, end_scores = _gradients(model, ends, None if indices is None else np.tile(indices, 2), batch_size)
    average = np.tensordot(weights, grads.reshape(steps, *values.shape), axes=1)  # Σₖ wₖ ∂S/∂x at αₖ
    attributions = (values - base).astype(np.float64) * average
    if not return_delta:
        return attributions
    change = end_scores[:n] - end_scores[n:]
    delta = attributions.reshape(n, -1).sum(axis=1) - change
    return attributions, delta


def occlusion(model: Any, x: Any, target: Target = None, window: int | Sequence[int] = 4,
              stride: int | Sequence[int] | None = None, baseline: float = 0.0, batch_size: int = 256) -> np.ndarray:
    """Mean drop of the target score when a patch around each input value is replaced by ``baseline``:

        A(p) = mean over the patches P ∋ p of  S(x) − S(x with P set to the baseline)

    For images (N, C, H, W) the patch is ``window`` (h, w) pixels over all channels, moved by ``stride``
    (default: the window, no overlap); for (N, d) inputs it is ``window`` consecutive features. Values no patch
    covers get 0."""
    values = _as_batch(x)
    spatial = values.shape[2:] if values.ndim >= 3 else values.shape[1:]
    dims = len(spatial)
    window = (window,) * dims if isinstance(window, int) else tuple(window)
    stride = window if stride is None else ((stride,) * dims if isinstance(stride, int) else tuple(stride))
    if len(window) != dims or len(stride) != dims or any(w > s for w, s in zip(window, spatial, strict=True)):
        raise ValueError(f"occlusion: window {window} / stride {stride} do not fit inputs with spatial shape "
                         f"{spatial}: one size per spatial axis, each at most the axis length")
    starts = [range(0, size - w + 1, s) for size, w, s in zip(spatial, window, stride, strict=True)]
    corners = [tuple(r[i] for r, i in zip(starts, position, strict=True))
               for position in np.ndindex(*[len(r) for r in starts])]
    patches = [tuple(slice(c, c + w) for c, w in zip(corner, window, strict=True)) for corner in corners]
    n = len(values)
    indices = _targets(target, n)
    lead = (slice(None), slice(None)) if values.ndim >= 3 else (slice(None),)  # batch (and channel) axes
    total = np.zeros(values.shape, dtype=np.float64)
    count = np.zeros(values.shape, dtype=np.float64)
    with _EvalMode(model), no_grad():
        plain = class_scores(model(_device_like(model, values)), indices).numpy().astype(np.float64)
        for first in range(0, len(patches), max(1, batch_size // n)):
            chunk = patches[first : first + max(1, batch_size // n)]
            covered = np.repeat(values[None], len(chunk), axis=0)
            for k, patch in enumerate(chunk):
                covered[(k, *lead, *patch)] = baseline
            flat = covered.reshape(len(chunk) * n, *values.shape[1:])
            scores = class_scores(model(_device_like(model, flat)),
                                  None if indices is None else np.tile(indices, len(chunk))).numpy()
            drops = plain[None] - scores.reshape(len(chunk), n).astype(np.float64)
            for k, patch in enumerate(chunk):
                shape = (n,) + (1,) * (values.ndim - 1)
                total[(*lead, *patch)] += drops[k].reshape(shape)
                count[(*lead, *patch)] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)

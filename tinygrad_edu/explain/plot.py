"""Pictures of explanations, drawn on bare matplotlib Figures (no pyplot, no window): each function returns the
Figure (or draws into the ``axes`` given) and saves a PNG when ``path`` is given.

* ``plot_attribution(image, attribution)`` — the image beside its attribution map (red: pushed the score up,
  blue: down), for one sample;
* ``plot_attributions(images, {"saliency": ..., "IG": ...})`` — a grid: one row per sample, one column per method;
* ``plot_importance(result)`` — permutation importances as bars with their spread over the repeats;
* ``plot_surrogate(result)`` — a local surrogate's coefficients, signed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .tabular import LocalSurrogate, PermutationImportance, feature_names


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(figure: Any, path: str | os.PathLike | None) -> Any:
    if path is not None:
        figure.savefig(path, dpi=100)
    return figure


def _as_image(array: np.ndarray) -> np.ndarray:
    """(H, W), (1, H, W) or (C, H, W) → something imshow draws: a 2-D map, or (H, W, C) for 3 channels."""
    array = np.asarray(array, dtype=np.float64)
    if array.ndim == 3 and array.shape[0] == 1:
        return array[0]
    if array.ndim == 3 and array.shape[0] == 3:
        low, high = array.min(), array.max()
        return ((array - low) / (high - low if high > low else 1)).transpose(1, 2, 0)
    return array


def attribution_map(attribution: np.ndarray) -> np.ndarray:
    """One value per pixel: the sum over channels of a (C, H, W) attribution (as Captum's visualisation)."""
    attribution = np.asarray(attribution, dtype=np.float64)
    return attribution.sum(axis=0) if attribution.ndim == 3 else attribution


SIGN_LEGEND = ("red: the pixel raises the class score, blue: it lowers it (signed maps); "
               "black → yellow: size of the effect, sign unknown (absolute maps such as saliency)")


def _show_attribution(axes: Any, attribution: np.ndarray, signed: bool = True) -> Any:
    values = attribution_map(attribution)
    limit = np.abs(values).max() or 1.0
    if signed and values.min() < 0:
        return axes.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
    return axes.imshow(np.abs(values), cmap="hot", vmin=0, vmax=limit)


def plot_attribution(image: Any, attribution: Any, title: str = "", axes: Sequence[Any] | None = None,
                     path: str | os.PathLike | None = None) -> Any:
    """Image (left) and attribution (right; signed maps in red/blue, absolute ones in black→yellow)."""
    figure = None
    if axes is None:
        figure = _figure(6, 3)
        axes = figure.subplots(1, 2)
    left, right = axes
    left.imshow(_as_image(image), cmap="gray")
    mapped = _show_attribution(right, np.asarray(attribution))
    right.figure.colorbar(mapped, ax=right, shrink=0.8)
    for a in (left, right):
        a.set_xticks([])
        a.set_yticks([])
    if title:
        right.set_title(title)
    return _save(figure, path) if figure is not None else right.figure


def plot_attributions(images: Any, methods: Mapping[str, Any], titles: Sequence[str] | None = None,
                      path: str | os.PathLike | None = None, legend: str | None = SIGN_LEGEND) -> Any:
    """A grid: rows are samples (``images`` (N, C, H, W) or (N, H, W)), the first column the image, then one
    column per attribution method (each an array shaped like ``images``), each map with its colorbar; ``legend``
    (what the colours mean) is written under the grid."""
    images = np.asarray(images)
    rows, cols = len(images), 1 + len(methods)
    figure = _figure(2.0 * cols, 2.0 * rows)
    grid = np.array(figure.subplots(rows, cols, squeeze=False))
    for i in range(rows):
        grid[i, 0].imshow(_as_image(images[i]), cmap="gray")
        grid[i, 0].set_ylabel(titles[i] if titles else f"#{i}", fontsize=8)
        for j, (name, maps) in enumerate(methods.items(), start=1):
            _show_attribution(grid[i, j], np.asarray(maps)[i])
            if i == 0:
                grid[i, j].set_title(name, fontsize=9)
        for j in range(1, cols):  # each map has its own scale: its own colorbar
            figure.colorbar(grid[i, j].images[0], ax=grid[i, j], shrink=0.8)
    for a in grid.ravel():
        a.set_xticks([])
        a.set_yticks([])
    if legend:
        figure.supxlabel(legend, fontsize=8)
    return _save(figure, path)


def plot_importance(result: PermutationImportance, names: Sequence[str] | None = None, title: str = "",
                    axes: Any = None, path: str | os.PathLike | None = None) -> Any:
    """Horizontal bars: mean drop of the metric per feature (most important on top), ± one standard deviation."""
    names = feature_names(len(result.mean), names)
    order = result.ranking()[::-1]
    figure = None
    if axes is None:
        figure = _figure(6, 0.35 * len(names) + 1.2)
        axes = figure.subplots()
    axes.barh(np.arange(len(order)), result.mean[order], xerr=result.std[order], color="C0", capsize=3)
    axes.set_yticks(np.arange(len(order)), [names[i] for i in order])
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel(f"drop in {result.metric} when shuffled")
    if title:
        axes.set_title(title)
    return _save(figure, path) if figure is not None else axes.figure


def plot_surrogate(result: LocalSurrogate, names: Sequence[str] | None = None, title: str = "", axes: Any = None,
                   path: str | os.PathLike | None = None) -> Any:
    """Horizontal bars of the surrogate's coefficients (green: raises the prediction, red: lowers it)."""
    names = feature_names(len(result.coefficients), names)
    order = result.ranking()[::-1]
    figure = None
    if axes is None:
        figure = _figure(6, 0.35 * len(names) + 1.2)
        axes = figure.subplots()
    values = result.coefficients[order]
    axes.barh(np.arange(len(order)), values, color=np.where(values >= 0, "C2", "C3"))
    axes.set_yticks(np.arange(len(order)), [names[i] for i in order])
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel(f"local effect of +1σ (R² = {result.score:.2f}, f(x) = {result.prediction:.3g})")
    if title:
        axes.set_title(title)
    return _save(figure, path) if figure is not None else axes.figure

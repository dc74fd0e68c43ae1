"""Explanations: which inputs a model's decision depends on.

    >>> from tinygrad_edu import explain
    >>> maps = explain.integrated_gradients(model, images, target=labels, steps=64)   # doctest: +SKIP
    >>> explain.plot_attributions(images, {"IG": maps}, path="ig.png")                 # doctest: +SKIP

| file | holds |
| --- | --- |
| ``attribution.py`` | ``saliency``, ``integrated_gradients`` (completeness: Σ IG = S(x) − S(x′)), ``occlusion`` |
| ``tabular.py`` | ``permutation_importance`` (global), ``local_surrogate`` (LIME-style, one prediction) |
| ``shap.py`` | ``kernel_shap`` (weighted regression over coalitions), ``exact_shapley`` (enumeration) |
| ``plot.py`` | ``plot_attribution``, ``plot_attributions``, ``plot_importance``, ``plot_surrogate`` |

May import: ``nn``, ``optim``, ``data`` and the engine; never ``demo`` or ``bench``.
"""

from .attribution import class_scores, integrated_gradients, occlusion, saliency
from .plot import attribution_map, plot_attribution, plot_attributions, plot_importance, plot_surrogate
from .shap import ShapExplanation, exact_shapley, kernel_shap, shapley_kernel_weight
from .tabular import LocalSurrogate, PermutationImportance, local_surrogate, permutation_importance

__all__ = [
    "LocalSurrogate", "PermutationImportance", "attribution_map", "class_scores", "integrated_gradients",
    "local_surrogate", "occlusion", "permutation_importance", "plot_attribution", "plot_attributions",
    "plot_importance", "plot_surrogate", "saliency",
    "ShapExplanation", "exact_shapley", "kernel_shap", "shapley_kernel_weight",
]

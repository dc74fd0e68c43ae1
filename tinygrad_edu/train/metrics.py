"""Metrics: how good the predictions of a batch are, as one number (the batch mean).

A metric is a function ``metric(output, target) -> float`` on a batch; ``fit`` and ``evaluate`` weight each
batch's value by its number of samples, so the epoch's value is the mean over all samples, not the mean of
batch means. Metrics look at values only: no graph is built.

On the GPU the built-in metrics return a 0-d CuPy array instead of a float, so that ``fit`` can add them up on
the device and copy the sums to the host once per epoch (every ``float()`` of a GPU value is a device → host
copy that waits for the GPU). ``float(metric(...))`` gives the number on either device.

Names accepted by ``fit(metrics=...)``: ``"accuracy"`` (alias ``"acc"``), ``"binary_accuracy"``, ``"mse"``,
``"mae"``; any function with the signature above works too (its ``__name__`` names the column).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor

Metric = Callable[[Any, Any], float]


def _array(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _number(mean: Any) -> Any:
    """A NumPy result as a Python float; a CuPy one stays on the device (a 0-d array)."""
    return float(mean) if get_array_module(mean) is np else mean


def accuracy(output: Any, target: Any) -> float:
    """The fraction of correct class predictions:  (1/N) Σᵢ [argmax_c ŷᵢc = yᵢ].

    ``output`` holds scores (logits or probabilities) with the classes on axis 1 — shape (N, C) or
    (N, C, d₁, …), as ``cross_entropy`` expects; ``target`` holds class indices (N,) / (N, d₁, …), or one-hot
    rows of the output's shape.
    """
    output, target = _array(output), _array(target)
    if output.ndim < 2:
        raise ValueError(f"accuracy: the output of shape {tuple(output.shape)} has no class axis; "
                         "for one score per sample use 'binary_accuracy'")
    predicted = output.argmax(axis=1)
    if target.shape == output.shape:
        target = target.argmax(axis=1)  # one-hot (or soft) targets
    if target.shape != predicted.shape:
        raise ValueError(f"accuracy: output of shape {tuple(output.shape)} (classes on axis 1) does not fit "
                         f"target of shape {tuple(target.shape)}: targets are class indices of shape "
                         f"{tuple(predicted.shape)}")
    return _number((predicted == target).mean())


def binary_accuracy(output: Any, target: Any, threshold: float = 0.0) -> float:
    """The fraction of correct yes/no predictions:  (1/N) Σᵢ [(ŷᵢ > threshold) = yᵢ].

    The default threshold 0 suits logits (sigmoid(0) = ½, as ``binary_cross_entropy_with_logits``); use 0.5
    for probabilities.
    """
    output, target = _array(output), _array(target)
    predicted = (output > threshold).reshape(target.shape)
    return _number((predicted == (target > 0.5)).mean())


def mse(output: Any, target: Any) -> float:
    """Mean squared error  (1/N) Σᵢ (ŷᵢ − yᵢ)²."""
    output, target = _array(output), _array(target)
    return _number(((output - target.reshape(output.shape)) ** 2).mean())


def mae(output: Any, target: Any) -> float:
    """Mean absolute error  (1/N) Σᵢ |ŷᵢ − yᵢ|."""
    output, target = _array(output), _array(target)
    return _number(abs(output - target.reshape(output.shape)).mean())


METRICS: dict[str, Metric] = {
    "accuracy": accuracy, "acc": accuracy, "binary_accuracy": binary_accuracy, "mse": mse, "mae": mae,
}


def resolve_metrics(metrics: Sequence[str | Metric] | str | None) -> dict[str, Metric]:
    """``{name: function}`` for the names and functions given to ``fit`` / ``evaluate``."""
    if metrics is None:
        return {}
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    resolved = {}
    for metric in metrics:
        if isinstance(metric, str):
            if metric not in METRICS:
                raise ValueError(f"unknown metric {metric!r}: use one of {sorted(METRICS)} or pass a function "
                                 "metric(output, target) -> float")
            resolved["accuracy" if metric == "acc" else metric] = METRICS[metric]
        elif callable(metric):
            resolved[getattr(metric, "__name__", type(metric).__name__)] = metric
        else:
            raise TypeError(f"a metric is a name or a function, got {type(metric).__name__}")
    if "loss" in resolved:
        raise ValueError("a metric may not be called 'loss': that column holds the loss itself")
    return resolved


class RunningMean:
    """Sample-weighted running means of the loss and metrics over the batches of an epoch. The totals stay
    where the values are (a metric of GPU arrays is summed on the GPU) until ``means()`` reads them."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.count = 0

    def update(self, values: dict[str, float], n: int) -> None:
        for name, value in values.items():
            self.totals[name] = self.totals.get(name, 0.0) + value * n
        self.count += n

    def means(self) -> dict[str, float]:
        """The means as Python floats (for sums kept on the GPU: one device → host copy each)."""
        return {name: self.mean(name) for name in self.totals} if self.count else {}

    def mean(self, name: str) -> float:
        return float(self.totals[name]) / self.count

"""Structured pruning that makes the network smaller: ``shrink(model, amount)`` removes whole filters.

Masks (prune.py) zero weights but keep every array at its size, so the same dense products run as before:
an 80%-sparse network is exactly as slow as the dense one. Removing a convolution's output filter instead
removes a row of its weight, an entry of its bias, the matching BatchNorm channel and a column block of the
next layer's weight — every array really shrinks and the products shrink with them.

For each Conv2d / Linear of a ``Sequential`` except the last (whose outputs are the model's outputs):

1. rank its output filters by L1 norm, ‖W[o]‖₁ = Σ_{c,i,j} |W[o, c, i, j]| (a Linear's rows likewise), and keep
   the ⌈(1 − amount) · O⌉ largest, in their original order — every layer ranked on the original weights;
2. rebuild the layer with those rows of W and entries of b;
3. slice every BatchNorm between it and the next weighted layer (γ, β, running mean and variance);
4. rebuild the next layer with only the matching inputs: the same columns W[:, kept] of a Conv2d or Linear, or,
   after a ``Flatten`` of (N, C, H, W), the blocks of H·W columns that belonged to the kept channels.

The ops in between (ReLU, pooling, dropout, flatten) have no per-channel parameters and need no change. A small
filter contributes little to the next layer, but it is not nothing: accuracy drops a little and a short
fine-tune recovers it (docs/compression.md has the figures).
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict

import numpy as np

from ...backend import to_numpy
from ..batchnorm import BatchNorm1d, BatchNorm2d
from ..conv import Conv2d
from ..linear import Flatten, Linear
from ..module import Module, Parameter, Sequential
from .prune import is_pruned

Weighted = Conv2d | Linear


def filter_l1_norms(layer: Weighted) -> np.ndarray:
    """‖W[o]‖₁ for every output filter (Conv2d) or neuron (Linear) o."""
    weight = to_numpy(layer.weight.data)
    return np.abs(weight.reshape(weight.shape[0], -1)).sum(axis=1)


def filters_to_keep(layer: Weighted, amount: float) -> np.ndarray:
    """Indices (ascending) of the ⌈(1 − amount) · O⌉ filters of largest L1 norm; ties broken by position."""
    if not 0.0 <= amount < 1.0:
        raise ValueError(f"shrink(amount={amount}): the fraction of filters to remove must be in [0, 1)")
    norms = filter_l1_norms(layer)
    count = max(1, math.ceil((1.0 - amount) * len(norms) - 1e-9))
    order = np.argsort(-norms, kind="stable")
    return np.sort(order[:count])


def _set(module: Module, name: str, array: np.ndarray) -> None:
    setattr(module, name, Parameter(module.weight.xp.ascontiguousarray(array)))


def _take_outputs(layer: Weighted, keep: np.ndarray) -> Weighted:
    new = copy.deepcopy(layer)
    _set(new, "weight", layer.weight.data[keep])
    if layer.bias is not None:
        _set(new, "bias", layer.bias.data[keep])
    if isinstance(new, Conv2d):
        new.out_channels = len(keep)
    else:
        new.out_features = len(keep)
    return new


def _take_inputs(layer: Weighted, columns: np.ndarray) -> Weighted:
    new = copy.deepcopy(layer)
    _set(new, "weight", layer.weight.data[:, columns])
    if isinstance(new, Conv2d):
        new.in_channels = len(columns)
    else:
        new.in_features = len(columns)
    return new


def _take_channels(norm: BatchNorm1d | BatchNorm2d, keep: np.ndarray) -> BatchNorm1d | BatchNorm2d:
    new = copy.deepcopy(norm)
    if norm.weight is not None:
        _set(new, "weight", norm.weight.data[keep])
        _set(new, "bias", norm.bias.data[keep])
    for name in ("running_mean", "running_var"):
        buffer = norm._buffers.get(name)
        if buffer is not None:
            new._buffers[name].data = buffer.data[keep].copy()
    new.num_features = len(keep)
    return new


def _check(model: Module) -> list[tuple[str, Module]]:
    if not isinstance(model, Sequential):
        raise TypeError(f"shrink: expects an nn.Sequential (layer order defines who feeds whom), got "
                        f"{type(model).__name__}; write the network as a Sequential or shrink its Sequential parts")
    if is_pruned(model):
        raise ValueError("shrink: the model has pruning masks; call prune.remove(module, 'weight') on each pruned "
                         "layer first (shrink ranks the filters of the weights as they are)")
    items = list(model._modules.items())
    for name, module in items:
        if isinstance(module, Conv2d) and module.groups != 1:
            raise ValueError(f"shrink: layer {name} is a grouped convolution (groups={module.groups}); removing its "
                             "filters would change its groups — not supported")
    return items


def shrink(model: Sequential, amount: float = 0.5) -> Sequential:
    """A new, smaller ``Sequential``: the fraction ``amount`` of the filters (neurons) of every Conv2d/Linear but
    the last removed, those of smallest L1 norm, with the following BatchNorm and the next layer's inputs cut to
    match. ``model`` is left unchanged."""
    items = _check(model)
    names = [name for name, _ in items]
    layers = [module for _, module in items]
    weighted = [i for i, m in enumerate(layers) if isinstance(m, Conv2d | Linear)]
    # every layer ranked on its original weights (Li et al. 2017's "independent" ranking), before any cut
    kept = {i: filters_to_keep(layers[i], amount) for i in weighted[:-1]}
    for producer, consumer in zip(weighted, weighted[1:], strict=False):
        old_channels = layers[producer].weight.shape[0]
        keep = kept[producer]
        layers[producer] = _take_outputs(layers[producer], keep)
        columns = keep
        for k in range(producer + 1, consumer):
            between = layers[k]
            if isinstance(between, BatchNorm1d | BatchNorm2d):
                layers[k] = _take_channels(between, keep)
            elif isinstance(between, Flatten):
                spatial = layers[consumer].weight.shape[1] // old_channels  # H·W per channel, channel-major
                columns = (keep[:, None] * spatial + np.arange(spatial)).reshape(-1)
            elif any(True for _ in between.parameters()):
                raise ValueError(f"shrink: layer {names[k]} ({type(between).__name__}) has parameters and sits "
                                 f"between {names[producer]} and {names[consumer]}; only BatchNorm can be cut")
        layers[consumer] = _take_inputs(layers[consumer], columns)
    return Sequential(OrderedDict(zip(names, layers, strict=True))).train(model.training)


__all__ = ["filter_l1_norms", "filters_to_keep", "shrink"]

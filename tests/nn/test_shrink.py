"""Structured pruning that rebuilds smaller layers: the shrunk network computes exactly what the original does
with the removed channels silenced, the shapes really shrink, BatchNorm is cut too, and misuse is refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn.utils import prune, shrink
from tinygrad_edu.nn.utils.shrink import filter_l1_norms, filters_to_keep


def _cnn(batch_norm: bool) -> nn.Sequential:
    norm = [nn.BatchNorm2d(6)] if batch_norm else []
    return nn.Sequential(
        nn.Conv2d(2, 6, 3), *norm, nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3), nn.ReLU(),
        nn.Flatten(), nn.Linear(8 * 2 * 2, 12), nn.ReLU(), nn.Linear(12, 3),
    )


def _silenced(model: nn.Sequential, kept: dict[int, np.ndarray]) -> nn.Sequential:
    """The original model with every removed channel's output forced to 0 (weights, bias and BN shift zeroed):
    what the shrunk model must compute."""
    for index, keep in kept.items():
        layer = model[index]
        dropped = np.setdiff1d(np.arange(layer.weight.shape[0]), keep)
        layer.weight.data[dropped] = 0
        layer.bias.data[dropped] = 0
        following = model[index + 1]
        if isinstance(following, nn.BatchNorm2d):
            following.weight.data[dropped] = 0
            following.bias.data[dropped] = 0
    return model


@settings(deadline=None, max_examples=20)
@given(batch_norm=st.booleans(), amount=st.sampled_from([0.0, 0.25, 0.5, 0.75]), seed=st.integers(0, 2**16))
def test_the_shrunk_network_equals_the_original_with_the_channels_silenced(batch_norm, amount, seed):
    tg.manual_seed(seed)
    model = _cnn(batch_norm)
    if batch_norm:  # non-trivial running statistics, used in eval mode
        norm = model[1]
        norm.running_mean.data = np.random.default_rng(seed).normal(size=6).astype(np.float32)
        norm.running_var.data = np.random.default_rng(seed + 1).uniform(0.5, 2, size=6).astype(np.float32)
    model.eval()
    small = shrink(model, amount)
    weighted = [i for i, m in enumerate(model) if isinstance(m, nn.Conv2d | nn.Linear)]
    kept = {i: filters_to_keep(model[i], amount) for i in weighted[:-1]}
    x = tg.randn(5, 2, 10, 10)
    with tg.no_grad():
        expected = _silenced(model, kept)(x).data
        got = small(x).data
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_every_array_really_shrinks():
    tg.manual_seed(0)
    model = _cnn(batch_norm=True)
    small = shrink(model, 0.5)
    assert small[0].weight.shape == (3, 2, 3, 3) and small[0].out_channels == 3
    assert small[1].weight.shape == (3,) and small[1].running_mean.shape == (3,) and small[1].num_features == 3
    assert small[4].weight.shape == (4, 3, 3, 3) and small[4].in_channels == 3
    assert small[7].weight.shape == (6, 4 * 2 * 2) and small[7].in_features == 16  # Flatten: 4 channels × 2·2
    assert small[9].weight.shape == (3, 6)  # the output layer keeps its 3 outputs
    assert sum(p.size for p in small.parameters()) < 0.4 * sum(p.size for p in model.parameters())
    assert small(tg.randn(2, 2, 10, 10)).shape == (2, 3)
    assert model[0].weight.shape == (6, 2, 3, 3)  # the original is untouched


def test_filters_are_ranked_by_l1_norm():
    layer = nn.Linear(3, 4)
    layer.weight.data = np.array([[1, 1, 1], [0, 0, 0.5], [-3, 0, 0], [0.1, 0.1, 0.1]], dtype=np.float32)
    np.testing.assert_allclose(filter_l1_norms(layer), [3, 0.5, 3, 0.3], rtol=1e-6)
    assert filters_to_keep(layer, 0.5).tolist() == [0, 2]
    assert filters_to_keep(layer, 0.0).tolist() == [0, 1, 2, 3]


def test_the_shrunk_network_trains():
    tg.manual_seed(1)
    small = shrink(_cnn(batch_norm=True), 0.5)
    optimizer = optim.SGD(small.parameters(), lr=0.1)
    x, y = tg.randn(8, 2, 10, 10), tg.tensor(np.arange(8) % 3)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = tg.nn.functional.cross_entropy(small(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_misuse_is_refused_with_the_fix():
    with pytest.raises(TypeError, match="Sequential"):
        shrink(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="grouped"):
        shrink(nn.Sequential(nn.Conv2d(4, 4, 3, groups=2), nn.Conv2d(4, 2, 1)))
    masked = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    prune.l1_unstructured(masked[0], amount=0.5)
    with pytest.raises(ValueError, match="prune.remove"):
        shrink(masked)
    with pytest.raises(ValueError, match="amount"):
        shrink(nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2)), 1.0)

"""Pruning: the right entries are zeroed (compared with PyTorch's torch.nn.utils.prune), masks hold through
forward, backward and optimizer steps, iterative pruning counts what is left, structured pruning removes whole
filters/channels by their Lₙ norm, remove() makes it permanent, sparsity() reports it."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.utils import prune, sparsity

from ..helpers import require_torch


def zeros(tensor) -> int:
    return int(np.sum(tensor.numpy() == 0))


def test_l1_unstructured_zeroes_the_smallest_magnitudes():
    layer = nn.Linear(10, 5)
    before = layer.weight.numpy().copy()
    prune.l1_unstructured(layer, "weight", amount=0.3)
    after = layer.weight.numpy()
    pruned = after == 0
    assert pruned.sum() == 15
    assert np.abs(before[pruned]).max() <= np.abs(before[~pruned]).min()
    np.testing.assert_array_equal(after[~pruned], before[~pruned])
    np.testing.assert_array_equal(layer.weight_mask.numpy(), (~pruned).astype(np.float32))
    assert prune.is_pruned(layer) and "weight_mask" in layer.state_dict()


def test_masks_hold_through_backward_and_optimizer_steps():
    tg.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9, weight_decay=0.1)  # built before pruning
    x, y = tg.randn(16, 6), tg.tensor(np.arange(16) % 3)
    for _ in range(3):  # some momentum first, so that pruned weights would drift back without the mask
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    prune.l1_unstructured(model[0], amount=0.5)
    mask = model[0].weight_mask.numpy() == 0
    for _ in range(5):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        assert np.all(model[0].weight.numpy()[mask] == 0)  # the forward pass only sees masked weights
        loss.backward()
        assert np.all(model[0].weight.grad[mask] == 0)  # ∂(w ⊙ m)/∂w = m
        optimizer.step()
    assert sparsity(model).rows[0].zeros == mask.sum()


def test_iterative_pruning_counts_the_remaining_entries_and_int_amounts():
    layer = nn.Linear(20, 10)
    prune.l1_unstructured(layer, amount=0.5)
    prune.l1_unstructured(layer, amount=0.5)
    assert zeros(layer.weight) == 150  # 50% of 200, then 50% of the 100 left
    prune.l1_unstructured(layer, amount=10)
    assert zeros(layer.weight) == 160
    with pytest.raises(ValueError, match="only 40 are left"):
        prune.l1_unstructured(layer, amount=41)
    with pytest.raises(ValueError, match="between 0 and 1"):
        prune.l1_unstructured(layer, amount=1.5)
    with pytest.raises(AttributeError, match="no parameter 'scale'"):
        prune.l1_unstructured(layer, "scale", amount=0.1)


def test_global_pruning_uses_one_threshold_for_all_layers():
    model = nn.Sequential(nn.Linear(30, 20), nn.ReLU(), nn.Linear(20, 5))
    with tg.no_grad():
        model[2].weight.data *= 10  # the second layer's weights are larger: it should lose fewer
    weights = [m.weight.numpy().copy() for m in (model[0], model[2])]
    prune.global_unstructured(prune.prunable(model), amount=0.6)
    report = sparsity(model)
    assert report.zeros == round(0.6 * 700) and report.global_sparsity == pytest.approx(0.6)
    kept = np.concatenate([np.abs(w[m.weight.numpy() != 0]) for w, m in zip(weights, (model[0], model[2]),
                                                                          strict=True)])
    dropped = np.concatenate([np.abs(w[m.weight.numpy() == 0]) for w, m in zip(weights, (model[0], model[2]),
                                                                             strict=True)])
    assert dropped.max() <= kept.min()
    assert report.rows[0].sparsity > report.rows[1].sparsity
    assert [r.name for r in report.rows] == ["0.weight", "2.weight"]
    table = str(report)
    assert "global" in table and "60.00%" in table


def test_structured_pruning_removes_whole_filters_and_channels():
    conv = nn.Conv2d(3, 8, 3)
    norms = np.abs(conv.weight.numpy()).sum(axis=(1, 2, 3))
    prune.prune_filters(conv, amount=0.25)
    weight = conv.weight.numpy()
    dead = np.all(weight == 0, axis=(1, 2, 3))
    assert dead.sum() == 2 and set(np.flatnonzero(dead)) == set(np.argsort(norms)[:2])
    out = conv(tg.randn(1, 3, 5, 5)).numpy()
    np.testing.assert_allclose(out[0, dead], conv.bias.numpy()[dead][:, None, None].repeat(3, 1).repeat(3, 2))
    prune.prune_filters(conv, amount=0.5)  # half of the 6 filters still alive
    assert np.all(conv.weight.numpy() == 0, axis=(1, 2, 3)).sum() == 5
    layer = nn.Linear(6, 4)
    prune.prune_channels(layer, amount=2, n=2)
    assert np.all(layer.weight.numpy() == 0, axis=0).sum() == 2


def test_random_pruning_and_remove_make_it_permanent():
    layer = nn.Linear(10, 10)
    prune.random_unstructured(layer, amount=0.3)
    assert zeros(layer.weight) == 30
    parameter = layer.weight
    prune.remove(layer)
    assert not prune.is_pruned(layer) and "weight_mask" not in layer.state_dict()
    assert layer.weight is parameter and zeros(layer.weight) == 30
    with pytest.raises(ValueError, match="not pruned"):
        prune.remove(layer)


def test_masks_match_pytorch():
    torch = require_torch()
    import torch.nn.utils.prune as torch_prune

    ours = nn.Sequential(nn.Conv2d(2, 6, 3), nn.Flatten(), nn.Linear(6 * 4 * 4, 5))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 6, 3), torch.nn.Flatten(), torch.nn.Linear(96, 5))
    with torch.no_grad():
        for mine, other in ((ours[0], theirs[0]), (ours[2], theirs[2])):
            other.weight.copy_(torch.tensor(mine.weight.numpy()))
    prune.l1_unstructured(ours[2], amount=0.3)
    torch_prune.l1_unstructured(theirs[2], "weight", amount=0.3)
    prune.ln_structured(ours[0], amount=0.5, n=2, dim=0)
    torch_prune.ln_structured(theirs[0], "weight", amount=0.5, n=2, dim=0)
    prune.global_unstructured([(ours[0], "weight"), (ours[2], "weight")], amount=0.4)
    torch_prune.global_unstructured([(theirs[0], "weight"), (theirs[2], "weight")],
                                    pruning_method=torch_prune.L1Unstructured, amount=0.4)
    for mine, other in ((ours[0], theirs[0]), (ours[2], theirs[2])):
        np.testing.assert_array_equal(mine.weight_mask.numpy(), other.weight_mask.numpy())
        np.testing.assert_array_equal(mine.weight.numpy(), other.weight.detach().numpy())

"""Transfer learning: freeze()/unfreeze(), optimizers with frozen parameters, the frozen-prefix cache, and the
three-run recipe on a tiny generated task."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim
from tinygrad_edu.models import mobilenet_v2_small
from tinygrad_edu.train import transfer as T


def _tiny_net(classes: int = 3) -> T.TransferNet:
    tg.manual_seed(0)
    backbone = mobilenet_v2_small(num_classes=classes, width_mult=0.25, last_channel=32)
    return T.TransferNet(backbone.features, T.feature_channels(backbone.features), classes, hidden=16)


def test_freeze_keeps_the_backbone_in_eval_mode_and_without_gradients():
    net = _tiny_net()
    x = tg.tensor(np.random.default_rng(0).normal(size=(4, 1, 28, 28)).astype(np.float32))
    F.cross_entropy(net(x), tg.tensor([0, 1, 2, 0])).backward()
    net.features.freeze()
    assert all(not p.requires_grad and p.grad is None for p in net.features.parameters())
    net.train()  # what fit() calls every epoch
    assert not any(m.training for m in net.features.modules())
    assert all(m.training for m in net.classifier.modules())
    bn = net.features[0][1]
    before = bn.running_mean.data.copy(), bn.num_batches_tracked.data.copy()
    net(x)
    np.testing.assert_array_equal(bn.running_mean.data, before[0])  # source-domain statistics kept
    assert bn.num_batches_tracked.data == before[1]
    net.features[-1].unfreeze()
    net.train()
    assert net.features[-1].training and net.features[-1][0].weight.requires_grad
    assert not net.features[0].training


def test_optimizer_accepts_frozen_parameters_and_skips_them():
    net = _tiny_net()
    net.features.freeze()
    optimizer = optim.Adam(net.parameters(), lr=0.1)  # as in PyTorch: the frozen ones are skipped
    frozen = [p.data.copy() for p in net.features.parameters()]
    head = [p.data.copy() for p in net.classifier.parameters()]
    x = tg.tensor(np.random.default_rng(0).normal(size=(4, 1, 28, 28)).astype(np.float32))
    F.cross_entropy(net(x), tg.tensor([0, 1, 2, 0])).backward()
    optimizer.step()
    for before, p in zip(frozen, net.features.parameters(), strict=True):
        np.testing.assert_array_equal(before, p.data)
    assert any(not np.array_equal(before, p.data) for before, p in zip(head, net.classifier.parameters(),
                                                                         strict=True))
    with pytest.raises(ValueError, match="does not require grad, nor does any other"):
        optim.SGD(net.features.parameters(), lr=0.1)
    trainable = optim.SGD(filter(lambda p: p.requires_grad, net.parameters()), lr=0.1)  # the PyTorch idiom
    assert len(trainable.param_groups[0]["params"]) == 4  # the head: two Linear layers


def test_the_frozen_prefix_is_computed_once_with_the_same_numbers():
    net = _tiny_net().eval()
    for module in list(net.features)[:5]:
        module.freeze()
    assert T.frozen_prefix(net.features) == 5
    x = np.random.default_rng(0).normal(size=(3, 1, 28, 28)).astype(np.float32)
    cached = T.precompute(nn.Sequential(*list(net.features)[:5]), x)
    part = T._TrainablePart(nn.Sequential(*list(net.features)[5:]), net.classifier).eval()
    np.testing.assert_allclose(part(tg.tensor(cached)).data, net(tg.tensor(x)).data, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_the_three_runs_on_a_tiny_generated_task():
    sizes = T.Sizes(source_train=200, source_val=50, source_test=50, labelled=60, val=40, test=60)
    source, target = T.shapes_to_noisy_shapes(sizes, seed=0)
    assert target.x_train.min() >= -1 and target.x_train.max() <= 1  # the [−1, 1] range
    make = lambda classes: mobilenet_v2_small(classes, width_mult=0.25, last_channel=32)  # noqa: E731
    pretrained = T.pretrain(make, source, epochs=1).extra["model"]
    weights = {k: v.data.copy() for k, v in pretrained.state_dict().items()}
    recipe = T.Recipe(max_epochs=3, scratch_max_epochs=3, patience=2, hidden=16)
    results = T.transfer(pretrained, make, target, recipe, seed=0)
    assert list(results) == ["frozen", "fine-tuned", "scratch"]
    for name, result in results.items():
        assert 1 <= result.epochs <= 3 and 0.0 <= result.test_accuracy <= 1.0, name
        assert 1 <= result.best_epoch <= result.epochs
    for key, value in pretrained.state_dict().items():  # the pre-trained network is left untouched
        np.testing.assert_array_equal(value.data, weights[key])
    frozen = results["frozen"].extra["model"]
    for key, value in frozen.features.state_dict().items():  # (a) did not move the backbone, nor its statistics
        np.testing.assert_array_equal(value.data, weights["features." + key])
    tuned = results["fine-tuned"].extra["model"].features
    assert not np.array_equal(tuned[-1][0].weight.data, weights[f"features.{len(tuned) - 1}.0.weight"])
    np.testing.assert_array_equal(tuned[0][0].weight.data, weights["features.0.0.weight"])
    summary = T.summarize([results, results])
    assert summary["frozen"]["std"] == 0.0 and summary["frozen"]["mean"] == results["frozen"].test_accuracy

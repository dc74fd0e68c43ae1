"""GradientFlow: per-layer ‖∂L/∂W‖ and ‖δ‖ recorded each step inside fit (checked against the values computed by
hand), vanishing gradients flagged for a deep sigmoid MLP and not for ReLU with He initialisation, exploding ones
for huge weights, and the plot written."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, train
from tinygrad_edu.nn import functional as F
from tinygrad_edu.viz import GradientFlow, GradientFlowWarning


def deep_mlp(activation: type, depth: int = 10, width: int = 32, he: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(8, width), activation()]
    for _ in range(depth - 2):
        layers += [nn.Linear(width, width), activation()]
    layers.append(nn.Linear(width, 2))
    model = nn.Sequential(*layers)
    for layer in model:
        if isinstance(layer, nn.Linear):
            if he:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            else:
                nn.init.normal_(layer.weight, 0.0, 1.0 / math.sqrt(layer.in_features))
            nn.init.zeros_(layer.bias)
    return model


def data(n: int = 64):
    x = tg.randn(n, 8)
    return x, tg.tensor((x.numpy()[:, 0] > 0).astype(np.int64))


def run(model: nn.Module, steps: int = 6, **options) -> GradientFlow:
    flow = GradientFlow(window=3, **options)
    train.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.01), data(), epochs=steps,
              batch_size=64, callbacks=[flow], progress=False)
    return flow


def test_records_the_norms_of_every_step_as_computed_by_hand():
    model = nn.Sequential(nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 2))
    flow = GradientFlow().attach(model)
    x, y = data(16)
    F.cross_entropy(model(x), y).backward()
    flow.record_step()
    assert flow.layers == ["0 (Linear)", "2 (Linear)"]
    assert flow.weight_grad_norms["0 (Linear)"][0] == pytest.approx(np.linalg.norm(model[0].weight.grad), rel=1e-6)
    # δ at the output layer: ∂L/∂z = (softmax(z) − onehot(y)) / N for a mean cross-entropy
    z = model(x).numpy().astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(16), y.numpy()] -= 1
    assert flow.delta_norms["2 (Linear)"][0] == pytest.approx(np.linalg.norm(p / 16), rel=1e-5)
    flow.detach()
    assert not model[2]._forward_hooks


def test_deep_sigmoid_mlp_vanishes_and_relu_with_he_does_not():
    with pytest.warns(GradientFlowWarning, match="vanishing gradients"):
        sigmoid = run(deep_mlp(nn.Sigmoid))
    first, last = sigmoid.layers[0], sigmoid.layers[-1]
    ratio = sigmoid.recent()[first] / sigmoid.recent()[last]
    assert ratio < 1e-3
    assert sigmoid.recent("delta")[first] < 1e-3 * sigmoid.recent("delta")[last]
    assert len(sigmoid.steps) == 6 and all(len(v) == 6 for v in sigmoid.weight_grad_norms.values())

    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientFlowWarning)
        relu = run(deep_mlp(nn.ReLU, he=True))
    assert relu.warnings == []
    assert relu.recent()[relu.layers[0]] / relu.recent()[relu.layers[-1]] > 1e-2


def test_huge_weights_explode_and_every_thins_the_record():
    model = deep_mlp(nn.ReLU, depth=4)
    with tg.no_grad():
        for layer in model:
            if isinstance(layer, nn.Linear):
                layer.weight.data *= 40
    flow = run(model, steps=4, warn=False, every=2)
    assert any("exploding" in w for w in flow.warnings)
    assert flow.steps == [1, 3]


def test_summary_and_plot(tmp_path):
    flow = run(deep_mlp(nn.Tanh, depth=3), steps=3, warn=False)
    table = flow.summary()
    assert table.splitlines()[0].split() == ["layer", "‖∂L/∂W‖", "‖δ‖"] and "0 (Linear)" in table
    figure = flow.plot(tmp_path / "flow.png", title="tanh")
    assert len(figure.axes) == 3 and len(figure.axes[0].lines) == len(flow.layers)
    assert (tmp_path / "flow.png").stat().st_size > 5000
    with pytest.raises(ValueError, match="nothing recorded"):
        GradientFlow().plot()
    with pytest.raises(ValueError, match="no layer"):
        GradientFlow().attach(nn.ReLU())

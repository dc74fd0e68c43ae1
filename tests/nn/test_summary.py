"""nn.summary: the layer table and the parameter count the documents use to size a model."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn


def test_keras_mlp_784_64_10_has_50890_parameters(capsys):
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=-1))
    table = nn.summary(model, (784,))
    printed = capsys.readouterr().out
    assert table.total_parameters == 50_890 == 784 * 64 + 64 + 64 * 10 + 10
    assert table.trainable_parameters == 50_890 and table.non_trainable_parameters == 0
    assert [(r.name, r.layer, r.output_shape, r.parameters) for r in table.rows] == [
        ("0", "Linear", (-1, 64), 50_240), ("1", "ReLU", (-1, 64), 0), ("2", "Linear", (-1, 10), 650),
        ("3", "Softmax", (-1, 10), 0)]
    assert "Total params: 50,890" in printed and "0 (Linear)" in printed and "[-1, 64]" in printed


def test_summary_of_a_custom_module_restores_mode_and_counts_frozen_weights():
    class Net(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.Dropout(0.5))
            self.head = nn.Linear(8, 3)
            self.scale = nn.Parameter(tg.ones(3))

        def forward(self, x):
            return self.head(self.body(x)) * self.scale

    model = Net()
    model.head.requires_grad_(False)
    table = nn.summary(model, (8,), print_fn=None)
    assert [r.name for r in table.rows] == ["body.0", "body.1", "body.2", "head", "Net"]
    assert table.rows[-1].parameters == 3  # the root owns `scale`
    assert table.total_parameters == 72 + 16 + 27 + 3
    assert table.non_trainable_parameters == 27
    assert model.training and model.body[2].training
    assert int(model.body[1].num_batches_tracked.item()) == 0  # ran in eval mode: statistics untouched
    single = nn.Linear(4, 2)
    assert nn.summary(single, (4,), print_fn=None).rows[0].output_shape == (-1, 2)
    assert np.isclose(nn.summary(single, (4,), print_fn=None).total_parameters, 10)

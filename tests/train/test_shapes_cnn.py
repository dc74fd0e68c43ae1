"""A learning test: a small CNN trained with ``fit`` on the generated ``shapes()`` images reaches ≥ 95%
validation accuracy (in well under a minute on 2 cores; the time is not asserted)."""

from __future__ import annotations

import pytest

from tinygrad_edu import nn, optim, train
from tinygrad_edu.data import DataLoader, shapes
from tinygrad_edu.nn import functional as F


@pytest.mark.slow
def test_small_cnn_learns_shapes():
    if not (hasattr(nn, "Conv2d") and hasattr(nn, "MaxPool2d")):
        pytest.skip("nn.Conv2d / nn.MaxPool2d are not available yet: the CNN learning test cannot run")
    x, y = shapes(3000, seed=0)
    x_val, y_val = shapes(500, seed=1)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),     # 28 → 26 → 13
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),    # 13 → 11 → 5
        nn.Flatten(), nn.Linear(16 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 5),
    )
    epochs = 8
    loader = DataLoader((x, y), batch_size=32, shuffle=True)
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(loader))
    history = train.fit(model, F.cross_entropy, optimizer, loader, epochs=epochs, val_data=(x_val, y_val),
                        scheduler=scheduler, scheduler_interval="step", progress=False)
    assert history["val_accuracy"][-1] >= 0.95, history.history

"""The documents' regression example: Linear(10, 1) trained with MSE and plain SGD recovers w* and b*."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn


def test_linear_regression_with_mse_and_sgd_recovers_the_true_weights():
    rng = np.random.default_rng(0)
    true_w = rng.normal(size=(1, 10)).astype(np.float32)
    true_b = np.float32(rng.normal())
    X = rng.normal(size=(500, 10)).astype(np.float32)
    y = X @ true_w.T + true_b + 0.1 * rng.normal(size=(500, 1)).astype(np.float32)
    X, y = tg.tensor(X), tg.tensor(y)

    tg.manual_seed(0)
    model = nn.Linear(10, 1)
    learning_rate = 0.01
    losses = []
    for _ in range(1000):
        model.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        with tg.no_grad():
            for param in model.parameters():  # plain SGD, written out:  θ ← θ − η ∂L/∂θ
                param.data -= learning_rate * param.grad
        losses.append(loss.item())

    assert np.abs(model.weight.numpy() - true_w).max() < 0.05
    assert abs(model.bias.item() - true_b) < 0.05
    assert losses[-1] < 0.02 < losses[0]  # the noise variance 0.01 is the floor

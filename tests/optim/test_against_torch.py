"""200 training steps of a small MLP: our optimizers and PyTorch's, fed the same gradients, stay together.

Our model computes the loss and its gradients; the same gradient arrays are handed to a PyTorch optimizer
that holds a copy of the initial weights. Any difference in the update rule (a missing bias correction, the
momentum buffer's first step, where ε goes) would grow over 200 steps far beyond the tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tests.helpers import require_torch
from tinygrad_edu import nn, optim

STEPS = 200

CONFIGS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    ("Adam", {"lr": 1e-2}),
    ("Adam", {"lr": 1e-2, "betas": (0.8, 0.9), "weight_decay": 1e-2}),
    ("Adam", {"lr": 1e-2, "amsgrad": True}),
    ("AdamW", {"lr": 1e-2}),
    ("AdamW", {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 1e-3, "initial_accumulator_value": 0.1}),
    ("RMSprop", {"lr": 1e-3}),
    ("RMSprop", {"lr": 1e-3, "momentum": 0.9, "centered": True, "weight_decay": 1e-3}),
    ("RMSprop", {"lr": 1e-3, "alpha": 0.9, "centered": True}),
]


def mlp(dtype) -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16, dtype=dtype), nn.Tanh(), nn.Linear(16, 16, dtype=dtype), nn.Tanh(),
                         nn.Linear(16, 1, dtype=dtype))


def train_side_by_side(name: str, options: dict, dtype) -> tuple[list[np.ndarray], list[np.ndarray]]:
    torch = require_torch()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype(dtype)
    y = np.sin(x.sum(axis=1, keepdims=True)).astype(dtype)
    model = mlp(dtype)
    params = list(model.parameters())
    torch_params = [torch.tensor(p.data.copy(), requires_grad=True) for p in params]
    ours = getattr(optim, name)(model.parameters(), **options)
    theirs = getattr(torch.optim, name)(torch_params, foreach=False, **options)
    for _ in range(STEPS):
        ours.zero_grad()
        theirs.zero_grad()
        loss = F.mse_loss(model(tg.Tensor(x)), tg.Tensor(y))
        loss.backward()
        for p, tp in zip(params, torch_params, strict=True):
            tp.grad = torch.tensor(p.grad.numpy().copy())
        ours.step()
        theirs.step()
    return [p.data for p in params], [tp.detach().numpy() for tp in torch_params]


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=[f"{n}-{o}" for n, o in CONFIGS])
def test_200_steps_agree_with_pytorch_float64(name, options):
    ours, theirs = train_side_by_side(name, options, np.float64)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize(("name", "options"), CONFIGS[1::3], ids=[f"{n}-{o}" for n, o in CONFIGS[1::3]])
def test_200_steps_agree_with_pytorch_float32(name, options):
    """In float32 the last bit differs now and then (PyTorch's CPU kernels use fused multiply-adds, NumPy does
    not), so the tolerance is a few hundred float32 ulps; the state stays float32."""
    ours, theirs = train_side_by_side(name, options, np.float32)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)

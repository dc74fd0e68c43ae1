"""Every learning-rate schedule against PyTorch's, epoch by epoch for 100 epochs, and their closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tests.helpers import require_torch
from tinygrad_edu import optim
from tinygrad_edu.optim import lr_scheduler

EPOCHS = 100
LRS = (0.1, 0.03)  # two parameter groups, so that per-group learning rates are exercised


def our_optimizer(optimizer_class=optim.SGD):
    params = [tg.Tensor(np.ones(3), requires_grad=True) for _ in LRS]
    return optimizer_class([{"params": [p], "lr": lr} for p, lr in zip(params, LRS, strict=True)])


def torch_optimizer(torch, optimizer_class_name="SGD"):
    params = [torch.ones(3, requires_grad=True) for _ in LRS]
    return getattr(torch.optim, optimizer_class_name)(
        [{"params": [p], "lr": lr} for p, lr in zip(params, LRS, strict=True)])


SCHEDULES = {
    "StepLR": {"step_size": 7, "gamma": 0.5},
    "MultiStepLR": {"milestones": [10, 25, 25, 60], "gamma": 0.3},
    "ExponentialLR": {"gamma": 0.97},
    "CosineAnnealingLR": {"T_max": 30, "eta_min": 1e-3},  # 100 epochs: over three half-periods and back up
    "CosineAnnealingLR-long": {"T_max": 100},
    "LinearLR": {"start_factor": 0.01, "end_factor": 1.0, "total_iters": 20},
    "LinearLR-decay": {"start_factor": 1.0, "end_factor": 0.25, "total_iters": 40},
    "LambdaLR": {"lr_lambda": lambda epoch: 1.0 / (1.0 + 0.05 * epoch) + 0.01 * (epoch % 3)},
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_pytorch_for_100_epochs(name):
    torch = require_torch()
    class_name = name.split("-")[0]
    options = SCHEDULES[name]
    ours = getattr(lr_scheduler, class_name)(our_optimizer(), **options)
    theirs = getattr(torch.optim.lr_scheduler, class_name)(torch_optimizer(torch), **options)
    ours_lrs, theirs_lrs = [ours.get_last_lr()], [theirs.get_last_lr()]
    for _ in range(EPOCHS):
        ours.optimizer.step()
        theirs.optimizer.step()
        ours.step()
        theirs.step()
        ours_lrs.append(ours.get_last_lr())
        theirs_lrs.append(theirs.get_last_lr())
        assert [g["lr"] for g in ours.optimizer.param_groups] == ours_lrs[-1]
    np.testing.assert_array_equal(np.array(ours_lrs), np.array(theirs_lrs))  # the same float arithmetic: exact
    assert len(set(map(tuple, ours_lrs))) > 3  # the schedule did change the learning rate


def test_reduce_lr_on_plateau_matches_pytorch():
    torch = require_torch()
    rng = np.random.default_rng(1)
    # a loss that improves, plateaus with noise, improves again, then plateaus: several reductions happen
    metrics = np.concatenate([np.linspace(1.0, 0.5, 20), 0.5 + 0.01 * rng.random(30),
                              np.linspace(0.5, 0.2, 10), 0.2 + 0.001 * rng.random(40)])
    for options in [{"patience": 3, "factor": 0.5, "cooldown": 2, "min_lr": 0.004},
                    {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 2},
                    {"threshold_mode": "abs", "threshold": 1e-3, "patience": 5, "min_lr": [0.0, 0.01]}]:
        values = -metrics if options.get("mode") == "max" else metrics
        ours = lr_scheduler.ReduceLROnPlateau(our_optimizer(), **options)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_optimizer(torch), **options)
        ours_lrs, theirs_lrs = [], []
        for value in values:
            ours.step(float(value))
            theirs.step(float(value))
            ours_lrs.append(ours.get_last_lr())
            theirs_lrs.append(theirs.get_last_lr())
        assert ours_lrs == theirs_lrs, options
        assert ours_lrs[-1] != ours_lrs[0], options  # at least one reduction happened


@pytest.mark.parametrize(("class_name", "options", "closed_form"), [
    ("StepLR", {"step_size": 7, "gamma": 0.5}, lambda a, e: a * 0.5 ** (e // 7)),
    ("ExponentialLR", {"gamma": 0.97}, lambda a, e: a * 0.97**e),
    ("CosineAnnealingLR", {"T_max": 30, "eta_min": 1e-3},
     lambda a, e: 1e-3 + (a - 1e-3) * (1 + math.cos(math.pi * e / 30)) / 2),
    ("LinearLR", {"start_factor": 0.01, "total_iters": 20}, lambda a, e: a * (0.01 + 0.99 * min(e, 20) / 20)),
])
def test_schedule_follows_its_closed_form(class_name, options, closed_form):
    """The recursive computation stays on the docstring's closed form α_e (to rounding)."""
    scheduler = getattr(lr_scheduler, class_name)(our_optimizer(), **options)
    for epoch in range(EPOCHS + 1):
        expected = [closed_form(lr, epoch) for lr in LRS]
        np.testing.assert_allclose(scheduler.get_last_lr(), expected, rtol=1e-12, atol=1e-15)
        scheduler.step()


def test_scheduler_state_dict_resumes_the_schedule():
    optimizer = our_optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=20)
    for _ in range(13):
        scheduler.step()
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    assert "optimizer" not in saved_scheduler
    expected = []
    for _ in range(10):
        scheduler.step()
        expected.append(scheduler.get_last_lr())

    resumed_optimizer = our_optimizer()
    resumed = lr_scheduler.CosineAnnealingLR(resumed_optimizer, T_max=20)
    resumed_optimizer.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved_scheduler)
    actual = []
    for _ in range(10):
        resumed.step()
        actual.append(resumed.get_last_lr())
    assert actual == expected


def test_schedule_changes_what_the_optimizer_uses():
    p = tg.Tensor(np.array([0.0]), requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = tg.tensor(np.array([1.0]))
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(p.data, [-(1.0 + 0.5 + 0.25)], rtol=1e-15)


def test_scheduler_errors_are_clear():
    with pytest.raises(TypeError, match="needs an Optimizer"):
        lr_scheduler.StepLR("not an optimizer", step_size=3)
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(our_optimizer(), step_size=0)
    with pytest.raises(ValueError, match="factor must be < 1"):
        lr_scheduler.ReduceLROnPlateau(our_optimizer(), factor=2.0)
    with pytest.raises(ValueError, match="start_factor"):
        lr_scheduler.LinearLR(our_optimizer(), start_factor=0.0)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.ExponentialLR(our_optimizer(), gamma=0.9, last_epoch=5)
    with pytest.raises(ValueError, match="2 parameter groups"):
        lr_scheduler.LambdaLR(our_optimizer(), lr_lambda=[lambda e: 1.0])

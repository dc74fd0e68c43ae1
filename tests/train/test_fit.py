"""fit / evaluate / predict on small generated data: learning, modes, logging, schedules, non-finite losses."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, train
from tinygrad_edu.data import DataLoader, TensorDataset, regression, spiral
from tinygrad_edu.nn import functional as F


def _mlp(hidden: int = 32, classes: int = 3) -> nn.Module:
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, classes))


class ModeRecorder(nn.Module):
    """Wraps a model and records (training flag, grad enabled) at every forward."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x):
        self.calls.append((self.training, tg.is_grad_enabled()))
        return self.inner(x)


def test_fit_learns_the_spiral_and_logs_every_column():
    x, y = spiral(3, 100, seed=0)
    model = _mlp(64)
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    history = train.fit(model, F.cross_entropy, optimizer, (x, y), epochs=25, val_data=(x, y), batch_size=32,
                        progress=False)
    assert len(history) == 25 and history.epochs == list(range(1, 26))
    assert set(history.keys()) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9
    assert history["lr"] == [0.02] * 25
    final = train.evaluate(model, (x, y), F.cross_entropy)
    assert final["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert final["loss"] == pytest.approx(history["val_loss"][-1])


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, y = spiral(2, 5, seed=0)  # 10 samples in batches of 4, 4, 2
    model = _mlp(classes=2)
    optimizer = optim.SGD(model.parameters(), lr=0.0)  # no learning: every batch sees the same weights
    history = train.fit(model, F.cross_entropy, optimizer, DataLoader((x, y), batch_size=4), epochs=1,
                        progress=False)
    losses = [F.cross_entropy(model(tg.Tensor(x[i:i + 4])), tg.Tensor(y[i:i + 4])).item() for i in (0, 4, 8)]
    expected = (4 * losses[0] + 4 * losses[1] + 2 * losses[2]) / 10
    # float32 through matrix products of another batch size: BLAS may sum in another order (a few ulps, ~1e-7)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert history["loss"][0] == pytest.approx(train.evaluate(model, (x, y), F.cross_entropy)["loss"], rel=1e-5)


def test_train_and_eval_modes_and_no_grad_are_handled():
    x, y = spiral(2, 10, seed=0)
    model = ModeRecorder(_mlp(classes=2))
    model.eval()
    train.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=1, val_data=(x, y),
              batch_size=10, progress=False)
    assert model.calls == [(True, True), (True, True), (False, False)]  # 2 training steps, 1 validation batch
    assert model.training is False  # the mode the model had before fit
    model.calls.clear()
    model.train()
    train.predict(model, x)
    train.evaluate(model, (x, y))
    assert model.calls == [(False, False), (False, False)] and model.training is True


def test_predict_returns_all_outputs_in_order():
    x, _ = spiral(3, 30, seed=0)
    model = _mlp()
    out = train.predict(model, x, batch_size=7)
    assert isinstance(out, tg.Tensor) and out.shape == (90, 3) and not out.requires_grad
    # batches of 7 against one of 90: BLAS may sum in another order for another batch size (a few float32 ulps);
    # a row out of order would be off by O(1)
    np.testing.assert_allclose(out.numpy(), model(tg.Tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(train.predict(model, TensorDataset(x, np.zeros(90))).numpy(), out.numpy(),
                               rtol=1e-5, atol=1e-6)


def test_regression_with_mse_metric_recovers_the_weights():
    x, y, w_true, b_true = regression(n=256, d=10, noise=0.01, seed=0)
    model = nn.Linear(10, 1)
    history = train.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=30,
                        metrics=["mae", "mse"], batch_size=32, progress=False)
    assert history["mse"][-1] == pytest.approx(history["loss"][-1], rel=1e-5)
    np.testing.assert_allclose(model.weight.numpy(), w_true.T, atol=0.01)
    np.testing.assert_allclose(model.bias.numpy(), b_true, atol=0.01)


def test_progress_bar_is_shown_or_silent(capsys):
    x, y = spiral(2, 10, seed=0)
    model = _mlp(classes=2)
    train.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=2, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    train.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=2, progress="auto")
    assert capsys.readouterr().err == ""  # "auto": bars only on a terminal, and captured output is not one
    train.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=2, progress=True,
              val_data=(x, y))
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "loss=" in err and "val_accuracy=" in err


def test_schedulers_step_per_epoch_per_step_and_on_plateau():
    x, y = spiral(2, 8, seed=0)  # 16 samples: 2 steps per epoch at batch 8
    model = _mlp(classes=2)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = train.fit(model, F.cross_entropy, optimizer, (x, y), epochs=3, batch_size=8, scheduler=scheduler,
                        progress=False)
    assert history["lr"] == [1.0, 0.5, 0.25] and optimizer.param_groups[0]["lr"] == 0.125
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    train.fit(model, F.cross_entropy, optimizer, (x, y), epochs=3, batch_size=8, scheduler=scheduler,
              scheduler_interval="step", progress=False)
    assert optimizer.param_groups[0]["lr"] == 0.5 ** 6
    optimizer = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)  # not the model's: val_loss stays put
    plateau = optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    history = train.fit(model, F.cross_entropy, optimizer, (x, y), epochs=3, batch_size=8, val_data=(x, y),
                        scheduler=plateau, progress=False)
    assert plateau.best == pytest.approx(history["val_loss"][0], rel=1e-12)
    assert optimizer.param_groups[0]["lr"] == 0.25  # epochs 2 and 3 did not improve: halved twice


def test_nonfinite_loss_raises_naming_epoch_and_step():
    x, y = spiral(2, 8, seed=0)
    x[9] = np.nan  # sample 9 lies in the second batch of 4 (no shuffling)
    model = _mlp(classes=2)
    before = [p.numpy().copy() for p in model.parameters()]
    with pytest.raises(train.NonFiniteLossError, match=r"loss is nan at epoch 1, step 3 of 4.*on_nonfinite='skip'"):
        train.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.0), (x, y), epochs=1, batch_size=4,
                  shuffle=False, progress=False)
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.numpy(), b)  # lr 0: nothing changed, and no NaN was written


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NumPy's, on the inf input
def test_nonfinite_loss_can_be_skipped():
    x, y = spiral(2, 8, seed=0)
    x[9] = np.inf
    model = _mlp(classes=2)
    with pytest.warns(RuntimeWarning, match="skipped 1 step"):
        history = train.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=2,
                            batch_size=4, shuffle=False, on_nonfinite="skip", progress=False)
    assert all(math.isfinite(v) for v in history["loss"])
    assert all(np.isfinite(p.numpy()).all() for p in model.parameters())


def test_bad_arguments_are_explained():
    x, y = spiral(2, 4, seed=0)
    model = _mlp(classes=2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="on_nonfinite='ignore'.*'raise' or 'skip'"):
        train.fit(model, F.cross_entropy, opt, (x, y), on_nonfinite="ignore", progress=False)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        train.fit(model, F.cross_entropy, opt, (x, y), metrics=["f1"], progress=False)
    with pytest.raises(TypeError, match="DataLoader, a Dataset or a tuple"):
        train.fit(model, F.cross_entropy, opt, "data.csv", progress=False)
    with pytest.raises(ValueError, match=r"pass the transform to it instead"):
        train.fit(model, F.cross_entropy, opt, DataLoader((x, y)), transform=lambda b: b, progress=False)


def test_metrics_follow_their_formulas():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 5.0], [1.0, 0.0, 0.0]])
    target = np.array([0, 1, 1, 2])
    assert train.accuracy(logits, target) == 0.5
    assert train.accuracy(tg.Tensor(logits), tg.Tensor(np.eye(3)[target])) == 0.5  # one-hot targets
    assert train.binary_accuracy(np.array([2.0, -1.0, 0.5, -3.0]), np.array([1.0, 1.0, 1.0, 0.0])) == 0.75
    assert train.mse(np.array([1.0, 2.0]), np.array([0.0, 4.0])) == 2.5
    assert train.mae(np.array([[1.0], [2.0]]), np.array([0.0, 4.0])) == 1.5
    with pytest.raises(ValueError, match="binary_accuracy"):
        train.accuracy(np.zeros(4), target)


def test_history_best_plot_and_missing_columns():
    history = train.History()
    history.append(1, {"loss": 1.0, "val_loss": 0.9, "accuracy": 0.5})
    history.append(2, {"loss": 0.5, "val_loss": 1.1, "accuracy": 0.7, "lr": 0.1})
    assert history.best("val_loss") == (1, 0.9) and history.best("accuracy") == (2, 0.7)
    assert math.isnan(history["lr"][0])
    with pytest.raises(KeyError, match="no column 'val_accuracy'"):
        history["val_accuracy"]
    import matplotlib

    matplotlib.use("Agg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figure = history.plot()
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy"]
    assert [line.get_label() for line in figure.axes[0].lines] == ["train", "validation"]

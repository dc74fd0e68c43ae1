"""permutation_importance and local_surrogate: exact where the answer is known (a feature the model ignores has
importance 0; a linear model's surrogate is the model itself), reproducible with a seed, and the plots."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import explain, nn


def threshold_classifier() -> nn.Linear:
    """Logits (−4x₀ − x₂, 4x₀ + x₂): feature 0 decides, feature 2 helps a little, 1 and 3 are ignored."""
    model = nn.Linear(4, 2)
    with tg.no_grad():
        model.weight.data[:] = np.array([[-4, 0, -1, 0], [4, 0, 1, 0]], dtype=np.float32)
        model.bias.data[:] = 0
    return model


def tabular(n: int = 400):
    x = np.random.default_rng(0).standard_normal((n, 4)).astype(np.float32)
    y = (4 * x[:, 0] + x[:, 2] > 0).astype(np.int64)
    return x, y


def test_ignored_features_have_zero_importance_and_the_deciding_one_the_most():
    x, y = tabular()
    result = explain.permutation_importance(threshold_classifier(), x, y, n_repeats=4, seed=1)
    assert result.baseline == 1.0 and result.metric == "accuracy" and result.greater_is_better
    assert result.importances.shape == (4, 4)
    np.testing.assert_array_equal(result.importances[[1, 3]], 0.0)
    assert list(result.ranking()[:2]) == [0, 2]
    assert result.mean[0] > 0.3 and 0 < result.mean[2] < result.mean[0]
    again = explain.permutation_importance(threshold_classifier(), x, y, n_repeats=4, seed=1)
    np.testing.assert_array_equal(again.importances, result.importances)


def test_lower_is_better_metrics_count_an_increase_as_importance():
    model = nn.Linear(3, 1)
    x = np.random.default_rng(1).standard_normal((200, 3)).astype(np.float32)
    with tg.no_grad():
        y = model(tg.tensor(x)).numpy()
    result = explain.permutation_importance(model, x, y, metric="mse", n_repeats=2)
    assert not result.greater_is_better and result.baseline == pytest.approx(0.0, abs=1e-10)
    assert (result.mean > 0).all()
    expected = 2 * model.weight.numpy()[0] ** 2 * x.var(axis=0)  # E[(w(x − x'))²] for an independent shuffle
    np.testing.assert_allclose(result.mean, expected, rtol=0.35)


def test_surrogate_of_a_linear_model_is_the_model_itself():
    model = nn.Linear(5, 1)
    x = np.random.default_rng(2).standard_normal(5).astype(np.float32)
    scale = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    result = explain.local_surrogate(model, x, n_samples=300, scale=scale, ridge=0.0, seed=0)
    np.testing.assert_allclose(result.coefficients, model.weight.numpy()[0] * scale, rtol=1e-4, atol=1e-5)
    assert result.score == pytest.approx(1.0, abs=1e-6)
    assert result.intercept == pytest.approx(result.prediction, abs=1e-5)
    assert result.kernel_width == pytest.approx(0.75 * np.sqrt(5))
    assert result.samples.shape == (300, 5) and result.weights[0] == 1.0


def test_surrogate_of_a_classifier_points_to_its_features():
    x = np.array([0.05, 1.0, -0.1, 2.0], dtype=np.float32)  # near the boundary, where the probability moves
    result = explain.local_surrogate(threshold_classifier(), x, target=1, n_samples=2000, kernel_width=0.5, seed=0)
    assert list(result.ranking()[:2]) == [0, 2]
    assert result.coefficients[0] > 0 and result.coefficients[2] > 0
    assert abs(result.coefficients[1]) < 0.05 * result.coefficients[0]
    assert result.score > 0.8
    assert 0 < result.prediction < 1  # the softmax probability of class 1 at x


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_plots(tmp_path):
    x, y = tabular(100)
    importance = explain.permutation_importance(threshold_classifier(), x, y, n_repeats=2, seed=0)
    figure = explain.plot_importance(importance, ["a", "b", "c", "d"], path=tmp_path / "importance.png")
    assert len(figure.axes[0].patches) == 4
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()][-1] == "a"  # most important on top
    surrogate = explain.local_surrogate(threshold_classifier(), x[0], target=1, seed=0)
    figure = explain.plot_surrogate(surrogate, path=tmp_path / "surrogate.png")
    assert len(figure.axes[0].patches) == 4
    images = np.random.default_rng(0).random((2, 1, 5, 5))
    maps = {"signed": images - 0.5, "absolute": images}
    figure = explain.plot_attributions(images, maps, path=tmp_path / "maps.png")
    assert len(figure.axes) == 2 * 3 + 2 * 2  # images and maps, and a colour bar beside each map
    assert "blue" in figure.get_supxlabel()  # what the colours mean
    figure = explain.plot_attribution(images[0], maps["signed"][0], title="one")
    assert len(figure.axes) == 3  # image, map, colour bar
    for name in ("importance", "surrogate", "maps"):
        assert (tmp_path / f"{name}.png").stat().st_size > 3000
    with pytest.raises(ValueError, match="feature names"):
        explain.plot_importance(importance, ["only one"])


def test_errors():
    with pytest.raises(ValueError, match=r"\(N, features\)"):
        explain.permutation_importance(threshold_classifier(), np.zeros((2, 1, 4)), np.zeros(2))
    with pytest.raises(ValueError, match="target="):
        explain.local_surrogate(threshold_classifier(), np.zeros(4), n_samples=10)

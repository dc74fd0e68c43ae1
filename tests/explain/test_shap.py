"""Kernel SHAP and exact Shapley values: the kernel weight, efficiency (Σφ = f(x) − E[f], with f(x) and E[f]
computed by running the model directly), equality with enumeration on a 6-feature network, the closed form for a
linear model, dummy features, and sampling for larger M."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import explain, nn


def network(features: int, seed: int = 0, outputs: int = 3) -> nn.Module:
    """A small MLP: tanh makes the features interact, so Shapley values are not just w·(x − mean)."""
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 16), nn.Tanh(), nn.Linear(16, outputs))


def data(features: int, rows: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    return generator.standard_normal(features).astype(np.float32), generator.standard_normal(
        (rows, features)).astype(np.float32)


def probability_of(model: nn.Module, inputs: np.ndarray, target: int) -> np.ndarray:
    with tg.no_grad():
        logits = model(tg.tensor(inputs)).numpy().astype(np.float64)
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (exp / exp.sum(axis=1, keepdims=True))[:, target]


def test_the_shapley_kernel_weight():
    assert explain.shapley_kernel_weight(4, 1) == pytest.approx(3 / (4 * 1 * 3))
    assert explain.shapley_kernel_weight(4, 2) == pytest.approx(3 / (6 * 2 * 2))
    assert explain.shapley_kernel_weight(6, 3) == pytest.approx(5 / (20 * 3 * 3))
    assert explain.shapley_kernel_weight(5, 0) == math.inf == explain.shapley_kernel_weight(5, 5)
    with pytest.raises(ValueError):
        explain.shapley_kernel_weight(3, 4)


def test_kernel_shap_equals_exact_shapley_on_a_six_feature_network_and_is_efficient():
    model, (x, background) = network(6), data(6, 25)
    kernel = explain.kernel_shap(model, x, background, target=1)
    exact = explain.exact_shapley(model, x, background, target=1)
    assert kernel.exact and len(kernel.coalitions) == 2**6 - 2
    np.testing.assert_allclose(kernel.values, exact.values, rtol=0, atol=1e-6)
    prediction = probability_of(model, x[None], 1)[0]
    expected_output = probability_of(model, background, 1).mean()  # E[f] over the background
    assert kernel.prediction == pytest.approx(prediction, abs=1e-7)
    assert kernel.base_value == pytest.approx(expected_output, abs=1e-7)
    assert abs(kernel.values.sum() - (prediction - expected_output)) < 1e-6
    assert abs(exact.values.sum() - (prediction - expected_output)) < 1e-6
    assert np.abs(exact.values).max() > 1e-2  # a real explanation, not all zeros


def test_a_linear_model_has_the_closed_form_and_an_ignored_feature_gets_zero():
    model = nn.Linear(5, 1)
    with tg.no_grad():
        model.weight.data[:] = np.array([[2.0, -1.0, 0.0, 0.5, 3.0]], dtype=np.float32)
    x, background = data(5, 40, seed=3)
    expected = model.weight.numpy()[0].astype(np.float64) * (x - background.mean(axis=0, dtype=np.float64))
    for result in (explain.kernel_shap(model, x, background), explain.exact_shapley(model, x, background)):
        np.testing.assert_allclose(result.values, expected, atol=1e-5)
        assert abs(result.values[2]) < 1e-9  # dummy: a feature the model ignores
    assert list(explain.kernel_shap(model, x, background).ranking()[:1]) in ([4], [0])


@settings(max_examples=8, deadline=None)
@given(features=st.integers(2, 6), seed=st.integers(0, 10_000))
def test_kernel_shap_is_exact_for_any_small_network(features, seed):
    model, (x, background) = network(features, seed, outputs=1), data(features, 6, seed)
    kernel = explain.kernel_shap(model, x, background)
    exact = explain.exact_shapley(model, x, background)
    np.testing.assert_allclose(kernel.values, exact.values, atol=1e-6)
    assert abs(kernel.values.sum() - (kernel.prediction - kernel.base_value)) < 1e-9


def test_sampled_coalitions_stay_efficient_and_close_to_exact():
    model, (x, background) = network(10, seed=4), data(10, 10, seed=5)
    exact = explain.exact_shapley(model, x, background, target=0)
    sampled = explain.kernel_shap(model, x, background, target=0, n_samples=400, seed=0)
    assert not sampled.exact and sampled.coalitions.shape == (400, 10)
    assert np.all(sampled.coalitions[1::2] == 1 - sampled.coalitions[::2])  # paired with complements
    assert abs(sampled.values.sum() - (exact.prediction - exact.base_value)) < 1e-6
    assert np.abs(sampled.values - exact.values).max() < 0.1 * np.abs(exact.values).max()
    again = explain.kernel_shap(model, x, background, target=0, n_samples=400, seed=0)
    np.testing.assert_array_equal(again.values, sampled.values)


def test_clear_errors():
    model, (x, background) = network(4), data(4, 5)
    with pytest.raises(ValueError, match=r"background must be \(rows, 4\)"):
        explain.kernel_shap(model, x, background[:, :3], target=0)
    with pytest.raises(ValueError, match="pass target="):
        explain.kernel_shap(model, x, background)
    with pytest.raises(ValueError, match=r"n_samples=5 coalitions cannot pin down 10 values; use at least 2·M = 20"):
        explain.kernel_shap(network(10), np.zeros(10), np.zeros((2, 10)), target=0, n_samples=5)
    with pytest.raises(ValueError, match="use kernel_shap"):
        explain.exact_shapley(network(17), np.zeros(17), np.zeros((1, 17)), target=0)

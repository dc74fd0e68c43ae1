"""saliency, integrated gradients and occlusion: exact on linear models (where each has a closed form), and
integrated gradients' completeness Σ IG = S(x) − S(x′) within 1% on smooth networks and on a trained ReLU CNN."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import explain, nn, optim
from tinygrad_edu.data import shapes
from tinygrad_edu.nn import functional as F


def linear_model(features: int = 6, classes: int = 3) -> nn.Linear:
    return nn.Linear(features, classes)


def test_saliency_of_a_linear_model_is_its_weight_row():
    model = linear_model()
    x = tg.randn(4, 6)
    grads = explain.saliency(model, x, target=[0, 1, 2, 1], absolute=False)
    np.testing.assert_allclose(grads, model.weight.numpy()[[0, 1, 2, 1]], rtol=1e-6)
    assert (explain.saliency(model, x, target=2) >= 0).all()


def test_integrated_gradients_of_a_linear_model_is_exact():
    model = linear_model()
    x = tg.randn(3, 6)
    baseline = np.full((3, 6), 0.5, dtype=np.float32)
    attributions = explain.integrated_gradients(model, x, target=1, baseline=baseline, steps=2)
    expected = (x.numpy() - baseline) * model.weight.numpy()[1]
    np.testing.assert_allclose(attributions, expected, rtol=1e-5)


@given(st.integers(0, 10_000), st.sampled_from(["gausslegendre", "trapezoid", "riemann_middle"]))
def test_completeness_within_one_percent_on_smooth_networks(seed, method):
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 3))
    x = tg.randn(4, 5) * 2.0
    attributions, delta = explain.integrated_gradients(model, x, target=[0, 1, 2, 0], steps=50, method=method,
                                                       return_delta=True)
    change = attributions.reshape(4, -1).sum(axis=1) - delta
    assume(np.abs(change).min() > 1e-2)
    assert np.all(np.abs(delta) <= 0.01 * np.abs(change))


def test_completeness_within_one_percent_on_a_trained_relu_cnn():
    """ReLU and max-pool make the path integrand jump, so this needs more points than a smooth network."""
    images, labels = shapes(128, size=12, seed=0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 5 * 5, 32),
                          nn.ReLU(), nn.Linear(32, 5))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    x, y = tg.tensor(images), tg.tensor(labels)
    for _ in range(30):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    attributions, delta = explain.integrated_gradients(model, images[:6], target=labels[:6], steps=128,
                                                       return_delta=True)
    change = attributions.reshape(6, -1).sum(axis=1) - delta
    with tg.no_grad():
        scores = model(tg.tensor(images[:6])).numpy()[np.arange(6), labels[:6]]
        black = model(tg.zeros(6, 1, 12, 12)).numpy()[np.arange(6), labels[:6]]
    np.testing.assert_allclose(change, scores - black, rtol=1e-5, atol=1e-5)  # delta is measured against S(x) − S(x′)
    assert np.all(np.abs(delta) <= 0.01 * np.abs(change)), f"relative gaps {np.abs(delta / change)}"


def test_occlusion_of_a_linear_image_model_is_the_patch_contribution():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    images = tg.rand(2, 1, 4, 4)
    attribution = explain.occlusion(model, images, target=1, window=2)
    contribution = images.numpy() * model[1].weight.numpy()[1].reshape(1, 1, 4, 4)  # w·x per pixel
    for i in (0, 2):
        for j in (0, 2):
            patch = contribution[:, :, i : i + 2, j : j + 2].sum(axis=(1, 2, 3))  # S(x) − S(x without the patch)
            for di in (0, 1):
                for dj in (0, 1):  # every pixel of a patch (each covered once) gets the whole patch's drop
                    np.testing.assert_allclose(attribution[:, 0, i + di, j + dj], patch, rtol=1e-5)


def test_occlusion_with_overlapping_windows_averages_and_works_on_features():
    model = linear_model(6, 2)
    x = tg.randn(3, 6)
    attribution = explain.occlusion(model, x, target=0, window=1, batch_size=4)
    np.testing.assert_allclose(attribution, x.numpy() * model.weight.numpy()[0], rtol=1e-5, atol=1e-6)
    overlapping = explain.occlusion(model, x, target=0, window=2, stride=1)
    contribution = x.numpy() * model.weight.numpy()[0]
    pairs = contribution[:, :-1] + contribution[:, 1:]
    expected_middle = (pairs[:, :-1] + pairs[:, 1:]) / 2  # features 1..4 are covered by two windows
    np.testing.assert_allclose(overlapping[:, 1:-1], expected_middle, rtol=1e-5, atol=1e-6)


def test_single_output_models_and_mode_restored():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    model.train()
    x = tg.randn(2, 3)
    first = explain.saliency(model, x)
    assert np.array_equal(first, explain.saliency(model, x))  # eval mode: dropout off, deterministic
    assert model.training and all(m.training for m in model.modules())
    attributions, delta = explain.integrated_gradients(model, x, baseline=0.0, steps=8, return_delta=True)
    assert attributions.shape == (2, 3) and np.abs(delta).max() < 1e-4


def test_errors_name_the_problem():
    model = linear_model()
    x = tg.randn(2, 6)
    with pytest.raises(ValueError, match="pass target="):
        explain.saliency(model, x)
    with pytest.raises(ValueError, match="out of range for 3 classes"):
        explain.saliency(model, x, target=3)
    with pytest.raises(ValueError, match="2 samples"):
        explain.saliency(model, x, target=[0, 1, 2])
    with pytest.raises(ValueError, match="method"):
        explain.integrated_gradients(model, x, target=0, method="simpson")
    with pytest.raises(ValueError, match="window"):
        explain.occlusion(model, x, target=0, window=7)
    with pytest.raises(ValueError, match="batch"):
        explain.saliency(model, 3.0, target=0)

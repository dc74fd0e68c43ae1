"""Generated data sets: shapes, dtypes, the stated formulas, and seeding."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import (
    SHAPE_CLASSES,
    adding_problem,
    digits,
    moons,
    regression,
    reverse_sequences,
    shapes,
    spiral,
)


@pytest.mark.parametrize("make", [
    lambda seed: spiral(3, 20, seed=seed), lambda seed: moons(50, seed=seed), lambda seed: regression(30, 4, seed=seed),
    lambda seed: shapes(20, seed=seed), lambda seed: adding_problem(10, 8, seed=seed),
    lambda seed: reverse_sequences(10, 5, seed=seed),
])
def test_seeded_generators_are_reproducible_and_use_the_project_generator(make):
    first, again = make(3), make(3)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    tg.manual_seed(5)
    from_project = make(None)
    tg.manual_seed(5)
    for a, b in zip(from_project, make(None), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(from_project, make(None), strict=True))


def test_spiral_follows_its_formula():
    x, y = spiral(n_classes=4, n_per_class=50, noise=0.0, seed=0)
    assert x.shape == (200, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50] * 4
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius, np.tile(np.linspace(0, 1, 50), 4), atol=1e-6)
    theta = 4.0 * (y + radius)  # the noise-free angle: x = (r sin θ, r cos θ)
    np.testing.assert_allclose(x, np.stack([radius * np.sin(theta), radius * np.cos(theta)], 1), atol=1e-5)


def test_moons_without_noise_lie_on_the_two_half_circles():
    x, y = moons(100, noise=0.0, seed=0)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(1 - lower[:, 0], 0.5 - lower[:, 1]), 1.0, atol=1e-6)
    assert len(upper) == len(lower) == 50


def test_regression_returns_the_true_parameters():
    x, y, w_true, b_true = regression(n=2000, d=10, noise=0.1, seed=0)
    assert x.shape == (2000, 10) and y.shape == (2000, 1) and w_true.shape == (10, 1) and b_true.shape == (1,)
    residual = y - (x @ w_true + b_true)
    assert abs(residual.std() - 0.1) < 0.01 and abs(residual.mean()) < 0.01
    design = np.hstack([x, np.ones((2000, 1), np.float32)])
    solution = np.linalg.lstsq(design.astype(np.float64), y.astype(np.float64), rcond=None)[0]
    np.testing.assert_allclose(solution[:10], w_true, atol=0.01)
    np.testing.assert_allclose(solution[10], b_true, atol=0.01)


def test_shapes_images_and_labels():
    x, y = shapes(500, seed=0)
    assert x.shape == (500, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert set(np.unique(y).tolist()) == set(range(len(SHAPE_CLASSES)))
    big, _ = shapes(3, size=56, seed=0)
    assert big.shape == (3, 1, 56, 56)


def test_shapes_draws_what_the_signed_distance_says():
    x, y = shapes(400, noise=0.0, seed=1)
    ink = x.reshape(len(x), -1).sum(axis=1)
    mean_ink = {name: ink[y == k].mean() for k, name in enumerate(SHAPE_CLASSES)}
    # a filled disc of radius s has area π s², a square of half-side 0.8 s has 2.56 s²; a thin ring has less ink
    assert mean_ink["circle"] > mean_ink["square"] > mean_ink["triangle"]
    assert mean_ink["ring"] < mean_ink["circle"]
    noiseless = x[0, 0]
    assert noiseless[0].max() == 0.0 and noiseless[:, 0].max() == 0.0  # the shape stays inside the frame


def test_adding_problem_marks_two_positions_and_sums_them():
    x, y = adding_problem(n=64, seq_len=20, seed=0)
    assert x.shape == (64, 20, 2) and y.shape == (64, 1)
    markers = x[:, :, 1]
    assert (markers.sum(axis=1) == 2).all()
    assert (markers[:, :10].sum(axis=1) == 1).all()  # one marker in each half
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * markers).sum(axis=1), rtol=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        adding_problem(3, 1)


def test_reverse_sequences_targets_are_reversed_inputs():
    x, y = reverse_sequences(n=8, seq_len=6, vocab_size=5, seed=0)
    assert x.dtype == np.int64 and x.shape == (8, 6) and x.max() < 5
    np.testing.assert_array_equal(y, x[:, ::-1])


def test_digits_loads_or_explains_what_is_missing():
    try:
        import sklearn  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="scikit-learn, which is not installed.*pip install scikit-learn"):
            digits()
        return
    x, y = digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float32 and x.max() <= 1.0
    assert np.bincount(y).min() > 150

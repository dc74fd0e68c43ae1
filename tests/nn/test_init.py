"""Initialisation: PyTorch's formulas, in place, from the seeded generator."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import init


def test_calculate_gain_matches_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: comparison skipped")
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-12)
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swishy")


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
def test_bounds_and_spread_follow_the_formulas(shape):
    weight = nn.Parameter(tg.zeros(*shape))
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    cases = [
        (init.xavier_uniform_, {}, math.sqrt(6 / (fan_in + fan_out)), "uniform"),
        (init.xavier_normal_, {"gain": 2.0}, 2.0 * math.sqrt(2 / (fan_in + fan_out)), "normal"),
        (init.kaiming_uniform_, {"nonlinearity": "relu"}, math.sqrt(6 / fan_in), "uniform"),
        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / fan_out), "normal"),
        (init.uniform_, {"a": -0.3, "b": 0.3}, 0.3, "uniform"),
        (init.normal_, {"std": 0.01}, 0.01, "normal"),
    ]
    for function, kwargs, scale, kind in cases:
        assert function(weight, **kwargs) is weight
        values = weight.numpy()
        assert values.dtype == np.float32 and values.shape == shape
        if kind == "uniform":  # U(−a, a): all inside, std a/√3
            assert np.abs(values).max() <= scale and abs(values.std() - scale / math.sqrt(3)) < 0.03 * scale
        else:
            assert abs(values.std() - scale) < 0.03 * scale and abs(values.mean()) < 0.03 * scale


def test_draws_come_from_the_seeded_generator():
    a, b = tg.zeros(20, 10), tg.zeros(20, 10)
    tg.manual_seed(4)
    init.kaiming_normal_(a)
    tg.manual_seed(4)
    init.kaiming_normal_(b)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    tg.manual_seed(4)
    # a=0 with nonlinearity="leaky_relu" means slope 0, i.e. the ReLU gain √2 (as PyTorch)
    expected = tg.backend.generator().normal(0, math.sqrt(2) / math.sqrt(10), size=(20, 10))
    np.testing.assert_array_equal(a.numpy(), expected.astype(np.float32))


def test_constant_fills_keep_dtype_and_record_no_graph():
    t = nn.Parameter(tg.zeros(3, 2, dtype="float64"))
    init.ones_(t)
    assert np.all(t.numpy() == 1) and t.dtype == np.float64 and t.is_leaf
    init.constant_(t, 0.25)
    assert np.all(t.numpy() == 0.25)
    init.zeros_(t)
    assert np.all(t.numpy() == 0)


def test_orthogonal_gives_orthonormal_rows_or_columns():
    for shape in [(4, 6), (6, 4)]:
        q = init.orthogonal_(tg.zeros(*shape, dtype="float64"), gain=2.0).numpy()
        small = q @ q.T if shape[0] < shape[1] else q.T @ q
        np.testing.assert_allclose(small, 4 * np.eye(min(shape)), atol=1e-12)


def test_fan_needs_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tg.zeros(5))
    with pytest.raises(ValueError, match="fan_in"):
        init.kaiming_uniform_(tg.zeros(2, 2), mode="fan_middle")

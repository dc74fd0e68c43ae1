"""detect_anomaly(): the first op whose forward or backward makes NaN/inf raises an error that names the op, the
shapes, the min/max of the inputs and the line of user code that created the op; nothing changes outside it."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.anomaly import AnomalyError, creation_site, describe_array
from tinygrad_edu.tensor import Function


def test_forward_nan_names_the_op_the_shapes_the_range_and_the_users_line():
    x = tg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(AnomalyError) as info, np.errstate(invalid="ignore"):
        x.log()  # the line the message must point at
    message = str(info.value)
    assert message.startswith("Log produced NaN in its forward output")
    assert "input 0: shape (2, 2) float32, min -2, max 3" in message
    assert "test_anomaly.py" in message and "x.log()  # the line the message must point at" in message
    assert "Usual cause: log of 0" in message


def test_backward_inf_is_caught_at_the_first_op_that_makes_it():
    x = tg.tensor([4.0, 0.0, 1.0], requires_grad=True)
    with tg.detect_anomaly():
        root = x.sqrt()  # forward is fine (√0 = 0); backward 1/(2√0) = inf
        loss = (root * 2.0).sum()
        with pytest.raises(AnomalyError) as info, np.errstate(divide="ignore"):
            loss.backward()
    message = str(info.value)
    assert message.startswith("Sqrt produced inf in its backward")
    assert "input 0: shape (3,) float32, min 0, max 4" in message
    assert "incoming gradient" in message and "root = x.sqrt()" in message


def test_inside_a_layer_the_message_names_the_layer_and_the_call():
    model = nn.Sequential(nn.Linear(2, 2))
    with tg.no_grad():
        model[0].weight.data[:] = np.float32(3e38)
    with tg.detect_anomaly(), pytest.raises(AnomalyError) as info, np.errstate(over="ignore", invalid="ignore"):
        model(tg.tensor([[10.0, 10.0]]))
    message = str(info.value)
    assert message.startswith("Linear produced")
    assert "Linear.forward" in message and "model(tg.tensor([[10.0, 10.0]]))" in message


def test_nan_already_in_the_data_is_reported_as_upstream():
    with tg.detect_anomaly(), pytest.raises(AnomalyError, match="already NaN/inf"):
        tg.tensor([np.nan, 1.0]) * 2


def test_finite_computations_are_unchanged_and_the_mode_switches_back():
    x = tg.randn(3, 4, requires_grad=True)
    (x.tanh() * x).sum().backward()
    expected = x.grad.numpy().copy()
    plain_apply = Function.__dict__["apply"]
    x.grad = None
    with tg.detect_anomaly():
        assert tg.is_anomaly_enabled()
        with tg.detect_anomaly():  # nesting is fine
            (x.tanh() * x).sum().backward()
        assert tg.is_anomaly_enabled()
    assert not tg.is_anomaly_enabled()
    assert Function.__dict__["apply"] is plain_apply
    np.testing.assert_array_equal(x.grad, expected)


def test_works_as_a_decorator_and_restores_after_an_error():
    @tg.detect_anomaly()
    def bad():
        return tg.tensor([0.0]) / 0.0

    with pytest.raises(AnomalyError, match="Div"), np.errstate(invalid="ignore"):
        bad()
    assert not tg.is_anomaly_enabled()
    with np.errstate(invalid="ignore"):
        assert np.isnan((tg.tensor([0.0]) / 0.0).item())  # outside the mode nothing is checked


def test_describe_array_and_creation_site():
    assert describe_array(np.array([1.0, np.inf, np.nan, -np.inf])) == (
        "shape (4,) float64, min 1, max 1 (of the finite values); 1 NaN, 1 +inf, 1 −inf")
    assert describe_array(2.0) == "the number 2.0"
    site = creation_site(1)
    assert site.user[0].endswith("test_anomaly.py") and site.layer is None

"""The gradient checker itself: it passes a correct backward, and catches a wrong one at any single element."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Function, GradcheckError, GradcheckReport, gradcheck


class Cube(Function):
    """z = x³, backward ∂L/∂x = ∂L/∂z ⊙ 3x² (correct)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x**3

    def backward(self, grad):
        (x,) = self.saved
        return grad * 3 * x**2


class CubeWrongFactor(Cube):
    """The classic slip: 2x² instead of 3x²."""

    def backward(self, grad):
        (x,) = self.saved
        return grad * 2 * x**2


class CubeWrongAtTheLastElement(Cube):
    """Correct everywhere except at one element: a check that samples one random index would likely miss it."""

    def backward(self, grad):
        out = super().backward(grad).copy()
        out.reshape(-1)[-1] += 1e-3
        return out


class WrongSecondInput(Function):
    """z = x ⊙ y with a correct ∂L/∂x and a wrong ∂L/∂y."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x * y

    def backward(self, grad):
        x, y = self.saved
        return grad * y, grad * y


def _input(shape=(2, 3), seed=0):
    return tg.tensor(np.random.default_rng(seed).uniform(-2, 2, shape), requires_grad=True)


def test_passes_a_correct_backward_and_reports_per_input() -> None:
    x, y = _input(seed=1), _input((3,), seed=2)
    report = gradcheck(lambda a, b: Cube.apply(a) * b, x, y)
    assert isinstance(report, GradcheckReport) and report.passed
    assert [row.index for row in report.inputs] == [0, 1]
    assert [row.shape for row in report.inputs] == [(2, 3), (3,)]
    for row in report.inputs:
        assert row.passed and row.max_abs_error < 1e-7 and row.max_rel_error < 1e-7
        assert isinstance(row.worst_index, tuple) and len(row.worst_index) == len(row.shape)


def test_a_wrong_backward_raises_with_the_table() -> None:
    with pytest.raises(GradcheckError) as error:
        gradcheck(lambda a: CubeWrongFactor.apply(a), _input())
    message = str(error.value)
    assert "gradient check failed" in message and "eps=1e-06" in message
    assert "max abs err" in message and "worst index" in message and "NO" in message


def test_every_element_is_checked() -> None:
    x = _input((4, 5))
    report = gradcheck(lambda a: CubeWrongAtTheLastElement.apply(a), x, raise_on_failure=False)
    (row,) = report.inputs
    assert not report.passed and not row.passed
    assert row.worst_index == (3, 4)
    assert row.max_abs_error == pytest.approx(1e-3, rel=1e-4)  # exactly the error planted
    assert row.analytic - row.numeric == pytest.approx(1e-3, rel=1e-4)


def test_reports_which_input_is_wrong() -> None:
    report = gradcheck(lambda a, b: WrongSecondInput.apply(a, b), _input(seed=3), _input(seed=4),
                       raise_on_failure=False)
    assert [row.passed for row in report.inputs] == [True, False]
    assert "NO" in str(report) and "yes" in str(report)


def test_runs_in_float64_and_leaves_the_inputs_alone() -> None:
    x = tg.tensor([0.3, -1.2, 2.0], requires_grad=True)  # float32
    seen = []

    def fn(a):
        seen.append(a.dtype)
        return (a * a).sin()

    report = gradcheck(fn, x)
    assert report.passed and set(seen) == {np.dtype(np.float64)}
    assert x.grad is None and x.dtype == np.float32 and x.tolist() == pytest.approx([0.3, -1.2, 2.0])


def test_only_inputs_that_require_grad_are_checked() -> None:
    constant = tg.tensor([1.0, 2.0, 3.0])
    report = gradcheck(lambda a, b, scale: a * b * scale, _input((3,)), constant, 2.0)
    assert [row.index for row in report.inputs] == [0]


def test_bad_calls_are_explained() -> None:
    with pytest.raises(ValueError, match="at least one input Tensor with requires_grad=True"):
        gradcheck(lambda a: a * 2, tg.tensor([1.0]))
    with pytest.raises(TypeError, match="fn must return a Tensor"):
        gradcheck(lambda a: 3.0, _input())


# ------------------------------------------------------------------------------ params=True: a layer's parameters


class ScaleWrongWeightGrad(Function):
    """z = x ⊙ w with a wrong ∂L/∂w (2 x instead of x); ∂L/∂x = ∂L/∂z ⊙ w is right."""

    def forward(self, x, w):
        self.save_for_backward(x, w)
        return x * w

    def backward(self, grad):
        x, w = self.saved
        return grad * w, (grad * 2 * x).sum(axis=0)


class Scale(tg.nn.Module):
    def __init__(self, op: type[Function]) -> None:
        super().__init__()
        self.weight = tg.nn.Parameter(tg.randn(3).data)
        self.op = op

    def forward(self, x):
        return self.op.apply(x, self.weight)


def test_params_checks_a_layers_parameters_by_name_in_float64() -> None:
    layer = tg.nn.Linear(3, 2)
    report = gradcheck(layer, tg.randn(4, 3, requires_grad=True), params=True)
    assert [row.index for row in report.inputs] == [0, "weight", "bias"] and report.passed
    assert layer.weight.dtype == np.float64  # converted in place: the central difference needs float64


def test_params_catches_a_wrong_parameter_gradient_the_input_check_misses() -> None:
    x = tg.randn(4, 3, requires_grad=True)
    assert gradcheck(Scale(ScaleWrongWeightGrad), x).passed  # inputs only: ∂L/∂x is right
    report = gradcheck(Scale(ScaleWrongWeightGrad), x, params=True, raise_on_failure=False)
    assert [(row.index, row.passed) for row in report.inputs] == [(0, True), ("weight", False)]


def test_params_needs_a_module() -> None:
    with pytest.raises(TypeError, match=r"gradcheck\(params=True\) needs a Module"):
        gradcheck(lambda x: x * 2, tg.randn(2, requires_grad=True), params=True)

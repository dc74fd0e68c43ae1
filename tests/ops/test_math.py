"""ops/math.py: every function against central differences (float64, hypothesis-drawn), against PyTorch (forward and
gradient), and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import assert_close, require_torch
from tests.strategies import away_from, positive, shapes, values

ROUNDING_KINKS = tuple(np.arange(-2.5, 2.51, 0.5))  # integers and halves: where the step functions jump


def _plain(low=-2.0, high=2.0):
    return lambda shape: values(shape, low, high)


def _steps(shape):
    return away_from(shape, kinks=ROUNDING_KINKS, margin=0.1)


# name → strategy of inputs (a function of the shape) inside the function's smooth domain
UNARY = {
    "floor": _steps, "ceil": _steps, "trunc": _steps, "fix": _steps, "round": _steps, "sign": _steps,
    "sgn": _steps, "frac": _steps,
    "rsqrt": positive, "reciprocal": lambda s: away_from(s, margin=0.3), "square": _plain(),
    "log2": positive, "log10": positive, "log1p": _plain(-0.5, 2.0), "expm1": _plain(), "exp2": _plain(),
    "tan": _plain(-1.2, 1.2), "asin": _plain(-0.9, 0.9), "acos": _plain(-0.9, 0.9), "atan": _plain(),
    "sinh": _plain(), "cosh": _plain(), "asinh": _plain(), "acosh": _plain(1.2, 3.0), "atanh": _plain(-0.9, 0.9),
    "erf": _plain(), "erfc": _plain(), "erfinv": _plain(-0.9, 0.9), "sinc": _plain(), "deg2rad": _plain(),
    "rad2deg": _plain(), "nan_to_num": _plain(), "clamp_min": _plain(), "clamp_max": _plain(),
}
ARGS = {"clamp_min": (0.1,), "clamp_max": (0.1,)}  # extra arguments (bounds kept away from the drawn values' kinks)

BINARY = {
    "atan2": (lambda s: away_from(s, margin=0.3), lambda s: away_from(s, margin=0.3)),  # the cut: y = 0, x < 0
    "hypot": (lambda s: away_from(s, margin=0.3), _plain()),
    "logaddexp": (_plain(), _plain()),
    "logaddexp2": (_plain(), _plain()),
    "copysign": (lambda s: away_from(s, margin=0.2), lambda s: away_from(s, margin=0.2)),
    "xlogy": (_plain(), positive),
}


def _tensor(array, requires_grad=True):
    return tg.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def _clamp_bounds_away(x, offset):
    return x + np.where(offset >= 0, offset + 0.2, offset - 0.2)


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=10)
@given(data=st.data())
def test_unary_gradcheck(name, data):
    shape = data.draw(shapes())
    x = data.draw(UNARY[name](shape))
    if name in ("clamp_min", "clamp_max"):
        x = np.where(np.abs(x - 0.1) < 0.1, 0.5, x)
    fn = getattr(tg, name)
    tg.gradcheck(lambda t: fn(t, *ARGS.get(name, ())), _tensor(x))
    tg.gradcheck(lambda t: getattr(t, name)(*ARGS.get(name, ())), _tensor(x))  # the Tensor method too


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=10)
@given(data=st.data())
def test_binary_gradcheck_with_broadcasting(name, data):
    from tests.strategies import broadcast_shapes

    shape_x, shape_y = data.draw(broadcast_shapes())
    first, second = BINARY[name]
    x, y = data.draw(first(shape_x)), data.draw(second(shape_y))
    tg.gradcheck(getattr(tg, name), _tensor(x), _tensor(y))


@settings(max_examples=15)
@given(data=st.data())
def test_lerp_gradcheck_in_all_three_inputs(data):
    from tests.strategies import broadcast_shapes

    shape_a, shape_b, shape_w = data.draw(broadcast_shapes(num_shapes=3))
    a, b, w = (data.draw(values(s)) for s in (shape_a, shape_b, shape_w))
    tg.gradcheck(tg.lerp, _tensor(a), _tensor(b), _tensor(w))
    tg.gradcheck(lambda s, e: s.lerp(e, 0.3), _tensor(a), _tensor(b))


@settings(max_examples=15)
@given(data=st.data())
def test_clamp_with_tensor_bounds_gradcheck_reaches_the_bounds(data):
    shape = data.draw(shapes())
    x = data.draw(values(shape))
    low = _clamp_bounds_away(x, data.draw(values(shape, -1.0, 1.0)))
    high = np.maximum(low, x) + data.draw(positive(shape, 0.2, 1.0))
    high = np.where(data.draw(st.booleans()), high, _clamp_bounds_away(x, data.draw(values(shape, -1.0, 1.0))))
    high = np.where(np.abs(high - low) < 0.1, high + 0.3, high)
    tg.gradcheck(lambda t, lo, hi: tg.clamp(t, lo, hi), _tensor(x), _tensor(low), _tensor(high))
    tg.gradcheck(lambda t, lo: t.clamp(min=lo), _tensor(x), _tensor(low))
    tg.gradcheck(lambda t, hi: t.clip(max=hi), _tensor(x), _tensor(high))


# ------------------------------------------------------------------------------------------ against PyTorch


def _torch_name(name):
    return {"fix": "fix", "sgn": "sgn"}.get(name, name)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_pytorch_forward_and_gradient(name):
    torch = require_torch()
    rng = np.random.default_rng(0)
    low, high = {"rsqrt": (0.2, 3), "log2": (0.2, 3), "log10": (0.2, 3), "log1p": (-0.5, 2), "asin": (-0.95, 0.95),
                 "acos": (-0.95, 0.95), "atanh": (-0.95, 0.95), "erfinv": (-0.99, 0.99), "acosh": (1.1, 4),
                 "tan": (-1.4, 1.4)}.get(name, (-3, 3))
    array = rng.uniform(low, high, size=(3, 4))
    if name == "sinc":
        array[0, 0] = 0.0
    grad = rng.normal(size=(3, 4))
    for dtype in (np.float64, np.float32):
        ours = tg.tensor(array.astype(dtype), requires_grad=True)
        theirs = torch.tensor(array.astype(dtype), requires_grad=True)
        out = getattr(tg, name)(ours, *ARGS.get(name, ()))
        expected = getattr(torch, _torch_name(name))(theirs, *ARGS.get(name, ()))
        assert out.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
        out.backward(grad.astype(dtype))
        expected.backward(torch.tensor(grad.astype(dtype)))
        tolerance = 1e-12 if dtype == np.float64 else 2e-6
        assert_close(out, expected, rtol=tolerance * 10, atol=tolerance)
        assert_close(ours.grad, torch.zeros_like(theirs) + theirs.grad, rtol=tolerance * 10, atol=tolerance)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(BINARY) + ["lerp"])
def test_binary_matches_pytorch_with_broadcasting(name):
    torch = require_torch()
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 1)), rng.uniform(0.2, 2, size=(4,)) * rng.choice([-1, 1], size=4)
    if name == "xlogy":
        b, a[0, 0] = np.abs(b), 0.0
    arrays = [a, b] + ([rng.uniform(0, 1, size=(3, 4))] if name == "lerp" else [])
    ours = [tg.tensor(v, requires_grad=True) for v in arrays]
    theirs = [torch.tensor(v, requires_grad=True) for v in arrays]
    out, expected = getattr(tg, name)(*ours), getattr(torch, name)(*theirs)
    grad = rng.normal(size=(3, 4))
    out.backward(grad)
    expected.backward(torch.tensor(grad))
    assert_close(out, expected, rtol=1e-12, atol=1e-12)
    for mine, reference in zip(ours, theirs, strict=True):
        assert_close(mine.grad, reference.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
def test_clamp_with_tensor_bounds_matches_pytorch_including_crossed_bounds():
    torch = require_torch()
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, -1.0])
    low = np.array([1.0, 1.0, 3.0, 3.0, 1.0, -2.0])
    high = np.array([2.0, 0.5, 2.0, 3.0, 3.0, -1.5])  # low > high at positions 1 and 2: the result is high
    grad = np.arange(1.0, 7.0)
    for bounds in ((low, high), (low, None), (None, high)):
        ours = [tg.tensor(v, requires_grad=True) if v is not None else None for v in (x, *bounds)]
        theirs = [torch.tensor(v, requires_grad=True) if v is not None else None for v in (x, *bounds)]
        out, expected = tg.clamp(*ours), torch.clamp(*theirs)
        out.backward(grad)
        expected.backward(torch.tensor(grad))
        assert_close(out, expected, rtol=0, atol=0)
        for mine, reference in zip(ours, theirs, strict=True):
            if mine is not None:
                assert_close(mine.grad, reference.grad, rtol=0, atol=0)


@pytest.mark.torch
def test_special_values_match_pytorch():
    torch = require_torch()
    special = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.5, np.inf, -np.inf, np.nan, 1e-300, 10.0], dtype=np.float64)
    for name in ("floor", "ceil", "round", "trunc", "frac", "sign", "erf", "erfc", "erfinv", "sinc", "log1p",
                 "expm1", "rsqrt", "reciprocal", "atanh", "nan_to_num"):
        with np.errstate(all="ignore"):
            out = getattr(tg, name)(tg.tensor(special))
        assert_close(out, getattr(torch, name)(torch.tensor(special)), rtol=1e-12, atol=0)
    values_ = tg.tensor([1.2345, -2.5, 0.125])
    assert_close(tg.round(values_, decimals=2), torch.round(torch.tensor([1.2345, -2.5, 0.125]), decimals=2))
    assert_close(tg.nan_to_num(tg.tensor(special), nan=1.0, posinf=2.0, neginf=-2.0),
                 torch.nan_to_num(torch.tensor(special), nan=1.0, posinf=2.0, neginf=-2.0))
    x, y = tg.tensor([0.0, 0.0, 1.0]), tg.tensor([0.0, -1.0, np.nan])
    assert_close(tg.xlogy(x, y), torch.xlogy(torch.tensor([0.0, 0.0, 1.0]), torch.tensor([0.0, -1.0, np.nan])))
    assert_close(tg.copysign(tg.tensor([1.0, -2.0]), tg.tensor([-0.0, 0.0])), [-1.0, 2.0])


@pytest.mark.torch
def test_integer_inputs_get_pytorchs_dtypes():
    torch = require_torch()
    ints = [[-3, 0, 2]]
    for name in ("floor", "ceil", "round", "trunc", "sign", "square", "reciprocal", "log2", "erf", "sinh", "rsqrt"):
        with np.errstate(all="ignore"):
            ours = getattr(tg, name)(tg.tensor(ints))
        theirs = getattr(torch, name)(torch.tensor(ints))
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), name
        assert_close(ours, theirs)


def test_erfinv_inverts_erf_to_float64_precision():
    x = np.linspace(-0.999999, 0.999999, 2001)
    assert_close(tg.erf(tg.erfinv(tg.tensor(x))), x, rtol=0, atol=1e-15)
    out = tg.erfinv(tg.tensor([1.0, -1.0, 1.5]))
    assert out.numpy()[0] == np.inf and out.numpy()[1] == -np.inf and np.isnan(out.numpy()[2])


def test_gradients_of_step_functions_are_zero_and_frac_passes_through():
    x = tg.tensor([-1.7, 0.3, 2.5], requires_grad=True)
    (tg.floor(x) + tg.ceil(x) + tg.round(x) + tg.sign(x) + tg.trunc(x)).sum().backward()
    np.testing.assert_array_equal(tg.to_numpy(x.grad), [0, 0, 0])
    x = tg.tensor([-1.7, 0.3, 2.5], requires_grad=True)
    tg.frac(x).sum().backward()
    np.testing.assert_array_equal(tg.to_numpy(x.grad), [1, 1, 1])


# --------------------------------------------------------------------------------------------------- errors


def test_errors_name_the_op_and_the_fix():
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="at least one of min and max"):
        tg.clamp(x)
    with pytest.raises(TypeError, match=r"clamp\(\): min='a' must be a number"):
        tg.clamp(x, min="a")
    with pytest.raises(TypeError, match=r"round\(\): decimals=1.5 must be an int"):
        tg.round(x, decimals=1.5)
    with pytest.raises(TypeError, match=r"atan2\(\): expected a Tensor"):
        tg.atan2(x, "y")
    with pytest.raises(ValueError, match="broadcast"):
        tg.hypot(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0, 3.0]))

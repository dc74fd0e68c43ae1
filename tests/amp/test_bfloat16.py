"""bfloat16 emulation: the bit trick against an exact rational reference (ties to even, subnormals, inf, NaN),
against PyTorch's bfloat16 rounding, autocast(dtype="bfloat16"), and the underflow example that needs a
GradScaler in float16 and nothing in bfloat16."""

from __future__ import annotations

import struct
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.amp import autocast, from_bfloat16_bits, round_to_bfloat16, to_bfloat16_bits
from tinygrad_edu.amp.bfloat16 import FORMATS
from tinygrad_edu.nn import functional as F

from ..helpers import assert_close, require_torch
from .test_grad_scaler import tiny_loss


def _bits(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


def _float(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def reference_bits(value: float) -> int:
    """bfloat16 rounding from the definition: of the two bfloat16 numbers around x (truncation toward zero, and
    the next one away from zero), the nearer in exact rational arithmetic; on a tie the one with an even last
    bit. Overflow past the largest bfloat16 gives inf when x is at least halfway to 2¹²⁸."""
    u = _bits(value)
    if np.isnan(value):
        return -1  # any NaN pattern is accepted; checked apart
    if np.isinf(value):
        return u >> 16
    low = u >> 16  # truncation toward zero
    high = low + 1  # one step away from zero (may be the inf pattern)
    x = Fraction(value)
    low_value = Fraction(_float(low << 16))
    if (high & 0x7FFF) == 0x7F80:  # the step away from zero is inf: compare with the virtual 2¹²⁸
        high_value = Fraction(2**128) * (-1 if value < 0 else 1)
    else:
        high_value = Fraction(_float(high << 16))
    to_low, to_high = abs(x - low_value), abs(high_value - x)
    if to_low < to_high or (to_low == to_high and low % 2 == 0):
        return low
    return high


float32s = st.floats(width=32, allow_nan=True, allow_infinity=True, allow_subnormal=True)


@given(st.lists(float32s, min_size=1, max_size=40))
@example([1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, -(1.0 + 2.0**-8), 2.0**-133, 2.0**-134, 3 * 2.0**-134])  # ties
@example([float(np.finfo(np.float32).max), 3.3961e38, -3.3961e38, 1.4e-45, -0.0, 0.0])
def test_rounding_matches_the_rational_reference_bit_for_bit(values):
    x = np.array(values, dtype=np.float32)
    bits = to_bfloat16_bits(x)
    assert bits.dtype == np.uint16 and bits.shape == x.shape
    for value, got in zip(x.tolist(), bits.tolist(), strict=True):
        if np.isnan(value):
            assert np.isnan(_float(got << 16)), f"NaN must stay NaN, got bits {got:#06x}"
        else:
            assert got == reference_bits(value), f"{value!r}: got {got:#06x}, expected {reference_bits(value):#06x}"


def test_ties_go_to_even_and_signalling_nans_stay_nan():
    # 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷: the even one is 1; 1 + 3·2⁻⁸ goes up to the even 1 + 2⁻⁶.
    assert_close(round_to_bfloat16(np.float32([1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-8 + 2**-20])),
                 [1.0, 1 + 2**-6, 1 + 2**-7], rtol=0, atol=0)
    payload_nan = np.array([0x7F800001, 0xFF80FFFF], dtype=np.uint32).view(np.float32)  # NaNs, payload low bits
    assert np.isnan(round_to_bfloat16(payload_nan)).all()
    assert np.signbit(round_to_bfloat16(payload_nan)).tolist() == [False, True]


def test_storage_as_uint16_round_trips_and_halves_the_bytes():
    x = round_to_bfloat16(np.random.default_rng(0).normal(size=1000).astype(np.float32))
    bits = to_bfloat16_bits(x)
    assert bits.nbytes * 2 == x.nbytes
    assert_close(from_bfloat16_bits(bits), x, rtol=0, atol=0)
    assert np.abs(x - np.random.default_rng(0).normal(size=1000)).max() <= 2.0**-8 * 4.5  # |x| < 4.5 here


def test_relative_error_is_at_most_half_an_ulp():
    x = np.random.default_rng(1).lognormal(0, 20, size=10_000).astype(np.float32)
    x = x[(x > FORMATS["bfloat16"][2]) & (x < 1e38)]
    relative = np.abs(round_to_bfloat16(x).astype(np.float64) - x) / x
    assert relative.max() <= 2.0**-8  # u = 2⁻⁽ᵐ⁺¹⁾ with m = 7


@pytest.mark.torch
@given(st.lists(float32s, min_size=1, max_size=40))
def test_rounding_matches_pytorch(values):
    torch = require_torch()
    x = np.array(values, dtype=np.float32)
    expected = torch.tensor(x).to(torch.bfloat16).float().numpy()
    np.testing.assert_array_equal(round_to_bfloat16(x), expected)


# ------------------------------------------------------------------------------------------------ autocast


def test_autocast_bfloat16_rounds_products_and_keeps_float32_storage():
    tg.manual_seed(0)
    x, w = tg.randn(5, 7, requires_grad=True), tg.randn(7, 3, requires_grad=True)
    with autocast(dtype="bfloat16"):
        y = x @ w
    assert y.dtype == np.float32
    expected = round_to_bfloat16(round_to_bfloat16(x.data) @ round_to_bfloat16(w.data))
    assert_close(y, expected, rtol=0, atol=0)
    y.sum().backward()
    ones = np.ones((5, 3), dtype=np.float32)
    assert_close(x.grad, round_to_bfloat16(ones @ round_to_bfloat16(w.data).T), rtol=0, atol=0)
    assert_close((x @ w).data, x.data @ w.data)  # outside the block: plain float32 again


def test_autocast_bfloat16_convolution_close_to_float32_and_float64_untouched():
    tg.manual_seed(1)
    conv = nn.Conv2d(2, 4, 3)
    images = tg.randn(3, 2, 6, 6)
    with autocast("bfloat16"):
        out = conv(images)
        exact = conv.double()(images.double())
    assert out.dtype == np.float32 and exact.dtype == np.float64
    reference = exact.data
    assert np.abs(out.data - reference).max() <= 2.0**-7 * np.abs(reference).max()
    assert np.array_equal(to_bfloat16_bits(out.data), to_bfloat16_bits(out.data.copy()))


def test_autocast_rejects_other_dtypes_with_the_supported_list():
    with pytest.raises(ValueError, match="bfloat16"):
        autocast(dtype="int8")


def test_bfloat16_needs_no_loss_scaling_where_float16_does():
    """The float16 lesson's example (test_grad_scaler): gradients ≈ 10⁻⁹ underflow in float16, not in bfloat16."""
    tg.manual_seed(0)
    layer = nn.Linear(4, 40)
    x = tg.randn(100, 4)
    tiny_loss(layer, x).backward()
    reference = layer.weight.grad.numpy().copy()
    output_grad = 2e-5 * np.abs(layer(x).data) / 4000  # ∂L/∂out, what flows into the float16 product's backward
    assert FORMATS["bfloat16"][3] < output_grad.max() < FORMATS["float16"][3]  # below float16, far above bf16

    counts = {}
    for dtype in ("float16", "bfloat16"):
        layer.zero_grad()
        with autocast(dtype):
            loss = tiny_loss(layer, x)
        loss.backward()
        counts[dtype] = np.count_nonzero(layer.weight.grad)
        if dtype == "bfloat16":
            # a few bfloat16 roundings (2⁻⁸ each); sums with cancellation make it relative to the largest entry
            assert_close(layer.weight.grad, reference, rtol=0, atol=2.0**-6 * np.abs(reference).max())
    assert counts == {"float16": 0, "bfloat16": 160}


def test_bfloat16_trains_a_small_network_without_a_scaler():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    x = tg.randn(64, 2)
    y = tg.tensor((x.data[:, 0] * x.data[:, 1] > 0).astype(np.int64))
    for _ in range(60):
        optimizer.zero_grad()
        with autocast("bfloat16"):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.35

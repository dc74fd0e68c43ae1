"""``ops.Linear``, ``ops.Conv2d`` and ``ops.LayerNorm`` take a missing bias / affine parameter as ``None``: the same
numbers as leaving the input out (or adding the term by hand), and gradients that pass the float64 gradcheck."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.gradcheck import gradcheck


def _randn(*shape: int, seed: int = 0) -> tg.Tensor:
    return tg.tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=True)


def test_linear_without_bias_is_x_times_w_transposed():
    x, w = _randn(4, 3), _randn(2, 3, seed=1)
    np.testing.assert_array_equal(ops.Linear.apply(x, w, None).numpy(), x.numpy() @ w.numpy().T)
    gradcheck(lambda x, w: ops.Linear.apply(x, w, None), x, w)


def test_conv2d_without_bias_matches_the_biased_op_with_zero_bias():
    x, w = _randn(2, 2, 5, 5), _randn(3, 2, 3, 3, seed=1)
    zero = tg.tensor(np.zeros(3))
    np.testing.assert_array_equal(ops.Conv2d.apply(x, w, None, padding=1).numpy(),
                                  ops.Conv2d.apply(x, w, zero, padding=1).numpy())
    gradcheck(lambda x, w: ops.Conv2d.apply(x, w, None, padding=1), x, w)


def test_layer_norm_with_a_shift_only_or_no_affine_at_all():
    x, beta = _randn(3, 4), _randn(4, seed=1)
    plain = ops.LayerNorm.apply(x, None, None).numpy()
    centred = x.numpy() - x.numpy().mean(axis=-1, keepdims=True)
    np.testing.assert_allclose(plain, centred / np.sqrt((centred**2).mean(axis=-1, keepdims=True) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(ops.LayerNorm.apply(x, None, beta).numpy(), plain + beta.numpy(), rtol=1e-12)
    gradcheck(lambda x, b: ops.LayerNorm.apply(x, None, b), x, beta)
    gradcheck(lambda x: ops.LayerNorm.apply(x, None, None), x)

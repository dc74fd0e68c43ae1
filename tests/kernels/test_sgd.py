"""SGD's one-pass momentum kernel (kernels/sgd.py) against the optimizer's own NumPy lines (optim/sgd.py), bit for
bit, and the optimizer's steps on either kernel choice."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import parameters_after_steps
from tinygrad_edu import nn, optim
from tinygrad_edu.kernels import dispatch, sgd


def _numpy_update(theta, grad, velocity, lr, momentum):
    """optim.SGD's own NumPy lines (kernels off) on one parameter whose momentum buffer is ``velocity``."""
    param = tg.tensor(theta.copy(), requires_grad=True)
    optimizer = optim.SGD([param], lr=lr, momentum=momentum)
    optimizer.state[param] = {"momentum_buffer": velocity.copy()}
    param.grad = tg.tensor(grad)
    with dispatch.using("numpy"):
        optimizer.step()
    return param.numpy(), optimizer.state[param]["momentum_buffer"]


@given(size=st.one_of(st.integers(1, 3000), st.integers(sgd.PARALLEL_MIN_SIZE, sgd.PARALLEL_MIN_SIZE + 3000)),
       dtype=st.sampled_from([np.float32, np.float64]),
       lr=st.sampled_from([1e-3, 0.1, 0.37]), momentum=st.sampled_from([0.5, 0.9, 0.99]),
       seed=st.integers(0, 2**16))
def test_one_pass_equals_the_four_numpy_passes_bit_for_bit(size, dtype, lr, momentum, seed):
    rng = np.random.default_rng(seed)
    theta, grad, velocity = (rng.standard_normal(size).astype(dtype) for _ in range(3))
    expected = _numpy_update(theta, grad, velocity, lr, momentum)
    sgd.momentum_step(theta, grad, velocity, lr, momentum)
    assert theta.tobytes() == expected[0].tobytes() and velocity.tobytes() == expected[1].tobytes()


def _train(kernels: str) -> list[np.ndarray]:
    """Five SGD-momentum steps of a layer large enough for the kernel (dispatch.SGD_KERNEL_MIN_SIZE)."""
    rng = np.random.default_rng(0)
    layer = nn.Linear(256, 128)
    assert layer.weight.numel() >= dispatch.SGD_KERNEL_MIN_SIZE
    layer.weight.data[...] = rng.standard_normal(layer.weight.shape).astype(np.float32) * 0.05
    layer.bias.data[...] = rng.standard_normal(layer.bias.shape).astype(np.float32) * 0.05
    optimizer = optim.SGD(layer.parameters(), lr=0.05, momentum=0.9)
    return parameters_after_steps(layer, optimizer, tg.tensor(rng.standard_normal((32, 256)).astype(np.float32)),
                                  kernels)


def test_sgd_steps_give_the_same_parameters_on_either_kernel_choice():
    for ours, reference in zip(_train("numba"), _train("numpy"), strict=True):
        assert ours.tobytes() == reference.tobytes()

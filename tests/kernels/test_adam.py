"""Adam's one-pass kernel (kernels/adam.py) against the optimizer's own NumPy lines (optim/adam.py), bit for bit:
coupled and decoupled weight decay, amsgrad, maximize, both forms of the running mean, both dtypes, one thread's
pass and the pass shared out between threads; and whole training runs on either kernel choice."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests.helpers import parameters_after_steps
from tinygrad_edu import nn, optim
from tinygrad_edu.kernels import adam, dispatch, sgd

SIZES = st.one_of(st.integers(dispatch.ADAM_KERNEL_MIN_SIZE, dispatch.ADAM_KERNEL_MIN_SIZE + 500),
                  st.integers(sgd.PARALLEL_MIN_SIZE, sgd.PARALLEL_MIN_SIZE + 500))


def _steps(kernels, size, dtype, seed, steps, **options):
    """``steps`` Adam steps of one parameter with fresh gradients; the parameter and the state after them."""
    rng = np.random.default_rng(seed)
    param = tg.tensor(rng.standard_normal(size).astype(dtype), requires_grad=True)
    optimizer = (optim.AdamW if options.pop("adamw", False) else optim.Adam)([param], **options)
    with dispatch.using(kernels):
        for _ in range(steps):
            param.grad = tg.tensor((rng.standard_normal(size) * rng.choice([1e-3, 1.0, 30.0])).astype(dtype))
            optimizer.step()
    state = optimizer.state[param]
    return [param.numpy()] + [state[k] for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if k in state]


@given(size=SIZES, dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16),
       lr=st.sampled_from([1e-3, 0.05]), betas=st.sampled_from([(0.9, 0.999), (0.3, 0.95), (0.5, 0.9)]),
       eps=st.sampled_from([1e-8, 1e-3]), weight_decay=st.sampled_from([0.0, 0.01]), adamw=st.booleans(),
       amsgrad=st.booleans(), maximize=st.booleans())
@settings(max_examples=40, deadline=None)
def test_one_pass_equals_the_numpy_lines_bit_for_bit(size, dtype, seed, lr, betas, eps, weight_decay, adamw,
                                                      amsgrad, maximize):
    options = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                   adamw=adamw)
    ours = _steps("numba", size, dtype, seed, 3, **options)
    reference = _steps("numpy", size, dtype, seed, 3, **options)
    for a, b in zip(ours, reference, strict=True):
        assert a.tobytes() == b.tobytes()


def test_the_kernel_serves_large_parameters_and_leaves_small_ones_to_numpy():
    calls = []
    original = adam.adam_step
    adam.adam_step = lambda *args, **kwargs: (calls.append(args[0].size), original(*args, **kwargs))
    try:
        _steps("numba", dispatch.ADAM_KERNEL_MIN_SIZE, np.float32, 0, 1)
        _steps("numba", dispatch.ADAM_KERNEL_MIN_SIZE - 1, np.float32, 0, 1)
        _steps("numpy", dispatch.ADAM_KERNEL_MIN_SIZE, np.float32, 0, 1)
    finally:
        adam.adam_step = original
    assert calls == [dispatch.ADAM_KERNEL_MIN_SIZE]


def _train(kernels: str) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 4))
    for p in model.parameters():
        p.data[...] = rng.standard_normal(p.shape).astype(np.float32) * 0.1
    optimizer = optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    return parameters_after_steps(model, optimizer, tg.tensor(rng.standard_normal((32, 128)).astype(np.float32)),
                                  kernels)


def test_adamw_training_gives_the_same_parameters_on_either_kernel_choice():
    for ours, reference in zip(_train("numba"), _train("numpy"), strict=True):
        assert ours.tobytes() == reference.tobytes()

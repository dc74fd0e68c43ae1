"""The optimizer machinery shared by every rule: param groups, zero_grad, step(closure), in-place updates,
state_dict / load_state_dict (bit-identical resumption), and clear errors on bad input."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import backend, optim

CONFIGS = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (optim.Adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01}),
    (optim.AdamW, {"lr": 0.05}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
]
IDS = [c.__name__ for c, _ in CONFIGS]


def make_params(seed: int = 0, dtype=np.float32) -> list[tg.Tensor]:
    rng = np.random.default_rng(seed)
    return [tg.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
            for shape in [(4, 3), (3,), (2, 2, 2)]]


def set_gradients(params: list[tg.Tensor], step: int) -> None:
    """Gradients that depend on θ and on the step, as a real loss's would."""
    for i, p in enumerate(params):
        p.grad = tg.tensor((np.sin(p.data * (i + 1)) + 0.01 * step).astype(p.dtype))


def train(optimizer, params, steps: range) -> None:
    for step in steps:
        optimizer.zero_grad()
        set_gradients(params, step)
        optimizer.step()


# --------------------------------------------------------------------------------------- state_dict


@pytest.mark.parametrize(("optimizer_class", "options"), CONFIGS, ids=IDS)
def test_resuming_from_state_dict_is_bit_identical(optimizer_class, options):
    uninterrupted = make_params()
    opt = optimizer_class(uninterrupted, **options)
    train(opt, uninterrupted, range(20))

    first_half = make_params()
    opt = optimizer_class(first_half, **options)
    train(opt, first_half, range(10))
    checkpoint = pickle.loads(pickle.dumps(opt.state_dict()))  # as if written to disk and read back
    saved_weights = [p.data.copy() for p in first_half]
    del opt, first_half

    resumed = [tg.Tensor(w, requires_grad=True) for w in saved_weights]
    opt = optimizer_class(resumed, lr=123.0)  # wrong hyper-parameters: the checkpoint's must win
    opt.load_state_dict(checkpoint)
    train(opt, resumed, range(10, 20))
    for a, b in zip(resumed, uninterrupted, strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_state_dict_is_keyed_by_position_and_copies_arrays():
    params = make_params()
    opt = optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.5}], lr=0.01)
    train(opt, params, range(2))
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1, 2]
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in saved["param_groups"]] == [0.01, 0.5]
    assert saved["state"][1]["step"] == 2
    snapshot = saved["state"][0]["exp_avg"].copy()
    train(opt, params, range(2, 4))  # later steps must not change the saved arrays
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], snapshot)
    assert opt.state[params[0]]["step"] == 4


def test_load_state_dict_rejects_a_different_model():
    opt = optim.SGD(make_params(), lr=0.1, momentum=0.9)
    train(opt, opt.param_groups[0]["params"], range(1))
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="hold \\[3\\] parameters.*hold \\[2\\]"):
        optim.SGD(make_params()[:2], lr=0.1).load_state_dict(saved)
    other_shapes = [tg.Tensor(np.ones(s), requires_grad=True) for s in [(3, 4), (3,), (2, 2, 2)]]
    with pytest.raises(ValueError, match="shape \\(4, 3\\).*shape \\(3, 4\\)"):
        optim.SGD(other_shapes, lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="1 parameter groups"):
        params = make_params()
        optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1).load_state_dict(saved)


def test_load_state_dict_converts_to_the_parameters_dtype():
    opt = optim.Adam(make_params(dtype=np.float64), lr=0.1)
    train(opt, opt.param_groups[0]["params"], range(2))
    params32 = make_params(dtype=np.float32)
    opt32 = optim.Adam(params32, lr=0.1)
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[params32[0]]["exp_avg"].dtype == np.float32
    train(opt32, params32, range(2, 3))
    assert params32[0].dtype == np.float32


# --------------------------------------------------------------------------------------- semantics


@pytest.mark.parametrize(("optimizer_class", "options"), CONFIGS, ids=IDS)
def test_update_is_in_place_and_leaves_grad_alone(optimizer_class, options):
    params = make_params()
    arrays = [p.data for p in params]  # other references to the parameters' arrays
    opt = optimizer_class(params, **options)
    for step in range(2):
        set_gradients(params, step)
        grads = [p.grad.numpy().copy() for p in params]
        before = [a.copy() for a in arrays]
        opt.step()
        for p, array, old, grad in zip(params, arrays, before, grads, strict=True):
            assert p.data is array  # updated in place, never replaced
            assert not np.array_equal(array, old)
            np.testing.assert_array_equal(p.grad, grad)  # the optimizer never writes into .grad
            assert p.data.dtype == np.float32


def test_param_groups_have_their_own_hyperparameters():
    a, b = (tg.Tensor(np.array([1.0]), requires_grad=True) for _ in range(2))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = tg.tensor(np.array([1.0])), tg.tensor(np.array([1.0]))
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.5])
    assert opt.param_groups[1]["momentum"] == 0  # missing values come from the defaults


def test_add_param_group_and_parameters_without_grad():
    a, b = (tg.Tensor(np.array([1.0]), requires_grad=True) for _ in range(2))
    opt = optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.01})
    a.grad = tg.tensor(np.array([1.0]))  # b has no gradient this step: it is skipped, not an error
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 1.0])
    b.grad = tg.tensor(np.array([1.0]))
    opt.step()
    np.testing.assert_allclose(b.data, [0.99])
    with pytest.raises(ValueError, match="appears twice"):
        opt.add_param_group({"params": [a]})


def test_zero_grad():
    params = make_params()
    opt = optim.SGD(params, lr=0.1)
    set_gradients(params, 0)
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_with_closure_returns_the_loss():
    w = tg.Tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()  # J = w²,  ∇J = 2w
        loss.backward()
        return loss

    with tg.no_grad():  # the closure re-enables recording itself, as PyTorch's step does
        loss = opt.step(closure)
    assert float(loss) == 9.0
    np.testing.assert_allclose(w.data, [3.0 - 0.25 * 6.0])


def test_repr_lists_the_groups():
    text = repr(optim.Adam(make_params(), lr=0.01))
    assert "Adam (" in text and "Parameter Group 0" in text and "lr: 0.01" in text


# ------------------------------------------------------------------------------------------- errors


def test_empty_parameter_list():
    with pytest.raises(ValueError, match="Adam got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD(iter([]), lr=0.1)


@pytest.mark.parametrize("optimizer_class", [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad, optim.RMSprop])
def test_negative_learning_rate(optimizer_class):
    with pytest.raises(ValueError, match=f"{optimizer_class.__name__}: invalid learning rate lr=-0.1"):
        optimizer_class(make_params(), lr=-0.1)
    with pytest.raises(ValueError, match="invalid learning rate lr=nan"):
        optimizer_class(make_params(), lr=float("nan"))


@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.999), (0.9, 1.5)])
def test_betas_outside_the_unit_interval(betas):
    for optimizer_class in (optim.Adam, optim.AdamW):
        with pytest.raises(ValueError, match=r"betas\[\d\].*must lie in \[0, 1\)"):
            optimizer_class(make_params(), betas=betas)


def test_other_bad_hyperparameters():
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(make_params(), lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0"):
        optim.SGD(make_params(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="weight decay"):
        optim.Adam(make_params(), weight_decay=-1.0)
    with pytest.raises(ValueError, match="invalid learning rate"):  # a group's own values are checked too
        params = make_params()
        optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": -1.0}])


def test_parameters_that_cannot_be_optimized():
    with pytest.raises(TypeError, match="can only optimize Tensors, but parameter 1 is a numpy.ndarray"):
        optim.SGD([make_params()[0], np.ones(3)], lr=0.1)
    with pytest.raises(ValueError, match="parameter 0 .* does not require grad"):
        optim.SGD([tg.Tensor(np.ones(3))], lr=0.1)
    leaf = tg.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="not a leaf"):
        optim.SGD([leaf * 2], lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD({leaf}, lr=0.1)


class _TensorReportingCuda(tg.Tensor):
    """A CPU tensor that claims to live on the GPU: lets the device checks run on machines without one."""

    __slots__ = ()

    @property
    def device(self) -> str:
        return "cuda"


def test_parameter_on_another_device():
    cpu = tg.Tensor(np.ones(3), requires_grad=True)
    gpu = _TensorReportingCuda(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="parameter 1 is on cuda but the others are on cpu.*one device"):
        optim.Adam([cpu, gpu])
    opt = optim.Adam([cpu])
    with pytest.raises(TypeError, match="on cuda but the others are on cpu"):
        opt.add_param_group({"params": [gpu]})


class _ArrayOnCuda(np.ndarray):
    """A different array class, as a CuPy array is: the optimizer's every-step fast path compares classes."""


def test_gradient_on_another_device():
    fake_gpu = _TensorReportingCuda(np.ones(2), requires_grad=True)
    fake_gpu.data = fake_gpu.data.view(_ArrayOnCuda)
    opt = optim.SGD([fake_gpu], lr=0.1)
    with pytest.raises(RuntimeError, match="assigned grad is on cpu but the tensor is on cuda"):
        fake_gpu.grad = tg.tensor(np.ones(2))  # a NumPy (cpu) gradient for a "cuda" parameter
    fake_gpu._grad = tg.tensor(np.ones(2))  # past the setter (as code writing ._grad could): step still checks
    with pytest.raises(TypeError, match="is on cuda but its .grad is on cpu"):
        opt.step()


def test_gradient_of_the_wrong_shape():
    p = tg.Tensor(np.ones((2, 3)), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(RuntimeError, match="different size: the tensor has shape \\(2, 3\\), the gradient \\(3, 2\\)"):
        p.grad = tg.tensor(np.ones((3, 2)))
    with pytest.raises(RuntimeError, match="different type: the tensor is float64, the gradient float32"):
        p.grad = tg.tensor(np.ones((2, 3), dtype=np.float32))
    p._grad = tg.tensor(np.ones((3, 2)))  # past the setter: step still checks
    with pytest.raises(ValueError, match="shape \\(2, 3\\) has a .grad of shape \\(3, 2\\)"):
        opt.step()


@pytest.mark.gpu
def test_optimizers_run_on_the_gpu():
    if not backend.gpu_available():
        pytest.skip("CuPy or a CUDA device is not available: GPU optimizer test skipped")
    for optimizer_class, options in CONFIGS:
        cpu_params = make_params()
        gpu_params = [tg.Tensor(backend.to_device(p.data, "cuda"), requires_grad=True) for p in cpu_params]
        cpu_opt, gpu_opt = optimizer_class(cpu_params, **options), optimizer_class(gpu_params, **options)
        for step in range(3):
            set_gradients(cpu_params, step)
            for c, g in zip(cpu_params, gpu_params, strict=True):
                g.grad = tg.tensor(backend.to_device(c.grad, "cuda"))
            cpu_opt.step()
            gpu_opt.step()
        for c, g in zip(cpu_params, gpu_params, strict=True):
            np.testing.assert_allclose(g.numpy(), c.data, rtol=1e-5, atol=1e-6)
        mixed = optimizer_class(cpu_params, **options)
        with pytest.raises(TypeError, match="on cuda but the others are on cpu"):
            mixed.add_param_group({"params": gpu_params[:1]})

"""autograd.py, the engine: Function.apply, the op-interceptor registry, and the backward pass called directly."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import autograd, ops
from tinygrad_edu.amp import autocast
from tinygrad_edu.autograd import Function, interceptors


def test_the_public_names_are_the_engines():
    """tg.Function, tg.OpError and the compatibility re-export in tensor.py are the classes of autograd.py."""
    from tinygrad_edu.tensor import Function as ReExportedFunction
    from tinygrad_edu.tensor import OpError as ReExportedOpError

    assert tg.Function is autograd.Function is ReExportedFunction
    assert tg.OpError is autograd.OpError is ReExportedOpError
    assert issubclass(ops.Mul, autograd.Function)


def test_backward_function_matches_tensor_backward():
    """autograd.backward(root, grad) is what Tensor.backward runs: d/dx Σ x·y = y, accumulated into .grad."""
    x, y = tg.tensor([1.0, 2.0], requires_grad=True), tg.tensor([3.0, -4.0], requires_grad=True)
    autograd.backward((x * y).sum())
    np.testing.assert_array_equal(x.grad, [3.0, -4.0])
    autograd.backward(x * y, np.array([1.0, 10.0], np.float32))  # a second call accumulates: += y ⊙ grad
    np.testing.assert_array_equal(x.grad, [6.0, -44.0])
    np.testing.assert_array_equal(y.grad, [2.0, 22.0])


def test_backward_of_a_non_scalar_without_grad_is_refused():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs only"):
        autograd.backward(x * 2)


def test_a_backward_returning_the_wrong_shape_is_named():
    class Forgetful(Function):
        def forward(self, x):
            return x.sum(axis=0)

        def backward(self, grad):
            return grad  # forgot to broadcast back to the input's shape

    x = tg.ones(3, 2, requires_grad=True)
    with pytest.raises(autograd.GradientShapeError, match=r"Forgetful.backward returned .* shape \(2,\)"):
        Forgetful.apply(x).sum().backward()


def _recorder(log: list, name: str):
    def interceptor(op, inputs, options, proceed):
        log.append(f"{name} before {op.__name__}")
        out = proceed(inputs, options)
        log.append(f"{name} after {op.__name__}")
        return out

    return interceptor


def test_interceptors_wrap_every_op_outermost_first_and_can_change_inputs():
    log: list[str] = []

    def double_inputs_of_add(op, inputs, options, proceed):
        if op is ops.Add:
            inputs = tuple(x * 2 for x in inputs)  # the Mul ops made here pass through the chain themselves
        return proceed(inputs, options)

    with interceptors.installed(_recorder(log, "outer")), interceptors.installed(double_inputs_of_add):
        out = tg.tensor([1.0]) + tg.tensor([2.0])
    assert out.item() == 6.0
    assert log == ["outer before Add", "outer before Mul", "outer after Mul", "outer before Mul", "outer after Mul",
                   "outer after Add"]
    assert interceptors.active == ()


def test_interceptors_are_removed_when_the_block_raises():
    log: list[str] = []
    with pytest.raises(ZeroDivisionError), interceptors.installed(_recorder(log, "r")):
        1 / 0  # noqa: B018
    assert interceptors.active == ()
    with pytest.raises(ValueError, match="already registered"):
        recorder = _recorder(log, "twice")
        with interceptors.installed(recorder), interceptors.installed(recorder):
            pass
    assert interceptors.active == ()


@pytest.mark.parametrize("order", ["autocast outside", "anomaly outside"])
def test_autocast_and_detect_anomaly_nest_either_way_and_unregister(order):
    layer = tg.nn.Linear(2, 2)
    outer, inner = (autocast(), tg.detect_anomaly()) if order == "autocast outside" else (tg.detect_anomaly(),
                                                                                        autocast())
    with outer:
        with inner:
            assert len(interceptors.active) == 2
            out = layer(tg.randn(3, 2))
            assert out.dtype == np.float16  # autocast ran the product in half precision ...
            assert out._ctx.created_at.user is not None  # ... and anomaly mode recorded where the op was made
            with pytest.raises(tg.AnomalyError, match="Cast"), np.errstate(over="ignore"):
                tg.tensor([1e6]) @ tg.tensor([[1.0]])  # 1e6 does not fit float16: the Cast that autocast added
        assert len(interceptors.active) == 1
    assert interceptors.active == ()
    assert (tg.ones(1, 1) @ tg.ones(1, 1)).dtype == np.float32


@pytest.mark.parametrize("order", ["autocast outside", "anomaly outside"])
def test_both_unregister_when_the_block_raises(order):
    blocks = (autocast(), tg.detect_anomaly()) if order == "autocast outside" else (tg.detect_anomaly(), autocast())
    with pytest.raises(tg.AnomalyError), blocks[0], blocks[1], np.errstate(all="ignore"):
        tg.tensor([1.0]).log() / 0.0
    assert interceptors.active == ()
    assert not tg.is_anomaly_enabled() and not tg.amp.is_autocast_enabled()


def test_no_function_apply_is_assigned_anywhere():
    """The one extension point replaces every run-time swap of apply (the issue's grep, as a test)."""
    from pathlib import Path

    import tinygrad_edu

    root = Path(tinygrad_edu.__file__).parent
    offenders = [str(path) for path in root.rglob("*.py")
                 if "Function.apply =" in path.read_text() or ".apply = classmethod" in path.read_text()]
    assert offenders == []
    for op in ops.__all__:  # an op may prepare its inputs in its own apply, but must end in Function.apply
        override = getattr(ops, op).__dict__.get("apply")
        if override is not None:
            import inspect

            assert "super().apply(" in inspect.getsource(override.__func__), f"ops.{op}.apply bypasses Function.apply"


def test_the_registry_belongs_to_the_thread():
    """Registration is per thread (like no_grad and PyTorch's autocast): another thread's ops do not pass it."""
    log: list[str] = []
    with interceptors.installed(_recorder(log, "r")):
        worker = threading.Thread(target=lambda: tg.tensor([1.0]).exp())
        worker.start()
        worker.join()
        assert log == []
        tg.tensor([1.0]).exp()
    assert log == ["r before Exp", "r after Exp"]


def test_the_engine_does_not_import_tensor_py_while_loading():
    """autograd.py imports no module that imports it back (tensor.py imports autograd and ops, and the ops import
    autograd), so the engine loads first in any import order; tensor.py hands over the class instead."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(autograd.__file__).read_text())
    loaded = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    names = {alias.name for node in loaded for alias in node.names} | {node.module for node in loaded
                                                                         if isinstance(node, ast.ImportFrom)}
    assert not names & {"tensor", "ops", "tinygrad_edu.tensor", "tinygrad_edu.ops"}, names
    assert autograd.Tensor is tg.Tensor

"""Bad input gets an error that names the operation, the shapes (or devices, or dtypes) and the fix — never a bare
NumPy message from deep inside an op. One table: what is done, the error type, and what the message must say."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ops


def x23() -> tg.Tensor:
    return tg.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)


def _backward_twice():
    loss = (x23().exp() * 2).sum()
    loss.backward()
    loss.backward()


# (id, what is done, the exception type, fragments the message must contain — regular expressions)
ERRORS = [
    # ----- shapes
    ("matmul", lambda: x23() @ tg.ones(4, 5), ValueError,
     [r"^MatMul", r"\(2, 3\) @ \(4, 5\)", "last axis of the left \\(3\\) must equal"]),
    ("matmul 0-d", lambda: x23() @ tg.tensor(2.0), ValueError, ["^MatMul", "use \\* for a scalar product"]),
    ("broadcast", lambda: x23() + tg.ones(4), ValueError, [r"^Add on inputs of shape \(2, 3\), \(4,\)", "broadcast"]),
    ("where broadcast", lambda: tg.where(np.ones(4, bool), x23(), 0.0), ValueError, ["^Where", r"\(2, 3\)"]),
    ("reshape", lambda: x23().reshape(4), ValueError, ["^Reshape", r"shape \(2, 3\) \(6 elements\) into \(4,\)"]),
    ("view", lambda: x23().view(5, -1), ValueError, ["^Reshape", r"into \(5, -1\)"]),
    ("expand", lambda: x23().expand(4, 4), ValueError, ["^BroadcastTo", r"cannot broadcast shape \(2, 3\) to \(4, 4\)",
                                                        "must equal the target's or be 1"]),
    ("pad widths", lambda: x23().pad(((1, 0), (0, 0), (0, 0))), ValueError, ["^Pad", "one \\(before, after\\) pair"]),
    ("pad negative", lambda: x23().pad(((-1, 0), (0, 0))), ValueError, ["^Pad", "non-negative"]),
    ("cat", lambda: tg.cat([x23(), tg.ones(2, 2)]), ValueError,
     ["^Concatenate", r"agree on every other axis, got \(2, 3\), \(2, 2\)"]),
    ("cat nothing", lambda: tg.cat([]), ValueError, ["at least one tensor"]),
    ("stack", lambda: tg.stack([x23(), tg.ones(3, 2)]), ValueError, [r"one shape, got \[\(2, 3\), \(3, 2\)\]"]),
    ("split sizes", lambda: x23().split([1, 1], axis=1), ValueError, ["add up to 2, but axis 1 has length 3"]),
    ("split size", lambda: x23().split(0), ValueError, ["must be positive"]),
    ("permute", lambda: x23().permute(0, 0), ValueError, [r"^permute\(0, 0\) on a tensor with 2 axes",
                                                          r"name every axis once, e.g. permute\(1, 0\)"]),
    ("sum axis", lambda: x23().sum(axis=2), IndexError,
     [r"^Sum on inputs of shape \(2, 3\)", r"Dimension out of range \(expected .* of \[-2, 1\], but got 2\)"]),
    ("var axis", lambda: x23().var(axis=(0, 5)), IndexError, ["^Var", "but got 5"]),
    ("squeeze axis", lambda: x23().squeeze(4), IndexError, ["^squeeze", r"range of \[-2, 1\], but got 4"]),
    ("unsqueeze axis", lambda: x23().unsqueeze(5), IndexError, ["^unsqueeze", r"range of \[-3, 2\], but got 5"]),
    ("flatten axes", lambda: x23().flatten(1, 0), IndexError, [r"flatten\(1, 0\).*\(2, 3\)", "start_dim"]),
    ("stack axis", lambda: tg.stack([x23(), x23()], axis=4), IndexError, ["stack\\(axis=4\\)", "out of range"]),
    ("index", lambda: x23()[5], IndexError, [r"^GetItem", r"shape \(2, 3\)", "out of bounds"]),
    ("index mask", lambda: x23()[np.array([True, False, True])], IndexError, ["^GetItem", "boolean index"]),
    ("max of nothing", lambda: tg.zeros(0).max(), ValueError, ["^Max", "empty"]),
    ("linear", lambda: ops.Linear.apply(x23(), tg.ones(4, 5)), ValueError,
     [r"Linear\(in_features=5, out_features=4\) got input of shape \(2, 3\)", "last axis must be 5"]),
    ("backward grad shape", lambda: (x23() * 2).backward(np.ones(3)), RuntimeError,
     [r"grad has shape \(3,\) but the tensor has shape \(2, 3\)"]),
    # ----- backward
    ("non-scalar backward", lambda: (x23() * 2).backward(), RuntimeError,
     [r"scalar outputs only", r"shape \(2, 3\)", r"\.sum\(\)", "grad="]),
    ("double backward", _backward_twice, RuntimeError, ["second time", "freed", "retain_graph=True"]),
    ("nothing requires grad", lambda: tg.ones(2).sum().backward(), RuntimeError, ["does not require grad"]),
    ("requires_grad_(False) on non-leaf", lambda: (x23() * 2).requires_grad_(False), RuntimeError, [r"\.detach\(\)"]),
    # ----- dtypes
    ("int requires grad", lambda: tg.tensor([1, 2], requires_grad=True), TypeError,
     ["only floating-point", "int64", r"\.float\(\)"]),
    ("strings", lambda: tg.tensor(["a"]), TypeError, ["type list that is not numeric"]),
    ("non-numeric operand", lambda: x23() + "a", TypeError, ["^Add", "type str that is not numeric"]),
    ("None operand", lambda: x23() * None, TypeError, ["^Mul", "NoneType"]),
    ("bool subtraction", lambda: tg.tensor([True]) - tg.tensor([False]), ValueError, ["^Sub", "boolean"]),
    ("int negative power", lambda: tg.tensor([2]) ** -1, ValueError, ["^Pow", "negative integer powers"]),
    ("float index", lambda: x23()[tg.tensor([0.5])], IndexError, ["^GetItem", "integer \\(or boolean\\)"]),
    ("unknown dtype", lambda: x23().astype("banana"), TypeError, ["neither a dtype nor a device", "float32"]),
    ("unknown target of to()", lambda: x23().to("tpu"), TypeError, ["'tpu' is neither a dtype nor a device"]),
    # ----- options and values
    ("gelu approximation", lambda: x23().gelu("fast"), ValueError, ["^GELU", "use 'none' or 'tanh'"]),
    ("clip without bounds", lambda: x23().clip(), ValueError, ["^Clip", "at least one of min and max"]),
    ("item", lambda: x23().item(), ValueError, [r"one element, got shape \(2, 3\)"]),
    ("truth value", lambda: bool(x23()), ValueError, [r"ambiguous.*\.any\(\) or \.all\(\)"]),
    ("transpose one axis", lambda: x23().transpose(0), TypeError, ["two axes to swap"]),
    # ----- devices (mixing devices is tested in test_backend.py with a stand-in GPU array)
    ("unknown backend", lambda: tg.backend.use("tpu"), ValueError, ["must be one of \\('numpy', 'cupy'\\)"]),
]


@pytest.mark.parametrize(("action", "error_type", "fragments"), [case[1:] for case in ERRORS],
                         ids=[case[0] for case in ERRORS])
def test_bad_input_gets_a_clear_error(action, error_type, fragments) -> None:
    with pytest.raises(error_type) as caught:
        action()
    assert not type(caught.value).__module__.startswith("numpy"), "a NumPy exception escaped unexplained"
    message = str(caught.value)
    for fragment in fragments:
        assert re.search(fragment, message), f"{fragment!r} not in {message!r}"


def test_gpu_without_cupy_names_the_missing_piece_and_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(RuntimeError, match=r"needs CuPy, which is not installed.*\.\[gpu\]"):
        x23().to("cuda")


def test_errors_print_their_message_once_and_keep_the_inner_error_for_debugging() -> None:
    import traceback

    with pytest.raises(ValueError) as caught:
        x23() + tg.ones(4)
    assert isinstance(caught.value, tg.OpError) and isinstance(caught.value.inner, ValueError)
    printed = "".join(traceback.format_exception(caught.value))
    assert printed.count(str(caught.value.inner)) == 1  # no second, chained copy of NumPy's message


def test_a_backward_returning_the_wrong_shape_is_named() -> None:
    """A Function whose backward forgets to unbroadcast is caught at once, not stored as a wrong .grad."""
    import tinygrad_edu as tg

    class ForgetsToUnbroadcast(tg.Function):
        def forward(self, x, y):
            return x + y

        def backward(self, grad):
            return grad, grad  # wrong for a broadcast input

    x = tg.ones(2, 3, requires_grad=True)
    y = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"ForgetsToUnbroadcast.backward returned a gradient of shape \(2, 3\) "
                                           r"for an input of shape \(3,\)"):
        ForgetsToUnbroadcast.apply(x, y).sum().backward()

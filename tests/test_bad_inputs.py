"""Every bad input of issue 17 answered by the project's own error (naming the op, the values and the fix), and a
fuzz test that throws random shapes, dtypes and dims at the public ops: each call either gives NumPy's result or
raises an error that the project raised itself — never an exception from inside NumPy."""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn, optim, train
from tinygrad_edu.nn import functional as F

PACKAGE = Path(tg.__file__).resolve().parent


def _empty_fit():
    model = nn.Linear(2, 2)
    train.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1),
              (np.zeros((0, 2), np.float32), np.zeros(0, np.int64)), epochs=1, progress=False)


def _adam_from_sgd():
    p = tg.randn(2, requires_grad=True)
    optim.Adam([p]).load_state_dict(optim.SGD([p], lr=0.1, momentum=0.9).state_dict())


def _bias_of_nones():
    lin = nn.Linear(2, 2)
    lin.load_state_dict({"weight": lin.weight.numpy(), "bias": [None, None]})


# (id, action, exception type, regular expressions the message must match)
CASES = [
    ("ragged list", lambda: tg.tensor([[1.0, 2.0], [3.0]]), ValueError,
     [r"expected sequence of length 2 at dim 1 \(got 1\)"]),
    ("argmax of nothing", lambda: tg.zeros(0).argmax(), IndexError, ["argmax", r"shape \(0,\)"]),
    ("argmax dim", lambda: tg.randn(2, 3).argmax(axis=2), IndexError,
     [r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"]),
    ("transpose dim", lambda: tg.randn(2, 3).transpose(0, 5), IndexError, [r"range of \[-2, 1\], but got 5"]),
    ("split dim", lambda: tg.randn(2, 3).split(1, axis=3), IndexError, [r"range of \[-2, 1\], but got 3"]),
    ("zeros(-1)", lambda: tg.zeros(-1), ValueError, ["zeros", "negative size -1"]),
    ("zeros(2.5)", lambda: tg.zeros(2.5), TypeError, ["zeros", "ints"]),
    ("arange step 0", lambda: tg.arange(0, 10, 0), ValueError, ["arange", "step must not be zero"]),
    ("randint empty range", lambda: tg.randint(5, 2, (3,)), ValueError, ["randint", "low must be < high"]),
    ("stack of lists", lambda: tg.stack([[1, 2], [3, 4]]), TypeError, ["stack", "item 0 is a list"]),
    ("adam from sgd", _adam_from_sgd, ValueError, ["Adam.load_state_dict", "another kind of optimizer", "'betas'"]),
    ("lr as a string", lambda: optim.SGD([tg.randn(2, requires_grad=True)], lr="0.1"), TypeError,
     ["SGD", "lr='0.1' is a str"]),
    ("state dict of junk", lambda: optim.SGD([tg.randn(2, requires_grad=True)], lr=0.1).load_state_dict({"foo": 1}),
     ValueError, ["SGD.load_state_dict", "'param_groups', 'state'"]),
    ("object array", lambda: tg.Tensor(np.array([1.0, None], dtype=object)), TypeError, ["dtype object"]),
    ("str array", lambda: tg.Tensor(np.array(["a", "b"])), TypeError, ["not numeric"]),
    ("full of a str", lambda: tg.full((2,), "a"), TypeError, ["full", "must be a number"]),
    ("reshape -2", lambda: tg.randn(6).reshape(-2, 3), ValueError, ["reshape", "invalid size -2"]),
    ("reshape 3.5", lambda: tg.randn(6).reshape(2, 3.5), TypeError, ["reshape", "3.5 is a float"]),
    ("view 3.9", lambda: tg.randn(6).view(3.9, 2), TypeError, ["view", "3.9 is a float"]),
    ("expand leading -1", lambda: tg.randn(2, 3).expand(-1, -1, 3), ValueError, ["expand", "new leading one"]),
    ("iterate a 0-d tensor", lambda: list(tg.tensor(1.0)), TypeError, ["iteration over a 0-d tensor"]),
    ("bias of Nones", _bias_of_nones, TypeError, ["'bias'"]),
    ("fit on nothing", _empty_fit, ValueError, ["fit", "training data is empty"]),
    ("(N, 1) target", lambda: F.cross_entropy(tg.randn(5, 3), tg.tensor([[0], [1], [2], [1], [0]])), ValueError,
     [r"\(5, 1\)", r"reshape\(-1\)"]),
    ("int @ float", lambda: tg.tensor([[1, 2]]) @ tg.randn(2, 2), ValueError, ["matmul of int64", r"\.float\(\)"]),
    ("float labels", lambda: F.cross_entropy(tg.randn(5, 3), tg.tensor([0.0, 1.0, 2.0, 1.0, 0.0])), ValueError,
     ["class labels must be integers", r"astype\('int64'\)"]),
    ("linear on images", lambda: nn.Linear(784, 10)(tg.randn(4, 1, 28, 28)), ValueError, [r"nn\.Flatten\(\)"]),
    ("conv channels-last", lambda: nn.Conv2d(3, 8, 3)(tg.randn(2, 28, 28, 3)), ValueError,
     [r"permute\(0, 3, 1, 2\)"]),
]


def raised_by_the_project(error: BaseException) -> bool:
    """True when the innermost frame that raised ``error`` is the project's code (not NumPy's or Python's)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and Path(frames[-1].filename).resolve().is_relative_to(PACKAGE)


@pytest.mark.parametrize("action, error_type, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_the_projects_own_error(action, error_type, fragments):
    with pytest.raises(error_type) as caught:
        action()
    assert raised_by_the_project(caught.value), "".join(traceback.format_exception(caught.value))
    for fragment in fragments:
        assert re.search(fragment, str(caught.value)), f"{fragment!r} not in {str(caught.value)!r}"


# ------------------------------------------------------------------------------------------------ fuzzing

DTYPES = [np.float32, np.float64, np.int64, np.bool_]
dims = st.integers(-4, 4)
shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)

# name → (call on a Tensor, call on the NumPy array) for ops whose NumPy twin has the same semantics
UNARY = {
    "neg": (lambda t: -t, lambda a: -a),
    "exp": (lambda t: t.exp(), np.exp),
    "abs": (lambda t: t.abs(), np.abs),
    "relu": (lambda t: t.relu(), lambda a: np.maximum(a, 0)),
    "sum": (lambda t, d: t.sum(axis=d), lambda a, d: a.sum(axis=d)),
    "mean": (lambda t, d: t.mean(axis=d), lambda a, d: a.mean(axis=d)),
    "max": (lambda t, d: t.max(axis=d), lambda a, d: a.max(axis=d)),
    "argmax": (lambda t, d: t.argmax(axis=d), lambda a, d: a.argmax(axis=d)),
    "softmax": (lambda t, d: t.softmax(d), None),
    "logsumexp": (lambda t, d: t.logsumexp(axis=d), None),
    "unsqueeze": (lambda t, d: t.unsqueeze(d), lambda a, d: np.expand_dims(a, d)),
    "squeeze": (lambda t, d: t.squeeze(d), None),
    "transpose": (lambda t, d: t.transpose(d, 0), lambda a, d: np.swapaxes(a, d, 0)),
    "flatten": (lambda t, d: t.flatten(d), None),
    "split": (lambda t, d: t.split(1, axis=d), None),
    "var": (lambda t, d: t.var(axis=d), None),
    "cat": (lambda t, d: tg.cat([t, t], axis=d), lambda a, d: np.concatenate([a, a], axis=d)),
    "stack": (lambda t, d: tg.stack([t, t], axis=d), lambda a, d: np.stack([a, a], axis=d)),
}
BINARY = ["+", "-", "*", "/", "@", "maximum", "where"]


def _array(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 3).astype(dtype)


def _check_call(call, reference=None):
    """Run ``call()``: a result (compared with ``reference()`` when NumPy succeeds at it), or an error the project
    raised itself with a message of its own."""
    try:
        out = call()
    except (ValueError, TypeError, IndexError, tg.OpError, RuntimeError) as error:
        assert raised_by_the_project(error), "".join(traceback.format_exception(error))
        assert str(error), "an error without a message"
        return
    if reference is None:
        return
    try:
        expected = reference()
    except Exception:  # NumPy refuses what we accept (e.g. dims of 0-d tensors): nothing to compare
        return
    got = out.numpy() if isinstance(out, tg.Tensor) else None
    if got is not None and np.asarray(expected).dtype.kind in "fiub":
        assert got.shape == np.shape(expected)
        np.testing.assert_allclose(got.astype(np.float64), np.asarray(expected, dtype=np.float64), rtol=1e-5,
                                   atol=1e-5, equal_nan=True)


@settings(max_examples=200)
@given(name=st.sampled_from(sorted(UNARY)), shape=shapes, dtype=st.sampled_from(DTYPES), dim=dims,
       seed=st.integers(0, 2**16))
def test_fuzz_unary_ops_and_dims(name, shape, dtype, dim, seed):
    array = _array(shape, dtype, seed)
    ours, theirs = UNARY[name]
    takes_dim = ours.__code__.co_argcount == 2
    with np.errstate(all="ignore"):
        _check_call(lambda: ours(tg.tensor(array), dim) if takes_dim else ours(tg.tensor(array)),
                    None if theirs is None else (lambda: theirs(array, dim) if takes_dim else theirs(array)))


@settings(max_examples=200)
@given(op=st.sampled_from(BINARY), left=shapes, right=shapes, dtypes=st.tuples(*[st.sampled_from(DTYPES)] * 2),
       seed=st.integers(0, 2**16))
def test_fuzz_binary_ops_on_mismatched_shapes_and_dtypes(op, left, right, dtypes, seed):
    a, b = _array(left, dtypes[0], seed), _array(right, dtypes[1], seed + 1)
    x, y = tg.tensor(a), tg.tensor(b)
    calls = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y, "/": lambda: x / y, "@": lambda: x @ y,
             "maximum": lambda: tg.maximum(x, y), "where": lambda: tg.where(a > 0, x, y)}
    with np.errstate(all="ignore"):
        _check_call(calls[op])


@settings(max_examples=100)
@given(shape=shapes, target=st.lists(st.one_of(st.integers(-3, 7), st.floats(-2, 7)), max_size=4))
def test_fuzz_reshape_and_expand_arguments(shape, target):
    x = tg.tensor(_array(shape, np.float32, 0))
    _check_call(lambda: x.reshape(*target))
    _check_call(lambda: x.expand(*target))
    _check_call(lambda: x.permute(*[int(t) for t in target]) if all(isinstance(t, int) for t in target) else None)

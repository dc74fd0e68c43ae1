"""Solutions to the exercises of notebook 09_gradient_checking."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import Function
from tinygrad_edu.backend import get_array_module


def arrays(max_dims=3, max_side=3, low=-3.0, high=3.0):
    shapes = hnp.array_shapes(min_dims=0, max_dims=max_dims, max_side=max_side)
    return shapes.flatmap(lambda shape: hnp.arrays(np.float64, shape, elements=st.floats(low, high, width=64)))


# 1. Swish y = x σ(x), y′ = σ(x)(1 + x(1 − σ(x)))
class Swish(Function):
    def forward(self, x):
        xp = get_array_module(x)
        e = xp.exp(-xp.abs(x))
        sigmoid = xp.where(x >= 0, 1, e) / (1 + e)
        self.save_for_backward(x, sigmoid)
        return x * sigmoid

    def backward(self, grad):
        x, sigmoid = self.saved
        return grad * sigmoid * (1 + x * (1 - sigmoid))


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(arrays())
def test_swish(values):
    tg.gradcheck(lambda x: Swish.apply(x), tg.tensor(values, requires_grad=True))


test_swish()
print("1. Swish: gradcheck passed on 25 drawn arrays")


# 2. softmax rows sum to 1 and are shift-invariant, even for logits of ±1000
@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(arrays(max_dims=2, max_side=5, low=-1000, high=1000).filter(lambda a: a.ndim >= 1), st.floats(-100, 100))
def test_softmax(values, shift):
    p = tg.tensor(values).softmax(axis=-1).numpy()
    assert np.allclose(p.sum(axis=-1), 1)
    assert np.allclose(tg.tensor(values + shift).softmax(axis=-1).numpy(), p, atol=1e-12)


test_softmax()
print("2. softmax: rows sum to 1 and shifts change nothing, on 50 drawn arrays")

# 3. float32: the error of the central difference cannot go below ~1e-5 (rounding/ε grows as ε shrinks)
x32, exact = np.float32(0.3), 1 / (1 + np.exp(-0.3))
for eps in (1e-3, 1e-4, 1e-5, 1e-6, 1e-7):
    e32 = np.float32(eps)
    numeric = (np.logaddexp(np.float32(0), x32 + e32) - np.logaddexp(np.float32(0), x32 - e32)) / (2 * e32)
    print(f"3. float32, ε = {eps:g}: error {abs(numeric - exact):.2e}")

# 4. At the kink x = 0 the central difference of relu is (ε − 0)/2ε = ½, the average of the two one-sided slopes,
#    while backward returns the slope PyTorch chose (0): neither is "the" derivative. tests/strategies.py::away_from
#    keeps drawn values a margin away from such kinks.
report = tg.gradcheck(lambda x: x.relu(), tg.tensor([0.0], requires_grad=True), raise_on_failure=False)
weight = np.random.default_rng(0).uniform(0.5, 1.5, size=(1,))[0]  # gradcheck's output weight w (seed 0)
print("4.", report, f"\n   numeric = w·½ = {weight / 2:.6f}; analytic = 0")
assert not report.passed and report.inputs[0].analytic == 0 and abs(report.inputs[0].numeric - weight / 2) < 1e-6

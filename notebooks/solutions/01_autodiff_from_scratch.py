"""Solutions to the exercises of notebook 01_autodiff_from_scratch.

Run: python notebooks/solutions/01_autodiff_from_scratch.py
"""

import math

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.ops import unbroadcast


class Value:
    """The notebook's scalar engine, with the exercise's tanh added."""

    def __init__(self, data, parents=()):
        self.data, self.grad, self.parents = float(data), 0.0, parents
        self.send_grad = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def send_grad():
            self.grad += out.grad
            other.grad += out.grad
        out.send_grad = send_grad
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def send_grad():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out.send_grad = send_grad
        return out

    def square(self):
        out = Value(self.data**2, (self,))

        def send_grad():
            self.grad += 2 * self.data * out.grad
        out.send_grad = send_grad
        return out

    def tanh(self):  # exercise 1: d tanh(z)/dz = 1 − tanh²(z)
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def send_grad():
            self.grad += (1 - t * t) * out.grad
        out.send_grad = send_grad
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node.parents:
                    visit(parent)
                order.append(node)
        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node.send_grad()


# 1. tanh: L = (tanh(w·x + b) − y)²
x, y, w, b = 2.0, 1.0, -0.5, 0.3
vw, vb = Value(w), Value(b)
(((vw * x + vb).tanh()) + (-y)).square().backward()
tw, tb = tg.tensor(w, requires_grad=True), tg.tensor(b, requires_grad=True)
(((tw * x + tb).tanh() - y) ** 2).backward()
print(f"1. ∂L/∂w: Value {vw.grad:.6f}, Tensor {tw.grad:.6f};  ∂L/∂b: Value {vb.grad:.6f}, Tensor {tb.grad:.6f}")
assert math.isclose(vw.grad, float(tw.grad), rel_tol=1e-5) and math.isclose(vb.grad, float(tb.grad), rel_tol=1e-5)

# 2. f(x, y) = x·y + x² at (3, −2): ∂f/∂x = y + 2x = 4, ∂f/∂y = x = 3
vx, vy = Value(3.0), Value(-2.0)
(vx * vy + vx.square()).backward()
tx, ty = tg.tensor(3.0, requires_grad=True), tg.tensor(-2.0, requires_grad=True)
(tx * ty + tx * tx).backward()
print(f"2. by hand (4, 3); Value ({vx.grad}, {vy.grad}); Tensor ({tx.grad}, {ty.grad})")
assert (vx.grad, vy.grad) == (4.0, 3.0) and (float(tx.grad), float(ty.grad)) == (4.0, 3.0)

# 3. x (2, 3, 4) of ones, b (3, 1): each b[i, 0] is used 2·4 = 8 times, times x = 1 → 8
xs = tg.ones(2, 3, 4)
bs = tg.tensor(np.ones((3, 1), dtype=np.float32), requires_grad=True)
(xs * bs).sum().backward()
print("3. b.grad =", bs.grad.ravel(), "shape", bs.grad.shape)
assert bs.grad.shape == (3, 1) and np.all(bs.grad == 8)
assert np.all(unbroadcast(np.ones((2, 3, 4)), (3, 1)) == 8)

# 4. Two backward calls without zeroing: the gradient doubles, so the step would be twice as large (wrong).
rng = np.random.default_rng(0)
xs = tg.tensor(rng.uniform(-1, 1, 50).astype(np.float32))
ys = tg.tensor((3 * xs.numpy() - 1).astype(np.float32))
w_fit = tg.tensor(0.0, requires_grad=True)
loss = ((w_fit * xs - ys) ** 2).mean()
loss.backward(retain_graph=True)
once = float(w_fit.grad)
loss.backward()
print(f"4. after one backward {once:.4f}, after two {float(w_fit.grad):.4f}: gradients accumulate until zero_grad()")
assert math.isclose(float(w_fit.grad), 2 * once, rel_tol=1e-6)

"""Solutions to the exercises of notebook 02_mlp_and_backprop."""

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

rng = np.random.default_rng(0)
n = 5
X = rng.standard_normal((n, 3))
Y = rng.uniform(0, 1, (n, 2))
W1, b1 = rng.standard_normal((4, 3)), rng.standard_normal(4)
W2, b2 = rng.standard_normal((2, 4)), rng.standard_normal(2)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# 1. tanh hidden layer: σ′ = 1 − a²
A1 = np.tanh(X @ W1.T + b1)
A2 = sigmoid(A1 @ W2.T + b2)
D2 = (A2 - Y) / n * A2 * (1 - A2)
D1 = (D2 @ W2) * (1 - A1**2)
t = {k: tg.tensor(v, requires_grad=True) for k, v in dict(W1=W1, b1=b1, W2=W2, b2=b2).items()}
z1 = F.linear(tg.tensor(X), t["W1"], t["b1"])
z1.retain_grad()
loss = ((F.linear(z1.tanh(), t["W2"], t["b2"]).sigmoid() - tg.tensor(Y)) ** 2).sum() / (2 * n)
loss.backward()
print("1. max |Δ¹ by hand − engine| =", np.abs(D1 - z1.grad).max())
assert np.allclose(D1, z1.grad, atol=1e-12)

# 2. softmax + cross-entropy output: ∂L/∂z² = (softmax(z²) − onehot(y)) / n
classes = np.array([0, 1, 1, 0, 1])
z2 = F.linear(tg.tensor(sigmoid(X @ W1.T + b1)), tg.tensor(W2), tg.tensor(b2)).detach()
z2.requires_grad_(True)
F.cross_entropy(z2, classes).backward()
p = np.exp(z2.numpy()) / np.exp(z2.numpy()).sum(axis=1, keepdims=True)
expected = (p - np.eye(2)[classes]) / n
print("2. max |(softmax − onehot)/n − z².grad| =", np.abs(expected - z2.grad).max())
assert np.allclose(expected, z2.grad, atol=1e-12)

# 3. 784 → 64 → 10: 784·64 + 64 + 64·10 + 10 = 50,890
model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
table = nn.summary(model, (784,), print_fn=None)
print("3. parameters:", 784 * 64 + 64 + 64 * 10 + 10, "=", table.total_parameters)
assert table.total_parameters == 50_890

# 4. the article's δ with a "+" update is our step exactly
A1 = sigmoid(X @ W1.T + b1)
A2 = sigmoid(A1 @ W2.T + b2)
ours = W2 - 0.5 * (((A2 - Y) / n * A2 * (1 - A2)).T @ A1)
article_delta = (Y - A2) / n * A2 * (1 - A2)
theirs = W2 + 0.5 * (article_delta.T @ A1)
print("4. the two updates agree:", np.array_equal(ours, theirs))
assert np.allclose(ours, theirs, rtol=0, atol=1e-15)

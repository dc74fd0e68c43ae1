"""Solutions to the exercises of notebook 04_optimizers."""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import optim

# 1. AdaGrad by hand: s ← s + g², θ ← θ − α g/(√s + ε), for f(θ) = Σθ² (g = 2θ)
theta_hand = np.array([1.0, -2.0])
s = np.zeros(2)
theta = tg.tensor(theta_hand.copy(), requires_grad=True)
adagrad = optim.Adagrad([theta], lr=0.5)
for _ in range(3):
    g = 2 * theta_hand
    s += g * g
    theta_hand = theta_hand - 0.5 * g / (np.sqrt(s) + 1e-10)
    adagrad.zero_grad()
    (theta * theta).sum().backward()
    adagrad.step()
print("1. by hand", theta_hand, " optim.Adagrad", theta.numpy())
assert np.allclose(theta_hand, theta.numpy(), rtol=1e-12)


# 2. Gradient descent on 0.1θ₁² + 2θ₂²: the θ₂ factor per step is 1 − 4α, so |1 − 4α| < 1 ⟺ α < 0.5
def final_loss(lr, steps=200):
    p = tg.tensor([-4.5, 1.5], requires_grad=True)
    sgd = optim.SGD([p], lr=lr)
    for _ in range(steps):
        sgd.zero_grad()
        loss = (tg.tensor([0.1, 2.0]) * p * p).sum()
        loss.backward()
        sgd.step()
    return loss.item()


print(f"2. α = 0.49: loss {final_loss(0.49):.2e};  α = 0.51: loss {final_loss(0.51):.2e}")
assert final_loss(0.49) < 1e-3 and final_loss(0.51) > 1e3

# 3. Adam's first step is α·g/(|g| + ε) ≈ α·sign(g) whatever the scale; SGD's is α·g
for scale in (1e-3, 1e3):
    for make in (lambda q: optim.Adam([q], lr=0.01), lambda q: optim.SGD([q], lr=0.01)):
        p = tg.tensor([0.0], requires_grad=True, dtype="float64")
        opt = make(p)
        p.grad = tg.tensor(np.array([scale]))
        opt.step()
        print(f"3. {type(opt).__name__:4s} g = {scale:g}: step {p.item():+.6g}")
        if isinstance(opt, optim.Adam):
            assert abs(p.item() + 0.01) < 1e-6 * max(1, 1 / scale)
        else:
            assert np.isclose(p.item(), -0.01 * scale)

# 4. LinearLR warm-up: α_e = α₀ (s + (1 − s)·min(e, 5)/5)
p = tg.tensor([0.0], requires_grad=True)
sgd = optim.SGD([p], lr=0.2)
warmup = optim.lr_scheduler.LinearLR(sgd, start_factor=0.1, total_iters=5)
rates = []
for _ in range(8):
    rates.append(sgd.param_groups[0]["lr"])
    warmup.step()
expected = [0.2 * (0.1 + 0.9 * min(e, 5) / 5) for e in range(8)]
print("4.", np.round(rates, 6), "\n  ", np.round(expected, 6))
assert np.allclose(rates, expected, rtol=1e-12)

"""Solutions to the exercises of notebook 03_losses."""

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F

# 1. Over a constant c: MSE is smallest at the mean (4), L1 anywhere between the middle values 2 and 3 (the median)
values = tg.tensor([1.0, 2.0, 3.0, 10.0])
grid = np.linspace(0, 11, 1101)
mse = [F.mse_loss(tg.full((4,), c), values).item() for c in grid]
l1 = [F.l1_loss(tg.full((4,), c), values).item() for c in grid]
best_mse, best_l1 = grid[int(np.argmin(mse))], grid[int(np.argmin(l1))]
print(f"1. MSE minimised at {best_mse:.2f} (mean 4.0); L1 at {best_l1:.2f} (median: anywhere in [2, 3])")
assert abs(best_mse - 4.0) < 0.02 and 2.0 <= best_l1 <= 3.0

# 2. e^z overflows float32 for z > ln(3.4028e38) ≈ 88.72
with np.errstate(all="ignore"):
    finite = [z for z in np.arange(80.0, 95.0, 0.1)
              if np.isfinite(F.softmax_cross_entropy_simple(tg.tensor([[z, 0.0]]), np.array([1])).item())]
limit = np.log(np.finfo(np.float32).max)
print(f"2. last finite z ≈ {max(finite):.1f}; ln(float32 max) = {limit:.2f}")
assert abs(max(finite) - limit) < 0.2

# 3. Label smoothing: q = (1 − ε)·onehot + ε/C,  ℓ = −Σ q log softmax(z)
logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 1.0, 1.0], [-2.0, 4.0, 0.0]], dtype=np.float32)
targets = np.array([0, 2, 1, 0])
eps = 0.1
log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
q = (1 - eps) * np.eye(3)[targets] + eps / 3
by_hand = -(q * log_p).sum(axis=1).mean()
library = F.cross_entropy(tg.tensor(logits), targets, label_smoothing=eps).item()
print(f"3. by hand {by_hand:.6f}, F.cross_entropy(label_smoothing=0.1) {library:.6f}")
assert abs(by_hand - library) < 1e-5

# 4. BCE with logits: gradcheck, and the gradient is (σ(z) − y)/n
z = tg.tensor(np.linspace(-4, 4, 9), requires_grad=True)
y = tg.tensor(np.random.default_rng(0).uniform(0, 1, 9))
tg.gradcheck(lambda z: F.binary_cross_entropy_with_logits(z, y), z)
F.binary_cross_entropy_with_logits(z, y).backward()
expected = (1 / (1 + np.exp(-z.numpy())) - y.numpy()) / 9
print("4. gradcheck passed; max |z.grad − (σ(z) − y)/n| =", np.abs(z.grad - expected).max())
assert np.allclose(z.grad, expected, atol=1e-12)

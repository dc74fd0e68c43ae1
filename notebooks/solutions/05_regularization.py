"""Solutions to the exercises of notebook 05_regularization."""

import copy

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import data, nn, optim
from tinygrad_edu.nn.utils import l1_penalty, l2_penalty

A = np.array([[1.0, 2.0, 0.5], [0.5, -1.0, 1.5], [2.0, 0.3, -0.7], [-1.0, 1.0, 1.0]])
b = np.array([1.0, -2.0, 0.5, 1.5])


# 1. SGD: λΣθ² in the loss (gradient 2λθ) is weight_decay = 2λ
def ten_steps(weight_decay=0.0, lam=0.0):
    theta = tg.tensor(np.array([0.5, 0.1, -0.3]), requires_grad=True)
    sgd = optim.SGD([theta], lr=0.1, weight_decay=weight_decay)
    for _ in range(10):
        loss = ((tg.tensor(A) @ theta - tg.tensor(b)) ** 2).mean()
        if lam:
            loss = loss + l2_penalty([theta], lam)
        sgd.zero_grad()
        loss.backward()
        sgd.step()
    return theta.numpy()


print("1.", ten_steps(lam=0.05), ten_steps(weight_decay=0.1))
assert np.allclose(ten_steps(lam=0.05), ten_steps(weight_decay=0.1), rtol=1e-13)

# 2. Early stopping by hand
points, labels = data.moons(400, noise=0.3, seed=1)
labels = np.where(np.random.default_rng(1).random(400) < 0.1, 1 - labels, labels)
x_tr, y_tr, x_va, y_va = (tg.tensor(a) for a in (points[:200], labels[:200], points[200:], labels[200:]))
tg.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
adam = optim.Adam(model.parameters(), lr=1e-3)
loader = data.DataLoader((points[:200], labels[:200]), batch_size=25, shuffle=True, seed=0)
best, best_state, best_epoch, patience, waited = float("inf"), None, 0, 20, 0
for epoch in range(1, 401):
    model.train()
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        adam.zero_grad()
        loss.backward()
        adam.step()
    model.eval()
    with tg.no_grad():
        val = F.cross_entropy(model(x_va), y_va).item()
    if val < best:
        best, best_epoch, waited = val, epoch, 0
        best_state = copy.deepcopy({k: v.numpy() for k, v in model.state_dict().items()})
    else:
        waited += 1
        if waited >= patience:
            break
model.load_state_dict(best_state)
print(f"2. stopped at epoch {epoch}, best epoch {best_epoch}, best val_loss {best:.4f}")
assert epoch < 400 and epoch - best_epoch == patience

# 3. Dropout's expectation and variance: E = x, Var = x² p/(1 − p)
tg.manual_seed(0)
p = 0.3
x = tg.full((2000, 4), 2.0)
draws = F.dropout(x, p=p).numpy()
print(f"3. mean {draws.mean():.4f} (expected 2), variance {draws.var():.4f} (expected {4 * p / (1 - p):.4f})")
assert abs(draws.mean() - 2.0) < 0.05 and abs(draws.var() - 4 * p / (1 - p)) < 0.1

# 4. Stronger L1: more weights at zero, a larger training error
rng = np.random.default_rng(0)
x_train = rng.uniform(-1.0, 1.0, (24, 1))
y_train = np.sin(np.pi * x_train) + 0.3 * rng.standard_normal((24, 1))


def fit_l1(lam, steps=600):
    tg.manual_seed(0)
    net = nn.Sequential(nn.Linear(1, 64, dtype="float64"), nn.Tanh(), nn.Linear(64, 64, dtype="float64"), nn.Tanh(),
                        nn.Linear(64, 1, dtype="float64"))
    weights = [m.weight for m in net if isinstance(m, nn.Linear)]
    opt = optim.Adam(net.parameters(), lr=1e-2)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    xt, yt = tg.tensor(x_train), tg.tensor(y_train)
    for _ in range(steps):
        loss = F.mse_loss(net(xt), yt) + l1_penalty(weights, lam)
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    zeros = np.mean(np.abs(np.concatenate([w.numpy().ravel() for w in weights])) < 1e-3)
    return F.mse_loss(net(xt), yt).item(), zeros


results = {lam: fit_l1(lam) for lam in (1e-3, 1e-2)}
for lam, (train_mse, zeros) in results.items():
    print(f"4. λ = {lam:g}: train MSE {train_mse:.4f}, weights at zero {zeros:.1%}")
assert results[1e-2][0] > results[1e-3][0] and results[1e-2][1] >= results[1e-3][1]

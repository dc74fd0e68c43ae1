"""Solutions to the exercises of notebook 07_rnn_lstm."""

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import data, nn, optim


class Adder(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.recurrent = layer(2, 16, batch_first=True)
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        sequence, _ = self.recurrent(x)
        return self.head(sequence[:, -1])


# 1. GRU on the adding problem (length 30)
tg.manual_seed(0)
model = Adder(nn.GRU)
adam = optim.Adam(model.parameters(), lr=0.02)
x_test, y_test = (tg.tensor(a) for a in data.adding_problem(500, seq_len=30, seed=1))
solved_at = None
for step in range(1, 1201):
    x, y = data.adding_problem(64, seq_len=30)
    loss = F.mse_loss(model(tg.tensor(x)), tg.tensor(y))
    adam.zero_grad()
    loss.backward()
    adam.step()
    if step % 25 == 0:
        with tg.no_grad():
            if F.mse_loss(model(x_test), y_test).item() < 0.01:
                solved_at = step
                break
print(f"1. GRU: test MSE below 0.01 after {solved_at} steps")
assert solved_at is not None

# 2. and 3. The RNN of section 2: measured decay per step against ρ·mean|f′|, then clipping the ρ = 1.5 explosion
T, H = 60, 32
rng = np.random.default_rng(0)
inputs = [tg.tensor(rng.standard_normal((1, 1)).astype(np.float32)) for _ in range(T)]


def run(rho):
    tg.manual_seed(0)
    cell = nn.RNNCell(1, H)
    nn.init.orthogonal_(cell.weight_hh)
    with tg.no_grad():
        cell.weight_hh.data *= rho
    h, hs = None, []
    for x_t in inputs:
        h = cell(x_t, h)
        h.retain_grad()
        hs.append(h)
    hs[-1].sum().backward()
    return cell, hs


cell, hs = run(0.8)
norms = np.array([np.linalg.norm(h.grad) for h in hs])
measured = np.exp(np.polyfit(np.arange(T - 1), np.log(norms[:-1]), 1)[0])  # growth factor per step towards T
slopes = np.array([np.mean(1 - h.numpy() ** 2) for h in hs])
print(f"2. measured factor per step {1 / measured:.3f}; ρ·mean|f′| = {0.8 * slopes.mean():.3f} "
      "(an estimate: in general ‖diag(f′)U‖ is not the product of the averages)")
assert 0.5 < 1 / measured < 0.9

cell, hs = run(1.5)
before = tg.nn.utils.clip_grad_norm_(cell.parameters(), 1.0).item()
after = np.sqrt(sum(float((p.grad**2).sum()) for p in cell.parameters()))
print(f"3. gradient norm before clipping {before:.1f}, after {after:.4f}")
assert before > 10 and abs(after - 1.0) < 1e-3

# 4. Two layers, both directions: output (T, B, 2·8), h_n (num_layers·2, B, 8)
lstm = nn.LSTM(3, 8, num_layers=2, bidirectional=True)
output, (h_n, c_n) = lstm(tg.randn(5, 2, 3))
print("4. output", output.shape, " h_n", h_n.shape, " c_n", c_n.shape)
assert output.shape == (5, 2, 16) and h_n.shape == (4, 2, 8)

"""Solutions to the exercises of notebook 16_data_parallelism."""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import distributed as dist
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

# 1. With reduction="sum" the whole-batch gradient is the SUM of the shard gradients; averaging divides it by p,
#    which is the same as training with a learning rate p times smaller.
tg.manual_seed(0)
model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5)).double()
rng = np.random.default_rng(0)
x, y = rng.standard_normal((64, 20)), rng.integers(0, 5, 64)


def summed_loss_gradient(xs, ys):
    model.zero_grad()
    F.cross_entropy(model(tg.tensor(xs)), tg.tensor(ys), reduction="sum").backward()
    return np.concatenate([p.grad.ravel() for p in model.parameters()])


whole = summed_loss_gradient(x, y)
shards = [summed_loss_gradient(xs, ys) for xs, ys in zip(np.split(x, 4), np.split(y, 4), strict=True)]
assert np.allclose(np.sum(shards, 0), whole) and np.allclose(4 * np.mean(shards, 0), whole)
print("reduction='sum': sum the shard gradients (their mean is the gradient / p, i.e. lr / p)")

# 2. naive (gather to rank 0 and send back) against the ring, n = 4e8 bytes, alpha and B as measured (here typical)
link = dist.LinkModel(alpha_s=5e-6, bandwidth_Bps=2e9)
n = 4e8
ranks = np.arange(2, 1025)
naive = 2 * (ranks - 1) * (link.alpha_s + n / link.bandwidth_Bps)
ring = link.ring_all_reduce_seconds(n, ranks)
first = int(ranks[np.argmax(ring < naive)])
print(f"the ring is faster from p = {first} on (p = 2: naive {naive[0]:.3f} s, ring {ring[0]:.3f} s: rank 0 "
      f"receives then sends a whole vector, the ring sends two halves); p = 1024: naive {naive[-1]:.1f} s, "
      f"ring {ring[-1]:.3f} s")
assert first == 2

# 3. ZeRO-1, N = 1e9: 4N + 4N + 8N/p bytes
per_rank = dist.zero_memory_bytes(1_000_000_000, 8)
print(f"ZeRO-1 on 8 ranks: {per_rank / 1e9:.1f} GB per rank (plain data parallelism: 16 GB)")
assert per_rank == 9e9
# moments 8N/p < gradients 4N  ⇔  p > 2
print("the moments take less than the gradients from p = 3 on (8N/p < 4N ⇔ p > 2)")

"""Solutions to the exercises of notebook 14_transfer_learning."""

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import optim, train
from tinygrad_edu.models import mobilenet_v2_small
from tinygrad_edu.models.mobilenet import separable_cost
from tinygrad_edu.train import transfer as T

# 1. A 5×5 separable convolution with O = 128: ratio 1/O + 1/k² = 1/128 + 1/25
cost = separable_cost(14, 14, 32, 128, kernel=5)
ratio = cost["separable"] / cost["full"]
print(f"1. ratio {ratio:.5f} = 1/128 + 1/25 = {1 / 128 + 1 / 25:.5f}")
assert abs(ratio - (1 / 128 + 1 / 25)) < 1e-12

# 2. A frozen backbone's BatchNorm running mean does not move during fit; after unfreeze() it does
tg.manual_seed(0)
backbone = mobilenet_v2_small(num_classes=3, width_mult=0.25, last_channel=32)
net = T.TransferNet(backbone.features, T.feature_channels(backbone.features), num_classes=3, hidden=16)
rng = np.random.default_rng(0)
x, y = rng.normal(size=(64, 1, 28, 28)).astype(np.float32), rng.integers(0, 3, 64)
bn = net.features[0][1]


def running_mean_moves() -> bool:
    before = bn.running_mean.numpy().copy()
    train.fit(net, F.cross_entropy, optim.Adam(net.parameters(), lr=1e-3), (x, y), epochs=1, batch_size=32,
              progress=False)
    return not np.array_equal(before, bn.running_mean.numpy())


net.features.freeze()
frozen_moves = running_mean_moves()
net.features.unfreeze()
unfrozen_moves = running_mean_moves()
print(f"2. running mean moves: frozen {frozen_moves}, unfrozen {unfrozen_moves}")
assert not frozen_moves and unfrozen_moves

# 3. groups=C equals a dense convolution with a block-diagonal weight, values and ∂L/∂x
values, w = rng.normal(size=(2, 4, 6, 6)), rng.normal(size=(4, 1, 3, 3))
dense = np.zeros((4, 4, 3, 3))
for c in range(4):
    dense[c, c] = w[c, 0]
x1, x2 = tg.tensor(values, requires_grad=True), tg.tensor(values, requires_grad=True)
out1 = F.conv2d(x1, tg.tensor(w), padding=1, groups=4)
out2 = F.conv2d(x2, tg.tensor(dense), padding=1)
out1.sum().backward()
out2.sum().backward()
print("3. max |Δ| values", np.abs(out1.numpy() - out2.numpy()).max(), "gradients", np.abs(x1.grad - x2.grad).max())
assert np.allclose(out1.numpy(), out2.numpy()) and np.allclose(x1.grad, x2.grad)

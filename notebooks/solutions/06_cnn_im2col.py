"""Solutions to the exercises of notebook 06_cnn_im2col."""

import numpy as np
from tinygrad_edu.kernels import reference

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

# 1. OH = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 = ⌊(28 + 2 − 4 − 1)/2⌋ + 1 = 13
conv = nn.Conv2d(1, 8, 5, stride=2, padding=1)
formula = (28 + 2 * 1 - 1 * (5 - 1) - 1) // 2 + 1
shape = conv(tg.zeros(1, 1, 28, 28)).shape
print("1. formula", formula, " layer output", shape)
assert shape == (1, 8, formula, formula)

# 2. Non-overlapping max pooling is a reshape and a max
x = np.random.default_rng(0).standard_normal((2, 3, 8, 6)).astype(np.float32)
by_reshape = x.reshape(2, 3, 4, 2, 3, 2).max(axis=(3, 5))
print("2. reshape-max == F.max_pool2d:", np.array_equal(by_reshape, F.max_pool2d(tg.tensor(x), 2).numpy()))
assert np.array_equal(by_reshape, F.max_pool2d(tg.tensor(x), 2).numpy())


# 3. Depthwise separable: 32·1·3·3 + 32 and 64·32·1·1 + 64, against 64·32·3·3 + 64
def count(module):
    return sum(p.size for p in module.parameters())


full = count(nn.Conv2d(32, 64, 3))
separable = count(nn.Sequential(nn.Conv2d(32, 32, 3, groups=32), nn.Conv2d(32, 64, 1)))
print(f"3. full {full:,} parameters, depthwise + pointwise {separable:,} ({full / separable:.1f}× fewer)")
assert (full, separable) == (18_496, 2_432)

# 4. col2im is the adjoint of im2col: ⟨im2col(x), C⟩ = ⟨x, col2im(C)⟩
rng = np.random.default_rng(1)
x = rng.standard_normal((2, 3, 6, 6))
geometry = dict(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1), out_size=(6, 6))
cols = reference.im2col(x, **geometry)
c = rng.standard_normal(cols.shape)
left, right = (cols * c).sum(), (x * reference.col2im(c, x.shape, **geometry)).sum()
print(f"4. ⟨im2col(x), C⟩ = {left:.10f},  ⟨x, col2im(C)⟩ = {right:.10f}")
assert np.isclose(left, right, rtol=1e-12)

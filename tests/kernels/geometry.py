"""hypothesis strategies for window geometries: shapes, kernel sizes, strides, paddings and dilations that fit.

Kernel sizes come from ``KERNEL_SIZES``: the Numba im2col and col2im compile one version per kernel size
(kernels/im2col.py), so a few sizes keep the tests fast while covering 1×1 (pointwise), odd and square (3×3),
and even and non-square (2×3, where mixing up height and width shows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

KERNEL_SIZES = [(1, 1), (2, 3), (3, 3)]


@dataclass(frozen=True)
class Geometry:
    input_shape: tuple[int, int, int, int]
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]  # before the image: (top, left)
    dilation: tuple[int, int]
    out_size: tuple[int, int]

    def args(self) -> tuple:
        """(kernel_size, stride, padding, dilation, out_size): the kernels' geometry arguments."""
        return (self.kernel_size, self.stride, self.padding, self.dilation, self.out_size)


@st.composite
def geometries(draw, max_batch: int = 2, max_channels: int = 3, max_side: int = 7, dilation: bool = True,
               pool_padding: bool = False) -> Geometry:
    """A window geometry; the padding after the image (bottom/right) is drawn separately, so that asymmetric
    padding (as padding="same" makes) is covered. ``pool_padding`` keeps the padding ≤ half the window."""
    kernel = draw(st.sampled_from(KERNEL_SIZES))
    step = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    spacing = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    span = tuple(spacing[a] * (kernel[a] - 1) + 1 for a in range(2))
    limit = tuple(span[a] // 2 if pool_padding else 2 for a in range(2))
    before = (draw(st.integers(0, limit[0])), draw(st.integers(0, limit[1])))
    after = (draw(st.integers(0, limit[0])), draw(st.integers(0, limit[1])))
    sides = tuple(draw(st.integers(max(1, span[a] - before[a] - after[a]), max_side)) for a in range(2))
    out = tuple((sides[a] + before[a] + after[a] - span[a]) // step[a] + 1 for a in range(2))
    shape = (draw(st.integers(1, max_batch)), draw(st.integers(1, max_channels)), sides[0], sides[1])
    return Geometry(shape, kernel, step, before, spacing, out)


def random_array(shape: tuple[int, ...], dtype: type, channels_last: bool = False, seed: int = 0) -> np.ndarray:
    """Random values in the given memory layout (channels-last: NHWC memory shown as NCHW)."""
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    if channels_last:
        return np.ascontiguousarray(values.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return values

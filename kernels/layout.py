"""Channels-last memory: how the convolution's output is stored, and helpers to allocate arrays that way.

An (N, C, H, W) array is a block of memory plus one stride per axis: element x[n, c, h, w] sits at

    n·stride_n + c·stride_c + h·stride_h + w·stride_w      (in elements from the start of the block)

NumPy's usual "NCHW" order has stride_w = 1, stride_h = W, stride_c = H·W, stride_n = C·H·W. The convolution's
matrix product yields one row of channels per output pixel, i.e. the output "channels last": stride_c = 1,
stride_w = C, stride_h = W·C, stride_n = H·W·C. Showing that memory as an (N, C, H, W) array costs nothing — the
axes are only relabelled (``transpose``) — and PyTorch calls it the ``channels_last`` memory format. Shapes,
indexing and every formula stay NCHW; only the speed of loops depends on the layout. The Numba kernels work on
channels-last memory, where the channel loop is innermost and walks consecutive memory.
"""

from __future__ import annotations

from typing import Any


def is_channels_last(x: Any) -> bool:
    """True when the channels are the fastest axis of an (N, C, H, W) array (NHWC memory shown as NCHW)."""
    return x.ndim == 4 and x.shape[1] > 1 and x.strides[1] < x.strides[3]


def channels_last_memory(x: Any) -> Any:
    """The contiguous (N, H, W, C) array behind an (N, C, H, W) one: free when x is stored channels-last (or has
    one channel), a copy otherwise. The Numba kernels read and write this layout."""
    return x.transpose(0, 2, 3, 1).copy() if not x.transpose(0, 2, 3, 1).flags.c_contiguous \
        else x.transpose(0, 2, 3, 1)

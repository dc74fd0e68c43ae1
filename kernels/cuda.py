"""im2col and col2im as CUDA kernels (``numba.cuda.jit``), for CuPy arrays on an NVIDIA GPU.

The same formulas as im2col.py, spread over GPU threads instead of CPU loops:

    im2col:  one thread per entry of cols,
             cols[(n, oh, ow), (c, i, j)] = x[n, c, oh·s_h − p_top + i·d_h, ow·s_w − p_left + j·d_w]
    col2im:  one thread per input pixel, which gathers (rather than scatters) its sum
             x̄[n, c, h, w] = Σ_{i, j} cols[(n, oh, ow), (c, i, j)]  with  oh = (h + p_top − i·d_h) / s_h,
             ow = (w + p_left − j·d_w) / s_w,  over the taps for which both are whole numbers inside the output

so no two threads write the same pixel (no atomics). The taps are visited from the last to the first, which
adds the windows in (oh, ow) order, the order of the reference: the result is the same to the last bit.
Consecutive threads handle consecutive entries, so their memory accesses coalesce. Numba reads CuPy arrays
through ``__cuda_array_interface__`` (no copy) and the kernels run on CuPy's current stream.

Without a GPU, ``NUMBA_ENABLE_CUDASIM=1`` (set before Numba is imported) runs these kernels in Numba's CUDA
simulator, on NumPy arrays: that is how the tests check them.
"""

from __future__ import annotations

from typing import Any

from numba import cuda

from tinygrad_edu.backend import get_array_module, is_gpu

Pair = tuple[int, int]
THREADS_PER_BLOCK = 128
MAX_BLOCKS = 65_535  # beyond this, each thread loops over several entries (a grid-stride loop)


@cuda.jit
def im2col_kernel(x, cols, kernel_size, stride, padding, dilation, out_size, pad_value):
    batch, channels, height, width = x.shape
    rows, patch = cols.shape
    kernel_h, kernel_w = kernel_size
    out_h, out_w = out_size
    for index in range(cuda.grid(1), rows * patch, cuda.gridsize(1)):
        row, col = index // patch, index % patch
        n, pixel = row // (out_h * out_w), row % (out_h * out_w)
        c, tap = col // (kernel_h * kernel_w), col % (kernel_h * kernel_w)
        h = (pixel // out_w) * stride[0] - padding[0] + (tap // kernel_w) * dilation[0]
        w = (pixel % out_w) * stride[1] - padding[1] + (tap % kernel_w) * dilation[1]
        if 0 <= h < height and 0 <= w < width:
            cols[row, col] = x[n, c, h, w]
        else:
            cols[row, col] = pad_value


@cuda.jit
def col2im_kernel(cols, out, kernel_size, stride, padding, dilation, out_size):
    batch, channels, height, width = out.shape
    kernel_h, kernel_w = kernel_size
    out_h, out_w = out_size
    for index in range(cuda.grid(1), batch * channels * height * width, cuda.gridsize(1)):
        w = index % width
        h = (index // width) % height
        c = (index // (width * height)) % channels
        n = index // (width * height * channels)
        for i in range(kernel_h - 1, -1, -1):  # i downwards = oh upwards: the reference's order of the sum
            oh_stride = h + padding[0] - i * dilation[0]  # = oh · s_h if this tap of output oh reads row h
            if oh_stride < 0 or oh_stride % stride[0] != 0 or oh_stride // stride[0] >= out_h:
                continue
            oh = oh_stride // stride[0]
            for j in range(kernel_w - 1, -1, -1):
                ow_stride = w + padding[1] - j * dilation[1]
                if ow_stride < 0 or ow_stride % stride[1] != 0 or ow_stride // stride[1] >= out_w:
                    continue
                ow = ow_stride // stride[1]
                out[n, c, h, w] += cols[(n * out_h + oh) * out_w + ow, (c * kernel_h + i) * kernel_w + j]


def _launch(kernel: Any, work: int, array: Any, *args: Any) -> None:
    """Run ``kernel`` with enough blocks for ``work`` entries, on CuPy's current stream for CuPy arrays."""
    blocks = max(1, min(MAX_BLOCKS, -(-work // THREADS_PER_BLOCK)))
    if not is_gpu(array):  # NumPy arrays: only under the CUDA simulator
        kernel[blocks, THREADS_PER_BLOCK](*args)
        return
    import cupy

    stream = cuda.external_stream(cupy.cuda.get_current_stream().ptr)
    kernel[blocks, THREADS_PER_BLOCK, stream](*args)


def im2col(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
           pad_value: float = 0.0, tap_major: bool = False) -> Any:
    """The (N·OH·OW, C·kh·kw) matrix of receptive fields of ``x`` (N, C, H, W), computed on the GPU; columns in
    (c, i, j) order, or (i, j, c) with ``tap_major`` (rearranged after the kernel: the GPU reads NCHW anyway)."""
    xp = get_array_module(x)
    x = xp.ascontiguousarray(x)  # one memory layout for the kernel (a channels-last input is copied to NCHW)
    batch, channels = x.shape[:2]
    rows = batch * out_size[0] * out_size[1]
    cols = xp.empty((rows, channels * kernel_size[0] * kernel_size[1]), dtype=x.dtype)
    _launch(im2col_kernel, cols.size, x, x, cols, kernel_size, stride, padding, dilation, out_size, pad_value)
    if tap_major:
        cols = xp.ascontiguousarray(cols.reshape(rows, channels, -1).transpose(0, 2, 1)).reshape(rows, -1)
    return cols


def col2im(cols: Any, input_shape: tuple[int, int, int, int], kernel_size: Pair, stride: Pair, padding: Pair,
           dilation: Pair, out_size: Pair, tap_major: bool = False) -> Any:
    """Sum the rows of ``cols`` back onto an (N, C, H, W) image, one GPU thread per pixel (``tap_major``:
    columns in (i, j, c) order, put back in (c, i, j) order first)."""
    xp = get_array_module(cols)
    if tap_major:
        rows, channels = cols.shape[0], input_shape[1]
        cols = cols.reshape(rows, -1, channels).transpose(0, 2, 1).reshape(rows, -1)
    out = xp.zeros(input_shape, dtype=cols.dtype)
    _launch(col2im_kernel, out.size, cols, xp.ascontiguousarray(cols), out, kernel_size, stride, padding, dilation,
            out_size)
    return out

"""The CUDA kernels (kernels/cuda.py) under Numba's CUDA simulator, against the NumPy reference, bit for bit.

NUMBA_ENABLE_CUDASIM=1 has to be set before Numba is imported, so the check runs in a fresh interpreter, on
NumPy arrays (the simulator runs every GPU thread as a Python thread: the shapes are small). No GPU or CuPy is
needed.
"""

from __future__ import annotations

import pytest

from tests.kernels.run_in_subprocess import run_python

CHECK = '''
import numpy as np
from numba import config
assert config.ENABLE_CUDASIM, "the simulator is not on"
from tinygrad_edu.kernels import cuda, reference

cases = [  # input shape, kernel, stride, padding (top, left), dilation, out size
    ((2, 3, 5, 4), (3, 2), (2, 1), (1, 0), (1, 2), (3, 2)),
    ((1, 2, 4, 4), (3, 3), (1, 1), (1, 1), (1, 1), (4, 4)),   # padding "same"
    ((2, 1, 6, 5), (2, 2), (2, 2), (0, 0), (1, 1), (3, 2)),   # pooling-like
    ((1, 2, 7, 7), (3, 3), (3, 2), (2, 1), (2, 2), (2, 2)),   # stride, padding and dilation together
    ((1, 2, 3, 3), (1, 1), (1, 1), (0, 0), (1, 1), (3, 3)),   # 1×1 (pointwise)
]
rng = np.random.default_rng(0)
for shape, *geometry in cases:
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(shape).astype(dtype)
        cols = cuda.im2col(x, *geometry)
        assert np.array_equal(cols, reference.im2col(x, *geometry)), (shape, geometry, "im2col")
        assert np.array_equal(cuda.im2col(x, *geometry, pad_value=-np.inf),
                              reference.im2col(x, *geometry, pad_value=-np.inf)), (shape, geometry, "pad value")
        channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        assert np.array_equal(cuda.im2col(channels_last, *geometry), cols), (shape, geometry, "channels-last")
        grad = rng.standard_normal(cols.shape).astype(dtype)
        assert np.array_equal(cuda.col2im(grad, shape, *geometry),
                              reference.col2im(grad, shape, *geometry)), (shape, geometry, "col2im")
        assert np.array_equal(cuda.im2col(x, *geometry, tap_major=True),
                              reference.im2col(x, *geometry, tap_major=True)), (shape, geometry, "tap-major")
        assert np.array_equal(cuda.col2im(grad, shape, *geometry, tap_major=True),
                              reference.col2im(grad, shape, *geometry, tap_major=True)), (shape, geometry,
                                                                                         "col2im tap-major")
print("cuda kernels agree with the reference on", len(cases), "geometries")
'''


@pytest.mark.slow
def test_cuda_kernels_under_the_simulator():
    result = run_python(CHECK, timeout=300, NUMBA_ENABLE_CUDASIM="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agree with the reference on 5 geometries" in result.stdout

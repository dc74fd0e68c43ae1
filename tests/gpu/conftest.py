"""The GPU tests: on a real GPU (CuPy + CUDA), or in CI on the NumPy-backed stand-in (stand_in_cupy.py).

``TINYGRAD_EDU_GPU_STAND_IN=1`` (with ``NUMBA_ENABLE_CUDASIM=1``, both set before Python starts) installs the
stand-in; test_stand_in.py runs this folder that way in a subprocess. Without either, every ``gpu`` test skips
with the reason CuPy gives.
"""

from __future__ import annotations

import os

import pytest

STAND_IN = os.environ.get("TINYGRAD_EDU_GPU_STAND_IN") == "1"

if STAND_IN:
    from tests.gpu import stand_in_cupy
    from tinygrad_edu.kernels import attention_cuda, cuda

    stand_in_cupy.install()
    # Numba's simulator runs every GPU thread as a Python thread: small blocks keep it quick (the kernels are
    # correct for any power-of-two block, tests/kernels/test_attention_cuda.py checks several)
    attention_cuda.THREADS_PER_BLOCK = 8
    cuda.THREADS_PER_BLOCK = 32


@pytest.fixture(scope="module")
def cupy():
    """The cupy module (real or stand-in), or a skip that says why there is no GPU here."""
    from tinygrad_edu import backend

    try:
        return backend.array_module("cupy")
    except RuntimeError as error:
        pytest.skip(f"no GPU: {error}")

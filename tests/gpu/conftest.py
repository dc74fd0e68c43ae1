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

    stand_in_cupy.install()


@pytest.fixture(scope="module")
def cupy():
    """The cupy module (real or stand-in), or a skip that says why there is no GPU here."""
    from tinygrad_edu import backend

    try:
        return backend.array_module("cupy")
    except RuntimeError as error:
        pytest.skip(f"no GPU: {error}")

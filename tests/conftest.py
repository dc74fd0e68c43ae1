"""Shared test set-up: hypothesis profiles and the optional-dependency markers.

``HYPOTHESIS_PROFILE=thorough python -m pytest`` draws many more examples than the default ``ci`` profile.
"""

from __future__ import annotations

import os

# One BLAS thread for the tests: their matrices are small, and when the two cores are shared (parallel test
# runs, a busy laptop) OpenBLAS's spinning threads made some tests 10-35x slower. Set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _seeded_and_numpy_backend():
    """Every test starts on the NumPy backend with the project's generator seeded."""
    import tinygrad_edu as tg

    tg.backend.use("numpy")
    tg.manual_seed(0)
    np.random.seed(0)
    yield
    tg.backend.use("numpy")

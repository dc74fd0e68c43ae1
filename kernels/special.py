"""Special functions NumPy lacks, as Numba ufuncs (compiled on first import, cached on disk)."""

from __future__ import annotations

import math

import numba


@numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
def erf(x: float) -> float:
    """The error function erf(x) = 2/√π ∫₀ˣ e^{−t²} dt, elementwise (the C library's ``erf``)."""
    return math.erf(x)

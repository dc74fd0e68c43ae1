"""Special functions NumPy lacks, as Numba ufuncs (compiled on first import, cached on disk)."""

from __future__ import annotations

import math

import numba


@numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
def erf(x: float) -> float:
    """The error function erf(x) = 2/√π ∫₀ˣ e^{−t²} dt, elementwise (the C library's ``erf``)."""
    return math.erf(x)


@numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
def erfc(x: float) -> float:
    """The complementary error function erfc(x) = 1 − erf(x), elementwise (the C library's ``erfc``: accurate
    where 1 − erf(x) would cancel to 0, e.g. erfc(10) ≈ 2.1e−45)."""
    return math.erfc(x)

"""hypothesis strategies for the tests: shapes, broadcast-compatible shapes, axes, and values.

Shapes are small (at most 3 axes of length ≤ 3 by default) because ``gradcheck`` evaluates the function twice
per element; size-1 axes come up often, which is where broadcasting bugs hide. Values are float64 and, for
functions with a kink (relu at 0, clip at its bounds, max at a tie), kept a margin away from it: a central
difference that straddles a kink measures the average of two slopes, not the derivative.
"""

from __future__ import annotations

from collections.abc import Sequence

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

MAX_DIMS = 3
MAX_SIDE = 3


def shapes(min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 1, max_side: int = MAX_SIDE):
    """Array shapes, including 0-d and axes of length 1."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcast_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = MAX_DIMS, max_side: int = MAX_SIDE):
    """``num_shapes`` shapes that broadcast together (NumPy's rule: align right, each axis equal or 1)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=max_side
    ).map(lambda shapes_and_result: shapes_and_result.input_shapes)


def broadcast_target(shape: tuple[int, ...]):
    """A shape that ``shape`` broadcasts *to* (new leading axes, size-1 axes stretched)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=1, base_shape=shape, max_side=MAX_SIDE).map(
        lambda shapes_and_result: shapes_and_result.result_shape
    )


def values(shape: tuple[int, ...], low: float = -2.0, high: float = 2.0):
    """float64 arrays of ``shape`` with elements in [low, high]."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(np.float64, shape, elements=elements)


def positive(shape: tuple[int, ...], low: float = 0.5, high: float = 3.0):
    """Values in [low, high], for log, sqrt, a divisor or the base of a power."""
    return values(shape, low, high)


def away_from(shape: tuple[int, ...], kinks: Sequence[float] = (0.0,), margin: float = 0.1,
              low: float = -2.0, high: float = 2.0):
    """Values in [low, high] at least ``margin`` away from every point in ``kinks``."""
    def push(array: np.ndarray) -> np.ndarray:
        array = array.copy()
        for kink in kinks:
            close = np.abs(array - kink) < margin
            array[close] = kink + np.where(array[close] >= kink, margin, -margin)
        return array

    return values(shape, low, high).map(push)


def distinct(shape: tuple[int, ...], spacing: float = 0.25):
    """Values that differ pairwise by at least ``spacing`` (no ties for max/min to split the gradient over)."""
    size = int(np.prod(shape, dtype=np.int64))
    return st.permutations(range(size)).map(
        lambda order: (np.asarray(order, dtype=np.float64) * spacing - size * spacing / 2).reshape(shape)
    )


def ties(shape: tuple[int, ...]):
    """Values on a coarse grid {−1, −½, 0, ½, 1}, so that max/min ties are frequent."""
    return hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]))


def axes(ndim: int):
    """An ``axis`` argument: None, one int (negative allowed) or a tuple of distinct axes."""
    if ndim == 0:
        return st.none()
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1), hnp.valid_tuple_axes(ndim, min_size=1))


def one_axis(ndim: int):
    """A single axis, negative allowed (for softmax, cat, split, ...)."""
    return st.integers(-ndim, ndim - 1)


@st.composite
def reduction_cases(draw, min_count: int = 1, elements=values):
    """(array, axis, keepdims) with at least ``min_count`` elements reduced into each output."""
    shape = draw(shapes())
    axis = draw(axes(len(shape)))
    reduced = range(len(shape)) if axis is None else [axis] if isinstance(axis, int) else axis
    count = int(np.prod([shape[a] for a in reduced], dtype=np.int64))
    if count < min_count:  # grow the first reduced axis instead of filtering the example away
        shape = list(shape)
        first = next(iter(reduced), None)
        if first is None:
            shape, axis = [min_count], None
        else:
            shape[first] = min_count
        shape = tuple(shape)
    return draw(elements(shape)), axis, draw(st.booleans())

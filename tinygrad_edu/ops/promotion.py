"""PyTorch's type promotion: the dtype of an op that mixes dtypes.

Operands fall into three groups, strongest first: tensors with at least one axis, 0-d tensors, Python numbers.
Each dtype has a category, bool < integer < floating point. The result is the promotion of the strongest group;
a weaker group changes it only when its category is higher, and then only as far as that category needs:

    | operands                                  | PyTorch (and here) | NumPy     |
    | int64 tensor + 0.5                        | float32 (default)  | float64   |
    | int64 tensor / int64 tensor               | float32 (default)  | float64   |
    | int64 tensor + float32 tensor             | float32            | float64   |
    | float32 tensor + float64 0-d tensor       | float32            | float64   |
    | int64 tensor + float64 0-d tensor         | float64            | float64   |
    | bool tensor + 1                           | int64              | int64     |
    | float16 tensor + 2.5                      | float16            | float16   |

Within one category the usual widening applies (int32 + int64 → int64, float32 + float64 → float64).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import get_default_dtype

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _category(dtype: np.dtype) -> int:
    return _CATEGORY.get(dtype.kind, 1)


def _promote_group(dtypes: Sequence[np.dtype]) -> np.dtype:
    """The promotion of one group: its highest category decides, lower categories are ignored (int + float32
    is float32, not NumPy's float64)."""
    top = max(_category(d) for d in dtypes)
    return np.result_type(*[d for d in dtypes if _category(d) == top])


def result_dtype(arrays: Sequence[Any], scalar_flags: Sequence[bool]) -> np.dtype:
    """The dtype PyTorch gives an op on ``arrays``; ``scalar_flags[i]`` marks a Python number made into an array."""
    dims = [a.dtype for a, s in zip(arrays, scalar_flags, strict=True) if not s and a.ndim > 0]
    zero_dims = [a.dtype for a, s in zip(arrays, scalar_flags, strict=True) if not s and a.ndim == 0]
    scalars = [a.dtype for a, s in zip(arrays, scalar_flags, strict=True) if s]
    result = None
    for group in (dims, zero_dims):
        if not group:
            continue
        candidate = _promote_group(group)
        if result is None:
            result = candidate
        elif _category(candidate) > _category(result):
            result = _promote_group([d for d in group if _category(d) == _category(candidate)])
    if scalars:
        top = max(_category(d) for d in scalars)
        if result is None or top > _category(result):
            result = {0: np.dtype(bool), 1: np.dtype(np.int64), 2: get_default_dtype()}.get(top, np.dtype(complex))
    return result


def true_division_dtype(dtype: np.dtype) -> np.dtype:
    """x / y of integers (or bools) is a float of the default dtype, as in PyTorch (NumPy gives float64)."""
    return dtype if _category(dtype) >= 2 else get_default_dtype()

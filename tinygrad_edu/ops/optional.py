"""Optional trailing inputs: a layer without bias, a LayerNorm without affine parameters.

``Function.apply`` turns every positional input into a Tensor, so ``None`` cannot travel through it. The ops with
optional parameters (``Linear``, ``Conv2d``, ``LayerNorm``) set ``apply = classmethod(apply_without_missing)``:
trailing ``None`` inputs are left out and ``forward`` sees its default ``None``. So a caller writes
``ops.Linear.apply(x, weight, layer.bias)`` whether or not the layer has a bias, and the op alone says what a
missing bias means.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Function, Tensor


def apply_without_missing(cls: type[Function], *inputs: Any, **options: Any) -> Tensor:
    """``Function.apply`` with the trailing ``None`` inputs dropped (looked up at call time, so that anomaly mode
    and autocast, which replace ``apply``, still see every call)."""
    while inputs and inputs[-1] is None:
        inputs = inputs[:-1]
    return Function.apply.__func__(cls, *inputs, **options)  # type: ignore[attr-defined]

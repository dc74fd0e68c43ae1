"""Dropout as one op: the random mask is drawn in ``forward`` and reused in ``backward``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..backend import get_array_module


class Dropout(Function):
    """Inverted dropout  z = x ⊙ m / (1 − p),  mᵢ ~ Bernoulli(1 − p)  (each element is zeroed with probability
    p, and the survivors are scaled by 1/(1 − p) so that E[z] = x and nothing changes at evaluation time).

    Backward:  ∂L/∂x = ∂L/∂z ⊙ m / (1 − p)  (the same mask). The mask comes from the project's seeded generator.
    """

    def forward(self, x: Any, p: float = 0.5) -> Any:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got p={p}")
        xp = get_array_module(x)
        if p == 1.0:
            self.scale = xp.zeros_like(x)
            return self.scale.copy()
        draw_dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
        uniform = backend.generator(backend.device_of(x)).random(x.shape, dtype=draw_dtype)
        self.scale = (uniform >= p).astype(x.dtype) * x.dtype.type(1 / (1 - p))
        return x * self.scale

    def backward(self, grad: Any) -> Any:
        return grad * self.scale

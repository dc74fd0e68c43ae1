"""The rest of PyTorch's Tensor methods, bound to ``Tensor`` from the op modules that define them.

``tensor.py`` keeps the core a reader needs first (data, grad, backward, operators, the basic methods); the
long tail a PyTorch user reaches for (``x.cumsum(0)``, ``x.gather(1, idx)``, ``x.flip(-1)``, ...) is written
as functions next to their ``Function`` in ``ops/`` and attached here, one line each, so ``tg.cumsum(x, 0)``
and ``x.cumsum(0)`` are the same code.
"""

from __future__ import annotations

from .tensor import Tensor

# ---------------------------------------------------------------- arithmetic spellings, logic, creation, math

# ---------------------------------------------------------------- gathering, scattering, shape, scans and order

# ---------------------------------------------------------------- linear algebra, activations

__all__ = ["Tensor"]

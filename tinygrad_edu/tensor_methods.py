"""The rest of PyTorch's Tensor methods, bound to ``Tensor`` from the op modules that define them.

``tensor.py`` keeps the core a reader needs first (data, grad, backward, operators, the basic methods); the
long tail a PyTorch user reaches for (``x.cumsum(0)``, ``x.gather(1, idx)``, ``x.flip(-1)``, ...) is written
as functions next to their ``Function`` in ``ops/`` and attached here, one line each, so ``tg.cumsum(x, 0)``
and ``x.cumsum(0)`` are the same code.
"""

from __future__ import annotations

from . import inplace
from .tensor import Tensor

# ---------------------------------------------------------------- in-place operations (the lead's, inplace.py)
Tensor.add_ = inplace.add_
Tensor.sub_ = inplace.sub_
Tensor.mul_ = inplace.mul_
Tensor.div_ = inplace.div_
Tensor.pow_ = inplace.pow_
Tensor.neg_ = inplace.neg_
Tensor.clamp_ = inplace.clamp_
Tensor.clip_ = inplace.clamp_
Tensor.zero_ = inplace.zero_
Tensor.fill_ = inplace.fill_
Tensor.copy_ = inplace.copy_
Tensor.__setitem__ = inplace.setitem
Tensor.__iadd__ = inplace.iadd
Tensor.__isub__ = inplace.isub
Tensor.__imul__ = inplace.imul
Tensor.__itruediv__ = inplace.itruediv

# ---------------------------------------------------------------- arithmetic spellings, logic, creation, math

# ---------------------------------------------------------------- gathering, scattering, shape, scans and order

# ---------------------------------------------------------------- linear algebra, activations

__all__ = ["Tensor"]

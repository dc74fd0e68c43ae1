"""The rest of PyTorch's Tensor methods, bound to ``Tensor`` from the op modules that define them.

``tensor.py`` keeps the core a reader needs first (data, grad, backward, operators, the basic methods); the
long tail a PyTorch user reaches for (``x.cumsum(0)``, ``x.gather(1, idx)``, ``x.flip(-1)``, ...) is written
as functions next to their ``Function`` in ``ops/`` and attached here, one line each, so ``tg.cumsum(x, 0)``
and ``x.cumsum(0)`` are the same code.
"""

from __future__ import annotations

from typing import Any

from . import inplace
from .ops import gather, movement, scan, sort  # gathering, scattering, shape, scans and order
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


def ravel(self: Tensor) -> Tensor:
    """The elements as one axis (``torch.ravel``; ``reshape(-1)``)."""
    return self.reshape(-1)


Tensor.ravel = ravel

# ---------------------------------------------------------------- arithmetic spellings, logic, creation, math


def _bind_arithmetic_logic_creation_math() -> None:
    """Issue #18 groups 1, 2, 6, 7: ops/arith.py, ops/logic.py, creation.py, ops/math.py."""
    from . import creation
    from .ops import arith, logic, math

    for name in ("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
                 "remainder", "fmod", "pow", "neg", "negative", "absolute", "positive"):
        setattr(Tensor, name, getattr(arith, name))
    Tensor.__abs__ = arith.abs
    Tensor.__pos__ = arith.positive
    Tensor.__mod__ = arith.remainder
    Tensor.__rmod__ = lambda self, other: arith.remainder(other, self)
    Tensor.__floordiv__ = arith.floor_divide
    Tensor.__rfloordiv__ = lambda self, other: arith.floor_divide(other, self)
    Tensor.type = arith.type_
    Tensor.int = arith.to_int
    Tensor.long = arith.to_long
    Tensor.short = arith.to_short
    Tensor.char = arith.to_char
    Tensor.byte = arith.to_byte
    Tensor.bool = arith.to_bool
    Tensor.half = arith.to_half

    for name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
                 "equal", "isclose", "allclose", "isnan", "isinf", "isposinf", "isneginf", "isfinite", "logical_and",
                 "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
                 "bitwise_not", "masked_fill", "masked_select", "tril", "triu"):
        setattr(Tensor, name, getattr(logic, name))
    Tensor.__and__ = logic.bitwise_and
    Tensor.__or__ = logic.bitwise_or
    Tensor.__xor__ = logic.bitwise_xor
    Tensor.__invert__ = logic.bitwise_not
    Tensor.__rand__ = logic.rand_
    Tensor.__ror__ = logic.ror_
    Tensor.__rxor__ = logic.rxor_

    Tensor.bernoulli = creation.bernoulli

    for name in math.__all__:  # floor … xlogy, clamp/clip with tensor bounds (replacing the number-only clip)
        setattr(Tensor, name, getattr(math, name))


_bind_arithmetic_logic_creation_math()

# ---------------------------------------------------------------- gathering, scattering, shape, scans and order

Tensor.gather = gather.gather
Tensor.scatter = gather.scatter
Tensor.scatter_add = gather.scatter_add
Tensor.scatter_reduce = gather.scatter_reduce
Tensor.index_select = gather.index_select
Tensor.index_add = gather.index_add
Tensor.index_fill = gather.index_fill
Tensor.take_along_dim = gather.take_along_dim
Tensor.take = gather.take
Tensor.nonzero = gather.nonzero
Tensor.argwhere = gather.argwhere


def _in_place(name: str, op: Any) -> Any:
    """``x.op_(...)``: ``op`` computed out of place, then made x's value by ``inplace.apply_inplace``'s rules (the
    op's last node has x itself as an input, which is what a recorded in-place change rewires)."""
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace.apply_inplace(self, name, lambda: op(self, *args, **kwargs), (*args, *kwargs.values()))
    method.__name__ = name
    return method


Tensor.scatter_ = _in_place("scatter_", gather.scatter)
Tensor.scatter_add_ = _in_place("scatter_add_", gather.scatter_add)
Tensor.index_add_ = _in_place("index_add_", gather.index_add)
Tensor.index_fill_ = _in_place("index_fill_", gather.index_fill)

Tensor.repeat = movement.repeat
Tensor.tile = movement.tile
Tensor.repeat_interleave = movement.repeat_interleave
Tensor.chunk = movement.chunk
Tensor.unbind = movement.unbind
Tensor.select = movement.select
Tensor.narrow = movement.narrow
Tensor.flip = movement.flip
Tensor.fliplr = movement.fliplr
Tensor.flipud = movement.flipud
Tensor.roll = movement.roll
Tensor.unflatten = movement.unflatten
Tensor.movedim = movement.movedim
Tensor.moveaxis = movement.moveaxis
Tensor.swapaxes = movement.swapaxes
Tensor.swapdims = movement.swapdims
Tensor.diagonal = movement.diagonal
Tensor.diag = movement.diag
Tensor.diag_embed = movement.diag_embed
Tensor.unfold = movement.unfold
Tensor.expand_as = movement.expand_as
Tensor.view_as = movement.view_as
Tensor.reshape_as = movement.reshape_as
Tensor.type_as = movement.type_as
Tensor.squeeze = movement.squeeze
Tensor.t = movement.t
Tensor.contiguous = movement.contiguous
Tensor.clone = movement.clone

Tensor.cumsum = scan.cumsum
Tensor.cumprod = scan.cumprod
Tensor.cummax = scan.cummax
Tensor.cummin = scan.cummin
Tensor.logcumsumexp = scan.logcumsumexp
Tensor.prod = scan.prod

Tensor.sort = sort.sort
Tensor.argsort = sort.argsort
Tensor.msort = sort.msort
Tensor.topk = sort.topk
Tensor.kthvalue = sort.kthvalue
Tensor.median = sort.median
Tensor.nanmedian = sort.nanmedian
Tensor.mode = sort.mode
Tensor.amax = sort.amax
Tensor.amin = sort.amin
Tensor.aminmax = sort.aminmax
Tensor.count_nonzero = sort.count_nonzero
Tensor.unique = sort.unique
Tensor.bincount = sort.bincount
Tensor.histc = sort.histc

# ---------------------------------------------------------------- linear algebra, activations
# isort: split
from .ops import linalg as _linalg  # noqa: E402 (each section keeps its imports beside its bindings)

Tensor.mm = _linalg.mm
Tensor.bmm = _linalg.bmm
Tensor.mv = _linalg.mv
Tensor.dot = _linalg.dot
Tensor.vdot = _linalg.vdot
Tensor.inner = _linalg.inner
Tensor.outer = _linalg.outer
Tensor.ger = _linalg.ger
Tensor.addmm = _linalg.addmm
Tensor.addmv = _linalg.addmv
Tensor.addr = _linalg.addr
Tensor.baddbmm = _linalg.baddbmm
Tensor.addbmm = _linalg.addbmm
Tensor.trace = _linalg.trace
Tensor.cross = _linalg.cross
Tensor.norm = _linalg.norm

__all__ = ["Tensor"]

"""Linear algebra: ``einsum``, the matrix-product family (``mm``, ``bmm``, ``mv``, ``dot``, ``inner``, ``outer``,
``addmm``, ``addmv``, ``addr``, ``baddbmm``, ``addbmm``), ``trace``, ``cross``, norms and ``cdist``.

Two ``Function``s carry the calculus: ``Einsum`` (every product of this module is one, or a ``MatMul``) and
``VectorNorm``. The rest is composed from differentiable Tensor ops (matmul, reshape, +, ·), so their
gradients, first and second, come from the pieces; each docstring says which.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function, OpError
from ..backend import get_array_module
from ..tensor import Tensor, stack
from . import backward_math as bm
from .broadcast import expand_reduced, normalize_axes, normalize_dim

# ---------------------------------------------------------------------------------------------- einsum


class Einsum(Function):
    """Einstein summation  z[out] = Σ_{letters not in out} Π_k x_k[sub_k]  for an explicit equation such as
    ``"bhqd,bhkd->bhqk"`` (every letter one axis; one size per letter; ``einsum`` below normalises implicit
    outputs, ``...`` and size-1 broadcasting into this form).

    Backward: the gradient of an einsum with respect to one operand is another einsum — the incoming gradient
    and the *other* operands, contracted back to that operand's subscripts:

        ∂L/∂x_k[sub_k] = Σ ∂L/∂z[out] · Π_{j≠k} x_j[sub_j]       e.g.  z = "ik,kj->ij":  ∂L/∂x₁ = "ij,kj->ik"

    Two details make that one einsum in every case: a letter repeated inside sub_k (a diagonal, "ii->i") gets a
    fresh letter and an identity matrix δ joins the product (the gradient lands on the diagonal only); a letter
    of sub_k found nowhere else (summed inside x_k alone, "ij->i") gets a vector of ones (the gradient is
    copied along it). Because the backward is itself an einsum, it is differentiable again (create_graph).
    """

    differentiable_backward = True

    def forward(self, *operands: Any, equation: str) -> Any:
        xp = get_array_module(operands[0])
        inputs, output = equation.split("->")
        self.input_subs, self.output_sub = inputs.split(","), output
        self.sizes = {letter: n for sub, x in zip(self.input_subs, operands, strict=True)
                      for letter, n in zip(sub, x.shape, strict=True)}
        self.save_for_backward(*operands)
        return xp.asarray(xp.einsum(equation, *operands, optimize=len(operands) > 1))

    def backward(self, grad: Any) -> tuple[Any, ...]:
        operands = self.saved
        needs = self.needs_input_grad or (True,) * len(operands)
        return tuple(self._operand_grad(k, grad, operands) if needs[k] else None for k in range(len(operands)))

    def _operand_grad(self, k: int, grad: Any, operands: Sequence[Any]) -> Any:
        xp = get_array_module(bm.constant(grad))
        dtype = grad.dtype
        subs = [self.output_sub] + [s for j, s in enumerate(self.input_subs) if j != k]
        terms = [grad] + [x for j, x in enumerate(operands) if j != k]
        unused = iter(c for c in string.ascii_letters if c not in self.sizes)
        target, seen = "", set()
        for letter in self.input_subs[k]:
            if letter in seen:  # a diagonal: the gradient flows to positions where both indices agree
                fresh = next(unused)
                subs.append(letter + fresh)
                terms.append(xp.eye(self.sizes[letter], dtype=dtype))
                target += fresh
            else:
                target += letter
                seen.add(letter)
        present = set("".join(subs))
        for letter in dict.fromkeys(target):
            if letter not in present:  # summed inside x_k alone: the gradient is copied along this axis
                subs.append(letter)
                terms.append(xp.ones(self.sizes[letter], dtype=dtype))
        equation = ",".join(subs) + "->" + target
        if any(bm.is_tensor(t) for t in terms):  # create_graph: record the backward einsum itself
            return Einsum.apply(*terms, equation=equation)
        return xp.asarray(xp.einsum(equation, *terms, optimize=True)).astype(dtype, copy=False)


def _sublist_equation(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """PyTorch's sublist form ``einsum(x, [0, 1], y, [1, 2], [0, 2])`` as an equation string and operands."""

    def to_sub(sublist: Any) -> str:
        return "".join("..." if item is Ellipsis else string.ascii_letters[int(item)] for item in sublist)

    pairs = args[: len(args) - len(args) % 2]
    equation = ",".join(to_sub(sub) for sub in pairs[1::2])
    if len(args) % 2:  # an odd count: the last list is the output
        equation += "->" + to_sub(args[-1])
    return equation, list(pairs[0::2])


def einsum(equation: str | Any, *operands: Any) -> Tensor:
    """Einstein summation (``torch.einsum``): ``einsum("ij,jk->ik", a, b)`` is a @ b.

    Every form a course uses: matrix and batched products ("bij,bjk->bik"), attention scores
    ("bhqd,bhkd->bhqk"), outer products ("i,j->ij"), traces ("ii->"), diagonals ("ii->i"), transposes
    ("ij->ji"), sums ("ij->"). Without ``->`` (implicit mode) the output is the letters that occur once, in
    alphabetical order. ``...`` stands for the remaining (broadcast) axes; axes of length 1 broadcast against
    the same letter elsewhere. Operands may be given as varargs or as one list; PyTorch's sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` works too. Formula and gradient: ``Einsum``.
    """
    if not isinstance(equation, str):
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError(f"einsum({equation!r}): give at least one operand")
    tensors = [x if isinstance(x, Tensor) else Tensor(x) for x in operands]
    normalized, tensors = _normalize(equation, tensors)
    return Einsum.apply(*tensors, equation=normalized)


def _normalize(equation: str, tensors: list[Tensor]) -> tuple[str, list[Tensor]]:
    """An explicit equation with one letter per axis ("...", implicit outputs and size-1 broadcasting resolved);
    operands whose size-1 axes broadcast are reshaped (squeezed) to drop those axes."""
    where = f"einsum({equation!r})"
    equation = equation.replace(" ", "")
    explicit = "->" in equation
    inputs, output = equation.split("->") if explicit else (equation, None)
    subs = inputs.split(",")
    if len(subs) != len(tensors):
        raise ValueError(f"{where}: the equation names {len(subs)} operand(s) but {len(tensors)} were given")
    for sub in [*subs, output or ""]:
        bad = set(sub.replace("...", "")) - set(string.ascii_letters)
        if bad or sub.count("...") > 1:
            raise ValueError(f"{where}: subscripts are letters a-z, A-Z and at most one '...' per operand "
                             f"(found {sub!r})")
    used = set(equation) & set(string.ascii_letters)
    spare = [c for c in string.ascii_letters if c not in used]
    ellipsis_ndim = []
    for sub, t in zip(subs, tensors, strict=True):
        letters = len(sub.replace("...", ""))
        if "..." in sub and t.ndim < letters or "..." not in sub and t.ndim != letters:
            raise ValueError(f"{where}: operand of shape {tuple(t.shape)} has {t.ndim} axes but its subscripts "
                             f"{sub!r} name {letters}{' (plus ...)' if '...' in sub else ''}")
        ellipsis_ndim.append(t.ndim - letters if "..." in sub else 0)
    broadcast_letters = "".join(spare[: max(ellipsis_ndim)])
    subs = [s.replace("...", broadcast_letters[len(broadcast_letters) - n:] if n else "")
            for s, n in zip(subs, ellipsis_ndim, strict=True)]
    if output is None:
        counts = "".join(subs)
        output = broadcast_letters + "".join(sorted(c for c in set(counts) - set(broadcast_letters)
                                                    if counts.count(c) == 1))
    else:
        output = output.replace("...", broadcast_letters)
        for c in output:
            if output.count(c) > 1 or c not in "".join(subs):
                raise ValueError(f"{where}: output subscript {c!r} must appear once in the output and in some input")
    sizes: dict[str, int] = {}
    for sub, t in zip(subs, tensors, strict=True):
        for c, n in zip(sub, t.shape, strict=True):
            if n != 1 and sizes.get(c, 1) not in (1, n):
                raise ValueError(f"{where}: subscript {c!r} has size {sizes[c]} in one place and {n} in another "
                                 f"(operand shapes {[tuple(x.shape) for x in tensors]}): the sizes must agree or be 1")
            sizes[c] = n if n != 1 else sizes.get(c, 1)
    for i, (sub, t) in enumerate(zip(subs, tensors, strict=True)):  # size-1 axes that broadcast: squeeze them
        keep = [a for a, c in enumerate(sub) if not (t.shape[a] == 1 and sizes[c] != 1)]
        if len(keep) != len(sub):
            subs[i] = "".join(sub[a] for a in keep)
            tensors[i] = t.reshape(*[t.shape[a] for a in keep])
    for c in output:  # an output letter whose only occurrences were squeezed: keep it by broadcasting back
        if c not in "".join(subs):
            raise ValueError(f"{where}: output subscript {c!r} only names broadcast axes of length 1")
    return ",".join(subs) + "->" + output, tensors


# ---------------------------------------------------------------------------------------------- products


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_ndim(op: str, name: str, x: Tensor, ndim: int) -> None:
    kinds = {1: "a vector (1-D)", 2: "a matrix (2-D)", 3: "a batch of matrices (3-D)"}
    if x.ndim != ndim:
        raise OpError(f"{op}: {name} must be {kinds[ndim]}, got shape {tuple(x.shape)}")


def _check_inner(op: str, a: Tensor, b: Tensor, a_axis: int, b_axis: int) -> None:
    if a.shape[a_axis] != b.shape[b_axis]:
        raise OpError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                      f"({a.shape[a_axis]} ≠ {b.shape[b_axis]}): the contracted axes must have one length")


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Matrix product  C = A B  of A (n, m) and B (m, p) → (n, p); strict 2-D (``matmul`` broadcasts).
    Composed: ``MatMul`` (∂L/∂A = ∂L/∂C Bᵀ, ∂L/∂B = Aᵀ ∂L/∂C)."""
    input, mat2 = _as_tensor(input), _as_tensor(mat2)
    _check_ndim("mm", "self", input, 2)
    _check_ndim("mm", "mat2", mat2, 2)
    _check_inner("mm", input, mat2, 1, 0)
    return input @ mat2


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Batched matrix product  C_b = A_b B_b  of (b, n, m) and (b, m, p) → (b, n, p), no broadcasting.
    Composed: ``MatMul`` per batch."""
    input, mat2 = _as_tensor(input), _as_tensor(mat2)
    _check_batches("bmm", input, mat2)
    return input @ mat2


def _check_batches(op: str, batch1: Tensor, batch2: Tensor) -> None:
    _check_ndim(op, "batch1", batch1, 3)
    _check_ndim(op, "batch2", batch2, 3)
    if batch1.shape[0] != batch2.shape[0]:
        raise OpError(f"{op}: batch sizes differ: {tuple(batch1.shape)} and {tuple(batch2.shape)} (use matmul to "
                      "broadcast batch axes)")
    _check_inner(op, batch1, batch2, 2, 1)


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    """Matrix-vector product  y = A v  of A (n, m) and v (m,) → (n,). Composed: ``MatMul``."""
    input, vec = _as_tensor(input), _as_tensor(vec)
    _check_ndim("mv", "self", input, 2)
    _check_ndim("mv", "vec", vec, 1)
    _check_inner("mv", input, vec, 1, 0)
    return input @ vec


def dot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Dot product  s = Σᵢ xᵢ yᵢ  of two vectors of one length → a 0-d tensor.
    As ``Einsum("i,i->")``: ∂L/∂x = ∂L/∂s · y,  ∂L/∂y = ∂L/∂s · x."""
    input, other = _as_tensor(input), _as_tensor(other)
    _check_ndim("dot", "self", input, 1)
    _check_ndim("dot", "other", other, 1)
    _check_inner("dot", input, other, 0, 0)
    return Einsum.apply(input, other, equation="i,i->")


vdot = dot  # real tensors only: no complex conjugate to take


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Inner product over the last axes  z[a…, b…] = Σᵢ x[a…, i] y[b…, i]  → shape x.shape[:-1] + y.shape[:-1]
    (a 0-d operand: the plain product x·y). As one ``Einsum``."""
    input, other = _as_tensor(input), _as_tensor(other)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    _check_inner("inner", input, other, -1, -1)
    a = string.ascii_letters[: input.ndim - 1]
    b = string.ascii_letters[input.ndim - 1: input.ndim + other.ndim - 2]
    return Einsum.apply(input, other, equation=f"{a}z,{b}z->{a}{b}")


def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """Outer product  z[i, j] = xᵢ yⱼ  of two vectors → (n, m). Composed: a column times a row (broadcast ·),
    so ∂L/∂xᵢ = Σⱼ ∂L/∂zᵢⱼ yⱼ and ∂L/∂yⱼ = Σᵢ ∂L/∂zᵢⱼ xᵢ."""
    input, vec2 = _as_tensor(input), _as_tensor(vec2)
    _check_ndim("outer", "self", input, 1)
    _check_ndim("outer", "vec2", vec2, 1)
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def _scaled_sum(op: str, input: Any, product: Tensor, beta: float, alpha: float) -> Tensor:
    """β·input + α·product (PyTorch's add* family); with β = 0 the input is ignored (NaNs in it do not
    propagate), but it must still broadcast to the product's shape."""
    input = _as_tensor(input)
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(product.shape))
    except ValueError:
        raise OpError(f"{op}: input of shape {tuple(input.shape)} does not broadcast to the product's shape "
                      f"{tuple(product.shape)}") from None
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product.broadcast_to(np.broadcast_shapes(tuple(input.shape), tuple(product.shape)))
    return (input if beta == 1 else input * beta) + product


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:  # noqa: A002
    """out = β·input + α·(mat1 @ mat2)  (mat1 (n, m), mat2 (m, p); input broadcasts to (n, p)). Composed."""
    return _scaled_sum("addmm", input, mm(mat1, mat2), beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:  # noqa: A002
    """out = β·input + α·(mat @ vec)  (mat (n, m), vec (m,); input broadcasts to (n,)). Composed."""
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:  # noqa: A002
    """out = β·input + α·outer(vec1, vec2). Composed."""
    return _scaled_sum("addr", input, outer(vec1, vec2), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1,  # noqa: A002
            alpha: float = 1) -> Tensor:
    """out_b = β·input_b + α·(batch1_b @ batch2_b)  ((b, n, m) @ (b, m, p); input broadcasts to (b, n, p)).
    Composed (the attention-score update of many Transformer codes)."""
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1,  # noqa: A002
           alpha: float = 1) -> Tensor:
    """out = β·input + α·Σ_b batch1_b @ batch2_b  (the batch summed away: one (n, p) matrix). Composed, the
    product and the batch sum as one ``Einsum("bnm,bmp->np")``."""
    batch1, batch2 = _as_tensor(batch1), _as_tensor(batch2)
    _check_batches("addbmm", batch1, batch2)
    return _scaled_sum("addbmm", input, Einsum.apply(batch1, batch2, equation="bnm,bmp->np"), beta, alpha)


class Trace(Function):
    """Trace  s = Σᵢ A[i, i]  of a matrix (the diagonal of a non-square one: i < min(n, m)).

    Backward:  ∂L/∂A = ∂L/∂s · I  (the identity of A's shape: only the diagonal receives the gradient).
    """

    differentiable_backward = True

    def forward(self, x: Any) -> Any:
        if x.ndim != 2:
            raise OpError(f"trace: expected a matrix (2-D), got shape {x.shape}")
        self.shape = x.shape
        xp = get_array_module(x)
        return xp.asarray(xp.trace(x), dtype=x.dtype if x.dtype.kind == "f" else np.int64)

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(bm.constant(grad))
        return grad * xp.eye(*self.shape, dtype=grad.dtype)


def trace(input: Tensor) -> Tensor:  # noqa: A002
    """s = Σᵢ A[i, i] (``Trace``: ∂L/∂A = ∂L/∂s · I)."""
    return Trace.apply(input)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """Cross product of 3-vectors along ``dim``:  z = (x₂y₃ − x₃y₂, x₃y₁ − x₁y₃, x₁y₂ − x₂y₁); the inputs
    broadcast. ``dim=None`` takes the first axis of length 3 (PyTorch's old default; ``linalg.cross`` uses −1).
    Composed from indexing, · and −, so ∂L/∂x = y × ∂L/∂z and ∂L/∂y = ∂L/∂z × x come out of the pieces."""
    input, other = _as_tensor(input), _as_tensor(other)
    shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    if dim is None:
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise OpError(f"cross: no axis of length 3 in shapes {tuple(input.shape)} and {tuple(other.shape)}")
    dim = normalize_dim(dim, len(shape), "cross")
    if input.ndim != other.ndim or input.shape[dim] != 3 or other.shape[dim] != 3:
        raise OpError(f"cross: inputs of shape {tuple(input.shape)} and {tuple(other.shape)} must have the same "
                      f"number of axes and length 3 along dim {dim}")
    x, y = input.broadcast_to(shape), other.broadcast_to(shape)

    def part(t: Tensor, i: int) -> Tensor:
        return t[(slice(None),) * dim + (i,)]

    x1, x2, x3 = part(x, 0), part(x, 1), part(x, 2)
    y1, y2, y3 = part(y, 0), part(y, 1), part(y, 2)
    return stack([x2 * y3 - x3 * y2, x3 * y1 - x1 * y3, x1 * y2 - x2 * y1], dim)


# ---------------------------------------------------------------------------------------------- norms


class VectorNorm(Function):
    """Vector p-norm over the given axes  ‖x‖_p = (Σᵢ |xᵢ|^p)^{1/p}, with the limits ‖x‖_∞ = maxᵢ |xᵢ|,
    ‖x‖_{−∞} = minᵢ |xᵢ| and ‖x‖₀ = #{i : xᵢ ≠ 0}.

    Backward (PyTorch's conventions at the kinks):
        p = 2:      ∂L/∂xᵢ = ∂L/∂n · xᵢ / ‖x‖₂          (0 where ‖x‖ = 0: the subgradient PyTorch picks)
        p = 1:      ∂L/∂xᵢ = ∂L/∂n · sign(xᵢ)
        p = ±∞:     ∂L/∂xᵢ = ∂L/∂n · sign(xᵢ) / k  at the k elements with |xᵢ| = ‖x‖, 0 elsewhere
        p = 0:      0
        other p:    ∂L/∂xᵢ = ∂L/∂n · sign(xᵢ) |xᵢ|^{p−1} / ‖x‖_p^{p−1}   (0 where ‖x‖ = 0 or xᵢ = 0)
    """

    differentiable_backward = True

    def forward(self, x: Any, ord: float = 2, axes: tuple[int, ...] = (), keepdim: bool = False) -> Any:  # noqa: A002
        xp = get_array_module(x)
        self.ord, self.axes, self.keepdim = float(ord), axes, keepdim
        absolute = xp.abs(x)
        p = self.ord
        if p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        elif p == 1:
            out = absolute.sum(axis=axes, keepdims=keepdim)
        elif p == np.inf:
            out = absolute.max(axis=axes, keepdims=keepdim)
        elif p == -np.inf:
            out = absolute.min(axis=axes, keepdims=keepdim)
        elif p == 0:
            out = (x != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
        else:
            out = (absolute ** p).sum(axis=axes, keepdims=keepdim) ** (1 / p)
        out = xp.asarray(out, dtype=x.dtype)
        self.save_for_backward(x, out)
        return out

    def backward(self, grad: Any) -> Any:
        x, out = self.saved
        p = self.ord
        xp = get_array_module(bm.constant(x))
        grad = expand_reduced(grad, self.axes, self.keepdim)
        out = expand_reduced(out, self.axes, self.keepdim)
        zero = bm.constant(out) == 0
        if p == 0:
            return bm.broadcast_to(grad, x.shape) * 0  # a count: piecewise constant
        if p == 2:
            return grad * x / bm.where(zero, 1.0, out)
        sign = bm.sign(x).astype(x.dtype)
        if p == 1:
            return grad * sign
        if p in (np.inf, -np.inf):
            hit = (xp.abs(bm.constant(x)) == bm.constant(out)).astype(x.dtype)
            count = hit.sum(axis=self.axes, keepdims=True)
            return grad * (sign * hit / xp.maximum(count, 1))
        absolute = bm.abs(x)
        safe_abs = bm.where(bm.constant(x) == 0, 1.0, absolute)
        safe_out = bm.where(zero, 1.0, out)
        return grad * sign * (safe_abs / safe_out) ** (p - 1)


def _norm_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, list | tuple) and len(dim) == 0:
        return tuple(range(ndim))
    return normalize_axes(dim, ndim, op)


def _cast(x: Tensor, dtype: Any, op: str) -> Tensor:
    if dtype is not None:
        x = x.astype(dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating point input, got {x.dtype}: convert it with .float() (or pass "
                        "dtype=tg.float32)")
    return x


def vector_norm(x: Tensor, ord: float = 2, dim: int | Sequence[int] | None = None,  # noqa: A002
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """‖x‖_p over ``dim`` (all axes when None), ``torch.linalg.vector_norm``; formula and gradient:
    ``VectorNorm``. ``ord`` ∈ {2, 1, inf, −inf, 0, any float}."""
    x = _cast(_as_tensor(x), dtype, "vector_norm")
    if isinstance(ord, str):
        raise ValueError(f"vector_norm(ord={ord!r}): ord must be a number (for 'fro' or 'nuc' use matrix_norm)")
    return VectorNorm.apply(x, ord=ord, axes=_norm_dims(dim, x.ndim, "vector_norm"), keepdim=keepdim)


def matrix_norm(A: Tensor, ord: str | float = "fro", dim: tuple[int, int] = (-2, -1),  # noqa: N803
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Matrix norm over the two axes ``dim`` (``torch.linalg.matrix_norm``), composed from ``VectorNorm``:

        'fro':  ‖A‖_F = √(Σᵢⱼ A²ᵢⱼ)        1 / −1:  max / min over columns of Σᵢ |Aᵢⱼ|
        inf / −inf:  max / min over rows of Σⱼ |Aᵢⱼ|

    ('nuc', 2 and −2 need a singular value decomposition, which this engine does not have.)
    """
    A = _cast(_as_tensor(A), dtype, "matrix_norm")  # noqa: N806
    if A.ndim < 2:
        raise ValueError(f"matrix_norm: the input must have at least 2 axes (a matrix), got shape {tuple(A.shape)}")
    if not isinstance(dim, list | tuple) or len(dim) != 2:
        raise ValueError(f"matrix_norm: dim must be a pair of axes, got {dim!r}")
    rows, cols = (normalize_dim(d, A.ndim, "matrix_norm") for d in dim)
    if rows == cols:
        raise ValueError(f"matrix_norm: dim={tuple(dim)} names one axis twice")
    if ord == "fro":
        return VectorNorm.apply(A, ord=2, axes=tuple(sorted((rows, cols))), keepdim=keepdim)
    if ord in (1, -1, np.inf, -np.inf):
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = VectorNorm.apply(A, ord=1, axes=(summed,), keepdim=True)
        out = VectorNorm.apply(sums, ord=np.inf if ord > 0 else -np.inf, axes=(over,), keepdim=True)
        return out if keepdim else out.squeeze((rows, cols))
    raise ValueError(f"matrix_norm(ord={ord!r}): supported orders are 'fro', 1, -1, inf and -inf ('nuc', 2 and -2 "
                     "need a singular value decomposition, which this engine does not have)")


def linalg_norm(A: Tensor, ord: str | float | None = None, dim: int | Sequence[int] | None = None,  # noqa: A002, N803
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """``torch.linalg.norm``: a vector norm when ``dim`` is one axis (or ``A`` is 1-D), a matrix norm when it is
    two axes (or ``A`` is 2-D and ``ord`` is given); ``ord=None``: the 2-norm / Frobenius norm (of all
    elements when ``dim`` is None too)."""
    A = _as_tensor(A)  # noqa: N806
    if dim is None:
        if ord is None:
            return vector_norm(A, 2, None, keepdim, dtype=dtype)
        if A.ndim == 1:
            return vector_norm(A, ord, None, keepdim, dtype=dtype)  # type: ignore[arg-type]
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        raise ValueError(f"linalg.norm(ord={ord!r}) of a tensor of shape {tuple(A.shape)}: with ord given, the input "
                         "must be 1-D or 2-D, or dim must name the axes")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) == 1:
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)  # type: ignore[arg-type]
    if len(dims) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)  # type: ignore[arg-type]
    raise ValueError(f"linalg.norm: dim must be one axis or two, got {dim!r}")


def norm(input: Tensor, p: str | float | None = "fro", dim: int | Sequence[int] | None = None,  # noqa: A002
         keepdim: bool = False, dtype: Any = None) -> Tensor:
    """``torch.norm`` (and ``Tensor.norm``): the vector p-norm of the elements over ``dim`` (all when None);
    ``p='fro'`` is the 2-norm (over at most two axes), ``p=None`` too. Formula and gradient: ``VectorNorm``
    (p = 2 at 0: gradient 0, as PyTorch)."""
    input = _as_tensor(input)
    if p == "nuc":
        raise ValueError("norm(p='nuc'): the nuclear norm needs a singular value decomposition, which this engine "
                         "does not have")
    if p in ("fro", None):
        if isinstance(dim, list | tuple) and len(dim) > 2:
            raise ValueError(f"norm(p='fro', dim={dim!r}): the Frobenius norm is over at most two axes")
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm(p={p!r}): p must be a number, 'fro' or 'nuc'")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """Pairwise distances  D[…, i, j] = ‖x1[…, i, :] − x2[…, j, :]‖_p  of row sets x1 (…, P, M) and x2 (…, R, M)
    → (…, P, R) (batch axes broadcast). Composed: a broadcast difference (…, P, R, M) and ``VectorNorm`` over
    its last axis, so the gradient is VectorNorm's (0 at a zero distance for p = 2, as PyTorch).
    ``compute_mode`` is accepted for PyTorch compatibility (the direct formula is always used)."""
    x1, x2 = _as_tensor(x1), _as_tensor(x2)
    if x1.ndim < 2 or x2.ndim < 2:
        raise OpError(f"cdist: inputs must have at least 2 axes (…, rows, features), got shapes {tuple(x1.shape)} "
                      f"and {tuple(x2.shape)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise OpError(f"cdist: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} must have the same number of features "
                      "(last axis)")
    if not p >= 0:
        raise ValueError(f"cdist only supports non-negative p values, got p={p}")
    difference = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return VectorNorm.apply(_cast(difference, None, "cdist"), ord=p, axes=(difference.ndim - 1,), keepdim=False)

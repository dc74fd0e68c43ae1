"""Layer normalisation, forward and backward, one pass over each row (Numba), for float32 rows of features.

The formulas are ops/layernorm.py's; the NumPy lines (``layer_norm_forward_reference``,
``layer_norm_backward_reference`` in reference.py) make about eight passes over the activation each way, each a
trip through memory for a GPT's (8, 128, 128) residual stream. Here a thread takes a block of rows and, for each
row, reads it while it is in the cache: μ, σ² (two passes over the row: the mean first, then the squared
deviations, as the reference), x̂ and y forward; mean(g), mean(g ⊙ x̂) and ∂L/∂x backward, with its block's share
of ∂L/∂γ = Σ ∂L/∂y ⊙ x̂ and ∂L/∂β = Σ ∂L/∂y (the blocks' shares are added after). The tests check both against
the references on hypothesis-drawn shapes and values.
"""

from __future__ import annotations

import numba
import numpy as np

from . import threads
from .attention import _FASTMATH
from .reference import layer_norm_backward_reference, layer_norm_forward_reference  # noqa: F401  (tests)


def layer_norm_forward(x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                       eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, x̂, r) for C-contiguous float32 x of shape (rows, features); r of shape (rows, 1)."""
    rows, features = x.shape
    out, normalized = np.empty_like(x), np.empty_like(x)
    inv_std = np.empty((rows, 1), dtype=x.dtype)
    gamma = np.ones(features, x.dtype) if weight is None else weight
    beta = np.zeros(features, x.dtype) if bias is None else bias
    _forward(x, gamma, beta, np.float32(eps), out, normalized, inv_std[:, 0])
    return out, normalized, inv_std


def layer_norm_backward(grad: np.ndarray, normalized: np.ndarray, inv_std: np.ndarray,
                        weight: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂L/∂x, ∂L/∂γ, ∂L/∂β) for C-contiguous float32 (rows, features) arrays, r of shape (rows, 1)."""
    rows, features = grad.shape
    blocks = max(1, min(threads.num_threads(), rows))
    shares = np.zeros((2, blocks, features), dtype=np.float32)  # the blocks' ∂L/∂γ and ∂L/∂β
    grad_x = np.empty_like(grad)
    gamma = np.ones(features, grad.dtype) if weight is None else weight
    _backward(grad, normalized, inv_std[:, 0], gamma, grad_x, shares)
    summed = shares.sum(axis=1)
    return grad_x, summed[0], summed[1]


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _forward(x, gamma, beta, eps, out, normalized, inv_std):  # pragma: no cover
    rows, features = x.shape
    for i in numba.prange(rows):
        row = x[i]
        total = np.float32(0)
        for j in range(features):
            total += row[j]
        mean = total / features
        squares = np.float32(0)
        for j in range(features):
            d = row[j] - mean
            squares += d * d
        r = np.float32(1) / np.sqrt(squares / features + eps)
        inv_std[i] = r
        for j in range(features):
            n = (row[j] - mean) * r
            normalized[i, j] = n
            out[i, j] = n * gamma[j] + beta[j]


@numba.njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _backward(grad, normalized, inv_std, gamma, grad_x, shares):  # pragma: no cover
    rows, features = grad.shape
    blocks = shares.shape[1]
    for block in numba.prange(blocks):
        grad_gamma, grad_beta = shares[0, block], shares[1, block]
        for i in range(rows * block // blocks, rows * (block + 1) // blocks):
            dy, n = grad[i], normalized[i]
            mean_g = np.float32(0)
            mean_gn = np.float32(0)
            for j in range(features):
                g = dy[j] * gamma[j]
                mean_g += g
                mean_gn += g * n[j]
                grad_gamma[j] += dy[j] * n[j]
                grad_beta[j] += dy[j]
            mean_g /= features
            mean_gn /= features
            r = inv_std[i]
            for j in range(features):
                grad_x[i, j] = r * (dy[j] * gamma[j] - mean_g - n[j] * mean_gn)

"""Scaled dot-product attention as one op: the documents' Attention(Q, K, V) = softmax(QKᵀ/√d_k) V."""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from ..backend import get_array_module
from ..kernels import attention as kernel
from ..kernels import dispatch
from ..tensor import Function
from .broadcast import unbroadcast


class ScaledDotProductAttention(Function):
    """Attention  O = (P ⊙ M) V,  P = softmax(s·Q Kᵀ + B)  (softmax along the keys, row maximum subtracted first).

    Inputs: Q (…, Lq, d), K (…, Lk, d), V (…, Lk, dᵥ) and, optionally, an additive bias B broadcastable to
    (…, Lq, Lk) (−∞ where a query may not look; differentiable when it is a tensor that requires grad).
    Options: ``scale`` s (1/√d by default), ``causal`` (query i sees keys j ≤ i only), ``keep`` the dropout
    mask M (entries 0 or 1/(1 − p), an array; none without dropout).

    Backward (dS is the gradient at the scores S = s·Q Kᵀ + B):

        dV = (P ⊙ M)ᵀ dO,   dP = (dO Vᵀ) ⊙ M,   dS = P ⊙ (dP − rowsum(dP ⊙ P)),
        dQ = s · dS K,   dK = s · dSᵀ Q,   dB = dS (summed over the axes B was broadcast along).

    ``kernels/attention.py`` holds both implementations: the matrix-product reference and the fused Numba
    (CPU) / numba.cuda (GPU) kernel; ``use_kernel`` picks one (see ``use_fused_kernel``).
    """

    def forward(self, q: Any, k: Any, v: Any, bias: Any = None, causal: bool = False, scale: float | None = None,
                keep: Any = None, use_kernel: bool = True) -> Any:
        self.scale = kernel.default_scale(q) if scale is None else float(scale)
        self.causal, self.keep, self.has_bias = causal, keep, bias is not None
        # the kernel's backward does not form dS, which an additive bias that needs a gradient requires
        bias_needs_grad = self.has_bias and len(self.needs_input_grad) > 3 and self.needs_input_grad[3]
        self.use_kernel = use_kernel and not bias_needs_grad
        if self.use_kernel:
            out, probs = kernel.attention_forward(q, k, v, bias, causal, self.scale, keep)
        else:
            out, probs = kernel.attention_forward_reference(q, k, v, bias, causal, self.scale, keep)
        self.bias_shape = None if bias is None else bias.shape
        self.save_for_backward(q, k, v, probs)
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        q, k, v, probs = self.saved
        if self.use_kernel:
            grad_q, grad_k, grad_v = kernel.attention_backward(grad, q, k, v, probs, self.causal, self.scale,
                                                               self.keep)
            return (grad_q, grad_k, grad_v, None) if self.has_bias else (grad_q, grad_k, grad_v)
        grad_q, grad_k, grad_v, grad_scores = kernel.attention_backward_reference(grad, q, k, v, probs,
                                                                                  self.scale, self.keep)
        if not self.has_bias:
            return grad_q, grad_k, grad_v
        return grad_q, grad_k, grad_v, unbroadcast(grad_scores, self.bias_shape)


KERNEL_MIN_SCORES = 2**20  # the measured crossover lies between 8 × 4 heads × 128² (reference faster) and × 512²


def use_fused_kernel(q: Any, k: Any, causal: bool = False) -> bool:
    """Whether the fused kernel or the matrix-product reference is the faster path for these arrays.

    ``TINYGRAD_EDU_KERNELS=numpy`` (``kernels.dispatch``) always selects the reference, and so does float64 (the
    precision of gradient checks, where the reference is exact and speed does not matter). CuPy arrays go to the
    numba.cuda kernel. On the CPU the Numba kernel runs where it measured faster: at least 2²⁰ attention scores
    to compute (batch × heads × Lq × Lk, half of it under a causal mask) and more than one thread. Below that,
    batched BLAS products over many small heads beat the kernel's short loops; on one thread the reference was
    as fast or faster (by up to 1.4× at sequence length 512).
    """
    if dispatch.current() == "numpy" or q.dtype != np.float32:
        return False
    if get_array_module(q) is not np:
        return True
    scores = math.prod(q.shape[:-1]) * k.shape[-2] // (2 if causal else 1)
    return scores >= KERNEL_MIN_SCORES and numba.get_num_threads() > 1

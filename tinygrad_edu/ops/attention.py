"""Scaled dot-product attention as one op: the documents' Attention(Q, K, V) = softmax(QKᵀ/√d_k) V."""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..kernels import dispatch
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

    ``kernels/dispatch.py`` runs it: the matrix-product reference or the fused Numba (CPU) / numba.cuda (GPU)
    kernel, whichever ``dispatch.use_fused_attention`` picks. ``use_kernel=True/False`` forces one path (for
    benchmarks and tests); the reference always runs when the bias needs a gradient, because the kernel's
    backward never forms dS.
    """

    def forward(self, q: Any, k: Any, v: Any, bias: Any = None, causal: bool = False, scale: float | None = None,
                keep: Any = None, use_kernel: bool | None = None) -> Any:
        self.scale = dispatch.default_attention_scale(q) if scale is None else float(scale)
        self.causal, self.keep, self.has_bias = causal, keep, bias is not None
        bias_needs_grad = self.has_bias and len(self.needs_input_grad) > 3 and self.needs_input_grad[3]
        fused = dispatch.use_fused_attention(q, k, causal) if use_kernel is None else use_kernel
        self.fused = fused and not bias_needs_grad
        out, probs = dispatch.attention_forward(self.fused, q, k, v, bias, causal, self.scale, keep)
        self.bias_shape = None if bias is None else bias.shape
        self.save_for_backward(q, k, v, probs)
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        q, k, v, probs = self.saved
        grads = dispatch.attention_backward(self.fused, grad, q, k, v, probs, self.causal, self.scale, self.keep)
        grad_q, grad_k, grad_v = grads[:3]
        if not self.has_bias:
            return grad_q, grad_k, grad_v
        return grad_q, grad_k, grad_v, (None if self.fused else unbroadcast(grads[3], self.bias_shape))

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

    ``kernels/dispatch.py`` runs it, on the path ``dispatch.attention_path`` picks: the matrix-product
    "reference", the "short" path (BLAS products around fused softmax passes, keeping P) or the "flash" kernel
    (keeps only O and the row log-sum-exp, so memory grows linearly with the sequence; Numba on the CPU,
    numba.cuda on the GPU). ``path=`` forces one (benchmarks, tests; ``use_kernel=True/False`` is the older
    spelling of "flash"/"reference"). The reference always runs when the bias needs a gradient, because only it
    forms dS.
    """

    def forward(self, q: Any, k: Any, v: Any, bias: Any = None, causal: bool = False, scale: float | None = None,
                keep: Any = None, use_kernel: bool | None = None, path: str | None = None) -> Any:
        self.scale = dispatch.default_attention_scale(q) if scale is None else float(scale)
        self.causal, self.keep, self.bias = causal, keep, bias
        bias_needs_grad = bias is not None and len(self.needs_input_grad) > 3 and self.needs_input_grad[3]
        if path is None and use_kernel is not None:
            path = "flash" if use_kernel else "reference"
        if path is None or bias_needs_grad:
            path = dispatch.attention_path(q, k, causal, bias_needs_grad)
        self.path = path
        out, saved = dispatch.attention_forward(path, q, k, v, bias, causal, self.scale, keep)
        self.bias_shape = None if bias is None else bias.shape
        self.save_for_backward(q, k, v, out, saved)  # saved: P, or the log-sum-exp rows on the flash path
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        q, k, v, out, saved = self.saved
        grads = dispatch.attention_backward(self.path, grad, q, k, v, out, saved, self.bias, self.causal,
                                            self.scale, self.keep)
        grad_q, grad_k, grad_v = grads[:3]
        if self.bias_shape is None:
            return grad_q, grad_k, grad_v
        return grad_q, grad_k, grad_v, (unbroadcast(grads[3], self.bias_shape) if len(grads) > 3 else None)

"""The numba.cuda flash attention kernels (kernels/attention_cuda.py) under Numba's CUDA simulator, against the NumPy
reference.

NUMBA_ENABLE_CUDASIM=1 must be set before Numba is imported, so the check runs in a fresh interpreter on NumPy
arrays; the simulator runs every GPU thread as a Python thread, so the shapes are small and the blocks narrow
(4 or 8 threads, fewer than the keys, so the strided loops and the tree reductions are exercised). No GPU needed.
"""

from __future__ import annotations

import pytest

from tests.kernels.run_in_subprocess import run_python

CHECK = '''
import numpy as np
from numba import config
assert config.ENABLE_CUDASIM, "the simulator is not on"
from tinygrad_edu.kernels import attention as A
from tinygrad_edu.kernels.attention_cuda import flash_backward_cuda, flash_forward_cuda

cases = [  # pairs N, Lq, Lk, d, dv, causal, mask, dropout, threads per block, dtype
    (2, 5, 5, 3, 3, False, None, False, 8, np.float32),
    (2, 4, 9, 3, 2, True, "padding", False, 4, np.float32),
    (3, 6, 4, 2, 3, True, "float", True, 8, np.float32),
    (1, 3, 3, 2, 2, False, "full", True, 4, np.float64),
    (1, 3, 3, 2, 2, False, "one row masked", False, 4, np.float64),
]
rng = np.random.default_rng(0)
for n, lq, lk, d, dv, causal, mask, dropout, threads, dtype in cases:
    q = rng.standard_normal((n, lq, d)).astype(dtype)
    k = rng.standard_normal((n, lk, d)).astype(dtype)
    v = rng.standard_normal((n, lk, dv)).astype(dtype)
    grad_out = rng.standard_normal((n, lq, dv)).astype(dtype)
    bias = {None: None,
            "padding": np.where(rng.random((n, 1, lk)) < 0.3, -np.inf, 0).astype(dtype),
            "full": np.where(rng.random((n, lq, lk)) < 0.3, -np.inf, 0).astype(dtype),
            "float": rng.standard_normal((1, lq, lk)).astype(dtype),
            "one row masked": np.array([[0, 0, 0], [-np.inf] * 3, [0, -np.inf, 0]], dtype=dtype)[None]}[mask]
    keep = ((rng.random((n, lq, lk)) >= 0.3) / 0.7).astype(dtype) if dropout else None
    out_ref, probs_ref = A.attention_forward_reference(q, k, v, bias, causal, keep=keep)
    grads_ref = A.attention_backward_reference(grad_out, q, k, v, probs_ref, keep=keep)[:3]
    bias3, bias_group = A._compact(bias, (n,), lq, lk, dtype)
    keep3, keep_group = A._compact(keep, (n,), lq, lk, dtype)
    scale = dtype(1 / np.sqrt(d))
    _, lse_ref = A.flash_attention_forward_reference(q, k, v, bias, causal, keep=keep)
    out, lse = np.empty_like(out_ref), np.empty(out_ref.shape[:2], dtype=dtype)
    flash_forward_cuda(q, k, v, bias3, bias_group, keep3, keep_group, causal, scale, out, lse, threads=threads)
    grads = [np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)]
    flash_backward_cuda(grad_out, q, k, v, out, lse, bias3, bias_group, keep3, keep_group, causal, scale, *grads,
                        threads=threads)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for name, a, e in zip(("out", "lse", "dq", "dk", "dv"), (out, lse, *grads), (out_ref, lse_ref, *grads_ref)):
        np.testing.assert_allclose(a, e, rtol=tolerance, atol=tolerance, err_msg=f"{name} in case {n, lq, lk}")
print("attention cuda kernels agree with the reference on", len(cases), "cases")
'''


@pytest.mark.slow
def test_attention_cuda_kernels_under_the_simulator():
    result = run_python(CHECK, timeout=300, NUMBA_ENABLE_CUDASIM="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agree with the reference on 5 cases" in result.stdout

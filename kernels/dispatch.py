"""Every choice between the NumPy reference, a Numba CPU kernel and a CUDA kernel is made here, and only here.

    TINYGRAD_EDU_KERNELS=numba   (default) the Numba kernels of im2col.py, pool.py and attention.py
    TINYGRAD_EDU_KERNELS=numpy   the plain NumPy reference of reference.py: slower, easy to step through

The variable is read when this module is first imported; ``use("numpy")`` switches later, and
``using("numpy")`` switches inside a ``with`` block. CuPy arrays always go to the GPU: im2col, col2im and
attention to the numba.cuda kernels (cuda.py, attention_cuda.py), pooling to the reference code, which CuPy
runs as written. The ops (ops/conv.py, ops/pool.py, ops/attention.py, ops/activation.py) hold the maths and
check the arguments; they call the functions below.

Numba is imported (and its threading policy configured, threads.py) by the first call that needs a compiled
kernel, not when this module is imported: ``import tinygrad_edu`` does not load Numba. The allocation policy
(allocator.py: freed arrays' pages are kept for the next step's) is applied when this module is imported.

The convolution and pooling functions take and return (N, C, H, W) arrays; ``padding`` is (top, left) and
``out_size`` (OH, OW), both computed by the calling op.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np

from tinygrad_edu.backend import is_gpu

from . import allocator, reference

ENV_VAR = "TINYGRAD_EDU_KERNELS"
CHOICES = ("numba", "numpy")

Pair = tuple[int, int]


def _choice_from_env() -> str:
    value = os.environ.get(ENV_VAR, "numba").strip().lower()
    if value not in CHOICES:
        raise ValueError(f"{ENV_VAR}={value!r} is not a kernel choice: use one of {', '.join(CHOICES)}")
    return value


_current = _choice_from_env()
allocator.configure()


def use(name: str) -> None:
    """Select the kernels for NumPy arrays: ``"numba"`` (compiled) or ``"numpy"`` (the reference)."""
    global _current
    if name not in CHOICES:
        raise ValueError(f"kernels.use({name!r}): choose one of {', '.join(CHOICES)}")
    _current = name


def current() -> str:
    """``"numba"`` or ``"numpy"``: the kernels NumPy arrays go to."""
    return _current


@contextmanager
def using(name: str) -> Iterator[None]:
    """``with using("numpy"): ...`` runs the block on the chosen kernels and restores the previous choice."""
    previous = _current
    use(name)
    try:
        yield
    finally:
        use(previous)


def _im2col_module(array: Any) -> ModuleType:
    if is_gpu(array):
        from . import cuda  # imports numba (numba.cuda) on the first GPU convolution

        return cuda
    if _current == "numpy" or array.dtype == "float16":  # Numba has no float16: the reference runs it (amp)
        return reference
    from . import im2col  # imports numba and configures its threads on the first compiled convolution

    return im2col


def _pool_module(array: Any) -> ModuleType:
    if is_gpu(array) or _current == "numpy" or array.dtype == "float16":  # Numba has no float16
        return reference
    from . import pool

    return pool


def depthwise(array: Any) -> Any:
    """depthwise.py's kernels for ``array``: the Numba ones (FAST), or the NumPy/CuPy twins (REFERENCE)."""
    from . import depthwise

    return depthwise.REFERENCE if _pool_module(array) is reference else depthwise.FAST


def im2col(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
           pad_value: float = 0.0, tap_major: bool = False) -> Any:
    """The (N·OH·OW, C·kh·kw) matrix whose rows are the receptive fields of ``x``, columns in (c, i, j) order
    (PyTorch's ``unfold``), or (i, j, c) with ``tap_major`` (contiguous copies from channels-last images)."""
    return _im2col_module(x).im2col(x, kernel_size, stride, padding, dilation, out_size, pad_value, tap_major)


def col2im(cols: Any, input_shape: tuple[int, int, int, int], kernel_size: Pair, stride: Pair, padding: Pair,
           dilation: Pair, out_size: Pair, tap_major: bool = False) -> Any:
    """Sum the rows of ``cols`` back onto an (N, C, H, W) image (the adjoint of ``im2col``, same column order)."""
    return _im2col_module(cols).col2im(cols, input_shape, kernel_size, stride, padding, dilation, out_size,
                                       tap_major)


def single_channel_conv(x: Any, weight: Any, groups: int) -> ModuleType | None:
    """direct.py's kernels for a one-channel input (the first layer of a grey-image network), or ``None`` when
    the im2col path serves it: other shapes, CuPy arrays, float16, or the NumPy kernel choice."""
    if groups != 1 or x.shape[1] != 1 or _im2col_module(x) is not _compiled_im2col():
        return None
    from . import direct

    return direct


def _compiled_im2col() -> ModuleType:
    from . import im2col

    return im2col


def max_pool2d(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
               out_size: Pair) -> tuple[Any, Any]:
    """(window maxima, index h·W + w of each maximum)."""
    return _pool_module(x).max_pool2d(x, kernel_size, stride, padding, dilation, out_size)


def max_pool2d_backward(grad: Any, argmax: Any, input_shape: tuple[int, int, int, int],
                        window: tuple[Pair, Pair, Pair, Pair] | None = None) -> Any:
    """``grad`` added at the saved maxima of an (N, C, H, W) array of zeros. Given the ``window`` (kernel_size,
    stride, padding, dilation), the Numba kernels write each pixel once when the windows do not overlap."""
    module = _pool_module(grad)
    if window is not None and module is not reference:
        tiled = module.max_pool2d_backward_tiled(grad, argmax, input_shape, *window)
        if tiled is not None:
            return tiled
    return module.max_pool2d_backward(grad, argmax, input_shape)


def avg_pool2d(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, out_size: Pair, divisor: Any) -> Any:
    """Window sums / divisor (OH, OW)."""
    return _pool_module(x).avg_pool2d(x, kernel_size, stride, padding, out_size, divisor)


def avg_pool2d_backward(grad: Any, divisor: Any, input_shape: tuple[int, int, int, int], kernel_size: Pair,
                        stride: Pair, padding: Pair) -> Any:
    """grad / divisor shared among the pixels of each window."""
    return _pool_module(grad).avg_pool2d_backward(grad, divisor, input_shape, kernel_size, stride, padding)


# ------------------------------------------------------------------------------------------------- ReLU

# below this NumPy's call costs about what the kernel's does: stay on NumPy. Backward, float32, one process (Intel
# Xeon, 2026-12-07): 2¹¹ values 2.2 µs NumPy / 2.0 kernel, 2¹² 3.1 / 2.3, 2¹⁵ 14.6 / 5.7 (the MLP's 128 × 256)
RELU_KERNEL_MIN_SIZE = 1 << 12


def _relu_kernel(array: Any) -> bool:
    return (not is_gpu(array) and _current == "numba" and isinstance(array, np.ndarray)
            and array.dtype in ("float32", "float64") and array.size >= RELU_KERNEL_MIN_SIZE)


def relu_forward(x: Any) -> Any:
    """max(x, 0): relu.py's one-pass kernel for large float32/float64 NumPy arrays, the reference otherwise
    (small arrays do not load Numba)."""
    if not _relu_kernel(x):
        return reference.relu_forward_reference(x)
    from . import relu

    return relu.relu_forward(x)


def relu_backward(grad: Any, out: Any) -> Any:
    """grad ⊙ [out > 0], likewise; a Tensor ``grad`` (a recorded backward pass) takes the reference."""
    if not (_relu_kernel(grad) and isinstance(out, np.ndarray)):
        return reference.relu_backward_reference(grad, out)
    from . import relu

    return relu.relu_backward(grad, out)


# ------------------------------------------------------------------------------------------------- GELU

GELU_KERNEL_MIN_SIZE = 1 << 15  # values: below, the NumPy lines (and no Numba import)
GELU_TANH_SCALE, GELU_TANH_CUBIC = reference.GELU_TANH_SCALE, reference.GELU_TANH_CUBIC  # √(2/π), 0.044715


def _gelu_kernel(*arrays: Any) -> bool:
    return (_current == "numba" and all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in arrays)
            and arrays[0].size >= GELU_KERNEL_MIN_SIZE)


def gelu_forward(x: Any, approximate: str = "none") -> tuple[Any, Any]:
    """(GELU(z), what its backward pass needs: Φ(z), or the tanh t of the tanh form): gelu.py's kernels for
    large float32 NumPy arrays, the NumPy/CuPy references otherwise."""
    if not _gelu_kernel(x):
        tanh_form = approximate == "tanh"
        return (reference.gelu_tanh_forward_reference if tanh_form else reference.gelu_forward_reference)(x)
    from . import gelu

    return (gelu.gelu_tanh_forward if approximate == "tanh" else gelu.gelu_forward)(x)


def gelu_backward(grad: Any, x: Any, saved: Any, approximate: str = "none") -> Any:
    """∂L/∂z from ``gelu_forward``'s saved Φ or t, likewise (Tensors, a recorded backward pass: the reference)."""
    if not _gelu_kernel(grad, x, saved):
        tanh_form = approximate == "tanh"
        return (reference.gelu_tanh_backward_reference if tanh_form else reference.gelu_backward_reference)(
            grad, x, saved)
    from . import gelu

    return (gelu.gelu_tanh_backward if approximate == "tanh" else gelu.gelu_backward)(grad, x, saved)


# ------------------------------------------------------------------------------------------- LayerNorm

LAYER_NORM_KERNEL_MIN_SIZE = 1 << 14  # values: below, the NumPy lines


def _layer_norm_rows(*arrays: Any) -> bool:
    return (_current == "numba" and all(a is None or (isinstance(a, np.ndarray) and a.dtype == np.float32)
                                        for a in arrays)
            and arrays[0].size >= LAYER_NORM_KERNEL_MIN_SIZE)


def layer_norm_forward(x: Any, weight: Any, bias: Any, normalized_ndim: int, eps: float) -> tuple[Any, Any, Any]:
    """(y, x̂, r) of ops/layernorm.py: layernorm.py's row kernel for large float32 NumPy arrays, the reference
    otherwise. r keeps the normalised axes as size 1."""
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    if not _layer_norm_rows(x, weight, bias):
        return reference.layer_norm_forward_reference(x, weight, bias, axes, eps)
    from . import layernorm

    features = math.prod(x.shape[x.ndim - normalized_ndim:])
    flat = lambda a: None if a is None else np.ascontiguousarray(a).reshape(features)  # noqa: E731
    out, normalized, inv_std = layernorm.layer_norm_forward(np.ascontiguousarray(x).reshape(-1, features),
                                                            flat(weight), flat(bias), eps)
    kept = x.shape[: x.ndim - normalized_ndim] + (1,) * normalized_ndim
    return out.reshape(x.shape), normalized.reshape(x.shape), inv_std.reshape(kept)


def layer_norm_backward(grad: Any, normalized: Any, inv_std: Any, weight: Any, normalized_ndim: int,
                        needs: tuple[bool, ...]) -> tuple[Any, Any, Any]:
    """(∂L/∂x, ∂L/∂γ, ∂L/∂β), likewise, None for those ``needs`` leaves out (the kernel computes all three in
    its one pass; the reference only those asked for)."""
    axes = tuple(range(grad.ndim - normalized_ndim, grad.ndim))
    if not _layer_norm_rows(grad, normalized, inv_std, weight):
        return reference.layer_norm_backward_reference(grad, normalized, inv_std, weight, axes,
                                                       tuple(range(grad.ndim - normalized_ndim)), needs)
    from . import layernorm

    shape = normalized.shape[grad.ndim - normalized_ndim:]
    features = math.prod(shape)
    grad_x, grad_weight, grad_bias = layernorm.layer_norm_backward(
        np.ascontiguousarray(grad).reshape(-1, features), normalized.reshape(-1, features),
        inv_std.reshape(-1, 1), None if weight is None else np.ascontiguousarray(weight).reshape(features))
    grads = grad_x.reshape(grad.shape), grad_weight.reshape(shape), grad_bias.reshape(shape)
    return tuple(g if k < len(needs) and needs[k] else None for k, g in enumerate(grads))


# ------------------------------------------------------------------------------------------ optimizers

SGD_KERNEL_MIN_SIZE = 1 << 14  # below this the four NumPy passes cost about one call


def _one_pass_arrays(min_size: int, first: Any, *others: Any) -> bool:
    """Whether an optimizer's one-pass kernel (sgd.py, adam.py) serves these arrays: the Numba kernels chosen,
    NumPy arrays, C-contiguous, all of the first one's float dtype, at least ``min_size`` values."""
    return (_current == "numba" and isinstance(first, np.ndarray) and first.dtype in ("float32", "float64")
            and first.size >= min_size and first.flags.c_contiguous
            and all(isinstance(a, np.ndarray) and a.flags.c_contiguous and a.dtype == first.dtype for a in others))


def sgd_momentum_step(theta: Any, grad: Any, velocity: Any, lr: float, momentum: float) -> bool:
    """b ← μ b + g, θ ← θ − α b in place with sgd.py's one-pass kernel, for large contiguous float NumPy arrays of
    one dtype: True when it did the update, False when the caller's NumPy lines (optim/sgd.py) must."""
    if not _one_pass_arrays(SGD_KERNEL_MIN_SIZE, theta, grad, velocity):
        return False
    from . import sgd

    sgd.momentum_step(theta, grad, velocity, lr, momentum)
    return True


ADAM_KERNEL_MIN_SIZE = 1 << 12  # values: below, the NumPy lines (and no Numba compile for a small model)


def adam_step(theta: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any, **hyper: Any) -> bool:
    """One Adam/AdamW step in place with adam.py's one-pass kernel, for large contiguous float NumPy arrays of one
    dtype: True when it did the update, False when the caller's NumPy lines (optim/adam.py) must."""
    arrays = (theta, grad, exp_avg, exp_avg_sq) + (() if max_exp_avg_sq is None else (max_exp_avg_sq,))
    if not _one_pass_arrays(ADAM_KERNEL_MIN_SIZE, *arrays):
        return False
    from . import adam

    adam.adam_step(theta, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, **hyper)
    return True


# -------------------------------------------------------------------------------------------- attention

ATTENTION_PATHS = ("reference", "short", "flash")
FLASH_MIN_SCORES_PER_HEAD = 1024 * 1024  # from Lq × Lk = 1024²: the flash kernel (see attention_path)
KERNEL_MIN_SCORES = 4096  # below, in all heads together: the reference (Numba is not even imported)


def attention_path(q: Any, k: Any, causal: bool = False, bias_needs_grad: bool = False) -> str:
    """Which implementation of attention runs for these arrays: "reference", "short" or "flash" (attention.py).

    ``TINYGRAD_EDU_KERNELS=numpy`` selects the reference, and so do float64 (the precision of gradient checks,
    where the reference is exact and speed does not matter), float16 (Numba has none) and a bias that needs a
    gradient (only the reference forms dS). CuPy arrays take the numba.cuda flash kernel. On the CPU, tiny problems
    (fewer than 4096 scores in all) stay on the reference, heads of fewer than 1024 × 1024 scores take the short
    path (BLAS products and fused softmax passes, keeping P), larger ones the flash kernel, whose memory grows with
    L instead of L² (docs/sequence-models.md has the timings).
    """
    if _current == "numpy" or q.dtype != "float32" or bias_needs_grad:
        return "reference"
    if is_gpu(q):
        return "flash"
    if math.prod(q.shape[:-1]) * k.shape[-2] < KERNEL_MIN_SCORES:
        return "reference"
    return "flash" if q.shape[-2] * k.shape[-2] >= FLASH_MIN_SCORES_PER_HEAD else "short"


def attention_forward(path: str, q: Any, k: Any, v: Any, bias: Any, causal: bool, scale: float,
                      keep: Any) -> tuple[Any, Any]:
    """(O, what the backward pass needs besides O): P for "reference" and "short", the log-sum-exp L for "flash"."""
    if path == "reference":
        return reference.attention_forward_reference(q, k, v, bias, causal, scale, keep)
    if path not in ATTENTION_PATHS:
        raise ValueError(f"attention path {path!r}: choose one of {', '.join(ATTENTION_PATHS)}")
    from . import attention

    if path == "short" and not is_gpu(q):
        return attention.attention_forward(q, k, v, bias, causal, scale, keep)
    return attention.flash_attention_forward(q, k, v, bias, causal, scale, keep)


def attention_backward(path: str, grad: Any, q: Any, k: Any, v: Any, out: Any, saved: Any, bias: Any,
                       causal: bool, scale: float, keep: Any) -> tuple[Any, ...]:
    """(dQ, dK, dV), and dS as a fourth for the reference (the gradient of an additive bias)."""
    if path == "reference":
        return reference.attention_backward_reference(grad, q, k, v, saved, scale, keep)
    from . import attention

    if path == "short" and not is_gpu(q):
        return attention.attention_backward(grad, q, k, v, saved, out, causal, scale, keep)
    return attention.flash_attention_backward(grad, q, k, v, out, saved, bias, causal, scale, keep)


default_attention_scale = reference.default_scale


# ---------------------------------------------------------------------------------------- matrix products


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """a @ b for the layers' big products (Linear, the convolutions' im2col products): Intel MKL's sgemm for
    float32 NumPy matrices where the ``mkl`` package is installed (blas.py), NumPy's (OpenBLAS) or CuPy's
    otherwise, and always under ``TINYGRAD_EDU_KERNELS=numpy``. Anything but NumPy arrays (CuPy arrays, the
    Tensors a backward pass sees under ``create_graph=True``) takes its own ``@``, so a recorded product stays
    recorded."""
    if _current == "numpy" or not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray) or a.dtype != np.float32:
        return a @ b if out is None else np.matmul(a, b, out=out)
    from . import blas

    return blas.matmul(a, b, out)


# ------------------------------------------------------------------------------------------------- LSTM


def small_products() -> Any:
    """``with dispatch.small_products():`` around a loop of many small matrix products (threads.py's BLAS policy)."""
    from . import threads

    return threads.small_products()


def lstm_steps(array: Any) -> tuple[Any, Any]:
    """(step_forward, step_backward) of lstm.py for ``array``: the fused Numba kernels, or their NumPy/CuPy twins
    (on the GPU, under ``TINYGRAD_EDU_KERNELS=numpy`` and for float16)."""
    from . import lstm

    if is_gpu(array) or _current == "numpy" or array.dtype == "float16":
        return lstm.step_forward_reference, lstm.step_backward_reference
    return lstm.step_forward, lstm.step_backward


def lstm_loops(array: Any) -> tuple[Any, Any] | None:
    """(forward_loops, backward_loops) of lstm.py, the whole time loop in one kernel call, where they serve
    ``array`` (float32 on the Numba kernels, NumPy's BLAS an OpenBLAS); None otherwise."""
    if is_gpu(array) or _current == "numpy":
        return None
    from . import lstm

    return (lstm.forward_loops, lstm.backward_loops) if lstm.loops_available(array) else None


def lstm_stacked_weights(w_ih: Any, w_hh: Any, bias: Any) -> Any:
    """The right operand of ``lstm_loops``' one product per step, [W_ihᵀ; W_hhᵀ; bᵀ] (lstm.py)."""
    from . import lstm

    return lstm.stacked_weights(w_ih, w_hh, bias)


def row_blocks(array: Any, rows: int, work_per_row: int = 1) -> list[tuple[int, int]]:
    """How to share out ``rows`` independent rows of a loop of small products (threads.row_blocks): one block
    per kernel thread for NumPy arrays on the Numba kernels, a single block otherwise (CuPy, the reference)."""
    if is_gpu(array) or _current == "numpy":
        return [(0, rows)]
    from . import threads

    return threads.row_blocks(rows, work_per_row)


def run_blocks(blocks: list[tuple[int, int]], work: Any) -> None:
    """``work(start, stop)`` for every block, the blocks on threads of their own (threads.run_blocks)."""
    from . import threads

    threads.run_blocks(blocks, work)


# ------------------------------------------------------------------------------------------ special functions


def erf(x: Any) -> Any:
    """The error function erf(x) = 2/√π ∫₀ˣ e^{−t²} dt, elementwise (NumPy has none): CuPy's on the GPU, a Numba
    ufunc (special.py) on the CPU."""
    if is_gpu(x):
        from cupyx.scipy.special import erf as cupy_erf  # type: ignore[import-not-found]

        return cupy_erf(x)
    from .special import erf as numba_erf

    return numba_erf(x)


def erfc(x: Any) -> Any:
    """The complementary error function erfc(x) = 1 − erf(x), elementwise, without the cancellation of 1 − erf(x)
    for large x: CuPy's on the GPU, a Numba ufunc (special.py) on the CPU."""
    if is_gpu(x):
        from cupyx.scipy.special import erfc as cupy_erfc  # type: ignore[import-not-found]

        return cupy_erfc(x)
    from .special import erfc as numba_erfc

    return numba_erfc(x)

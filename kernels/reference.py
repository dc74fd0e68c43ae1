"""The readable versions of the kernels, in plain NumPy (and CuPy: every line is written against ``xp``).

These are the definitions; im2col.py, pool.py and cuda.py compute exactly the same numbers faster, and the
tests check that bit for bit. Select them everywhere with ``TINYGRAD_EDU_KERNELS=numpy`` to step through a
convolution in a debugger.

Notation: x is (N, C, H, W); a window has kh × kw taps (i, j), dilation d puts taps d pixels apart, stride s
moves the window s pixels per output, p_top / p_left are the zeros added before the image (the padding after it
only shows in the output size OH × OW). The window of output (oh, ow) reads rows oh·s_h − p_top + i·d_h and
columns ow·s_w − p_left + j·d_w.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_edu.backend import get_array_module

Pair = tuple[int, int]


def _padded(x: Any, padding: Pair, kernel_size: Pair, stride: Pair, dilation: Pair, out_size: Pair,
            value: float) -> Any:
    """x with ``value`` added around it: p_top rows above, p_left columns to the left, and after the image as
    many as the last window needs (from the output size)."""
    xp = get_array_module(x)
    _, _, height, width = x.shape
    bottom = max(0, (out_size[0] - 1) * stride[0] + (kernel_size[0] - 1) * dilation[0] + 1 - padding[0] - height)
    right = max(0, (out_size[1] - 1) * stride[1] + (kernel_size[1] - 1) * dilation[1] + 1 - padding[1] - width)
    widths = ((0, 0), (0, 0), (padding[0], bottom), (padding[1], right))
    return xp.pad(x, widths, mode="constant", constant_values=value)


def windows(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
            value: float = 0.0) -> Any:
    """All receptive fields as a view of shape (N, C, OH, OW, kh, kw), built with stride tricks: no copy.

    windows[n, c, oh, ow, i, j] = padded[n, c, oh·s_h + i·d_h, ow·s_w + j·d_w]. Moving one output pixel to
    the right moves s_w elements in memory, moving one tap to the right d_w elements: the view just has
    those strides.
    """
    xp = get_array_module(x)
    padded = _padded(x, padding, kernel_size, stride, dilation, out_size, value)
    sn, sc, sh, sw = padded.strides
    batch, channels = x.shape[:2]
    shape = (batch, channels, out_size[0], out_size[1], kernel_size[0], kernel_size[1])
    strides = (sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1])
    return xp.lib.stride_tricks.as_strided(padded, shape=shape, strides=strides)


def im2col(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
           pad_value: float = 0.0, tap_major: bool = False) -> Any:
    """cols[(n, oh, ow), (c, i, j)] = windows[n, c, oh, ow, i, j]: put the window axes last, then copy.
    ``tap_major``: the columns in (i, j, c) order instead, each tap's channels side by side."""
    view = windows(x, kernel_size, stride, padding, dilation, out_size, pad_value)
    batch, channels = x.shape[:2]
    rows = batch * out_size[0] * out_size[1]
    order = (0, 2, 3, 4, 5, 1) if tap_major else (0, 2, 3, 1, 4, 5)
    return view.transpose(*order).reshape(rows, channels * kernel_size[0] * kernel_size[1])


def col2im(cols: Any, input_shape: tuple[int, int, int, int], kernel_size: Pair, stride: Pair, padding: Pair,
           dilation: Pair, out_size: Pair, tap_major: bool = False) -> Any:
    """Add every row of cols back onto the window im2col copied it from, one output pixel (oh, ow) at a time.

    Row (n, oh, ow) of cols, reshaped to (C, kh, kw) (from (kh, kw, C) with ``tap_major``), lands on the window
    of output (oh, ow) — a strided slice of the padded image — with a plain ``+=``. Pixels in several windows
    collect the sum across the loop.
    """
    xp = get_array_module(cols)
    batch, channels, height, width = input_shape
    kernel_h, kernel_w = kernel_size
    out_h, out_w = out_size
    if tap_major:  # columns (i, j, c): back to (c, i, j)
        windows_of = cols.reshape(batch, out_h, out_w, kernel_h, kernel_w, channels).transpose(0, 1, 2, 5, 3, 4)
    else:
        windows_of = cols.reshape(batch, out_h, out_w, channels, kernel_h, kernel_w)
    padded = _padded(xp.zeros(input_shape, dtype=cols.dtype), padding, kernel_size, stride, dilation, out_size, 0.0)
    for oh in range(out_h):
        top = oh * stride[0]
        rows = slice(top, top + (kernel_h - 1) * dilation[0] + 1, dilation[0])
        for ow in range(out_w):
            left = ow * stride[1]
            columns = slice(left, left + (kernel_w - 1) * dilation[1] + 1, dilation[1])
            padded[:, :, rows, columns] += windows_of[:, oh, ow]
    return padded[:, :, padding[0]:padding[0] + height, padding[1]:padding[1] + width].copy()


# ------------------------------------------------------------------------------ one-channel convolution


def single_channel_conv2d(x: Any, weight: Any, bias: Any, stride: Pair, padding: Pair, dilation: Pair,
                          out_size: Pair) -> Any:
    """y[n, o, oh, ow] = b[o] + Σ_{i, j} x[n, 0, oh·s_h − p_top + i·d_h, ow·s_w − p_left + j·d_w] · W[o, 0, i, j]
    for a one-channel input, summed tap by tap in (i, j) order starting from the bias (direct.py's order)."""
    xp = get_array_module(x)
    kernel_size = (weight.shape[2], weight.shape[3])
    view = windows(x, kernel_size, stride, padding, dilation, out_size)  # (N, 1, OH, OW, kh, kw)
    start = xp.zeros(weight.shape[0], dtype=x.dtype) if bias is None else bias.astype(x.dtype)
    out = xp.empty((x.shape[0], *out_size, weight.shape[0]), dtype=x.dtype)  # channels-last, as the kernel
    out[...] = start
    for i in range(kernel_size[0]):
        for j in range(kernel_size[1]):
            out += view[:, 0, :, :, i, j, None] * weight[:, 0, i, j]
    return out.transpose(0, 3, 1, 2)


def single_channel_conv2d_relu_max_pool(x: Any, weight: Any, bias: Any, stride: Pair, padding: Pair, dilation: Pair,
                                        out_size: Pair, window: int) -> tuple[Any, Any]:
    """max_pool(relu(conv(x, W) + b)) over k × k windows with stride k, and each window's arg-max h·OW + w in the
    convolution's output: the three references in turn (direct.py's fused kernel never stores the convolution)."""
    conv = single_channel_conv2d(x, weight, bias, stride, padding, dilation, out_size)
    pooled_size = (out_size[0] // window, out_size[1] // window)
    pooled, argmax = max_pool2d(conv, (window, window), (window, window), (0, 0), (1, 1), pooled_size)
    return relu_forward_reference(pooled), argmax


def single_channel_conv2d_weight_bias_grad(grad: Any, x: Any, kernel_size: Pair, stride: Pair, padding: Pair,
                                           dilation: Pair) -> tuple[Any, Any]:
    """∂L/∂W[o, 0, i, j] = Σ_{n, oh, ow} Ȳ[n, o, oh, ow] · x[n, 0, window (oh, ow) tap (i, j)],  ∂L/∂b[o] = Σ Ȳ."""
    xp = get_array_module(grad)
    view = windows(x, kernel_size, stride, padding, dilation, grad.shape[2:])[:, 0]  # (N, OH, OW, kh, kw)
    grad_w = xp.einsum("nohw,nhwij->oij", grad, view)[:, None]
    return grad_w, grad.sum(axis=(0, 2, 3))


# ---------------------------------------------------------------------------------------------- pooling


def max_pool2d(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
               out_size: Pair) -> tuple[Any, Any]:
    """y[n, c, oh, ow] = max over the window (padding never wins), and where it is: the index h·W + w of the
    first pixel of the window that holds the maximum (PyTorch's tie rule), as int64.

    A NaN in the window is the maximum (the first NaN), so NaNs propagate.
    """
    xp = get_array_module(x)
    width = x.shape[3]
    values = windows(x, kernel_size, stride, padding, dilation, out_size, -np.inf)
    valid = windows(xp.ones(x.shape, dtype=bool), kernel_size, stride, padding, dilation, out_size, False)
    flat_values = values.reshape(*values.shape[:4], -1)
    flat_valid = valid.reshape(*valid.shape[:4], -1)
    best = flat_values.max(axis=-1)
    is_best = (flat_values == best[..., None]) | (xp.isnan(flat_values) & xp.isnan(best)[..., None])
    tap = xp.argmax(is_best & flat_valid, axis=-1)  # the first True: the first valid pixel holding the max
    i, j = tap // kernel_size[1], tap % kernel_size[1]
    rows = xp.arange(out_size[0])[:, None] * stride[0] - padding[0] + i * dilation[0]
    columns = xp.arange(out_size[1])[None, :] * stride[1] - padding[1] + j * dilation[1]
    return best, (rows * width + columns).astype(np.int64)


def max_pool2d_backward(grad: Any, argmax: Any, input_shape: tuple[int, int, int, int]) -> Any:
    """x̄[n, c, argmax] += ȳ[n, c, oh, ow]: each output's gradient goes to the pixel that was its maximum."""
    xp = get_array_module(grad)
    batch, channels, height, width = input_shape
    planes = xp.zeros((batch * channels, height * width), dtype=grad.dtype)
    plane_index = xp.arange(batch * channels)[:, None]
    xp.add.at(planes, (plane_index, argmax.reshape(batch * channels, -1)), grad.reshape(batch * channels, -1))
    return planes.reshape(input_shape)


def avg_pool2d(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, out_size: Pair, divisor: Any) -> Any:
    """y[n, c, oh, ow] = (Σ over the window of x, padding counting as 0) / divisor[oh, ow], summed tap by tap."""
    xp = get_array_module(x)
    view = windows(x, kernel_size, stride, padding, (1, 1), out_size, 0.0)
    total = xp.zeros(view.shape[:4], dtype=x.dtype)
    for i in range(kernel_size[0]):
        for j in range(kernel_size[1]):
            total += view[:, :, :, :, i, j]
    return total / divisor


def avg_pool2d_backward(grad: Any, divisor: Any, input_shape: tuple[int, int, int, int], kernel_size: Pair,
                        stride: Pair, padding: Pair) -> Any:
    """x̄ = col2im of ȳ / divisor copied to every tap: each pixel of a window gets an equal share."""
    xp = get_array_module(grad)
    share = grad / divisor
    batch, channels, out_h, out_w = grad.shape
    taps = xp.broadcast_to(share.transpose(0, 2, 3, 1)[..., None, None],
                           (batch, out_h, out_w, channels, kernel_size[0], kernel_size[1]))
    cols = taps.reshape(batch * out_h * out_w, -1)
    return col2im(cols, input_shape, kernel_size, stride, padding, (1, 1), (out_h, out_w))


# ------------------------------------------------------------------- attention (formulas in kernels/attention.py)


def attention_forward_reference(q: Any, k: Any, v: Any, bias: Any = None, causal: bool = False,
                                scale: float | None = None, keep: Any = None) -> tuple[Any, Any]:
    """O = (softmax(s·Q Kᵀ + B) ⊙ M) V with matrix products; returns (O, P).

    Shapes: q (…, Lq, d), k (…, Lk, d), v (…, Lk, dᵥ); ``bias`` and ``keep`` broadcast to (…, Lq, Lk).
    """
    xp = get_array_module(q)
    scale = default_scale(q) if scale is None else scale
    scores = q @ k.swapaxes(-1, -2)  # a new array: the steps below work in place, saving memory traffic
    scores *= q.dtype.type(scale)
    if bias is not None:
        scores += bias
    if causal:
        scores += xp.where(causal_mask(q.shape[-2], k.shape[-2], xp), q.dtype.type(0), q.dtype.type(-xp.inf))
    row_max = scores.max(axis=-1, keepdims=True)
    scores -= xp.where(xp.isfinite(row_max), row_max, 0)  # a fully masked row: avoid (−∞) − (−∞) = nan
    probs = xp.exp(scores, out=scores)
    total = probs.sum(axis=-1, keepdims=True)
    probs /= xp.where(total == 0, 1, total)  # a fully masked row stays 0
    weights = probs if keep is None else probs * keep
    return weights @ v, probs


def attention_backward_reference(grad_out: Any, q: Any, k: Any, v: Any, probs: Any,
                                 scale: float | None = None, keep: Any = None) -> tuple[Any, Any, Any, Any]:
    """(dQ, dK, dV, dS) from dO, with matrix products; dS is also the gradient of an additive bias."""
    scale = q.dtype.type(default_scale(q) if scale is None else scale)
    weights = probs if keep is None else probs * keep
    grad_v = weights.swapaxes(-1, -2) @ grad_out
    grad_scores = grad_out @ v.swapaxes(-1, -2)  # dP, turned into dS in place
    if keep is not None:
        grad_scores *= keep
    grad_scores -= (grad_scores * probs).sum(axis=-1, keepdims=True)
    grad_scores *= probs  # dS = P ⊙ (dP − rowsum(dP ⊙ P))
    grad_q = grad_scores @ k
    grad_q *= scale
    grad_k = grad_scores.swapaxes(-1, -2) @ q
    grad_k *= scale
    return grad_q, grad_k, grad_v, grad_scores


def default_scale(q: Any) -> float:
    """s = 1/√d, d the size of a query vector (the last axis)."""
    return 1.0 / math.sqrt(q.shape[-1])


def causal_mask(num_queries: int, num_keys: int, xp: Any = np) -> Any:
    """The boolean (Lq, Lk) matrix that is True where query i may attend key j, i.e. j ≤ i (PyTorch's
    ``is_causal``: the lower triangle, aligned at the top-left corner)."""
    return xp.tril(xp.ones((num_queries, num_keys), dtype=bool))


def relu_forward_reference(x: Any) -> Any:
    """max(x, 0) elementwise, in x's dtype (NaN stays NaN, −0 becomes 0)."""
    return get_array_module(x).maximum(x, 0)


def relu_backward_reference(grad: Any, out: Any) -> Any:
    """grad ⊙ [out > 0]; ``grad`` may be a Tensor (a recorded backward pass), ``out`` is an array."""
    return grad * (out > 0)


def gelu_forward_reference(x: Any) -> tuple[Any, Any]:
    """(z·Φ(z), Φ(z)) with Φ(z) = ½ (1 + erf(z/√2)), the exact GELU of ops/activation.py, and Φ kept for the
    backward pass. erf: the C library's (a Numba ufunc) or CuPy's, through dispatch.erf."""
    from .dispatch import erf

    cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
    return x * cdf, cdf


def gelu_backward_reference(grad: Any, x: Any, cdf: Any) -> Any:
    """∂L/∂a ⊙ (Φ(z) + z·φ(z)), φ(z) = e^{−z²/2}/√(2π), from z and the forward pass's Φ(z)."""
    xp = get_array_module(x)
    return grad * (cdf + x * (xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))))


GELU_TANH_SCALE, GELU_TANH_CUBIC = math.sqrt(2 / math.pi), 0.044715  # ½ z (1 + tanh(√(2/π)(z + 0.044715 z³)))


def gelu_tanh_forward_reference(x: Any) -> tuple[Any, Any]:
    """(½ z (1 + t), t) with t = tanh(√(2/π)(z + 0.044715 z³)): GELU's tanh form (PyTorch's
    ``approximate="tanh"``) and the tanh kept for the backward pass."""
    inner = get_array_module(x).tanh(GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * (x * x * x)))  # x*x*x: 10x x**3's speed
    return 0.5 * x * (1 + inner), inner


def gelu_tanh_backward_reference(grad: Any, x: Any, inner: Any) -> Any:
    """∂L/∂a ⊙ (½ (1 + t) + ½ z (1 − t²) √(2/π) (1 + 3·0.044715 z²)), the exact derivative of the tanh form; only
    arithmetic, so Tensors work too (a recorded backward pass)."""
    d_inner = GELU_TANH_SCALE * (1 + 3 * GELU_TANH_CUBIC * x * x)
    return grad * (0.5 * (1 + inner) + 0.5 * x * (1 - inner * inner) * d_inner)


def layer_norm_forward_reference(x: Any, weight: Any, bias: Any, axes: tuple[int, ...], eps: float) -> tuple[Any, ...]:
    """(y, x̂, r): y = x̂ ⊙ γ + β with x̂ = (x − μ) r, r = 1/√(σ² + ε), μ and σ² (÷N) over ``axes``; r keeps those axes
    as size 1 (ops/layernorm.py has the formulas)."""
    xp = get_array_module(x)
    centred = x - x.mean(axis=axes, keepdims=True)
    variance = (centred * centred).mean(axis=axes, keepdims=True)
    inv_std = 1 / xp.sqrt(variance + x.dtype.type(eps))
    normalized = centred * inv_std
    out = normalized
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out, normalized, inv_std


def layer_norm_backward_reference(grad: Any, normalized: Any, inv_std: Any, weight: Any, axes: tuple[int, ...],
                                  batch_axes: tuple[int, ...],
                                  needs: tuple[bool, ...] = (True, True, True)) -> tuple[Any, Any, Any]:
    """(∂L/∂x, ∂L/∂γ, ∂L/∂β) = (r (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)), Σ_batch ∂L/∂y ⊙ x̂, Σ_batch ∂L/∂y),
    g = ∂L/∂y ⊙ γ; None for those ``needs`` leaves out."""
    grad_x = grad_weight = grad_bias = None
    if needs[0]:
        g = grad if weight is None else grad * weight
        grad_x = inv_std * (g - g.mean(axis=axes, keepdims=True)
                            - normalized * (g * normalized).mean(axis=axes, keepdims=True))
    if len(needs) > 1 and needs[1]:
        grad_weight = (grad * normalized).sum(axis=batch_axes)
    if len(needs) > 2 and needs[2]:
        grad_bias = grad.sum(axis=batch_axes)
    return grad_x, grad_weight, grad_bias

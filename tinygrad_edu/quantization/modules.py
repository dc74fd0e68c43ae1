"""Post-training int8 quantisation of Linear and Conv2d: ``quantize(model, calibration_batches)``.

    >>> from tinygrad_edu.quantization import quantize
    >>> small = quantize(model, [x for x, _ in loader][:8])     # doctest: +SKIP
    >>> logits = small(images)                                  # int8 products inside, float32 out

1. **calibrate**: run the float model on a few batches and record, for every Linear and Conv2d, the largest
   |input| it saw; the input scale is s_x = max|x| / 127 (PyTorch's min-max observer, symmetric);
2. **convert**: replace each layer by its quantised twin holding int8 weights with one scale per output channel
   (``int8.quantize_per_channel``), the float32 bias and s_x.

At inference a quantised layer quantises its input with s_x, multiplies int8 × int8 into int32 (a Numba kernel,
kernels/int8.py; a convolution goes through im2col on the int8 image first) and turns the accumulator back into
float32 with s_x · s_w[o] (the arithmetic is in ``int8.py``). The other layers (ReLU, max-pool, flatten,
BatchNorm …) run unchanged in float32. The result is for inference only: no gradients flow through it.

The saved weights shrink about 4×: 1 byte per weight instead of 4, plus 4 bytes per output channel (its scale)
and the float32 bias. Grouped convolutions (depthwise, MobileNet) are left in float32 and listed in
``model.float_layers``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..backend import to_numpy
from ..grad_mode import no_grad
from ..kernels import dispatch as conv_kernels
from ..kernels.int8 import matmul_int8
from ..nn import Conv2d, Linear, Module
from ..ops.conv import check_conv2d
from ..tensor import Tensor
from . import int8


class QuantizedLinear(Module):
    """y = s_x · s_w[o] · (q_x · q_wᵀ)[o] + b[o]: int8 input and weight, int32 products, float32 output."""

    def __init__(self, weight_int8: np.ndarray, weight_scale: np.ndarray, bias: np.ndarray | None,
                 input_scale: float) -> None:
        super().__init__()
        self.out_features, self.in_features = weight_int8.shape
        self.register_buffer("weight_int8", Tensor(np.ascontiguousarray(weight_int8, dtype=np.int8)))
        self.register_buffer("weight_scale", Tensor(np.asarray(weight_scale, dtype=np.float32)))
        self.register_buffer("bias", None if bias is None else Tensor(np.asarray(bias, dtype=np.float32)))
        self.register_buffer("input_scale", Tensor(np.float32(input_scale)))

    @classmethod
    def from_float(cls, layer: Linear, input_scale: float) -> QuantizedLinear:
        q, s = int8.quantize_per_channel(to_numpy(layer.weight.data), axis=0)
        bias = None if layer.bias is None else to_numpy(layer.bias.data)
        return cls(q, s, bias, input_scale)

    def _output(self, acc: np.ndarray) -> np.ndarray:
        out = acc.astype(np.float32) * (self.input_scale.data * self.weight_scale.data)
        if self.bias is not None:
            out += self.bias.data
        return out

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        x = to_numpy(input.data if isinstance(input, Tensor) else input)
        if x.shape[-1] != self.in_features:
            raise ValueError(f"QuantizedLinear({self.in_features}, {self.out_features}) got input of shape "
                             f"{x.shape}: the last axis must be in_features = {self.in_features}")
        rows = int8.quantize(x.reshape(-1, self.in_features), self.input_scale.data)
        acc = matmul_int8(rows, self.weight_int8.data)
        return Tensor(self._output(acc).reshape(*x.shape[:-1], self.out_features))

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, int8, input_scale={float(self.input_scale.data):.4g}"


class QuantizedConv2d(QuantizedLinear):
    """The convolution as im2col + one int8 product: cols(q_x) (N·OH·OW, C·kh·kw) · q_wᵀ (C·kh·kw, O) in int32."""

    def __init__(self, weight_int8: np.ndarray, weight_scale: np.ndarray, bias: np.ndarray | None,
                 input_scale: float, stride: Any, padding: Any, dilation: Any) -> None:
        out_channels = weight_int8.shape[0]
        super().__init__(weight_int8.reshape(out_channels, -1), weight_scale, bias, input_scale)
        self.weight_shape = tuple(weight_int8.shape)
        self.stride, self.padding, self.dilation = stride, padding, dilation

    @classmethod
    def from_float(cls, layer: Conv2d, input_scale: float) -> QuantizedConv2d:
        if layer.groups != 1:
            raise ValueError(f"QuantizedConv2d: grouped convolutions (groups={layer.groups}) are not quantised")
        q, s = int8.quantize_per_channel(to_numpy(layer.weight.data), axis=0)
        bias = None if layer.bias is None else to_numpy(layer.bias.data)
        return cls(q, s, bias, input_scale, layer.stride, layer.padding, layer.dilation)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        x = to_numpy(input.data if isinstance(input, Tensor) else input)
        name = f"QuantizedConv2d(weight {self.weight_shape})"
        geometry = check_conv2d(x.shape, self.weight_shape, None, self.stride, self.padding, self.dilation, 1, name)
        q = int8.quantize(x, self.input_scale.data)
        cols = conv_kernels.im2col(q, geometry.kernel_size, geometry.stride, geometry.before, geometry.dilation,
                                   geometry.out_size)
        acc = matmul_int8(cols, self.weight_int8.data)  # (N·OH·OW, O)
        out = self._output(acc).reshape(x.shape[0], *geometry.out_size, self.weight_shape[0])
        return Tensor(np.ascontiguousarray(out.transpose(0, 3, 1, 2)))

    def extra_repr(self) -> str:
        o, c, kh, kw = self.weight_shape
        return f"{c}, {o}, kernel_size={(kh, kw)}, stride={self.stride}, int8, " \
               f"input_scale={float(self.input_scale.data):.4g}"


def _batches(calibration_batches: Iterable[Any]) -> Iterable[Tensor]:
    """Inputs from Tensors, arrays or (input, label) pairs as a DataLoader yields them."""
    for batch in calibration_batches:
        x = batch[0] if isinstance(batch, tuple | list) else batch
        yield x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float32))


def calibrate(model: Module, calibration_batches: Iterable[Any]) -> dict[str, float]:
    """max |input| of every Linear and Conv2d (by module name) over the batches, the model in eval mode."""
    layers = {name: m for name, m in model.named_modules() if isinstance(m, Linear | Conv2d)}
    seen = dict.fromkeys(layers, 0.0)
    handles = []
    for name, layer in layers.items():
        def record(module: Module, args: tuple, name: str = name) -> None:
            seen[name] = max(seen[name], float(np.abs(to_numpy(args[0].data)).max()))
        handles.append(layer.register_forward_pre_hook(record))
    was_training = model.training
    model.eval()
    count = 0
    try:
        with no_grad():
            for x in _batches(calibration_batches):
                model(x)
                count += 1
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    if count == 0:
        raise ValueError("quantize/calibrate: calibration_batches is empty — give a few batches of real inputs "
                         "(e.g. [x for x, _ in itertools.islice(loader, 8)])")
    return seen


def quantize(model: Module, calibration_batches: Iterable[Any]) -> Module:
    """A copy of ``model`` in eval mode with every Linear and (ungrouped) Conv2d replaced by its int8 twin, the
    input scales calibrated on ``calibration_batches`` (Tensors, arrays or (input, label) pairs). The original
    model is left as it was. ``result.float_layers`` names the layers kept in float32."""
    ranges = calibrate(model, calibration_batches)
    small = copy.deepcopy(model).eval()
    kept = []
    for name, module in list(small.named_modules()):
        for child_name, child in list(module._modules.items()):
            full = f"{name}.{child_name}" if name else child_name
            if full not in ranges:
                continue
            scale = float(int8.scale_for(ranges[full]))
            if isinstance(child, Conv2d):
                if child.groups != 1:
                    kept.append(full)
                    continue
                module._modules[child_name] = QuantizedConv2d.from_float(child, scale)
            else:
                module._modules[child_name] = QuantizedLinear.from_float(child, scale)
    small.float_layers = kept
    return small


def saved_bytes(model: Module) -> int:
    """The size in bytes of ``model.state_dict()`` saved with ``tinygrad_edu.save`` (an uncompressed .npz): what
    "the model is 4× smaller" is measured on."""
    import os
    import tempfile

    from ..serialization import save

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "weights.npz")
        save(model.state_dict(), path)
        return os.path.getsize(path)


def weight_bytes(model: Module) -> int:
    """The bytes of the arrays of ``model.state_dict()`` alone (the file adds a fixed ~10 kB of headers and
    manifest, which does not shrink with the weights)."""
    return sum(int(to_numpy(t.data).nbytes) for t in model.state_dict().values() if t is not None)


__all__ = ["QuantizedConv2d", "QuantizedLinear", "calibrate", "quantize", "saved_bytes", "weight_bytes"]

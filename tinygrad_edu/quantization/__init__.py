"""Making models small for inference: int8 post-training quantisation.

| file | contents |
| --- | --- |
| ``int8.py`` | the arithmetic: scales, per-channel quantisation, dequantisation, requantisation |
| ``modules.py`` | ``QuantizedLinear``, ``QuantizedConv2d``, ``calibrate``, ``quantize(model, batches)``, sizes |

The int8 × int8 → int32 kernel is in kernels/int8.py. The other compression tools live beside what they change:
bfloat16 in ``amp`` (``autocast(dtype="bfloat16")``), pruning in ``nn.utils.prune`` (``shrink`` for structured
pruning that rebuilds smaller layers), ``F.distillation_loss`` in ``nn.functional``. docs/compression.md.
"""

from . import int8
from .modules import QuantizedConv2d, QuantizedLinear, calibrate, quantize, saved_bytes, weight_bytes

__all__ = ["QuantizedConv2d", "QuantizedLinear", "calibrate", "int8", "quantize", "saved_bytes", "weight_bytes"]

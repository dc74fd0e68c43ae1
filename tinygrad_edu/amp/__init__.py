"""Mixed-precision training: ``autocast`` (float16 matrix products, float32 for the sensitive ops) and
``GradScaler`` (dynamic loss scaling so that small gradients do not underflow in float16);
``autocast(dtype="bfloat16")`` emulates bfloat16 (float32 range, 7-bit mantissa: no loss scaling needed; see
bfloat16.py).

    >>> from tinygrad_edu.amp import GradScaler, autocast
    >>> scaler = GradScaler()
    >>> with autocast():                                        # doctest: +SKIP
    ...     loss = F.cross_entropy(model(x), y)
    >>> scaler.scale(loss).backward()                           # doctest: +SKIP
    >>> scaler.step(optimizer); scaler.update()                 # doctest: +SKIP

On the CPU, NumPy emulates float16 (each value is converted to float32 and back around every operation), so it
is slower than float32: the module is there to teach the method and check its numerics; the speed-up comes on a
GPU with CuPy. See docs/inside-the-network.md.
"""

from .autocast import FLOAT16_OPS, FLOAT32_OPS, autocast, is_autocast_enabled
from .bfloat16 import from_bfloat16_bits, round_to_bfloat16, to_bfloat16_bits
from .grad_scaler import GradScaler

__all__ = ["FLOAT16_OPS", "FLOAT32_OPS", "GradScaler", "autocast", "from_bfloat16_bits", "is_autocast_enabled",
           "round_to_bfloat16", "to_bfloat16_bits"]

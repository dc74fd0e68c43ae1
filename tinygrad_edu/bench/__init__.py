"""``python -m tinygrad_edu.bench``: where the engine stands against plain NumPy and PyTorch, on this machine.

``bench/kernels.py`` (``python -m tinygrad_edu.bench.kernels``) times the convolution path in detail.

May import: everything below it (``models``, ``nn``, ``kernels``, …); nothing imports ``bench``.
"""

from .cli import main

__all__ = ["main"]

"""``python -m tinygrad_edu.bench``: where the engine stands against plain NumPy and PyTorch, on this machine."""

from .cli import main

__all__ = ["main"]

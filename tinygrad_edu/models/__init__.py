"""Model families, one file each (``mobilenet.py``: MobileNetV2 for document 001's transfer learning)."""

from .mobilenet import InvertedResidual, MobileNetV2, make_divisible, mobilenet_v2_small

__all__ = ["InvertedResidual", "MobileNetV2", "make_divisible", "mobilenet_v2_small"]

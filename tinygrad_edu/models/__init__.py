"""Whole networks (models, not layers), one file per family; layers live in ``nn``.

| file | holds |
| --- | --- |
| ``documents.py`` | the documents' networks: ``DocumentsCNN``, ``MLP``, ``LSTMClassifier``, ``CausalLM`` |

May import: the engine, ``nn``, ``optim``, ``data``; never ``train``, ``demo``, ``bench`` (they use models).
"""

from .documents import MLP, CausalLM, DocumentsCNN, LSTMClassifier

__all__ = ["CausalLM", "DocumentsCNN", "LSTMClassifier", "MLP"]

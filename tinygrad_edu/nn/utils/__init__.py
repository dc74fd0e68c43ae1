"""Helpers around training: weight penalties for the loss (``l1_penalty``, ``l2_penalty``), gradient
clipping (``clip_grad_norm_``, ``clip_grad_value_``) and pruning (``prune``: magnitude and structured pruning,
``sparsity``; ``shrink``: structured pruning that rebuilds smaller layers). The pruning run on MNIST is
``python -m tinygrad_edu.train --prune 0.8``.

May import: the engine and ``nn``; never ``train``, ``models``, ``demo`` or ``bench``.
"""

from . import prune
from .clip import clip_grad_norm_, clip_grad_value_
from .prune import sparsity
from .regularization import l1_penalty, l2_penalty
from .shrink import shrink

__all__ = ["clip_grad_norm_", "clip_grad_value_", "l1_penalty", "l2_penalty", "prune", "shrink", "sparsity"]

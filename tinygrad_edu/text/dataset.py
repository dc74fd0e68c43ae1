"""``TextDataset``: a token stream cut into (input, next-token target) windows for a language model.

Window ``i`` starts at ``i·stride``: ``x = ids[s : s+T]`` and ``y = ids[s+1 : s+T+1]`` — the target at every
position is the token that follows it, so one window gives ``T`` next-token predictions.

    >>> import numpy as np
    >>> from tinygrad_edu.text import TextDataset
    >>> ds = TextDataset(np.arange(10), block_size=4)
    >>> len(ds), ds[0], ds[1]
    (2, (array([0, 1, 2, 3]), array([1, 2, 3, 4])), (array([4, 5, 6, 7]), array([5, 6, 7, 8])))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..data.dataset import Dataset


class TextDataset(Dataset):
    """Windows of ``block_size`` tokens; ``stride`` defaults to ``block_size`` (no overlap, each token seen once)."""

    def __init__(self, ids: Sequence[int] | np.ndarray, block_size: int, stride: int | None = None):
        self.ids = np.asarray(ids, dtype=np.int64)
        if self.ids.ndim != 1:
            raise ValueError(f"TextDataset: ids must be one stream of token ids (1-D), got shape {self.ids.shape}")
        stride = block_size if stride is None else stride
        if block_size < 1 or stride < 1:
            raise ValueError(f"TextDataset: block_size={block_size} and stride={stride} must be at least 1")
        if len(self.ids) < block_size + 1:
            raise ValueError(f"TextDataset: {len(self.ids)} tokens cannot fill one window of block_size={block_size}"
                             f" plus its next-token target; use a smaller block_size or more text")
        self.block_size, self.stride = block_size, stride
        self._starts = np.arange(0, len(self.ids) - block_size, stride)

    def __len__(self) -> int:
        return len(self._starts)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"TextDataset: index {index} out of range for {len(self)} windows")
        start = self._starts[index]
        return self.ids[start:start + self.block_size], self.ids[start + 1:start + self.block_size + 1]

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All windows at once by fancy indexing: (B, T) inputs and (B, T) targets."""
        offsets = self._starts[np.asarray(indices)][:, None] + np.arange(self.block_size)
        return self.ids[offsets], self.ids[offsets + 1]

"""The DataLoader: a dataset cut into mini-batches, shuffled each epoch, delivered as Tensors.

Gradient descent comes in three flavours that differ only in how many samples feed each update:

* batch gradient descent — the whole training set per step (``batch_size=len(dataset)``): exact gradient,
  one update per epoch;
* stochastic gradient descent — one sample per step (``batch_size=1``): noisy, many cheap updates;
* mini-batch gradient descent — B samples per step (``batch_size=32`` or 64): the usual compromise, with the
  gradient averaged over the batch, (1/B) Σᵢ ∇ℓ(xᵢ, yᵢ).

    >>> import numpy as np
    >>> from tinygrad_edu.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(np.ones((10, 2), np.float32), np.arange(10)), batch_size=4)
    >>> len(loader), [tuple(x.shape) for x, y in loader]
    (3, [(4, 2), (4, 2), (2, 2)])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .dataset import Dataset, as_dataset


class DataLoader:
    """Iterate over ``dataset`` in mini-batches of ``batch_size`` samples, each a tuple of Tensors.

    * ``shuffle=True`` draws a new order every epoch from ``seed``'s own generator when given, else from the
      project's seeded generator (``tinygrad_edu.manual_seed``), so a seeded run sees the same batches.
    * ``sampler``: an object whose ``indices()`` (or iteration) gives the sample indices of one epoch, e.g.
      ``distributed.DistributedSampler`` (each rank its own shard); it decides the order, so ``shuffle`` must
      stay False, as in PyTorch. Call ``sampler.set_epoch(epoch)`` each epoch (``fit`` does).
    * ``drop_last=True`` drops a last batch smaller than ``batch_size``.
    * ``transform`` is applied to the *inputs* (the first field) of every batch, e.g. a ``transforms.Compose``
      of augmentations; it receives and returns an array of the whole batch (vectorised, no per-sample loop).

    The batches are Tensors on the current device (``backend.use``), made once per batch from arrays indexed
    once per batch (``fit`` moves them to the model's device). ``len(loader)`` is the number of batches per epoch.
    The order is drawn on the host, so that a seeded run sees the same batches on the CPU and on the GPU; for a
    dataset whose arrays live on the GPU it is copied there once per epoch and the batches never leave it.
    """

    def __init__(self, dataset: Dataset | tuple, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None,
                 transform: Callable[[Any], Any] | None = None, sampler: Any = None):
        if not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"DataLoader(batch_size={batch_size!r}): the batch size must be a positive integer")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader(sampler=..., shuffle=True): the sampler decides the order; leave shuffle "
                             "False (a DistributedSampler shuffles itself: DistributedSampler(..., shuffle=True))")
        self.sampler = sampler
        self.dataset = as_dataset(dataset)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.transform = transform
        self._generator = None if seed is None else np.random.default_rng(seed)

    @property
    def generator(self) -> np.random.Generator:
        """The generator the epoch order is drawn from: this loader's own (``seed``) or the project's."""
        return self._generator if self._generator is not None else backend.generator("numpy")

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def batch_indices(self) -> Iterator[np.ndarray]:
        """The index array of each batch of one epoch (a fresh permutation when shuffling)."""
        if self.sampler is not None:
            order = _sampler_indices(self.sampler)
            n = len(order)
        else:
            n = len(self.dataset)
            order = self.generator.permutation(n) if self.shuffle else np.arange(n)  # drawn on the host (see below)
        if getattr(self.dataset, "device", "cpu") == "cuda":
            order = backend.to_device(order, "cuda")  # once per epoch, not once per batch
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            yield order[start : start + self.batch_size]

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        device = backend.current_device()
        for indices in self.batch_indices():
            fields = list(self.dataset.get_batch(indices))
            if self.transform is not None:
                fields[0] = self.transform(fields[0])
            # host data goes to the current device; data already on the GPU stays there (never copied back)
            yield tuple(Tensor._from_op(f if backend.device_of(f) == "cuda" else backend.to_device(f, device), None)
                        for f in fields)

    def state_dict(self) -> dict:
        """The random state this loader owns (its own generator and its transform's), to resume bit for bit.

        A loader drawing from the project's generator owns none: ``backend.get_rng_state`` covers it.
        """
        state: dict[str, Any] = {}
        if self._generator is not None:
            state["generator"] = self._generator.bit_generator.state
        if hasattr(self.transform, "state_dict"):
            state["transform"] = self.transform.state_dict()
        if hasattr(self.sampler, "state_dict"):
            state["sampler"] = self.sampler.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        if "generator" in state and self._generator is not None:
            self._generator.bit_generator.state = state["generator"]
        if "transform" in state and hasattr(self.transform, "load_state_dict"):
            self.transform.load_state_dict(state["transform"])
        if "sampler" in state and hasattr(self.sampler, "load_state_dict"):
            self.sampler.load_state_dict(state["sampler"])

    def __repr__(self) -> str:
        sampler = "" if self.sampler is None else f", sampler={self.sampler!r}"
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed}{sampler})")


def _sampler_indices(sampler: Any) -> np.ndarray:
    """One epoch of a sampler's indices as an int64 array (its ``indices()`` when it has one: no Python list)."""
    indices = sampler.indices() if hasattr(sampler, "indices") else list(iter(sampler))
    return np.asarray(indices, dtype=np.int64)

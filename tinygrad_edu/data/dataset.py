"""Datasets: indexable collections of samples, PyTorch's ``Dataset`` protocol.

A dataset has a length and returns sample ``i`` as a tuple of arrays (typically ``(input, target)``). The
``DataLoader`` asks for a whole mini-batch at once through ``get_batch(indices)``: the base class stacks samples
one by one, while ``TensorDataset`` and ``Subset`` of it index their arrays once per batch — the fast path, with
no per-sample Python work.

    >>> import numpy as np
    >>> from tinygrad_edu.data import TensorDataset
    >>> ds = TensorDataset(np.zeros((100, 3), np.float32), np.arange(100))
    >>> len(ds), [a.shape for a in ds[5]]
    (100, [(3,), ()])
    >>> [a.shape for a in ds.get_batch(np.array([0, 7, 9]))]
    [(3, 3), (3,)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor


def _host_or_device_array(data: Any, position: int) -> Any:
    """A Tensor's backend array, or ``data`` as an array (kept on its device: NumPy or CuPy)."""
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, np.ndarray) or backend.device_of(data) == "cuda":
        return data
    message = (f"TensorDataset: argument {position} of type {type(data).__name__} is not array-like: "
               "pass NumPy arrays, CuPy arrays or Tensors with one row per sample")
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as error:
        raise TypeError(message) from error
    if array.dtype == object:
        raise TypeError(message)
    return array


class Dataset:
    """The protocol every dataset follows: ``len(ds)`` samples, ``ds[i]`` → a tuple of arrays.

    Subclasses implement ``__len__`` and ``__getitem__``. ``get_batch(indices)`` returns a mini-batch as a tuple
    of stacked arrays (one per field); override it when the data can be gathered faster than sample by sample.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index: int) -> tuple:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def get_batch(self, indices: np.ndarray) -> tuple:
        """Samples ``indices`` stacked field by field: a tuple of arrays whose first axis is the batch."""
        samples = [self[int(i)] for i in indices]
        if not samples:
            raise ValueError(f"{type(self).__name__}.get_batch got no indices")
        first = samples[0] if isinstance(samples[0], tuple) else (samples[0],)
        samples = [s if isinstance(s, tuple) else (s,) for s in samples]
        fields = []
        for field in range(len(first)):
            values = [s[field].data if isinstance(s[field], Tensor) else s[field] for s in samples]
            xp = backend.get_array_module(values[0])
            fields.append(xp.stack([xp.asarray(v) for v in values]))
        return tuple(fields)


class TensorDataset(Dataset):
    """Samples are rows of arrays that share their first axis: ``TensorDataset(images, labels)``.

    The arrays (NumPy, CuPy or Tensors) are kept as they are; ``.arrays`` gives them back, e.g.
    ``x_train, y_train = mnist().arrays`` for Keras-style code.
    """

    def __init__(self, *arrays: Any):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(_host_or_device_array(a, i) for i, a in enumerate(arrays))
        lengths = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(tuple(a.shape)) for a in self.arrays)
            raise ValueError(
                f"TensorDataset got arrays of shapes {shapes}: every array needs the same first axis "
                "(one row per sample)"
            )

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    @property
    def device(self) -> str:
        """Where the arrays live: ``"cpu"`` or ``"cuda"``."""
        return backend.device_of(self.arrays[0])

    def __getitem__(self, index: int) -> tuple:
        return tuple(a[index] for a in self.arrays)

    def get_batch(self, indices: np.ndarray) -> tuple:
        if self.device == "cuda":
            indices = backend.to_device(indices, "cuda")  # no copy when the loader already sent the order
        return tuple(a[indices] for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples ``indices`` of another dataset (a fold, a train/validation split); batches stay vectorised."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indices.ndim != 1:
            raise ValueError(f"Subset indices must be one-dimensional, got shape {self.indices.shape}")
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset indices out of range for a dataset of {n} samples")

    def __len__(self) -> int:
        return self.indices.size

    def __getitem__(self, index: int) -> tuple:
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices: np.ndarray) -> tuple:
        return self.dataset.get_batch(self.indices[np.asarray(indices)])

    @property
    def arrays(self) -> tuple:
        """The subset's rows of every field (gathered once; for evaluation and Keras-style use)."""
        return self.get_batch(np.arange(len(self)))


def random_split(dataset: Dataset, lengths: Sequence[int | float], seed: int | None = None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping subsets of the given lengths (``torch.utils.data``).

    Lengths may be counts that add up to ``len(dataset)`` or fractions that add up to 1 (the remainder goes to
    the first subsets, one sample each). The permutation comes from ``seed`` or from the project's generator.
    """
    n = len(dataset)
    if all(isinstance(x, float) for x in lengths) and abs(sum(lengths) - 1.0) < 1e-6:
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        counts = [int(x) for x in lengths]
    if sum(counts) != n or any(c < 0 for c in counts):
        raise ValueError(
            f"random_split: lengths {list(lengths)} must be counts adding up to {n} or fractions adding up to 1"
        )
    rng = backend.generator("numpy") if seed is None else np.random.default_rng(seed)
    order = rng.permutation(n)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]


def as_dataset(data: Any) -> Dataset:
    """Accept a Dataset, or a tuple ``(x, y, ...)`` of arrays/Tensors (Keras' ``fit(x, y)``), as a Dataset."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, tuple | list):
        return TensorDataset(*data)
    return TensorDataset(data)

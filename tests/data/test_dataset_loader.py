"""Datasets and the DataLoader: batching, shuffling from the seeded generator, vectorised gathering."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader, Dataset, Subset, TensorDataset, random_split


def _dataset(n: int = 10) -> TensorDataset:
    return TensorDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))


class CountingDataset(TensorDataset):
    """Counts the calls of each access path, to check that batching is vectorised."""

    def __init__(self, *arrays):
        super().__init__(*arrays)
        self.batch_calls = 0
        self.item_calls = 0

    def __getitem__(self, index):
        self.item_calls += 1
        return super().__getitem__(index)

    def get_batch(self, indices):
        self.batch_calls += 1
        return super().get_batch(indices)


class Squares(Dataset):
    """A dataset written the PyTorch way, sample by sample."""

    def __len__(self) -> int:
        return 7

    def __getitem__(self, index: int):
        return np.array([index, index * index], dtype=np.float32), np.int64(index % 2)


def test_tensor_dataset_holds_rows_and_rejects_mismatched_lengths():
    ds = _dataset(5)
    assert len(ds) == 5
    x, y = ds[3]
    np.testing.assert_array_equal(x, [6.0, 7.0])
    assert y == 3
    with pytest.raises(ValueError, match=r"\(4, 2\), \(5,\).*same first axis"):
        TensorDataset(np.zeros((4, 2)), np.zeros(5))
    with pytest.raises(TypeError, match="not array-like"):
        TensorDataset(object())


def test_tensor_dataset_accepts_tensors():
    ds = TensorDataset(tg.ones(4, 3), tg.arange(4))
    assert isinstance(ds.arrays[0], np.ndarray) and ds.arrays[0].shape == (4, 3)


@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), drop_last=st.booleans(), shuffle=st.booleans())
def test_loader_covers_every_sample_once_per_epoch(n, batch_size, drop_last, shuffle):
    loader = DataLoader(_dataset(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=1)
    batches = list(loader)
    assert len(batches) == len(loader)
    sizes = [len(y) for _, y in batches]
    expected = [batch_size] * (n // batch_size) + ([] if drop_last or n % batch_size == 0 else [n % batch_size])
    assert sizes == expected
    seen = np.concatenate([y.numpy() for _, y in batches]) if batches else np.array([], dtype=np.int64)
    assert len(set(seen.tolist())) == len(seen)  # no sample twice
    if not drop_last:
        assert sorted(seen.tolist()) == list(range(n))
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))


def test_batches_are_tensors_on_the_current_device_with_their_dtypes():
    x, y = next(iter(DataLoader(_dataset(), batch_size=4)))
    assert isinstance(x, tg.Tensor) and isinstance(y, tg.Tensor)
    assert x.device == "cpu" and x.dtype == np.float32 and y.dtype == np.int64
    assert x.shape == (4, 2) and not x.requires_grad


def test_tensor_dataset_batches_are_gathered_once_per_batch():
    ds = CountingDataset(np.zeros((100, 3), np.float32), np.arange(100))
    list(DataLoader(ds, batch_size=32, shuffle=True))
    assert ds.batch_calls == 4 and ds.item_calls == 0


def test_sample_by_sample_dataset_is_stacked():
    batches = list(DataLoader(Squares(), batch_size=3))
    assert [tuple(x.shape) for x, _ in batches] == [(3, 2), (3, 2), (1, 2)]
    np.testing.assert_array_equal(batches[1][0].numpy(), [[3, 9], [4, 16], [5, 25]])
    np.testing.assert_array_equal(batches[1][1].numpy(), [1, 0, 1])


def test_shuffle_uses_the_project_generator():
    tg.manual_seed(123)
    first = [y.numpy() for _, y in DataLoader(_dataset(20), batch_size=5, shuffle=True)]
    second_epoch_same_loader_would_differ = [y.numpy() for _, y in DataLoader(_dataset(20), batch_size=5,
                                                                               shuffle=True)]
    tg.manual_seed(123)
    again = [y.numpy() for _, y in DataLoader(_dataset(20), batch_size=5, shuffle=True)]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(first, second_epoch_same_loader_would_differ, strict=True))
    assert np.concatenate(first).tolist() != list(range(20))


def test_seeded_loader_has_its_own_generator_and_new_order_each_epoch():
    loader = DataLoader(_dataset(30), batch_size=30, shuffle=True, seed=7)
    tg.manual_seed(0)
    epoch1 = next(iter(loader))[1].numpy()
    tg.manual_seed(99)  # the project's seed does not matter to a seeded loader
    epoch2 = next(iter(loader))[1].numpy()
    assert not np.array_equal(epoch1, epoch2)
    fresh = DataLoader(_dataset(30), batch_size=30, shuffle=True, seed=7)
    np.testing.assert_array_equal(next(iter(fresh))[1].numpy(), epoch1)


def test_seeded_loader_state_dict_resumes_the_order():
    loader = DataLoader(_dataset(30), batch_size=30, shuffle=True, seed=7)
    next(iter(loader))
    state = loader.state_dict()
    expected = next(iter(loader))[1].numpy()
    other = DataLoader(_dataset(30), batch_size=30, shuffle=True, seed=7)
    other.load_state_dict(state)
    np.testing.assert_array_equal(next(iter(other))[1].numpy(), expected)


def test_transform_applies_to_inputs_only():
    loader = DataLoader(_dataset(6), batch_size=3, transform=lambda x: x * 10)
    x, y = next(iter(loader))
    np.testing.assert_array_equal(x.numpy(), np.arange(6, dtype=np.float32).reshape(3, 2) * 10)
    np.testing.assert_array_equal(y.numpy(), [0, 1, 2])


def test_loader_accepts_a_tuple_and_rejects_bad_batch_size():
    assert len(DataLoader((np.zeros((10, 2)), np.zeros(10)), batch_size=4)) == 3
    with pytest.raises(ValueError, match="positive integer"):
        DataLoader(_dataset(), batch_size=0)


def test_subset_and_random_split():
    ds = _dataset(10)
    sub = Subset(ds, [9, 2, 4])
    assert len(sub) == 3
    np.testing.assert_array_equal(sub.get_batch(np.array([0, 2]))[1], [9, 4])
    np.testing.assert_array_equal(sub.arrays[1], [9, 2, 4])
    with pytest.raises(IndexError, match="out of range"):
        Subset(ds, [10])
    parts = random_split(ds, [0.7, 0.3], seed=0)
    assert [len(p) for p in parts] == [7, 3]
    together = np.concatenate([p.indices for p in parts])
    assert sorted(together.tolist()) == list(range(10))
    with pytest.raises(ValueError, match="adding up"):
        random_split(ds, [3, 3])

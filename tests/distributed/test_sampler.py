"""DistributedSampler: PyTorch's shards (padding and drop_last included), and the DataLoader's sampler."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import require_torch
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.distributed import DistributedSampler


@given(n=st.integers(1, 200), p=st.integers(1, 8), shuffle=st.booleans(), drop_last=st.booleans(),
       epoch=st.integers(0, 3))
def test_shards_are_disjoint_equal_length_and_cover_the_data(n, p, shuffle, drop_last, epoch):
    shards = []
    for r in range(p):
        sampler = DistributedSampler(range(n), num_replicas=p, rank=r, shuffle=shuffle, seed=5, drop_last=drop_last)
        sampler.set_epoch(epoch)
        shards.append(sampler.indices())
    lengths = {len(s) for s in shards}
    assert len(lengths) == 1  # every rank makes the same number of steps
    everything = np.concatenate(shards)
    if drop_last:
        assert len(everything) == len(set(everything.tolist())) == p * (n // p)
    else:
        assert set(everything.tolist()) == set(range(n)) and len(everything) == p * math.ceil(n / p)
        assert len(everything) - len(set(everything.tolist())) == p * math.ceil(n / p) - n  # only the padding


def test_set_epoch_changes_the_order_and_the_seed_makes_it_the_same_on_every_run():
    a = DistributedSampler(range(50), num_replicas=2, rank=0, seed=1)
    b = DistributedSampler(range(50), num_replicas=2, rank=0, seed=1)
    first = a.indices()
    np.testing.assert_array_equal(first, b.indices())
    a.set_epoch(1)
    assert not np.array_equal(first, a.indices())


@pytest.mark.torch
@given(n=st.integers(1, 60), p=st.integers(1, 6), drop_last=st.booleans())
def test_the_unshuffled_shards_are_pytorchs_index_for_index(n, p, drop_last):
    torch = require_torch()
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for r in range(p):
        theirs = list(TorchSampler(list(range(n)), num_replicas=p, rank=r, shuffle=False, drop_last=drop_last))
        ours = DistributedSampler(range(n), num_replicas=p, rank=r, shuffle=False, drop_last=drop_last)
        assert list(ours) == theirs and len(ours) == len(theirs)
    assert torch is not None


def test_a_bad_rank_is_named():
    with pytest.raises(ValueError, match=r"rank must be in \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_the_dataloader_follows_the_sampler_and_refuses_shuffle_with_it():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    dataset = TensorDataset(x, np.arange(10))
    sampler = DistributedSampler(dataset, num_replicas=3, rank=1, shuffle=False)  # 10 → padded to 12
    loader = DataLoader(dataset, batch_size=3, sampler=sampler)
    assert len(loader) == 2
    assert [y.numpy().tolist() for _, y in loader] == [[1, 4, 7], [0]]
    with pytest.raises(ValueError, match="the sampler decides the order"):
        DataLoader(dataset, batch_size=3, sampler=sampler, shuffle=True)
    assert loader.state_dict()["sampler"] == {"epoch": 0, "seed": 0}

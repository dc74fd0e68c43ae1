"""The allocation policy (kernels/allocator.py): freed blocks are kept, so the next array of the same size
reuses pages already mapped instead of faulting in fresh ones. Counted in page faults, not in time."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.kernels.run_in_subprocess import run_python
from tinygrad_edu.kernels import allocator

# Allocate and free 8 MiB (the size of the CNN's im2col columns), then count the minor page faults of a second
# allocation of the same size written in full.
COUNT_FAULTS = """
import resource, numpy as np
import tinygrad_edu
from tinygrad_edu.kernels import allocator
a = np.ones(2 * 1024 * 1024, np.float32); del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
a = np.ones(2 * 1024 * 1024, np.float32)
print(allocator.configure(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="page-fault counts are read on Linux")


def _policy_and_faults(policy: str) -> tuple[str, int]:
    result = run_python(COUNT_FAULTS, TINYGRAD_EDU_MALLOC=policy)
    assert result.returncode == 0, result.stderr
    name, faults = result.stdout.split()
    return name, int(faults)


@linux_only
def test_reuse_keeps_freed_pages_for_the_next_array() -> None:
    name, faults = _policy_and_faults("reuse")
    if name == "unavailable":
        pytest.skip("this C library is not glibc: the policy does nothing here")
    assert name == "reuse"
    assert faults < 64  # 8 MiB is 2048 pages: almost none of them is faulted in again


@linux_only
def test_system_policy_leaves_glibc_alone() -> None:
    name, faults = _policy_and_faults("system")
    assert name == "system"
    reused = _policy_and_faults("reuse")
    if reused[0] == "reuse":  # glibc unmapped the first block: the second faults its pages in again
        assert faults > reused[1]  # (2048 pages, or a few with transparent huge pages)


def test_an_unknown_policy_is_refused_by_name() -> None:
    result = run_python("import tinygrad_edu", TINYGRAD_EDU_MALLOC="fast")
    assert result.returncode != 0 and "TINYGRAD_EDU_MALLOC='fast'" in result.stderr and "reuse" in result.stderr


def test_large_arrays_are_handed_out_again_once_nothing_holds_them():
    """allocator.empty keeps arrays of MMAP_THRESHOLD bytes or more (glibc maps those afresh every time) and
    gives one out again only when no array, view or name refers to it."""
    if allocator.configure() != "reuse":
        pytest.skip(f"the allocation policy here is {allocator.configure()!r}: empty() is plain np.empty")
    shape = (allocator.MMAP_THRESHOLD // 4 + 1,)
    first = allocator.empty(shape, np.float32)
    view = first[::2]
    second = allocator.empty(shape, np.float32)
    assert second is not first  # first is still held
    first_id = id(first)
    del first
    assert allocator.empty(shape, np.float32) is not second  # a view still holds the first one
    del view
    assert id(allocator.empty(shape, np.float32)) == first_id  # nothing holds it now: the same pages again
    small = allocator.empty((10,), np.float32)
    assert small.shape == (10,) and ((10,), "<f4") not in allocator._kept

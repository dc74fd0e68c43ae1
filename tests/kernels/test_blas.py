"""The products of kernels/blas.py: MKL's sgemm where the ``mkl`` package is installed, OpenBLAS's otherwise.

``blas.matmul`` must give NumPy's product to float32 rounding for every operand layout it takes without a copy
(C-contiguous, the transpose of one) and for those it copies (strided views), fall back to NumPy for what it does
not serve, and give the same bits run after run (MKL in its reproducible mode, threads or not).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu.kernels import blas

from .run_in_subprocess import run_python

LAYOUTS = ("c", "transposed", "strided")


def laid_out(rng: np.random.Generator, rows: int, cols: int, layout: str) -> np.ndarray:
    """A (rows, cols) float32 matrix stored C-contiguous, as the transpose of a C-contiguous (cols, rows) array,
    or as every other row of a bigger array."""
    if layout == "c":
        return rng.standard_normal((rows, cols), dtype=np.float32)
    if layout == "transposed":
        return rng.standard_normal((cols, rows), dtype=np.float32).T
    return rng.standard_normal((2 * rows, cols), dtype=np.float32)[::2]


@given(m=st.integers(1, 70), k=st.integers(1, 70), n=st.integers(1, 70), a_layout=st.sampled_from(LAYOUTS),
       b_layout=st.sampled_from(LAYOUTS), seed=st.integers(0, 2**16), into=st.booleans())
@settings(max_examples=60, deadline=None)
def test_matmul_is_numpys_product(m, k, n, a_layout, b_layout, seed, into):
    """Every product through sgemm (the size threshold lowered to 0), whatever its shape and layout."""
    rng = np.random.default_rng(seed)
    a, b = laid_out(rng, m, k, a_layout), laid_out(rng, k, n, b_layout)
    out = np.full((m, n), np.nan, dtype=np.float32) if into else None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blas, "MKL_MIN_WORK", 0)
        result = blas.matmul(a, b, out)
    if into:
        assert result is out
    exact = a.astype(np.float64) @ b.astype(np.float64)
    bound = 1e-6 * np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64) * k + 1e-30
    assert result.dtype == np.float32 and result.shape == (m, n)
    assert np.all(np.abs(result - exact) <= bound), "blas.matmul differs from the float64 product beyond rounding"


def test_matmul_leaves_other_arrays_to_numpy():
    a64 = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(blas.matmul(a64, a64.T), a64 @ a64.T)
    stack = np.ones((2, 3, 4), dtype=np.float32)
    np.testing.assert_array_equal(blas.matmul(stack, stack.transpose(0, 2, 1)), stack @ stack.transpose(0, 2, 1))
    empty = np.ones((0, 4), dtype=np.float32)
    assert blas.matmul(empty, np.ones((4, 5), dtype=np.float32)).shape == (0, 5)
    with pytest.raises(ValueError):
        blas.matmul(np.ones((2, 3), dtype=np.float32), np.ones((4, 5), dtype=np.float32))


def test_matmul_gives_the_same_bits_every_time():
    """A product big enough for MKL's threads (and for OpenBLAS's), repeated: the same bits each time."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 500), dtype=np.float32)
    b = rng.standard_normal((500, 200), dtype=np.float32)
    first = blas.matmul(a, b)
    for _ in range(5):
        np.testing.assert_array_equal(blas.matmul(a.copy(), b.copy()), first)


def test_library_choice_follows_the_environment():
    code = "from tinygrad_edu.kernels import blas; print(blas.describe())"
    kept = run_python(code, TINYGRAD_EDU_BLAS="openblas")
    assert kept.returncode == 0, kept.stderr
    assert "OpenBLAS" in kept.stdout or "none" in kept.stdout
    refused = run_python(code, TINYGRAD_EDU_BLAS="goto")
    assert refused.returncode != 0
    assert "TINYGRAD_EDU_BLAS='goto'" in refused.stderr and "mkl, openblas" in refused.stderr


def test_mkl_is_used_where_installed():
    if blas.mkl_library() is None:
        pytest.skip("the mkl package is not installed here (or TINYGRAD_EDU_BLAS=openblas): OpenBLAS serves")
    assert blas.describe().startswith("MKL")
    assert blas.sgemm() is not None


def test_one_kernel_thread_keeps_mkl_on_one_core():
    """MKL's TBB layer ignores thread counts; with the kernels on one thread (NUMBA_NUM_THREADS=1, the benchmark's
    --threads 1) MKL is loaded sequential, so a large product uses one core's time, not two."""
    if blas.mkl_library() is None:
        pytest.skip("the mkl package is not installed here (or TINYGRAD_EDU_BLAS=openblas): OpenBLAS serves")
    code = (
        "import time, numpy as np\n"
        "from tinygrad_edu.kernels import blas\n"
        "a = np.ones((768, 768), np.float32)\n"
        "blas.matmul(a, a)\n"
        "wall, cpu = time.perf_counter(), time.process_time()\n"
        "for _ in range(20): blas.matmul(a, a)\n"
        "print(blas.describe(), (time.process_time() - cpu) / (time.perf_counter() - wall))\n"
    )
    result = run_python(code, NUMBA_NUM_THREADS="1")
    assert result.returncode == 0, result.stderr
    description, ratio = result.stdout.rsplit(" ", 1)
    assert "sequential" in description and float(ratio) < 1.3, result.stdout


def _product_sum(a):
    return float(blas.matmul(a, a).sum())


def test_products_survive_fork():
    """A "fork" child (multiprocessing's default on Linux) runs products after its parent did, on MKL's TBB
    threads or OpenBLAS's: it must not hang on threads that did not survive the fork."""
    import multiprocessing

    a = np.random.default_rng(0).standard_normal((600, 600), dtype=np.float32)
    expected = _product_sum(a)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map_async(_product_sum, [a, a]).get(timeout=60)
    assert results == [expected, expected]

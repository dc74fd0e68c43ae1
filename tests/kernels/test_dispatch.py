"""The switch between the Numba kernels and the NumPy reference (TINYGRAD_EDU_KERNELS), and the threading
policy (TINYGRAD_EDU_THREADING): both read from the environment, so some checks run in a fresh process."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tests.kernels.run_in_subprocess import run_python
from tinygrad_edu.kernels import dispatch
from tinygrad_edu.nn import functional as F


def _conv_and_pool_results() -> list[np.ndarray]:
    """Forward and backward of a convolution and both pools, on the kernels currently selected.

    Each op gets its own upstream gradient: a sum over the output would add in memory order, which differs
    between the paths (the Numba kernels return channels-last arrays), and so would its last bit.
    """
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((2, 4, 7, 6)).astype(np.float32), requires_grad=True)
    weight = tg.Tensor(rng.standard_normal((6, 2, 2, 3)).astype(np.float32), requires_grad=True)
    bias = tg.Tensor(rng.standard_normal(6).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, weight, bias, stride=(1, 2), padding=1, dilation=(2, 1), groups=2)
    y.backward(rng.standard_normal(y.shape).astype(np.float32))
    results = [y.numpy(), x.grad, weight.grad, bias.grad]
    for pool in (lambda t: F.max_pool2d(t, 2, stride=1, padding=1),
                 lambda t: F.avg_pool2d(t, 3, stride=2, padding=1, ceil_mode=True)):
        image = tg.Tensor(y.numpy(), requires_grad=True)
        pooled = pool(image)
        pooled.backward(rng.standard_normal(pooled.shape).astype(np.float32))
        results += [pooled.numpy(), image.grad]
    return results


def test_both_kernel_paths_give_identical_results():
    with dispatch.using("numpy"):
        assert dispatch.current() == "numpy"
        by_reference = _conv_and_pool_results()
    with dispatch.using("numba"):
        by_numba = _conv_and_pool_results()
    for a, b in zip(by_numba, by_reference, strict=True):
        np.testing.assert_array_equal(a, b)


def test_use_rejects_unknown_kernels():
    with pytest.raises(ValueError, match="numba, numpy"):
        dispatch.use("fortran")


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_environment_variable_selects_the_kernels():
    code = ("from tinygrad_edu.kernels import dispatch, reference; "
            "print(dispatch.current(), dispatch._im2col_module(__import__('numpy').zeros(1)) is reference)")
    result = run_python(code, TINYGRAD_EDU_KERNELS="numpy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["numpy", "True"]
    result = run_python("import tinygrad_edu.kernels.dispatch", TINYGRAD_EDU_KERNELS="cython")
    assert result.returncode != 0 and "TINYGRAD_EDU_KERNELS='cython' is not a kernel choice" in result.stderr


def _numba_omp_loads() -> bool:
    result = run_python("from numba.np.ufunc import omppool")
    return result.returncode == 0


@pytest.mark.slow
def test_threading_policy_default_and_override():
    run_kernel = ("import numpy as np; from tinygrad_edu.kernels import im2col, threads; "
                  "im2col.im2col(np.ones((1, 1, 3, 3)), (2, 2), (1, 1), (0, 0), (1, 1), (2, 2)); "
                  "print(threads.describe())")
    default = run_python(run_kernel)
    assert default.returncode == 0, default.stderr
    tbb = run_python("from tinygrad_edu.kernels import threads; print(threads.tbb_loads())").stdout.split()
    expected = "tbb" if tbb == ["True"] else "workqueue"  # Intel TBB where the tbb package is installed
    assert f"policy={expected}, layer={expected}" in default.stdout
    if _numba_omp_loads():  # OpenMP's short spin is set for libgomp's start only, not left to later libraries
        omp = run_python(run_kernel + "; import os; print('GOMP_SPINCOUNT' in os.environ)",
                         TINYGRAD_EDU_THREADING="omp")
        assert omp.returncode == 0, omp.stderr
        assert "policy=omp, layer=omp" in omp.stdout and omp.stdout.split()[-1] == "False"
    serial = run_python(run_kernel, TINYGRAD_EDU_THREADING="serial")
    assert serial.returncode == 0, serial.stderr
    assert "policy=serial" in serial.stdout and "threads=1" in serial.stdout
    wrong = run_python(run_kernel, TINYGRAD_EDU_THREADING="many")
    assert wrong.returncode != 0 and "TINYGRAD_EDU_THREADING='many' is not a threading policy" in wrong.stderr


@pytest.mark.slow  # fresh processes
def test_default_threads_survive_fork():
    """A child of multiprocessing's "fork" runs the parallel kernels after its parent did, as a pool of data
    workers would (GNU OpenMP, not the default for this reason, has Numba terminate such a child)."""
    code = ("import multiprocessing as mp, numpy as np; from tinygrad_edu.kernels import im2col, threads\n"
            "def cols(_):\n"
            "    x = np.arange(2 * 3 * 6 * 6, dtype=np.float32).reshape(2, 3, 6, 6)\n"
            "    return float(im2col.im2col(x, (3, 3), (1, 1), (0, 0), (1, 1), (4, 4)).sum())\n"
            "parent = cols(0)\n"
            "with mp.get_context('fork').Pool(2) as pool:\n"
            "    children = pool.map(cols, range(2), chunksize=1)\n"
            "print(threads.configure(), children == [parent, parent])")
    result = run_python(code, timeout=90)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "True", result.stdout


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_small_products_run_openblas_on_one_thread_and_restore_it():
    """The BLAS half of the policy: inside ``small_products()`` OpenBLAS has one thread, afterwards its count again;
    ``TINYGRAD_EDU_SMALL_BLAS=parallel`` leaves it alone. (A fresh process with two BLAS threads to start from.)"""
    check = ("from tinygrad_edu.kernels import threads; before = threads.blas_threads(); "
             "ctx = threads.small_products(); ctx.__enter__(); inside = threads.blas_threads(); "
             "ctx.__exit__(None, None, None); print(before, inside, threads.blas_threads())")
    serial = run_python(check, OPENBLAS_NUM_THREADS="2")
    assert serial.returncode == 0, serial.stderr
    counts = serial.stdout.split()
    if counts[0] == "None":
        pytest.skip("NumPy's BLAS here is not an OpenBLAS that threads.py can find")
    assert counts == ["2", "1", "2"]
    parallel = run_python(check, OPENBLAS_NUM_THREADS="2", TINYGRAD_EDU_SMALL_BLAS="parallel")
    assert parallel.stdout.split() == ["2", "2", "2"], parallel.stderr
    wrong = run_python(check, TINYGRAD_EDU_SMALL_BLAS="some")
    assert wrong.returncode != 0 and "TINYGRAD_EDU_SMALL_BLAS='some' is not a policy" in wrong.stderr


@pytest.mark.slow  # three fresh processes
def test_openblas_thread_timeout_applies_whichever_is_imported_first():
    """``import tinygrad_edu`` gives OpenBLAS's idle threads a short spin (2^18 cycles) whether NumPy was imported
    before it or not; a value set in the environment stays; products are right after OpenBLAS's threads restart."""
    check = ("import numpy as np; import tinygrad_edu; from tinygrad_edu.kernels import threads; "
             "a = np.arange(90000, dtype=np.float32).reshape(300, 300) % 7; "
             "exact = (a.astype(np.int64) @ a.astype(np.int64)).astype(np.float32); "
             "print(threads.openblas_thread_timeout(), np.array_equal(a @ a, exact))")
    tinygrad_first = check.replace("import numpy as np; import tinygrad_edu;",
                                   "import tinygrad_edu; import numpy as np;")
    numpy_first = run_python(check, OPENBLAS_NUM_THREADS="2")
    assert numpy_first.returncode == 0, numpy_first.stderr
    if numpy_first.stdout.split()[0] == "None":
        pytest.skip("NumPy's BLAS here is not an OpenBLAS that threads.py can ask")
    assert numpy_first.stdout.split() == ["18", "True"]
    assert run_python(tinygrad_first, OPENBLAS_NUM_THREADS="2").stdout.split() == ["18", "True"]
    own = run_python(check, OPENBLAS_NUM_THREADS="2", OPENBLAS_THREAD_TIMEOUT="22")
    assert own.stdout.split() == ["22", "True"], own.stderr


def test_set_blas_threads_refuses_zero():
    from tinygrad_edu.kernels import threads

    with pytest.raises(ValueError, match="at least 1"):
        threads.set_blas_threads(0)

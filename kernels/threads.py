"""How the parallel kernels get their threads, chosen so that they do not fight OpenBLAS for the cores.

A training step alternates Numba kernels (im2col, pooling, col2im) with OpenBLAS matrix products. Both keep a
pool of threads, one per core. With Numba's OpenMP layer, its threads spin for a while after each kernel,
waiting for more work, exactly when OpenBLAS's threads want the same cores: on a 2-core machine an OpenMP kernel
followed by a BLAS product ran 3.6× slower than the two apart. Threads that sleep when idle avoid it.

    TINYGRAD_EDU_THREADING=workqueue   (default) Numba's own simple thread pool, whose idle threads sleep
    TINYGRAD_EDU_THREADING=omp         OpenMP, with OMP_WAIT_POLICY=PASSIVE (idle threads sleep) unless set
    TINYGRAD_EDU_THREADING=tbb         Intel TBB (needs the tbb package)
    TINYGRAD_EDU_THREADING=serial      the kernels run on one thread; BLAS keeps all cores
    TINYGRAD_EDU_THREADING=numba       leave it to Numba (NUMBA_THREADING_LAYER, else its default order)

When NUMBA_THREADING_LAYER is set and TINYGRAD_EDU_THREADING is not, Numba's own variable is obeyed. The choice
must be made before the first parallel kernel runs (Numba starts its threads once); ``configure()`` runs when
a compiled kernel module (im2col.py, pool.py, attention.py) is first imported, which kernels/dispatch.py does on
the first call that needs one, so the policy covers every parallel Numba kernel of the process. Importing
``tinygrad_edu`` imports neither this module's Numba nor the kernels. docs/convolution.md has the measurements
behind the default.
"""

from __future__ import annotations

import os

import numba  # this module is imported with the compiled kernels only (see dispatch.py), never at package import

ENV_VAR = "TINYGRAD_EDU_THREADING"
DEFAULT = "workqueue"
CHOICES = ("workqueue", "omp", "tbb", "serial", "numba")

_configured: str | None = None


def _threads_started() -> bool:
    from numba.np.ufunc import parallel

    return bool(getattr(parallel, "_is_initialized", False))


def configure() -> str:
    """Apply the threading policy (once) and return its name."""
    global _configured
    if _configured is not None:
        return _configured
    if ENV_VAR in os.environ:
        policy = os.environ[ENV_VAR].strip().lower()
    elif "NUMBA_THREADING_LAYER" in os.environ:
        policy = "numba"
    else:
        policy = DEFAULT
    if policy not in CHOICES:
        raise ValueError(f"{ENV_VAR}={policy!r} is not a threading policy: use one of {', '.join(CHOICES)}")
    if policy == "tbb":
        try:
            from numba.np.ufunc import tbbpool  # noqa: F401
        except ImportError as error:
            raise ValueError(f"{ENV_VAR}=tbb needs Intel TBB, which is not installed ({error}): "
                             "pip install tbb, or choose workqueue or omp") from None
    if _threads_started():
        policy = "numba"  # some other parallel Numba code ran first: its threads are already running
    elif policy in ("workqueue", "omp", "tbb"):
        if policy == "omp":
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when libgomp loads, at the first kernel
        numba.config.THREADING_LAYER = policy
    elif policy == "serial":
        numba.config.THREADING_LAYER = "workqueue"
        numba.set_num_threads(1)
    _configured = policy
    return policy


def chunk_size(iterations: int) -> int:
    """Iterations per chunk of a parallel loop: about 8 chunks per thread, taken by whichever thread is free.

    Numba's default gives each thread one equal share. On a machine that other programs also use, one of our
    threads is sometimes descheduled, and the loop then waits for its whole share; with small chunks the other
    threads take over the rest (im2col of (64, 32, 13, 13) on a busy 2-core machine: 2.9 → 1.9 ms). Use it as
    ``with numba.parallel_chunksize(chunk_size(n)): kernel(...)``.
    """
    return max(1, iterations // (8 * numba.get_num_threads()))


def num_threads() -> int:
    """The number of threads the parallel kernels use (after applying the policy)."""
    configure()
    return numba.get_num_threads()


def describe() -> str:
    """The policy and, once a kernel has run, Numba's threading layer and thread count."""
    layer = numba.threading_layer() if _threads_started() else "not started"
    return f"policy={_configured or 'unconfigured'}, layer={layer}, threads={numba.get_num_threads()}"

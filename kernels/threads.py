"""How the parallel kernels get their threads, chosen so that they do not fight OpenBLAS for the cores.

A training step alternates Numba kernels (im2col, pooling, col2im) with OpenBLAS matrix products. Both keep a
pool of threads, one per core. Threads that spin long after a kernel, waiting for more work, take the cores
OpenBLAS's threads want next: with OpenMP's default spin (300,000 pauses, milliseconds) an OpenMP kernel followed
by a BLAS product ran 3.6× slower than the two apart on a 2-core machine. Threads that sleep at once pay for it
at the next kernel, which must wake them: on this project's virtual machine a sleeping core takes 0.1–1 ms to
wake (a tiny parallel kernel: 62 µs back to back with Numba's workqueue pool, 206 µs after 5 ms idle; the CNN's
training step starts about 12 parallel kernels). Intel TBB's threads spin briefly before they sleep, and it is
fork-safe: 5 µs back to back, and the CNN step 0.72–0.85× the workqueue pool's (four pairs of processes in
turn, 2026-12-07). So:

    TINYGRAD_EDU_THREADING=tbb         (default where it loads: the ``tbb`` package, in the dev and fast extras)
                                       Intel TBB
    TINYGRAD_EDU_THREADING=workqueue   (default otherwise) Numba's own simple thread pool, whose idle threads
                                       sleep at once
    TINYGRAD_EDU_THREADING=omp         OpenMP whose idle threads spin ``SPIN_COUNT`` = 3000 pauses (about 0.1 ms,
                                       as OpenBLAS's below), then sleep (``GOMP_SPINCOUNT``, set only while GNU
                                       OpenMP starts; a GOMP_SPINCOUNT or OMP_WAIT_POLICY of yours is obeyed):
                                       4 µs per kernel back to back, the CNN step 0.67–0.93× workqueue's. Not
                                       fork-safe: a child of ``multiprocessing``'s "fork" that runs a parallel
                                       kernel is terminated by Numba ("fork() called from a process already using
                                       GNU OpenMP")
    TINYGRAD_EDU_THREADING=serial      the kernels run on one thread; BLAS keeps all cores
    TINYGRAD_EDU_THREADING=numba       leave it to Numba (NUMBA_THREADING_LAYER, else its default order)

The other half of the policy is OpenBLAS's. Its threads share out every matrix product, however small, and wait
for each other at its end, spinning. A loop of many small products (the attention heads' 128 × 32 products, the
LSTM's one product per time step) pays that synchronisation each time, and on a machine that other programs also
use, where one of the threads is often descheduled, it becomes catastrophic: the short attention path at
8 × 4 × 128 × 32 took 25 ms with one BLAS thread and 1950 ms with two (a loaded 2-core machine). So:

    TINYGRAD_EDU_SMALL_BLAS=serial     (default) inside ``small_products()`` OpenBLAS runs on one thread; the
                                       parallelism comes from our kernels (over heads, rows) instead
    TINYGRAD_EDU_SMALL_BLAS=parallel   leave OpenBLAS's thread count alone everywhere

Large products (a convolution's, a linear layer's over a whole batch) keep all of OpenBLAS's threads. After a
product, OpenBLAS's idle threads spin for ``2^OPENBLAS_THREAD_TIMEOUT`` cycles before they sleep: 2²⁸ by default,
about 0.1 s, longer than most of our Numba kernels, which then run with one core taken by a spinning thread
(the LSTM's time loop on two threads: 17 ms alone, 28 ms after one two-thread product). ``import tinygrad_edu``
sets the variable to 18 (about 0.1 ms, still enough for back-to-back products) unless you set it; where NumPy
was imported first, OpenBLAS has read it already, so ``sync_openblas_thread_timeout()`` makes it read it again;
``describe()`` shows the value OpenBLAS uses. OpenBLAS's
thread count is set through its C API (``openblas_set_num_threads``), found with ctypes in the loaded library;
with another BLAS (MKL, Accelerate) ``small_products()`` does nothing.

When NUMBA_THREADING_LAYER is set and TINYGRAD_EDU_THREADING is not, Numba's own variable is obeyed. The choice
must be made before the first parallel kernel runs (Numba starts its threads once); ``configure()`` runs when
a compiled kernel module (im2col.py, pool.py, attention.py) is first imported, which kernels/dispatch.py does on
the first call that needs one, so the policy covers every parallel Numba kernel of the process. Importing
``tinygrad_edu`` imports neither this module's Numba nor the kernels. docs/convolution.md has the measurements
behind the default.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

ENV_VAR = "TINYGRAD_EDU_THREADING"
SMALL_BLAS_ENV_VAR = "TINYGRAD_EDU_SMALL_BLAS"
SMALL_BLAS_CHOICES = ("serial", "parallel")
CHOICES = ("tbb", "workqueue", "omp", "serial", "numba")
SPIN_COUNT = 3000  # pause instructions an idle OpenMP thread spins before it sleeps: about 0.1 ms

_configured: str | None = None


def _threads_started() -> bool:
    from numba.np.ufunc import parallel  # Numba is imported by the functions that need it, not with this module

    return bool(getattr(parallel, "_is_initialized", False))


def chosen_policy() -> str:
    """The policy ``configure()`` applies: ``TINYGRAD_EDU_THREADING``, else "numba" where NUMBA_THREADING_LAYER is
    set, else "tbb" where it loads, else "workqueue"."""
    if ENV_VAR in os.environ:
        return os.environ[ENV_VAR].strip().lower()
    if "NUMBA_THREADING_LAYER" in os.environ:
        return "numba"
    return "tbb" if tbb_loads() else "workqueue"


def configure() -> str:
    """Apply the threading policy (once) and return its name."""
    global _configured
    if _configured is not None:
        return _configured
    import numba

    policy = chosen_policy()
    if policy not in CHOICES:
        raise ValueError(f"{ENV_VAR}={policy!r} is not a threading policy: use one of {', '.join(CHOICES)}")
    if policy == "tbb" and not tbb_loads():
        raise ValueError(f"{ENV_VAR}=tbb needs Intel TBB, which does not load here ({tbb_problem()}): "
                         "pip install tbb, or choose workqueue or omp")
    if _threads_started():
        policy = "numba"  # some other parallel Numba code ran first: its threads are already running
    elif policy in ("workqueue", "omp", "tbb"):
        numba.config.THREADING_LAYER = policy
        if policy == "omp":
            try:  # a user's GOMP_SPINCOUNT or OMP_WAIT_POLICY is obeyed
                _start_omp_threads(spin="GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ)
            except (ImportError, ValueError):
                raise ValueError(f"{ENV_VAR}=omp: Numba's OpenMP layer does not load here (no libgomp?): "
                                 "choose workqueue") from None
    elif policy == "serial":
        numba.config.THREADING_LAYER = "workqueue"
        numba.set_num_threads(1)
    _configured = policy
    return policy


def tbb_loads() -> bool:
    """Whether Numba's TBB layer loads here (``tbb_problem()`` says why not)."""
    return tbb_problem() is None


@cache
def tbb_problem() -> str | None:
    """Why Numba's TBB layer does not load, or None when it does. The ``tbb`` package puts libtbb.so.12 in the
    environment's lib/ folder, where the dynamic loader does not look: it is loaded from there first (by its full
    path), and Numba's layer, which needs it, then finds it loaded."""
    import site
    import sys

    for folder in dict.fromkeys((sys.prefix, sys.base_prefix, site.USER_BASE or "")):
        path = os.path.join(folder, "lib", "libtbb.so.12")
        if folder and os.path.exists(path):
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                continue
            break
    try:
        from numba.np.ufunc import parallel, tbbpool  # noqa: F401

        parallel._check_tbb_version_compatible()  # Numba's own check: TBB 2021.6 or later
    except (ImportError, ValueError, OSError) as error:
        return str(error)
    return None


def _start_omp_threads(spin: bool) -> None:
    """Start Numba's OpenMP threads; with ``spin``, idle threads spin ``SPIN_COUNT`` pauses, then sleep.

    GNU OpenMP reads ``GOMP_SPINCOUNT`` once, when the library loads (here): the variable is set for that moment
    only and then restored, so an OpenMP runtime loaded later (PyTorch's own copy) keeps its defaults."""
    from numba.np.ufunc import parallel

    if spin:
        os.environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    try:
        parallel._launch_threads()
    finally:
        if spin:
            del os.environ["GOMP_SPINCOUNT"]


def chunk_size(iterations: int) -> int:
    """Iterations per chunk of a parallel loop: about 8 chunks per thread, taken by whichever thread is free.

    Numba's default gives each thread one equal share. On a machine that other programs also use, one of our
    threads is sometimes descheduled, and the loop then waits for its whole share; with small chunks the other
    threads take over the rest (im2col of (64, 32, 13, 13) on a busy 2-core machine: 2.9 → 1.9 ms). Use it as
    ``with numba.parallel_chunksize(chunk_size(n)): kernel(...)``.
    """
    import numba

    return max(1, iterations // (8 * numba.get_num_threads()))


def num_threads() -> int:
    """The number of threads the parallel kernels use (after applying the policy)."""
    import numba

    configure()
    return numba.get_num_threads()


def describe() -> str:
    """The policy and, once a kernel has run, Numba's threading layer and thread count."""
    import numba

    layer = numba.threading_layer() if _threads_started() else "not started"
    return (f"policy={_configured or 'unconfigured'}, layer={layer}, threads={numba.get_num_threads()}, "
            f"BLAS threads={blas_threads()}, small products={small_blas_policy()}, "
            f"OpenBLAS thread timeout={openblas_thread_timeout()}")


# ------------------------------------------------------------------------------------------------ OpenBLAS

_BLAS_SUFFIXES = ("", "64_")  # the 64-bit-integer builds (NumPy's own) export openblas_…64_


@cache
def openblas_library() -> Any | None:
    """The OpenBLAS that NumPy loaded, as a ctypes library, or None (another BLAS, or not found)."""
    import numpy  # noqa: F401  (loads its BLAS)

    paths = set()
    try:
        with open("/proc/self/maps") as maps:  # Linux: the shared libraries this process has mapped
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


@cache
def _openblas() -> tuple[Any, Any] | None:
    """(set_num_threads, get_num_threads) of the OpenBLAS that NumPy loaded, or None (another BLAS, or not found)."""
    library = openblas_library()
    if library is None:
        return None
    for prefix in ("openblas", "scipy_openblas"):
        for suffix in _BLAS_SUFFIXES:
            setter = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
            getter = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                setter.argtypes, getter.restype = [ctypes.c_int], ctypes.c_int
                return setter, getter
    return None


def blas_threads() -> int | None:
    """OpenBLAS's current thread count (None when NumPy's BLAS is not an OpenBLAS we can find)."""
    functions = _openblas()
    return None if functions is None else int(functions[1]())


def set_blas_threads(count: int) -> None:
    """Set OpenBLAS's thread count (nothing happens with another BLAS)."""
    if count < 1:
        raise ValueError(f"set_blas_threads({count}): the thread count must be at least 1")
    functions = _openblas()
    if functions is not None:
        functions[0](count)


def _openblas_function(name: str) -> Any | None:
    """The function ``name`` of the OpenBLAS that NumPy loaded (unprefixed: OpenBLAS's internals), or None."""
    library = openblas_library()
    return None if library is None else getattr(library, name, None)


def openblas_thread_timeout() -> int | None:
    """The ``OPENBLAS_THREAD_TIMEOUT`` OpenBLAS has read (its idle threads spin 2^n cycles; 0: its default, 2²⁸),
    or None when NumPy's BLAS is not an OpenBLAS we can ask."""
    getter = _openblas_function("openblas_thread_timeout")
    if getter is None:
        return None
    getter.restype = ctypes.c_int
    return int(getter())


def apply_openblas_thread_timeout() -> bool:
    """Make an already-loaded OpenBLAS obey ``OPENBLAS_THREAD_TIMEOUT`` as it is now in ``os.environ``.

    OpenBLAS reads its environment once, when it loads (with NumPy), and its threads take the timeout when they
    start. ``import tinygrad_edu`` after ``import numpy`` calls this: OpenBLAS re-reads its environment
    (``openblas_read_env``) and stops its threads (``blas_thread_shutdown_``, what it does itself before a
    fork); the next product that wants them starts them again, with the new timeout. Without it, the LSTM step
    took 47–51 ms instead of 31–32 ms (a spinning BLAS thread held a core through the time loop). Returns whether
    it could; call it while no other thread is inside OpenBLAS.
    """
    read_env, shutdown = _openblas_function("openblas_read_env"), _openblas_function("blas_thread_shutdown_")
    if read_env is None or shutdown is None:
        return False
    read_env()
    shutdown()
    return True


def sync_openblas_thread_timeout() -> bool:
    """``apply_openblas_thread_timeout()`` where the value OpenBLAS read differs from ``OPENBLAS_THREAD_TIMEOUT``
    in ``os.environ`` (NumPy imported before the variable was set). Returns whether it acted."""
    try:
        wanted = int(os.environ.get("OPENBLAS_THREAD_TIMEOUT", ""))
    except ValueError:
        return False
    current = openblas_thread_timeout()
    return current is not None and current != wanted and apply_openblas_thread_timeout()


def small_blas_policy() -> str:
    """``TINYGRAD_EDU_SMALL_BLAS``: "serial" (default) or "parallel"."""
    policy = os.environ.get(SMALL_BLAS_ENV_VAR, "serial").strip().lower()
    if policy not in SMALL_BLAS_CHOICES:
        raise ValueError(f"{SMALL_BLAS_ENV_VAR}={policy!r} is not a policy: use one of {', '.join(SMALL_BLAS_CHOICES)}")
    return policy


@contextmanager
def small_products() -> Iterator[None]:
    """Inside: a loop of many small matrix products, which OpenBLAS runs on one thread each (the default policy),
    so its threads never synchronise per product. Restores the thread count on exit. (MKL, blas.py, needs no
    setting: its TBB layer takes whichever TBB workers are free, and cannot be held to one thread.)"""
    before = blas_threads() if small_blas_policy() == "serial" else None
    if before is None or before == 1:
        yield
        return
    set_blas_threads(1)
    try:
        yield
    finally:
        set_blas_threads(before)


# ------------------------------------------------------------------------------------- independent row blocks

_executor: Any = None
MIN_BLOCK_WORK = 1 << 20  # multiply-adds a thread's block should hold at least (about 0.1 ms; see row_blocks)


def row_blocks(rows: int, work_per_row: int = 1) -> list[tuple[int, int]]:
    """Split ``rows`` independent rows into one block per kernel thread, as (start, stop) pairs. A block gets at
    least ``MIN_BLOCK_WORK`` multiply-adds (``work_per_row`` per row, over the whole loop): below that, starting a
    thread and handing the GIL back and forth cost more than the second core gains (tiny problems, such as
    the gradient checks' LSTMs, stay on one thread)."""
    by_work = rows * work_per_row // MIN_BLOCK_WORK
    parts = max(1, min(num_threads(), rows, by_work))
    bounds = [rows * p // parts for p in range(parts + 1)]
    return [(bounds[p], bounds[p + 1]) for p in range(parts) if bounds[p] < bounds[p + 1]]


def run_blocks(blocks: list[tuple[int, int]], work: Callable[[int, int], None]) -> None:
    """``work(start, stop)`` for every block at once, each on its own Python thread (this one runs the first).

    For a loop of small matrix products over rows that never meet, written with NumPy's products: the recurrent
    layers' time loops (each batch row has its own recurrence) and attention's heads where no sgemm can be
    called from a kernel (with one, lstm.py and attention.py run their blocks in a parallel Numba loop, whose
    threads start faster). Each thread runs the whole loop for its rows, so the threads never wait for each
    other inside it, and OpenBLAS, on one thread inside ``small_products()``, works on every core at once.
    ``work`` must release the GIL for its heavy parts (NumPy's products do; the Numba kernels it calls are
    compiled ``nogil`` and not ``parallel``: Numba's thread pool must not be entered from two threads).
    """
    global _executor
    if len(blocks) == 1:
        work(*blocks[0])
        return
    if _executor is None or _executor._max_workers < len(blocks) - 1:
        from concurrent.futures import ThreadPoolExecutor

        _executor = ThreadPoolExecutor(max_workers=len(blocks) - 1, thread_name_prefix="tinygrad_edu-rows")
    futures = [_executor.submit(work, start, stop) for start, stop in blocks[1:]]
    try:
        work(*blocks[0])
    finally:
        for future in futures:
            future.result()

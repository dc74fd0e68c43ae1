"""Solutions to the exercises of notebook 10_gpu_backend."""

import time

import numba
import numpy as np
from tinygrad_edu.kernels import im2col, pool, reference

import tinygrad_edu as tg
from tinygrad_edu import backend


def best_of(function, repeats=5):
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


# 1. Pooling kernels: identical values and argmax positions
x = np.random.default_rng(0).standard_normal((64, 32, 26, 26)).astype(np.float32)
args = dict(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), out_size=(13, 13))
(ref_values, ref_argmax), (numba_values, numba_argmax) = reference.max_pool2d(x, **args), pool.max_pool2d(x, **args)
assert np.array_equal(ref_values, numba_values) and np.array_equal(ref_argmax, numba_argmax)
print(f"1. max pooling identical; reference {1000 * best_of(lambda: reference.max_pool2d(x, **args)):.2f} ms, "
      f"Numba {1000 * best_of(lambda: pool.max_pool2d(x, **args)):.2f} ms")


# 2. A Numba softplus
@numba.njit(parallel=True, cache=False)
def softplus(values):
    out = np.empty_like(values)
    for i in numba.prange(values.size):
        v = values[i]
        out[i] = max(v, 0.0) + np.log1p(np.exp(-abs(v)))
    return out


big = np.random.default_rng(1).standard_normal(10**6).astype(np.float32)
assert np.allclose(softplus(big), np.logaddexp(0, big), atol=1e-6)
print(f"2. softplus on 10⁶ floats: Numba {1000 * best_of(lambda: softplus(big), 3):.1f} ms, "
      f"NumPy logaddexp {1000 * best_of(lambda: np.logaddexp(0, big), 3):.1f} ms")

# 3. Threads: the im2col kernel with all threads and with one
conv_input = np.random.default_rng(2).standard_normal((64, 32, 13, 13)).astype(np.float32)
geometry = dict(kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1), out_size=(11, 11))
threads = numba.get_num_threads()
all_threads = best_of(lambda: im2col.im2col(conv_input, **geometry))
numba.set_num_threads(1)
one_thread = best_of(lambda: im2col.im2col(conv_input, **geometry))
numba.set_num_threads(threads)
print(f"3. im2col with {threads} threads {1000 * all_threads:.2f} ms, with 1 thread {1000 * one_thread:.2f} ms")

# 4. On a GPU: larger batches keep more of its thousands of cores busy and spread the fixed cost of launching each
#    kernel over more work; with 64 images much of a step is launch overhead.
if backend.gpu_available():
    print("4. run the cell of section 2 with images[:64] and a 1024-image batch (data.shapes(1024)) and compare")
else:
    print("4. no GPU here: nothing to time")
print(tg.__name__, "ok")

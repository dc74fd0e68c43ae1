"""Kernels: the loops that NumPy cannot express as whole-array operations, compiled with Numba (CPU) or numba.cuda.

Installed as ``tinygrad_edu.kernels``. Each kernel has a plain NumPy reference (reference.py), the readable
version, and the tests check that the two agree. ``dispatch.py`` makes every choice between the reference, a
Numba CPU kernel and a CUDA kernel; the ops call it. Numba itself is imported by the first call that needs a
compiled kernel. May import: ``tinygrad_edu.backend`` and nothing else of the package.
"""

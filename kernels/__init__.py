"""Numba kernels: the loops that NumPy cannot express as whole-array operations, compiled to machine code.

Installed as ``tinygrad_edu.kernels``. Each kernel has a plain NumPy reference beside it, the readable
version, and the tests check that the two agree.
"""

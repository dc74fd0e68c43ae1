"""``python -m tinygrad_edu.distributed``: is MPI usable here? Alone it says what is installed (or, in one line, how
to install it); under ``mpiexec -n p`` every rank reports and an all-reduce checks that the ranks talk."""

from __future__ import annotations

import sys

import numpy as np

from . import launch
from .process_group import all_reduce_array, init, launched_size


def main() -> int:
    problem = launch.why_no_mpi()
    if launched_size() <= 1:
        if problem is not None:
            print(problem)
            return 1
        from mpi4py import MPI

        print(f"mpi4py and {MPI.Get_library_version().splitlines()[0].strip()}; mpiexec: {launch.mpiexec_path()}")
        print("this process is a world of one; try: mpiexec -n 2 python -m tinygrad_edu.distributed")
        return 0
    world = init()
    total = all_reduce_array(np.array([world.rank], dtype=np.int64), "sum")
    expected = world.size * (world.size - 1) // 2
    print(f"rank {world.rank} of {world.size}: all-reduce of the ranks = {int(total[0])} "
          f"({'ok' if total[0] == expected else f'expected {expected}'})", flush=True)
    return 0 if total[0] == expected else 1


if __name__ == "__main__":
    sys.exit(main())

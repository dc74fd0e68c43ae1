"""The ring all-reduce, written by hand over point-to-point messages: the lesson beside ``all_reduce``.

The p ranks stand in a ring; rank r sends to r+1 and receives from r−1 (mod p). The vector of n elements is cut
into p pieces (``chunk_bounds``). Two phases of p − 1 steps each:

* **reduce-scatter**: at step s, rank r sends piece (r − s) mod p and adds the piece (r − s − 1) mod p it
  receives into its own. After p − 1 steps rank r holds the full sum of piece (r + 1) mod p.
* **all-gather**: at step s, rank r sends the summed piece (r + 1 − s) mod p and stores the piece
  (r − s) mod p it receives. After p − 1 steps every rank holds every summed piece.

Each rank sends 2(p − 1) messages of n/p elements, so the time is (formula F97)

    T(p, n) = 2(p − 1) · α  +  2 (p − 1)/p · n·s / B

with α the latency of one message, B the bandwidth and s the bytes per element. The bandwidth term tends to
2·n·s/B, *independent of p*: why the ring is the all-reduce of data-parallel training.
"""

from __future__ import annotations

import time

import numpy as np

from .process_group import CLOCK, chunk_bounds, init


def ring_all_reduce(vector: np.ndarray) -> np.ndarray:
    """Σ over ranks of the flat host array ``vector``, by the ring algorithm (in place; also returned)."""
    world = init()
    p, r = world.size, world.rank
    if p == 1:
        return vector
    start_time = time.perf_counter()
    pieces = chunk_bounds(vector.size, p)
    right, left = (r + 1) % p, (r - 1) % p
    incoming = np.empty(max(b - a for a, b in pieces), dtype=vector.dtype)  # the largest piece

    for step in range(p - 1):  # reduce-scatter
        send_lo, send_hi = pieces[(r - step) % p]
        recv_lo, recv_hi = pieces[(r - step - 1) % p]
        received = incoming[: recv_hi - recv_lo]
        world.comm.Sendrecv(vector[send_lo:send_hi], dest=right, recvbuf=received, source=left)
        vector[recv_lo:recv_hi] += received

    for step in range(p - 1):  # all-gather
        send_lo, send_hi = pieces[(r + 1 - step) % p]
        recv_lo, recv_hi = pieces[(r - step) % p]
        received = incoming[: recv_hi - recv_lo]
        world.comm.Sendrecv(vector[send_lo:send_hi], dest=right, recvbuf=received, source=left)
        vector[recv_lo:recv_hi] = received

    CLOCK.add("ring_all_reduce", time.perf_counter() - start_time, vector.nbytes)
    return vector

"""Bounds on work rather than on wall-clock time: a slow machine is no failure, a blow-up is."""
from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bounded_memory(megabytes: float) -> Iterator[None]:
    """The block allocates at most `megabytes` at its peak (Python allocations, tracemalloc)."""
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < megabytes * 2**20, f"peak {peak / 2**20:.1f} MB, bound {megabytes} MB"

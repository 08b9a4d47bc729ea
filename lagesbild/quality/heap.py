"""glibc's heap while GX validates large frames: big blocks reused instead of mapped anew.

GX's pandas engine copies the validated frame for every column expectation (`frame[mask]`,
one copy per dtype block: the national fact table's float columns are one ≈ 90 MB block).
glibc serves a block above its mmap threshold (128 KiB at start, raised by itself to at most
32 MiB) from a fresh mapping and unmaps it when freed, so every copy pays its page faults
again (≈ 22,000 for 90 MB). `reused_heap()` raises the threshold above such blocks for as
long as the suites run, and the trim threshold with it, so a freed block stays in the heap
for the next copy; afterwards glibc's start values are set again and the free heap is handed
back to the OS (`malloc_trim`). Where the C library is not glibc it does nothing.

After any `mallopt` call glibc no longer raises its mmap threshold by itself, so the steps
that follow in the same process keep the 128 KiB start value. Only numpy/pandas and Python
objects allocate from glibc here (DuckDB, polars and pyarrow bring jemalloc): the national
publication in a process left so took as long as in a fresh one (four alternating pairs).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""mallopt parameters (glibc's malloc.h)."""
GLIBC_START_THRESHOLD = 128 * 1024
"""glibc's initial mmap and trim thresholds (what `reused_heap` sets again when done)."""
VALIDATION_MMAP_THRESHOLD = 512 * 1024 * 1024
"""Blocks up to this size come from the heap while suites run (the largest frame copy of a
national run is ≈ 90 MB; anything larger is still mapped and unmapped on its own)."""
VALIDATION_TRIM_THRESHOLD = 1024 * 1024 * 1024
"""Free memory at the heap's top kept while suites run (given back at the end)."""


@cache
def _glibc() -> Any | None:
    """The process's C library when it is glibc (it has `mallopt` and `malloc_trim`)."""
    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(name) if name else None
    if library is None or not hasattr(library, "mallopt") or not hasattr(library, "malloc_trim"):
        return None
    return library


def trim() -> bool:
    """Hand the heap's free memory back to the OS; False where that is not possible."""
    library = _glibc()
    if library is None:
        return False
    library.malloc_trim(0)
    return True


@contextmanager
def reused_heap() -> Iterator[bool]:
    """Large blocks from the heap (and kept there when freed) inside; glibc's start values
    and a trimmed heap after. Yields whether the C library could be tuned."""
    library = _glibc()
    if library is None:
        yield False
        return
    library.mallopt(M_MMAP_THRESHOLD, VALIDATION_MMAP_THRESHOLD)
    library.mallopt(M_TRIM_THRESHOLD, VALIDATION_TRIM_THRESHOLD)
    try:
        yield True
    finally:
        library.mallopt(M_MMAP_THRESHOLD, GLIBC_START_THRESHOLD)
        library.mallopt(M_TRIM_THRESHOLD, GLIBC_START_THRESHOLD)
        library.malloc_trim(0)

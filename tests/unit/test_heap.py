"""While suites run, a large block freed is reused from the heap instead of mapped anew."""

import ctypes
import resource

import pytest

from lagesbild.quality import heap

BLOCK = 64 * 1024 * 1024
"""Above glibc's largest self-set mmap threshold (32 MiB): always a fresh mapping by default."""
PAGES = BLOCK // resource.getpagesize()


def _libc() -> ctypes.CDLL:
    library = heap._glibc()
    if library is None:
        pytest.skip("the C library is not glibc")
    library.malloc.restype = ctypes.c_void_p
    library.malloc.argtypes = [ctypes.c_size_t]
    library.free.argtypes = [ctypes.c_void_p]
    return library


def _faults_of_a_block(library: ctypes.CDLL) -> int:
    """Page faults of allocating a block, writing all of it and freeing it (like a copy)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    address = library.malloc(BLOCK)
    assert address, "malloc failed"
    ctypes.memset(address, 1, BLOCK)
    library.free(address)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_a_freed_block_is_reused_only_inside_the_session() -> None:
    library = _libc()
    outside = [_faults_of_a_block(library) for _ in range(2)]
    with heap.reused_heap() as tuned:
        inside = [_faults_of_a_block(library) for _ in range(3)]
    after = [_faults_of_a_block(library) for _ in range(2)]

    assert tuned
    assert min(outside) > PAGES // 2, "by default every block is mapped (and faulted) anew"
    assert inside[0] > PAGES // 2, "the first block is new memory either way"
    assert max(inside[1:]) < PAGES // 20, "later blocks reuse the freed one"
    assert min(after) > PAGES // 2, "glibc's start values hold again afterwards"


def test_the_session_hands_the_heap_back_and_restores_even_on_error() -> None:
    library = _libc()
    with pytest.raises(RuntimeError), heap.reused_heap():
        _faults_of_a_block(library)
        raise RuntimeError("a suite failed")

    assert _faults_of_a_block(library) > PAGES // 2
    assert heap.trim()

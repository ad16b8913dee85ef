"""Memory over a replay's blocks.

Freed memory kept for the next block: replay allocates and frees the same few-MB buffers
thousands of times (a block's packed messages, a chunk's records). glibc hands allocations over
128 kB to mmap and gives freed heap back to the kernel, so each block faulted its pages in afresh
and the kernel zeroed them: ~480 k page faults and ~0.8 s of system time on the 10-minute bag,
against ~115 k with the settings below (measured). The process then keeps up to TRIM_BYTES of
freed heap; its peak memory still does not grow with the bag's length.
"""

from __future__ import annotations

import ctypes
import gc
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_BYTES = 32 << 20  # glibc's largest mmap threshold on 64-bit: a block's buffers stay on the heap
TRIM_BYTES = 256 << 20

_done = False


def keep_freed_memory() -> bool:
    """Set glibc's thresholds once per process (inherited by forked children); False where the
    C library is not glibc (nothing is changed)."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_BYTES))
    return _done


class PausedCollector:
    """Python's cyclic garbage collector paused over a replay's blocks, a full collection every
    `every` blocks instead: its automatic passes (the young generation at every 700 new containers —
    a block's fixes, runs and messages make thousands) took ~5 % of the replay command's CPU, its
    reader's included (measured). Reference counting frees everything else as before; a cycle
    waits at most `every` blocks. `with PausedCollector() as gc_pause:` then gc_pause.tick() a block."""

    def __init__(self, every: int = 16):
        self.every, self.count, self.was = every, 0, False

    def __enter__(self) -> PausedCollector:
        self.was = gc.isenabled()
        gc.disable()
        return self

    def tick(self) -> None:
        self.count += 1
        if self.count % self.every == 0:
            gc.collect()

    def __exit__(self, *exc) -> None:
        if self.was:
            gc.enable()

"""numba's compiler for the per-sample math, or the plain function where it is not wanted.

Everything under `jit` is written so that it runs both compiled (numba, a core dependency) and
as ordinary Python: the same source is the live nodes', the offline replay's and the tests'.
SPRINT_FUSION_KERNELS=numpy runs it uncompiled (with numpy's predict/update), e.g. where
numba's ~120 MB per process matter or on a platform without numba wheels.
"""

from __future__ import annotations

import os

CHOICES = ("auto", "numba", "numpy")


def _numba(choice: str):
    if choice not in CHOICES:
        raise ValueError(f"SPRINT_FUSION_KERNELS={choice!r}: one of {', '.join(CHOICES)}")
    if choice == "numpy":
        return None
    try:
        import numba
    except ImportError:
        if choice == "numba":
            raise
        return None
    return numba


_NUMBA = _numba(os.environ.get("SPRINT_FUSION_KERNELS", "auto"))
COMPILED = _NUMBA is not None
NAME = "numba" if COMPILED else "numpy"


def jit(fn):
    """Compile `fn` with numba when compiled kernels are in use, cached on disk (next to the
    source, else in ~/.cache/numba or NUMBA_CACHE_DIR); where no cache location is writable (a
    read-only install, no home), compiled afresh in each process instead of failing."""
    if not COMPILED:
        return fn
    try:
        return _NUMBA.njit(cache=True)(fn)
    except RuntimeError:  # numba: "cannot cache function …: no locator available"
        return _NUMBA.njit(fn)

"""numba's compiler for the per-sample math, or the plain function where it is not wanted.

Everything under `jit` is written so that it runs both compiled (numba, a core dependency) and
as ordinary Python: the same source is the live nodes', the offline replay's and the tests'.
SPRINT_FUSION_KERNELS=numpy runs it uncompiled (with numpy's predict/update), e.g. where
numba's ~120 MB per process matter or on a platform without numba wheels.
"""

from __future__ import annotations

import os

CHOICES = ("auto", "numba", "numpy")


def _compiler(choice: str):
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
    return numba.njit(cache=True)


_NJIT = _compiler(os.environ.get("SPRINT_FUSION_KERNELS", "auto"))
COMPILED = _NJIT is not None
NAME = "numba" if COMPILED else "numpy"


def jit(fn):
    """Compile `fn` with numba (cached on disk) when compiled kernels are in use."""
    return _NJIT(fn) if COMPILED else fn

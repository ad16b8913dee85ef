"""numba's compiler for the per-sample math, or the plain function where it is not wanted.

Everything under `jit` is written so that it runs both compiled (numba) and as ordinary Python:
the same source is the live nodes', the offline replay's and the tests'. The choice is made once
per process, when the first step is defined (the first import of a filter module):
- SPRINT_FUSION_KERNELS=numba: compiled, or an error where numba is missing;
- SPRINT_FUSION_KERNELS=python: the plain functions;
- unset: what the process preferred before (`prefer()`), else numba where it is installed.
The live nodes prefer plain Python (sprint_fusion.nodes): there the filters are a few per cent
of a node's time next to rclpy's, and a node then starts at once, without numba's ~120 MB and
its compile; offline, compiled runs of IMU samples are ~17× faster (docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CHOICES = ("auto", "numba", "python")

_preferred = "auto"
_numba = None
_decided = False


def prefer(choice: str) -> bool:
    """The kernels this process wants when SPRINT_FUSION_KERNELS does not say; effective only
    before the first step is defined (False when too late)."""
    global _preferred
    if choice not in CHOICES:
        raise ValueError(f"kernels {choice!r}: one of {', '.join(CHOICES)}")
    _preferred = choice
    return not _decided


def _cache_dir() -> Path:
    """Where compiled steps are cached: one folder per version of the filter sources. numba checks
    only the file of the function it caches, and a step compiled into the chain would otherwise
    outlive a change to another module it calls."""
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sprint_fusion" / "numba" / digest.hexdigest()[:16]


def _decide() -> None:
    global _numba, _decided
    if _decided:
        return
    choice = os.environ.get("SPRINT_FUSION_KERNELS") or _preferred
    if choice not in CHOICES:
        raise ValueError(f"SPRINT_FUSION_KERNELS={choice!r}: one of {', '.join(CHOICES)}")
    if choice != "python":
        os.environ.setdefault("NUMBA_CACHE_DIR", str(_cache_dir()))
        try:
            import numba
        except ImportError:
            if choice == "numba":
                raise
        else:
            _numba = numba
    _decided = True


def __getattr__(name: str):
    """COMPILED (bool) and NAME ('numba' | 'python'): the kernels in use in this process."""
    if name in ("COMPILED", "NAME"):
        _decide()
        return _numba is not None if name == "COMPILED" else ("numba" if _numba is not None else "python")
    raise AttributeError(name)


def jit(fn):
    """Compile `fn` with numba when compiled kernels are in use, cached on disk (NUMBA_CACHE_DIR, by
    default ~/.cache/sprint_fusion/numba/<version of the filter sources>); where no cache location
    is writable (a read-only install, no home), compiled afresh in each process instead of failing."""
    _decide()
    if _numba is None:
        return fn
    try:
        return _numba.njit(cache=True)(fn)
    except RuntimeError:  # numba: "cannot cache function …: no locator available"
        return _numba.njit(fn)

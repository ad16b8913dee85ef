"""numba's compiler for the per-sample math, or the plain function where it is not wanted.

Everything under `jit` is written so that it runs both compiled (numba) and as ordinary Python:
the same source is the live nodes', the offline replay's and the tests'. The choice is made once
per process, when the first step is defined (the first import of a filter module):
- SPRINT_FUSION_KERNELS=numba: compiled, or an error where numba is missing;
- SPRINT_FUSION_KERNELS=python: the plain functions;
- unset: what the process preferred before (`prefer()`), else numba where it is installed.
The live nodes prefer "cached" (sprint_fusion.nodes): compiled when this version's steps are in
numba's cache already (a mark written by core.fusion.warm_up), else plain Python — a node is
ready at once either way (a cold compile takes ~15 s), and compiled it costs ~15 % of a core less
at 400 Hz (docs/benchmarks.md); `warm_in_background()` fills the cache for the next start.
Offline, compiled runs of IMU samples are ~17× faster.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import numpy as np

CHOICES = ("auto", "numba", "python", "cached")

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
    if choice == "cached":
        choice = "numba" if _warm_mark().exists() else "python"
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


def _warm_mark() -> Path:
    """The mark of a cache warm for these very source files: numba keys its cache on each file's
    path and modification time, so another install of the same version (a colcon workspace beside a
    venv) is not warm because this one is."""
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(f"{source.resolve()}:{source.stat().st_mtime_ns}".encode())
    return Path(os.environ.get("NUMBA_CACHE_DIR") or _cache_dir()) / f"warm-{digest.hexdigest()[:16]}"


def mark_warm() -> None:
    """Every step of this version is in numba's cache (called by warm_up once it compiled them)."""
    if _numba is not None:
        with contextlib.suppress(OSError):  # a read-only cache: the nodes keep running plain Python
            _warm_mark().touch()


def warm_in_background() -> bool:
    """Start a low-priority process that compiles every step into numba's cache, unless it is warm,
    numba is missing or another such process is at it: the next node process then runs compiled."""
    import subprocess
    import sys
    import time

    mark = _warm_mark()
    lock = mark.with_name("warming-" + mark.name.split("-", 1)[1])
    if mark.exists() or os.environ.get("SPRINT_FUSION_KERNELS") == "python":
        return False
    try:
        import importlib.util

        if importlib.util.find_spec("numba") is None:
            return False
        mark.parent.mkdir(parents=True, exist_ok=True)
        if lock.exists() and time.time() - lock.stat().st_mtime < 300:
            return False  # another process is compiling (a graph of one process per node starts many)
        lock.touch()
    except OSError:
        return False
    code = ("import os; os.nice(19)\nfrom sprint_fusion.core.fusion import warm_up\nwarm_up()\n"
            f"import pathlib; pathlib.Path({str(lock)!r}).unlink(missing_ok=True)")
    env = {**os.environ, "SPRINT_FUSION_KERNELS": "numba", "NUMBA_CACHE_DIR": str(mark.parent)}
    subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
    return True


def __getattr__(name: str):
    """COMPILED (bool) and NAME ('numba' | 'python'): the kernels in use in this process."""
    if name in ("COMPILED", "NAME"):
        _decide()
        return _numba is not None if name == "COMPILED" else ("numba" if _numba is not None else "python")
    raise AttributeError(name)


class Direct:
    """A compiled step called from Python without numba's dispatch, where one call site always
    passes arguments of the same types (its own records, floats): numba types every argument of
    every call, and a record (a named tuple of arrays) takes it 1.5–3 µs, the whole chain record
    ~20 µs, against ~0.3 µs for the call itself (measured). The first call goes through numba
    (compiling or loading), which names the specialisation; later calls go to it directly while
    each argument's class — and each array's dtype, dimensions and layout — is the first call's,
    else through numba. A record's arrays are made with it and only written in place, so its class
    names its layout."""

    __slots__ = ("arrays", "entry", "fn", "types")

    def __init__(self, fn):
        self.fn, self.types, self.arrays, self.entry = fn, None, (), None

    def __call__(self, *args):
        if self.entry is not None:
            if tuple(map(type, args)) == self.types and all(_layout(args[k]) == layout for k, layout in self.arrays):
                return self.entry(*args)
            return self.fn(*args)  # other types: numba's choice (not resolved again: a call site alternating
            # between two layouts would pay numba's typing of every argument, ~40 µs a record, at each switch)
        result = self.fn(*args)
        overloads = getattr(self.fn, "overloads", None)
        if overloads is not None:  # compiled: the specialisation numba just chose
            found = overloads.get(tuple(self.fn.typeof_pyval(a) for a in args))
            if found is not None:
                self.types = tuple(map(type, args))
                self.arrays = tuple((k, _layout(a)) for k, a in enumerate(args) if isinstance(a, np.ndarray))
                self.entry = found.entry_point
        return result


def _layout(a) -> tuple:
    """What numba's type of an array depends on: dtype, dimensions, layout, writeability, alignment."""
    flags = a.flags
    return a.dtype, a.ndim, flags.c_contiguous, flags.f_contiguous, flags.writeable, flags.aligned


def jit(fn=None, *, inline: bool = False, nrt: bool = True, nogil: bool = False):
    """Compile `fn` with numba when compiled kernels are in use, cached on disk (NUMBA_CACHE_DIR, by
    default ~/.cache/sprint_fusion/numba/<version of the filter sources>); where no cache location
    is writable (a read-only install, no home), compiled afresh in each process instead of failing.
    @jit(inline=True): numba inlines it into each compiled caller — for the steps a sample runs
    through: a compiled call handing on a filter's record (its arrays, each reference-counted) cost
    more than the step's arithmetic (the 10-minute chain 3.6 → 2.9 s, measured); inlined more
    widely (the Kalman primitives too), the compilation took 55 s instead of 33 for 0.1 s more.
    @jit(nrt=False): compiled without numba's reference counting (its `_nrt` option), for steps that
    allocate nothing — they only read and write the arrays they are given, which their caller keeps
    alive. The per-sample chain and the GNSS step spent over half their time in the atomic counts
    of the records' arrays (perf: two instructions of numba's NRT_incref/decref); without them an
    IMU sample through every stage costs 0.8 µs instead of 4.3 (measured), the same bits. Such a
    step cannot make an array (numba refuses to compile it): quaternion.matrix_of and the like give
    tuples instead.
    @jit(nogil=True): the call lets go of the GIL, for a kernel that runs long (the record writer's,
    on replay's writing thread). Not for the steps: they take microseconds, and each release handed
    the GIL to replay's writing thread, whose Python then held it while the chain waited — the
    10-minute replay took ~0.9 s more CPU and ~0.3 s more time with them all releasing it (medians
    of six alternating runs)."""
    if fn is None:
        return lambda f: jit(f, inline=inline, nrt=nrt, nogil=nogil)
    _decide()
    if _numba is None:
        return fn
    options = {"nogil": nogil, "inline": "always" if inline else "never"}
    if not nrt:
        options["_nrt"] = False
    try:
        return _numba.njit(cache=True, **options)(fn)
    except RuntimeError:  # numba: "cannot cache function …: no locator available"
        return _numba.njit(**options)(fn)

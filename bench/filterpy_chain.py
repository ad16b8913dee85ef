"""The same KF5 + KF2 chain built from filterpy KalmanFilter objects: same inputs, same outputs
(checked), time per filter update against this package's own filter.

    python bench/filterpy_chain.py [BAG]        # default: the bundled 400 m bag

Every filter of the chain goes through core/kalman.py's KalmanFilter interface (predict(A, Q),
update(z, idx, r)); here that class is swapped for one that delegates to filterpy, whose
predict/update are the usual Python choice.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from common import ROOT

from sprint_fusion.bags.reader import read_samples
from sprint_fusion.core import kalman
from sprint_fusion.core.fusion import run


class FilterpyKalman:
    """core.kalman.KalmanFilter's interface on filterpy.kalman.KalmanFilter."""

    def __init__(self, dim: int, p0: float = 1.0):
        from filterpy.kalman import KalmanFilter

        self.dim, self.p0, self._cls = dim, p0, KalmanFilter
        self.reset()

    def reset(self) -> None:
        self.f = self._cls(dim_x=self.dim, dim_z=1)
        self.f.P = np.eye(self.dim) * self.p0

    @property
    def x(self):
        return self.f.x.reshape(-1)

    @property
    def P(self):
        return self.f.P

    def predict(self, A, Q) -> None:
        self.f.predict(F=A, Q=Q)

    def update(self, z, idx, r) -> None:
        for zk, i, rk in zip(z, idx, r, strict=True):  # filterpy's joint update, one row at a time
            H = np.zeros((1, self.dim))
            H[0, i] = 1.0
            self.f.update(np.array([[zk]]), R=np.array([[rk]]), H=H)


class Recording:
    """Builds the filters of a chain run and records every call they get, in order."""

    def __init__(self, cls):
        self.cls, self.calls, self.dims = cls, [], []

    def __call__(self, dim, p0=1.0):
        recorder, index = self, len(self.dims)
        self.dims.append((dim, p0))
        inner = self.cls(dim, p0)
        update, predict = inner.update, inner.predict

        def recorded_update(z, idx, r):
            recorder.calls.append((index, "u", (list(z), list(idx), list(r))))
            update(z, idx, r)

        def recorded_predict(A, Q):
            recorder.calls.append((index, "p", (A, Q)))
            predict(A, Q)

        inner.update, inner.predict = recorded_update, recorded_predict
        return inner


def chain(samples, cls):
    kalman.KalmanFilter = cls
    try:
        start = time.perf_counter()
        result = run(samples)
        return time.perf_counter() - start, result
    finally:
        kalman.KalmanFilter = ORIGINAL


def replay_calls(recording: Recording, cls, repeat: int = 3) -> float:
    """The recorded predict/update calls, in order, on fresh filters of `cls`: best seconds."""
    best = float("inf")
    for _ in range(repeat):
        filters = [cls(dim, p0) for dim, p0 in recording.dims]
        start = time.perf_counter()
        for index, kind, args in recording.calls:
            f = filters[index]
            if kind == "p":
                f.predict(*args)
            else:
                f.update(*args)
        best = min(best, time.perf_counter() - start)
    return best


ORIGINAL = kalman.KalmanFilter


def main() -> None:
    bag = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "bags" / "track_400m")
    samples = [(k, s) for k, s, _ in read_samples(bag)]
    chain(samples, ORIGINAL)  # compile the kernels (numba) before timing
    ours_t, ours = chain(samples, ORIGINAL)
    theirs_t, theirs = chain(samples, FilterpyKalman)
    same = np.allclose(ours.table, theirs.table, rtol=1e-9, atol=1e-9, equal_nan=True)
    recording = Recording(ORIGINAL)
    chain(samples, recording)
    steps = len(recording.calls)
    ours_f, theirs_f = replay_calls(recording, ORIGINAL), replay_calls(recording, FilterpyKalman)
    print(f"{bag}: {steps} filter calls (predictions and updates) in the chain, kernels: {kalman.KERNELS.name}; "
          f"outputs identical to 1e-9: {same}")
    print(f"  per call, the chain's calls replayed: this package {1e6 * ours_f / steps:5.2f} µs, "
          f"filterpy {1e6 * theirs_f / steps:5.2f} µs → {theirs_f / ours_f:.1f}×")
    print(f"  whole chain: this package {ours_t:5.2f} s, filterpy {theirs_t:5.2f} s → {theirs_t / ours_t:.1f}×")


if __name__ == "__main__":
    main()

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


class Counting:
    """Count scalar updates and time predict + update, whatever the filter class."""

    def __init__(self, cls):
        self.cls, self.updates, self.predicts, self.seconds = cls, 0, 0, 0.0

    def __call__(self, dim, p0=1.0):
        counter = self
        inner = self.cls(dim, p0)
        update, predict = inner.update, inner.predict

        def counted_update(z, idx, r):
            counter.updates += len(idx)
            t = time.perf_counter()
            update(z, idx, r)
            counter.seconds += time.perf_counter() - t

        def counted_predict(A, Q):
            counter.predicts += 1
            t = time.perf_counter()
            predict(A, Q)
            counter.seconds += time.perf_counter() - t

        inner.update, inner.predict = counted_update, counted_predict
        return inner


def timed(samples, cls):
    kalman.KalmanFilter = Counting(cls)
    try:
        start = time.perf_counter()
        result = run(samples)
        counter = kalman.KalmanFilter
        return time.perf_counter() - start, counter.updates, counter.predicts, counter.seconds, result
    finally:
        kalman.KalmanFilter = ORIGINAL


ORIGINAL = kalman.KalmanFilter


def main() -> None:
    bag = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "bags" / "track_400m")
    samples = [(k, s) for k, s, _ in read_samples(bag)]
    ours_t, updates, predicts, ours_f, ours = timed(samples, ORIGINAL)
    theirs_t, updates_fp, _, theirs_f, theirs = timed(samples, FilterpyKalman)
    assert updates == updates_fp
    same = np.allclose(ours.table, theirs.table, rtol=1e-9, atol=1e-9, equal_nan=True)
    steps = updates + predicts
    print(f"{bag}: {updates} scalar updates and {predicts} predictions; outputs identical to 1e-9: {same}")
    print(f"  filter math per update or prediction: this package {1e6 * ours_f / steps:5.1f} µs, "
          f"filterpy {1e6 * theirs_f / steps:5.1f} µs → {theirs_f / ours_f:.1f}×")
    print(f"  whole chain: this package {ours_t:5.2f} s, filterpy {theirs_t:5.2f} s → {theirs_t / ours_t:.1f}×")


if __name__ == "__main__":
    main()

"""KF2 and KF5 side by side on one time-ordered sample stream, with its bookkeeping.

This is what the offline replay and the tests run; the live nodes run the same stages one
per node. Samples with NaN/inf are rejected, samples slightly out of order are dropped and a
large jump back in time resets every filter — all counted in `stats`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from .geodesy import LocalFrame
from .gnss_velocity import PositionDifferencer
from .kf2 import Kf2
from .kf5 import AXES, Kf5
from .params import FilterParams
from .samples import FixType
from .timeline import ReorderBuffer, StampGuard

GNSS, IMU = "gnss", "imu"

COLUMNS = ("t", "kf5_east", "kf5_north", "kf5_up", "kf5_v_east", "kf5_v_north", "kf5_v_up", "kf5_speed",
           "kf5_speed_var", "yaw", "bias", "kf2_distance", "kf2_speed", "kf2_accel")


@dataclass
class FusionStats:
    imu: int = 0
    gnss: int = 0
    no_fix: int = 0  # receiver epochs without a solution (outages)
    rejected: int = 0
    dropped: int = 0
    resets: int = 0


@dataclass
class FusionResult:
    """One row per fused IMU step (see COLUMNS); NaN where a filter has not started yet."""

    table: np.ndarray
    stats: FusionStats = field(default_factory=FusionStats)

    def __getitem__(self, column: str) -> np.ndarray:
        return self.table[:, COLUMNS.index(column)]


class SprintFusion:
    def __init__(self, params: FilterParams | None = None, observer=None):
        """`observer` (optional) is told what each graph node would publish: datum(fix, datum),
        gnss_enu(fix, enu), aligned(stamp, estimator, aligned), axis(stamp, axis, state, cov),
        speed(stamp, estimate, axes), kf2(stamp, state, cov) — the offline replay writes them."""
        self.params = params or FilterParams()
        self.observer = observer
        self.frame = LocalFrame.from_params(self.params)
        self.kf2 = Kf2(self.params, self.frame)
        self.kf5 = Kf5(self.params, self.frame)
        self.kf2.observer = self.kf5.observer = observer
        self.guard = StampGuard(self.params["time.reset_jump_back"])
        self.differencer = PositionDifferencer()
        self.stats = FusionStats()
        self.latency = self.params["gnss.latency"]
        self.reorder = ReorderBuffer(self.params["time.reorder_window"])

    def reset(self) -> None:
        self.frame.reset()
        self.differencer.reset()
        self.kf2.reset()
        self.kf5.reset()

    def push(self, kind: str, sample) -> list[list[float]]:
        """Feed one sample as it arrives; return the fused rows of the samples it released.

        A GNSS stamp is moved back by the receiver latency to the epoch it describes, then
        everything passes the reorder window, so a late fix still lands between the IMU
        samples of its epoch.
        """
        if kind == GNSS and self.latency:
            sample = replace(sample, stamp=sample.stamp - self.latency)
        return self._drain(self.reorder.push(sample.stamp, kind, sample))

    def flush(self) -> list[list[float]]:
        return self._drain(self.reorder.flush())

    def _drain(self, released) -> list[list[float]]:
        return [row for _, kind, sample in released for row in self.process(kind, sample)]

    def process(self, kind: str, sample) -> list[list[float]]:
        """Feed one sample already in stamp order; return the fused rows of the IMU samples it
        let through (usually none or its own; after a confirmed jump back, those held for it)."""
        if kind == GNSS and sample.fix_type == FixType.NO_FIX:
            self.stats.no_fix += 1
            return []
        if not sample.is_valid():
            self.stats.rejected += 1
            return []
        reset, ready = self.guard.admit(sample.stamp, (kind, sample))
        self.stats.dropped = self.guard.dropped
        if reset:
            self.stats.resets += 1
            self.reset()
        rows = [self._step(k, s) for k, s in ready]
        return [r for r in rows if r is not None]

    def _step(self, kind: str, sample) -> list[float] | None:
        if kind == GNSS:
            self.stats.gnss += 1
            sample = self.differencer.fill(sample)
            if self.observer and self.frame.datum is None:
                self.frame.to_enu(sample)  # sets the datum, as the first fix does live
                self.observer.datum(sample, self.frame.datum)
            self.kf2.on_gnss(sample)
            self.kf5.on_gnss(sample)
            return None
        self.stats.imu += 1
        self.kf2.on_imu(sample)
        self.kf5.on_imu(sample)
        return self.row(sample.stamp)

    def row(self, t: float) -> list[float]:
        nan = float("nan")
        axes = [self.kf5.axes[a] for a in AXES]
        pos = [f.state[0] if f.initialized else nan for f in axes]
        vel = [f.state[1] if f.initialized else nan for f in axes]
        sp = self.kf5.speed_estimate
        al = self.kf5.aligned
        kf2 = self.kf2.cj.state if self.kf2.cj.initialized else [nan] * 3
        return [t, *pos, *vel, sp.speed if sp else nan, sp.variance if sp else nan,
                al.yaw if al else nan, al.bias if al else nan, kf2[0], kf2[1], kf2[2]]


def run(samples: Iterable[tuple[str, object]], params: FilterParams | None = None) -> FusionResult:
    """Run KF2 and KF5 over (kind, sample) pairs in arrival order, as a live graph sees them."""
    fusion = SprintFusion(params)
    rows = []
    for kind, sample in samples:
        rows.extend(fusion.push(kind, sample))
    rows.extend(fusion.flush())
    table = np.array(rows, dtype=float).reshape(-1, len(COLUMNS))
    return FusionResult(table, fusion.stats)

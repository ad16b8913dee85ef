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
from .imu_step import imu_run, run_args
from .kalman_kernels import TIME_BACK
from .kf2 import Kf2
from .kf5 import AXES, Kf5
from .params import FilterParams
from .samples import FixType, GnssFix, ImuBlock, ImuSample
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

    def push_block(self, items: list[ImuBlock | GnssFix]) -> np.ndarray:
        """push() of IMU blocks and GNSS fixes in arrival order; the fused rows as a table.

        The same rows as push() one sample at a time. When the block is clean — valid samples,
        no duplicates, none arriving behind what the reorder window has let go — it is ordered
        at once and its IMU runs between fixes go through imu_run in one compiled call each;
        otherwise sample by sample — and always with an observer of the IMU stages (one whose
        `per_sample` is not False), as it wants every stage's output of every sample.
        """
        items = [replace(i, stamp=i.stamp - self.latency) if isinstance(i, GnssFix) and self.latency else i
                 for i in items]
        held = self.reorder.take()
        held_imu = ImuBlock.of([item for _, kind, item in held if kind == IMU])
        held_fixes = [item for _, kind, item in held if kind == GNSS]
        wants_samples = self.observer is not None and getattr(self.observer, "per_sample", True)
        if not wants_samples and self._clean(held_imu, held_fixes, items):
            return self._fast(held_imu, held_fixes, items)
        self.reorder.hold(held)
        rows = []
        for item in items:
            if isinstance(item, GnssFix):
                rows.extend(self._drain(self.reorder.push(item.stamp, GNSS, item)))
            else:
                for sample in item.samples():
                    rows.extend(self._drain(self.reorder.push(sample.stamp, IMU, sample)))
        return np.array(rows, dtype=float).reshape(-1, len(COLUMNS))

    def _clean(self, held_imu: ImuBlock, held_fixes: list[GnssFix], items) -> bool:
        imu = [i for i in items if isinstance(i, ImuBlock)]
        fixes = [i for i in items if isinstance(i, GnssFix)]
        if not all(block.valid().all() for block in [held_imu, *imu]):
            return False
        # what a block that was not clean left held may be already due (late: to be dropped)
        held_stamps = np.concatenate([held_imu.stamps, [f.stamp for f in held_fixes]])
        if not (held_stamps > self.reorder.horizon).all():
            return False
        stamps = np.concatenate([[i.stamp] if isinstance(i, GnssFix) else i.stamps for i in items] or [[]])
        if not np.isfinite(stamps).all():
            return False
        # every sample after the horizon of all before it: none is released behind a later one
        horizon = np.maximum.accumulate(np.concatenate([[self.reorder.horizon], stamps - self.reorder.window]))
        if not (stamps > horizon[:-1]).all():
            return False
        # duplicates (stamp, kind): the reorder buffer drops them
        imu_stamps = np.concatenate([held_imu.stamps, *(i.stamps for i in imu)])
        fix_stamps = np.array([f.stamp for f in [*held_fixes, *fixes]])
        return all(len(np.unique(s)) == len(s) for s in (imu_stamps, fix_stamps))

    def _fast(self, held_imu: ImuBlock, held_fixes: list[GnssFix], items) -> np.ndarray:
        fixes = [*held_fixes, *(i for i in items if isinstance(i, GnssFix))]
        imu = ImuBlock.concat([held_imu, *(i for i in items if isinstance(i, ImuBlock))])
        newest = max((i.stamp if isinstance(i, GnssFix) else i.stamps.max(initial=-np.inf) for i in items),
                     default=-np.inf)
        horizon = max(self.reorder.horizon, newest - self.reorder.window)
        self.reorder.horizon = horizon
        due = imu.stamps <= horizon
        order = np.argsort(imu.stamps[due], kind="stable")
        ready, later = imu.take(np.flatnonzero(due)[order]), imu.take(~due)
        self.reorder.hold([(f.stamp, GNSS, f) for f in fixes if f.stamp > horizon]
                          + [(s.stamp, IMU, s) for s in later.samples()])
        fixes = sorted([f for f in fixes if f.stamp <= horizon], key=lambda f: f.stamp)
        rows, start = [], 0
        for fix in [*fixes, None]:  # a fix goes before IMU samples of its stamp ("gnss" < "imu")
            end = len(ready) if fix is None else int(np.searchsorted(ready.stamps, fix.stamp, side="left"))
            if end > start:
                rows.append(self._imu_run(ready.take(slice(start, end))))
                start = end
            if fix is not None:
                rows.extend(np.array(r, dtype=float).reshape(1, -1) for r in self.process(GNSS, fix))
        return np.concatenate(rows) if rows else np.empty((0, len(COLUMNS)))

    def _imu_run(self, block: ImuBlock) -> np.ndarray:
        rows = np.empty((len(block), len(COLUMNS)))
        last_accel, last_q = np.empty(3), np.empty(4)
        code = imu_run(*run_args(self.kf2, self.kf5), block.stamps, block.accel, block.gyro, block.orientation,
                       block.has_orientation, rows, last_accel, last_q)
        if code == TIME_BACK:
            raise RuntimeError("imu_run was given samples out of order")
        self.guard.admit_run(float(block.stamps[-1]))
        self.stats.dropped = self.guard.dropped
        self.stats.imu += len(block)
        self.kf5.aligned = self.kf5.yaw_bias.aligned(float(block.stamps[-1]), last_accel, last_q) if code else None
        speed_filter = self.kf5.speed.filter
        self.kf5.speed_estimate = self.kf5.speed.estimate() if speed_filter.initialized else None
        return rows

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


def warm_up(params: FilterParams | None = None) -> FusionResult:
    """Compile (or load from numba's cache) every per-sample step, sample by sample and in
    blocks, on two seconds of synthetic running. A node calls it before it subscribes: the first
    run on a machine compiles for ~10 s, which must not happen while sensor data queue up."""
    rate, imu, fixes = 100.0, [], []
    q = np.array([1.0, 0.0, 0.0, 0.0])
    for k in range(200):
        t = 1.0 + k / rate
        imu.append(ImuSample(t, np.array([0.5, 0.0, 9.80665]), np.zeros(3), q if k % 2 else None))
        if k % 10 == 0:  # running east at 5 m/s: the heading is trusted, every stage runs
            fixes.append(GnssFix(t, 48.0, 11.0 + 5.0 * t / 74_500.0, 500.0, np.eye(3) * 1e-4, FixType.RTK_FIXED,
                                 np.array([5.0, 0.0, 0.0]), np.eye(3) * 1e-4, 90.0, 1.0))
    stream = sorted([(s.stamp, IMU, s) for s in imu] + [(f.stamp, GNSS, f) for f in fixes], key=lambda e: e[:2])
    run(((kind, sample) for _, kind, sample in stream), params)
    return run_blocks([[ImuBlock.of([s]) if kind == IMU else s for _, kind, s in stream]], params)


def run_blocks(blocks: Iterable[list[ImuBlock | GnssFix]], params: FilterParams | None = None) -> FusionResult:
    """run() of a bag read as blocks (bags.reader.read_blocks): the same result, much faster."""
    fusion = SprintFusion(params)
    tables = [fusion.push_block(block) for block in blocks]
    tables.append(np.array(fusion.flush(), dtype=float).reshape(-1, len(COLUMNS)))
    return FusionResult(np.concatenate(tables), fusion.stats)


def run(samples: Iterable[tuple[str, object]], params: FilterParams | None = None) -> FusionResult:
    """Run KF2 and KF5 over (kind, sample) pairs in arrival order, as a live graph sees them."""
    fusion = SprintFusion(params)
    rows = []
    for kind, sample in samples:
        rows.extend(fusion.push(kind, sample))
    rows.extend(fusion.flush())
    table = np.array(rows, dtype=float).reshape(-1, len(COLUMNS))
    return FusionResult(table, fusion.stats)

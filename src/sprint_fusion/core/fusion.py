"""KF2 and KF5 side by side on one input timeline: what the offline replay, the sprint report and
the tests run; the live graph runs the same stages one per node.

Samples go in as they arrive (push, one at a time, or push_block, offline); the InputTimeline
orders them and counts what it does not pass on (`stats`); each IMU event — one sample or a run
of them between two fixes — goes through chain_run, each fix through the GNSS side here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from . import jit
from . import kalman as kf
from .chain import Chain, chain_run
from .columns import COLUMNS, WIDTH
from .geodesy import LocalFrame
from .kf2 import Kf2
from .kf5 import Kf5
from .params import FilterParams
from .samples import FixType, GnssFix, ImuBlock, ImuSample
from .smoother import SMOOTHED, SpilledTrackSmoother, TrackSmoother
from .timeline import GNSS, IMU, RESET, InputCounts, InputTimeline

__all__ = ["COLUMNS", "GNSS", "IMU", "ChainObserver", "FusionResult", "SprintFusion", "run", "run_blocks"]


@dataclass
class FusionResult:
    """One row per fused IMU step (see COLUMNS); NaN where a filter has not started yet."""

    table: np.ndarray
    stats: InputCounts = field(default_factory=InputCounts)
    smoothed: dict[str, np.ndarray] | None = None  # SMOOTHED columns, row by row (run with smooth=True)

    def __getitem__(self, column: str) -> np.ndarray:
        if column in SMOOTHED:
            if self.smoothed is None:
                raise KeyError(f"{column}: the run was not smoothed")
            return self.smoothed[column]
        return self.table[:, COLUMNS.index(column)]


class ChainObserver:
    """What the graph's nodes would publish, told as it happens: datum(fix, datum) once, then
    gnss_enu(fix, enu) for every fix, and rows(table) for every run of IMU samples — rows of
    chain.Col, each stage's output at each sample (outputs.py turns them into messages)."""

    def datum(self, fix: GnssFix, datum) -> None:
        pass

    def gnss_enu(self, fix: GnssFix, enu: np.ndarray) -> None:
        pass

    def rows(self, table: np.ndarray) -> None:
        pass


class SprintFusion:
    def __init__(self, params: FilterParams | None = None, observer: ChainObserver | None = None,
                 smooth: bool = False, spill: bool = False):
        """smooth: keep KF2's filtered states for smoothed() (offline, the whole run in memory);
        spill: in a temporary file instead, for smoothed_blocks() (memory flat with the run's length)."""
        self.params = params or FilterParams()
        self.observer = observer
        self.timeline = InputTimeline.from_params(self.params)
        self.frame = LocalFrame.from_params(self.params)
        self.kf2 = Kf2(self.params)
        self.kf5 = Kf5(self.params)
        self.chain = Chain(self.kf2.forward, self.kf5.record)
        self.chain_run = jit.Direct(chain_run)  # one call per run of IMU samples: numba's dispatch cost more
        noise = self.kf2.cj.filter.noise
        self.smoother = (SpilledTrackSmoother(noise) if spill else TrackSmoother(noise)) if smooth else None

    @property
    def stats(self) -> InputCounts:
        return self.timeline.counts

    def close(self) -> None:
        """Removes what a spilled smoother wrote (its temporary folder)."""
        if self.smoother is not None:
            self.smoother.close()

    def reset(self) -> None:
        self.frame.reset()
        self.kf2.reset()
        self.kf5.reset()

    def push(self, kind: str, sample: ImuSample | GnssFix) -> np.ndarray:
        """Feed one sample as it arrives; return the fused rows of the samples it released."""
        return self._run(self.timeline.add(kind, sample))

    def push_block(self, items: list[ImuBlock | GnssFix]) -> np.ndarray:
        """push() of IMU blocks and GNSS fixes in arrival order: the same rows, fewer calls."""
        return self._run(self.timeline.block(items))

    def flush(self) -> np.ndarray:
        return self._run(self.timeline.flush())

    def _run(self, events) -> np.ndarray:
        tables = []
        for kind, item in events:
            if kind == IMU:
                tables.append(self._imu(item if isinstance(item, ImuBlock) else ImuBlock.of([item])))
            elif kind == GNSS:
                self._gnss(item)
            elif kind == RESET:
                self.reset()
        if self.smoother is not None:
            self.smoother.settle()
        return np.concatenate(tables) if tables else np.empty((0, len(COLUMNS)))

    def _gnss(self, fix: GnssFix) -> None:
        new_datum = self.frame.datum is None
        enu = self.frame.to_enu(fix)
        if self.observer:
            if new_datum:
                self.observer.datum(fix, self.frame.datum)
            self.observer.gnss_enu(fix, enu)
        self.kf2.on_gnss(fix, enu)
        self.kf5.on_gnss(fix, enu)
        if self.smoother is not None:
            self.smoother.add_fix(self.kf2.cj.filter)

    def _imu(self, block: ImuBlock) -> np.ndarray:
        rows = np.empty((len(block), WIDTH))
        code = self.chain_run(self.chain, block.stamps, block.accel, block.gyro, block.orientation,
                              block.has_orientation, rows)
        if code == kf.TIME_BACK:
            raise RuntimeError("chain_run was given samples out of order")
        if self.observer:
            self.observer.rows(rows)
        if self.smoother is not None:
            self.smoother.add_rows(rows)
        return rows[:, : len(COLUMNS)]

    def smoothed_states(self) -> dict[str, np.ndarray]:
        """KF2's track filter smoothed over the whole run (TrackSmoother.smoothed_states)."""
        if self.smoother is None:
            raise RuntimeError("SprintFusion(smooth=True) keeps what smoothing needs")
        return self.smoother.smoothed_states()

    def smoothed_blocks(self, size: int = 20_000):
        """smoothed_states() in time order, `size` rows at a time."""
        if isinstance(self.smoother, SpilledTrackSmoother):
            yield from self.smoother.smoothed_blocks(size)
            return
        states = self.smoothed_states()
        for a in range(0, len(states["t"]), size):
            yield {name: column[a:a + size] for name, column in states.items()}

    def smoothed(self, table: np.ndarray) -> dict[str, np.ndarray]:
        """The SMOOTHED columns for the fused rows `table` (everything this fusion returned)."""
        if self.smoother is None:
            raise RuntimeError("SprintFusion(smooth=True) keeps what smoothing needs")
        return self.smoother.smoothed_rows(len(table))


def warm_up(params: FilterParams | None = None) -> FusionResult:
    """Compile (or load from numba's cache) every step on two seconds of synthetic running, as the
    chain runs them and as the per-stage nodes call them; a no-op cost where nothing compiles."""
    # the stages below are called directly, without a timeline putting each fix after the IMU
    # samples of its delay: at the fix's stamp (the compiled steps are the same either way)
    params = FilterParams({**(params or FilterParams()), "time.fix_delay": 0.0})
    rate, items = 100.0, []
    q = np.array([1.0, 0.0, 0.0, 0.0])
    stages = Kf2(params), Kf5(params)
    for k in range(200):
        t = 1.0 + k / rate
        if k % 10 == 0:  # running east at 5 m/s: the heading is trusted, every stage runs
            fix = GnssFix(t, 48.0, 11.0 + 5.0 * t / 74_500.0, 500.0, np.eye(3) * 1e-4, FixType.RTK_FIXED,
                          np.array([5.0, 0.0, 0.0]), np.eye(3) * 1e-4, 90.0, 1.0)
            items.append(fix)
            for stage in stages:
                stage.on_gnss(fix, np.array([5.0 * (t - 1.0), 0.0, 0.0]))
        sample = ImuSample(t, np.array([0.5, 0.0, 9.80665]), np.zeros(3), q if k % 2 else None)
        items.append(ImuBlock.of([sample]))
        stages[0].on_imu(sample)
        stages[1].yaw_bias.on_imu(sample)
        stages[1].axes["east"].acceleration(t, 0.5)
        stages[1].axes["north"].velocity(t, 0.0, 1e-4)  # an axis node takes the Doppler on its own topic
        stages[1].speed.update(t, 0.0, 5.0)
    result = run_blocks([items], params)
    jit.mark_warm()  # the live nodes may run compiled from now on (core/jit.py, "cached")
    return result


def _result(fusion: SprintFusion, tables: list[np.ndarray]) -> FusionResult:
    tables.append(fusion.flush())
    table = np.concatenate(tables)
    return FusionResult(table, fusion.stats, fusion.smoothed(table) if fusion.smoother is not None else None)


def run_blocks(blocks: Iterable[list[ImuBlock | GnssFix]], params: FilterParams | None = None,
               smooth: bool = False) -> FusionResult:
    """run() of a bag read as blocks (bags.reader.read_blocks): the same result, much faster."""
    fusion = SprintFusion(params, smooth=smooth)
    return _result(fusion, [fusion.push_block(block) for block in blocks])


def run(samples: Iterable[tuple[str, object]], params: FilterParams | None = None,
        smooth: bool = False) -> FusionResult:
    """Run KF2 and KF5 over (kind, sample) pairs in arrival order, as a live graph sees them; with
    smooth, also KF2 smoothed over the whole run (FusionResult.smoothed)."""
    fusion = SprintFusion(params, smooth=smooth)
    return _result(fusion, [fusion.push(kind, sample) for kind, sample in samples])

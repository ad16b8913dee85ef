"""One trial's diagnostics, for KF5 and KF2 side by side: times at distances, splits, top speed,
the acceleration profile (and the force–velocity profile when the athlete's mass is known), and
the quality verdict. `SessionAnalyzer` streams a session's fused rows and GNSS epochs through the
trial detector — the live node and the offline report both use it."""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass, field

import numpy as np

from ..core.fusion import COLUMNS
from ..core.samples import FixType
from ..scoring import crossing_times
from ..summary import integrate, top_speed
from .forces import Conditions, ForceVelocityProfile, fv_profile
from .model import SprintProfile, fit_velocity
from .params import DEFAULT_DISTANCES, ESTIMATORS
from .quality import GnssEpoch, Quality, QualityParams, judge
from .trials import TrialDetector, TrialParams, TrialWindow

LABELS = {"kf5": "KF5", "kf2": "KF2", "smoothed": "smoothed"}  # as people write them
ROW_COLUMNS = ("kf5_speed", "kf2_speed", "kf2_distance", "kf5_east", "kf5_north")  # what the analysis reads
_ROW_INDEX = {name: COLUMNS.index(name) for name in ROW_COLUMNS}
MIN_PROFILE_SAMPLES = 20


@dataclass(frozen=True)
class Split:
    distance: float  # m from the start
    time: float  # s from the onset
    split: float  # s since the previous distance
    mean_velocity: float  # m/s over the split
    mean_acceleration: float  # m/s² over the split


@dataclass
class EstimatorResult:
    splits: list[Split]
    distance: float  # m covered from onset to end
    top_speed: float  # m/s, best 0.5 s mean
    top_speed_time: float  # s from onset
    top_speed_distance: float  # m from the start
    profile: SprintProfile | None
    fv: ForceVelocityProfile | None
    t: np.ndarray = field(repr=False)  # s from onset
    speed: np.ndarray = field(repr=False)
    distance_curve: np.ndarray = field(repr=False)


@dataclass
class TrialResult:
    index: int
    onset: float  # s, bag clock
    end: float
    start_signal: bool
    cut_off: bool
    quality: Quality
    estimators: dict[str, EstimatorResult]  # "kf5", "kf2" (those that ran)

    @property
    def duration(self) -> float:
        return self.end - self.onset


def estimator_result(t: np.ndarray, speed: np.ndarray, distance: np.ndarray | None, onset: float,
                     distances=DEFAULT_DISTANCES, conditions: Conditions | None = None) -> EstimatorResult | None:
    """From one estimator's speed (and distance; None: integrate the speed) over a trial."""
    ok = np.isfinite(speed) & (t >= onset)
    if distance is not None:
        ok &= np.isfinite(distance)
    if ok.sum() < 2:
        return None
    rel, v = t[ok] - onset, speed[ok]
    d = integrate(rel, v) if distance is None else distance[ok] - distance[ok][0]
    marks = np.array([x for x in distances if x <= d.max()])
    times = crossing_times(rel, d, marks)
    splits, prev_t, prev_d, prev_v = [], 0.0, 0.0, float(v[0])
    for mark, when in zip(marks, times, strict=True):
        v_at = float(np.interp(when, rel, v))
        dt = when - prev_t
        per_s = 1.0 / dt if dt > 0 else math.nan  # two marks inside one sample step: no rate
        splits.append(Split(float(mark), float(when), float(dt), (mark - prev_d) * per_s, (v_at - prev_v) * per_s))
        prev_t, prev_d, prev_v = when, mark, v_at
    top, top_t = top_speed(rel, v)
    profile = fv = None
    accel = rel <= top_t
    if accel.sum() >= MIN_PROFILE_SAMPLES:
        try:
            profile = fit_velocity(rel[accel], v[accel], time_correction=True)
        except (ValueError, RuntimeError):
            profile = None
        if profile is not None and not (0 < profile.tau < 10 and 0 < profile.mss < 15):
            profile = None  # no acceleration phase to speak of (a rolling start, a cut trial)
        if profile is not None and conditions is not None:
            fv = fv_profile(profile.mss, profile.mac, conditions)
    return EstimatorResult(splits, float(d[-1]), top, top_t, float(np.interp(top_t, rel, d)), profile, fv, rel, v, d)


def analyze_trial(window: TrialWindow, epochs: list[GnssEpoch], distances=DEFAULT_DISTANCES,
                  conditions: Conditions | None = None, quality: QualityParams | None = None) -> TrialResult:
    c = window.columns
    results = {}
    for name in ESTIMATORS:
        speed = c.get(f"{name}_speed")
        if speed is None:
            continue
        distance = c.get({"kf2": "kf2_distance", "smoothed": "smoothed_distance"}.get(name, ""))
        r = estimator_result(window.t, speed, distance, window.onset, distances, conditions)
        if r is not None:
            results[name] = r
    nan = np.full(len(window.t), math.nan)
    verdict = judge(epochs, window.onset, window.end, window.t, c.get("kf5_east", nan), c.get("kf5_north", nan),
                    quality or QualityParams())
    return TrialResult(window.index, window.onset, window.end, window.start_signal, window.cut_off, verdict,
                       results)


class SessionAnalyzer:
    """push_row/push_gnss/start_signal as data arrives; finished TrialResults come back. Offline,
    the core's own types go in directly: push_sample (the receiver's NO_FIX epochs), push_fix
    (each fix as the filters placed it — a SprintFusion observer's gnss_enu) and push_rows."""


    def __init__(self, trial: TrialParams | None = None, distances=DEFAULT_DISTANCES,
                 conditions: Conditions | None = None, quality: QualityParams | None = None,
                 detect_on: str = "kf2"):
        trial = trial or TrialParams()
        if detect_on not in ESTIMATORS:
            raise ValueError(f"detect_on '{detect_on}': one of {', '.join(ESTIMATORS)}")
        self.detector = TrialDetector(trial)
        self.distances, self.conditions, self.quality = tuple(distances), conditions, quality or QualityParams()
        self.detect_on = detect_on
        self.epochs: list[GnssEpoch] = []
        self.lookback = trial.lookback

    def push_gnss(self, epoch: GnssEpoch) -> None:
        bisect.insort(self.epochs, epoch, key=lambda e: e.t)  # in time order: pruned from the front

    def push_sample(self, kind: str, sample) -> None:
        """An input sample as it arrives: a NO_FIX epoch never reaches the filters, so it is kept here."""
        if kind == "gnss" and sample.fix_type == FixType.NO_FIX:
            self.push_gnss(GnssEpoch(sample.stamp, FixType.NO_FIX, math.nan))

    def push_fix(self, fix, enu) -> None:
        self.push_gnss(GnssEpoch(fix.stamp, fix.fix_type, fix.sigma_horizontal, float(enu[0]), float(enu[1])))

    def push_rows(self, rows, extra: dict[str, np.ndarray] | None = None) -> list[TrialResult]:
        """Fused rows (core.fusion.COLUMNS) in order, with `extra` columns beside them (such as
        smoothed_speed and smoothed_distance, one value per row)."""
        out = []
        extra = extra or {}
        rows = np.asarray(rows, dtype=float).reshape(-1, len(COLUMNS))

        named = rows[:, list(_ROW_INDEX.values())]  # one row's values: one tolist, not a float() per name
        extra_columns = [np.asarray(column, dtype=float) for column in extra.values()]

        def values_of(k: int) -> dict[str, float]:
            values = dict(zip(_ROW_INDEX, named[k].tolist(), strict=True))
            values.update(zip(extra, [float(column[k]) for column in extra_columns], strict=True))
            return values

        def maker(k: int):  # what the detector keeps of a row: its columns made only if it joins a trial
            return functools.partial(values_of, k)

        t, speed = rows[:, 0], self._detection_speed(rows, extra)
        start_speed = self.detector.params.start_speed
        ordered = len(t) < 2 or bool((np.diff(t) >= 0).all())
        rising = np.flatnonzero(speed > start_speed)  # the rows that might start a trial
        k = 0
        while k < len(rows):
            last = self.detector.rows[-1][0] if self.detector.rows else -math.inf
            if not self.detector.active and ordered and t[k] >= last:  # the quiet stretch up to the next rise at once
                at = int(np.searchsorted(rising, k))
                stop = int(rising[at]) if at < len(rising) else len(rows)
                if stop > k:
                    self.detector.push_quiet(t[k:stop], speed[k:stop], lambda j, k=k: maker(k + j))
                    out += self._results([], float(t[stop - 1]))
                    k = stop
                    continue
            if self.detector.active:  # the trial's rows up to the one that ends it, at once
                taken, windows = self.detector.push_active(t[k:], speed[k:], lambda j, k=k: maker(k + j))
                k += taken
                out += self._results(windows, float(t[k - 1]))
                continue
            out += self.push_row(rows[k, 0], **values_of(k))
            k += 1
        return out

    def _detection_speed(self, rows: np.ndarray, extra: dict) -> np.ndarray:
        """The speed trials are found on, row by row as push_row picks it."""
        def column(name: str) -> np.ndarray:
            return np.asarray(extra[name], dtype=float) if name in extra else (
                rows[:, _ROW_INDEX[name]] if name in _ROW_INDEX else np.full(len(rows), np.nan))

        other = "kf5" if self.detect_on == "kf2" else "kf2"
        primary = column(f"{self.detect_on}_speed")
        fallback = column(f"{other}_speed")
        speed = np.where(np.isfinite(primary), primary, fallback)
        return np.where(np.isfinite(speed), speed, np.nan)

    def start_signal(self, t: float) -> None:
        self.detector.start_signal(t)

    def push_row(self, t: float, **values) -> list[TrialResult]:
        speed = values.get(f"{self.detect_on}_speed", math.nan)
        if not math.isfinite(speed):  # before its filter runs, detect on the other one
            other = "kf5" if self.detect_on == "kf2" else "kf2"
            speed = values.get(f"{other}_speed", math.nan)
        return self._results(self.detector.push(t, speed, **values), t)

    def finish(self) -> list[TrialResult]:
        return self._results(self.detector.finish(), math.inf)

    def _results(self, windows: list[TrialWindow], now: float) -> list[TrialResult]:
        out = [analyze_trial(w, self.epochs, self.distances, self.conditions, self.quality) for w in windows]
        cutoff = now - self.lookback - 1.0
        if not self.detector.active and self.epochs and self.epochs[0].t < cutoff:  # keep what a next trial needs
            self.epochs = [e for e in self.epochs if e.t >= cutoff]  # (not once per row: rows come at 400 Hz)
        return out


class RowJoiner:
    """Rows of one stamp assembled from several topics (the live graph publishes KF2, KF5 and the
    odometry of one IMU step separately): a row is released once a later stamp is `delay` s
    newer, or `required` fields are all present and no other field is still awaited."""

    def __init__(self, required: tuple[str, ...], delay: float = 0.25):
        self.required, self.delay = required, delay
        self.rows: dict[int, dict[str, float]] = {}
        self.released_ns = -1

    def add(self, stamp_ns: int, **values) -> list[tuple[float, dict[str, float]]]:
        if stamp_ns <= self.released_ns:
            return []  # too late for its row: dropped (a stage far behind the others)
        self.rows.setdefault(stamp_ns, {}).update(values)
        newest = max(self.rows)
        ready = sorted(k for k in self.rows if (newest - k) * 1e-9 >= self.delay)
        return self._release(ready)

    def flush(self) -> list[tuple[float, dict[str, float]]]:
        return self._release(sorted(self.rows))

    def _release(self, keys) -> list[tuple[float, dict[str, float]]]:
        out = []
        for k in keys:
            values = self.rows.pop(k)
            if all(name in values for name in self.required):
                out.append((k * 1e-9, values))
            self.released_ns = k
        return out


def trusted(tr: TrialResult) -> tuple[str, str] | None:
    """The estimator whose numbers a coach should read first, and why: the smoothed speed when
    there is one (offline, it has no filter lag); else KF5 when its curve covers the trial from
    the start and fits the sprint model; else KF2 (the published model's KF5 waits for a heading
    and starts late)."""
    e = tr.estimators
    if "smoothed" in e:
        return "smoothed", "smoothed over the whole recording, forwards and backwards in time: no filter lag"
    kf5 = e.get("kf5")
    if kf5 is not None and kf5.profile is not None and len(kf5.t) and kf5.t[0] <= 0.1:
        return "kf5", "KF5 (GNSS and IMU fused) covers the trial from the start and fits the sprint model"
    if "kf2" in e:
        why = "KF5 starts late in this trial" if kf5 is not None else "KF5 has no result for this trial"
        return "kf2", f"KF2 (the along-track filter): {why}"
    return ("kf5", "the only filter with a result") if kf5 is not None else None

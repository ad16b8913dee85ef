"""Per-athlete monitoring: load–velocity profiles, velocity at a standard load, estimated 1RM,
velocity loss per set; weekly and per-session trends with rolling baselines, z-scores, typical
error (TE) and smallest worthwhile change (SWC); flags that say which rule fired and with what
numbers.

The staff decide; this only informs. No composite score, no acute:chronic ratio.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

# Minimal velocity thresholds (m/s at 1RM), commonly used defaults: back squat 0.30 (Sánchez-Medina
# et al. 2017 report 0.30–0.33), bench press 0.17 (González-Badillo & Sánchez-Medina 2010),
# deadlift 0.15 (Helms et al. 2017). Other exercises: DEFAULT_MVT. Set your own per athlete.
MVT = {"back squat": 0.30, "squat": 0.30, "bench press": 0.17, "deadlift": 0.15}
DEFAULT_MVT = 0.30


@dataclass(frozen=True)
class Metric:
    """A followed metric: which way is worse, and its typical error (TE: the test–retest noise of
    one measurement — use your own). Performance metrics flag a change worse than TE + SWC; load
    metrics (distances) flag a z-score at or beyond `z`."""

    label: str
    unit: str
    worse: str  # "down" or "up"
    rule: str  # the flag's id
    te: float = 0.0
    z: float | None = None  # load metrics: flag at this z in the worse direction
    enabled: bool = True


# The defaults (config/monitoring.yaml overrides any field of any metric). TEs: velocity at a load
# from an LPT about 0.03 m/s; e1RM from a load–velocity profile about 5 kg (squat); velocity loss
# about 3 percentage points; GNSS top speed about 0.1 m/s (1 %) and split times about 0.03 s.
METRICS = {
    "velocity": Metric("velocity at the standard load", "m/s", "down", "velocity-down", 0.03),
    "e1rm": Metric("estimated 1RM", "kg", "down", "e1rm-down", 5.0),
    "velocity_loss": Metric("velocity loss per set", "%", "up", "velocity-loss-up", 3.0),
    "top_speed": Metric("sprint top speed", "m/s", "down", "top-speed-down", 0.10),
    "t_10m": Metric("10 m split time", "s", "up", "split-10m-slower", 0.03),
    "t_20m": Metric("20 m split time", "s", "up", "split-20m-slower", 0.03),
    "t_30m": Metric("30 m split time", "s", "up", "split-30m-slower", 0.03),
    "hsr_distance": Metric("high-speed running distance", "m", "up", "hsr-high", z=2.0),
    "sprint_distance": Metric("sprint distance", "m", "up", "sprint-distance-high", z=2.0),
    "total_distance": Metric("total distance", "m", "up", "total-distance-high", z=2.0),
}


@dataclass(frozen=True)
class MonitoringParams:
    exercise: str = "back squat"  # the exercise whose velocity at the standard load is followed
    standard_load: float | None = None  # kg; None: the median set load of the athlete's first baseline weeks
    baseline_weeks: int = 4  # the rolling baseline: this many previous weeks with data
    min_baseline_weeks: int = 3
    daily: bool = True  # also flag each session day against the previous session days
    baseline_sessions: int = 6  # the daily baseline: this many previous session days with the metric
    min_baseline_sessions: int = 4
    swc_factor: float = 0.2  # SWC = 0.2 × the baseline's between-week (between-session) SD (Hopkins)
    hsr_z: float = 1.0  # a week of high-speed running this many SD above its baseline is "high"
    mvt: dict = field(default_factory=lambda: dict(MVT))
    metrics: dict = field(default_factory=lambda: dict(METRICS))

    @classmethod
    def from_yaml(cls, path: str | Path) -> MonitoringParams:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
        known = set(cls.__dataclass_fields__)
        unknown = set(doc) - known
        if unknown:
            raise ValueError(f"{path}: unknown setting(s) {sorted(unknown)}; known: {sorted(known)}")
        metrics = dict(METRICS)
        for name, given in (doc.get("metrics") or {}).items():
            if name not in METRICS:
                raise ValueError(f"{path}: metrics: unknown {name!r}; known: {sorted(METRICS)}")
            extra = set(given or {}) - {"te", "z", "enabled"}
            if extra:
                raise ValueError(f"{path}: metrics.{name}: unknown {sorted(extra)} (te, z, enabled)")
            metrics[name] = replace(METRICS[name], **(given or {}))
        params = cls(**{**doc, "mvt": {**MVT, **(doc.get("mvt") or {})}, "metrics": metrics})
        if not (params.baseline_weeks >= params.min_baseline_weeks >= 2
                and params.baseline_sessions >= params.min_baseline_sessions >= 2 and params.swc_factor >= 0
                and all(m.te >= 0 and (m.z is None or m.z > 0) for m in metrics.values())):
            raise ValueError(f"{path}: need baseline_weeks ≥ min_baseline_weeks ≥ 2, the same for sessions, and "
                             "non-negative TE / SWC, positive z")
        return params

    def mvt_of(self, exercise: str) -> float:
        return self.mvt.get(exercise.lower(), DEFAULT_MVT)


# --- one VBT session -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SetSummary:
    exercise: str
    load_kg: float
    best_velocity: float  # m/s, the set's fastest rep (mean velocity)
    velocity_loss: float  # %, from the fastest to the last rep


@dataclass(frozen=True)
class LoadVelocity:
    intercept: float  # m/s at zero load
    slope: float  # m/s per kg
    r_squared: float
    points: int

    def velocity_at(self, load: float) -> float:
        return self.intercept + self.slope * load

    def load_at(self, velocity: float) -> float:
        return (velocity - self.intercept) / self.slope if self.slope < 0 else math.nan


def set_summary(exercise: str, load: float, mean_velocities: list[float]) -> SetSummary:
    best = max(mean_velocities)
    return SetSummary(exercise, load, best, 100.0 * (best - mean_velocities[-1]) / best if best > 0 else math.nan)


def load_velocity(sets: list[SetSummary]) -> LoadVelocity | None:
    """Linear load–velocity profile from each set's fastest rep; needs two different loads."""
    loads = np.array([s.load_kg for s in sets])
    v = np.array([s.best_velocity for s in sets])
    if len(set(loads.tolist())) < 2:
        return None
    slope, intercept = np.polyfit(loads, v, 1)
    resid = v - (intercept + slope * loads)
    total = float(np.sum((v - v.mean()) ** 2))
    return LoadVelocity(float(intercept), float(slope), 1 - float(np.sum(resid ** 2)) / total if total else math.nan,
                        len(v))


# --- trends and flags -------------------------------------------------------------------------------
@dataclass
class Period:
    """A week (start: its Monday) or a session day (start: the day) and the athlete's values in it."""

    start: dt.date
    velocity: float = math.nan  # m/s at the standard load (mean of the period's sessions)
    e1rm: float = math.nan  # kg at the exercise's MVT
    velocity_loss: float = math.nan  # %, mean over the period's sets
    top_speed: float = math.nan  # m/s, best usable sprint trial (KF2)
    t_10m: float = math.nan  # s, the best usable trial's split times
    t_20m: float = math.nan
    t_30m: float = math.nan
    hsr_distance: float = math.nan  # m, sum of the period's GPS sessions
    sprint_distance: float = math.nan
    total_distance: float = math.nan
    accelerations: float = math.nan  # GPS counts and speed: shown, not flagged
    decelerations: float = math.nan
    gps_top_speed: float = math.nan  # m/s
    z: dict[str, float] = field(default_factory=dict)
    bands: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # metric → (baseline, low, high):
    # the range its rule accepts (± TE + SWC, or ± z SD for load metrics)


@dataclass(frozen=True)
class Flag:
    start: dt.date  # the week's Monday, or the session day
    rule: str  # its id; a session day's flags start with "day-"
    text: str  # the rule, in words
    numbers: dict[str, float]
    period: str = "week"  # or "day"

    def explain(self) -> str:
        nums = ", ".join(f"{k} {v:.3g}" for k, v in self.numbers.items())
        when = f"week of {self.start}" if self.period == "week" else f"session of {self.start}"
        return f"{when}: {self.text} ({nums})"


PATTERNS = {
    "velocity-and-sprint-down": "velocity at the standard load and sprint top speed both fell below their "
                                "baselines by more than TE + SWC in the same week",
    "velocity-down-sprint-flat": "velocity at the standard load fell below its baseline by more than TE + SWC "
                                 "while sprint top speed stayed within TE + SWC of its own",
    "hsr-then-velocity-down": "a week of high-speed running above its baseline by ≥ {hsr_z:g} SD was followed "
                              "by velocity at the standard load below its baseline by more than TE + SWC",
}


def rule_text(metric: Metric) -> str:
    if metric.z is not None:
        return f"{metric.label} {'above' if metric.worse == 'up' else 'below'} its baseline by ≥ {metric.z:g} SD"
    side = "rose above" if metric.worse == "up" else "fell below"
    return f"{metric.label} {side} its baseline by more than TE + SWC"


@dataclass(frozen=True)
class Baseline:
    mean: float
    sd: float
    n: int


def baseline(values: list[float], size: int, least: int) -> Baseline | None:
    """From the last `size` earlier periods that have a value (at least `least`)."""
    have = [v for v in values if math.isfinite(v)][-size:]
    if len(have) < least:
        return None
    return Baseline(float(np.mean(have)), float(np.std(have, ddof=1)), len(have))


@dataclass(frozen=True)
class Change:
    """A period's value against its baseline, signed so that positive is worse."""

    value: float
    base: Baseline
    delta: float  # value − baseline mean
    threshold: float  # TE + SWC
    worse_by: float  # delta in the worse direction

    @property
    def worse(self) -> bool:
        return self.worse_by > self.threshold

    @property
    def flat(self) -> bool:
        return abs(self.delta) <= self.threshold


def flags(periods: list[Period], p: MonitoringParams, period: str = "week") -> list[Flag]:
    """Fill each period's z-scores and return the flags in time order: every enabled metric against
    its own rolling baseline (weeks: the previous baseline_weeks weeks with the metric; session
    days: the previous baseline_sessions days) and, weekly, the patterns (velocity and sprint down
    together; velocity down with sprint flat; high-speed running, then velocity down)."""
    size, least = ((p.baseline_weeks, p.min_baseline_weeks) if period == "week"
                   else (p.baseline_sessions, p.min_baseline_sessions))
    prefix = "" if period == "week" else "day-"
    out = []
    for i, w in enumerate(periods):
        changes: dict[str, Change] = {}
        for name, metric in p.metrics.items():
            value = getattr(w, name)
            base = baseline([getattr(b, name) for b in periods[:i]], size, least)
            if base is None or not math.isfinite(value):
                continue
            if base.sd > 0:
                w.z[name] = (value - base.mean) / base.sd
            sign = 1.0 if metric.worse == "up" else -1.0
            delta = value - base.mean
            changes[name] = Change(value, base, delta, metric.te + p.swc_factor * base.sd, sign * delta)
            half = metric.z * base.sd if metric.z is not None else changes[name].threshold
            w.bands[name] = (base.mean, base.mean - half, base.mean + half)
            if not metric.enabled:
                continue
            fired = (sign * w.z.get(name, 0.0) >= metric.z) if metric.z is not None else changes[name].worse
            if fired:
                out.append(Flag(w.start, prefix + metric.rule, rule_text(metric),
                                _numbers(name, metric, changes[name], w.z.get(name)), period))
        if period == "week":
            out += _patterns(periods, i, changes, p)
    return out


def _numbers(name: str, metric: Metric, c: Change, z: float | None) -> dict[str, float]:
    label = name.replace("_", " ")
    numbers = {f"{label} {metric.unit}": c.value, f"baseline {metric.unit}": c.base.mean,
               f"change {metric.unit}": c.delta}
    if metric.z is None:
        numbers[f"TE + SWC {metric.unit}"] = c.threshold
    if z is not None:
        numbers["z"] = z
    return numbers


def _patterns(weeks: list[Period], i: int, changes: dict[str, Change], p: MonitoringParams) -> list[Flag]:
    w, velocity, sprint = weeks[i], changes.get("velocity"), changes.get("top_speed")
    if velocity is None or not velocity.worse or not p.metrics["velocity"].enabled:
        return []
    v_numbers = _numbers("velocity", p.metrics["velocity"], velocity, None)
    out = []
    if sprint is not None and sprint.worse:
        out.append(Flag(w.start, "velocity-and-sprint-down", PATTERNS["velocity-and-sprint-down"],
                        {**v_numbers, "top speed m/s": sprint.value, "top speed change m/s": sprint.delta,
                         "top speed TE + SWC m/s": sprint.threshold}))
    if sprint is not None and sprint.flat:
        out.append(Flag(w.start, "velocity-down-sprint-flat", PATTERNS["velocity-down-sprint-flat"],
                        {**v_numbers, "top speed m/s": sprint.value, "top speed change m/s": sprint.delta,
                         "top speed TE + SWC m/s": sprint.threshold}))
    if i > 0 and weeks[i - 1].z.get("hsr_distance", -math.inf) >= p.hsr_z:
        prev = weeks[i - 1]
        out.append(Flag(w.start, "hsr-then-velocity-down", PATTERNS["hsr-then-velocity-down"].format(hsr_z=p.hsr_z),
                        {**v_numbers, "previous week HSR m": prev.hsr_distance,
                         "previous week HSR z": prev.z["hsr_distance"]}))
    return out


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())

"""Per-athlete monitoring: load–velocity profiles, velocity at a standard load, estimated 1RM,
velocity loss per set; weekly trends with rolling baselines, z-scores, typical error (TE) and
smallest worthwhile change (SWC); flags that say which rule fired and with what numbers.

The staff decide; this only informs. No composite score, no acute:chronic ratio.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

# Minimal velocity thresholds (m/s at 1RM), commonly used defaults: back squat 0.30 (Sánchez-Medina
# et al. 2017 report 0.30–0.33), bench press 0.17 (González-Badillo & Sánchez-Medina 2010),
# deadlift 0.15 (Helms et al. 2017). Other exercises: DEFAULT_MVT. Set your own per athlete.
MVT = {"back squat": 0.30, "squat": 0.30, "bench press": 0.17, "deadlift": 0.15}
DEFAULT_MVT = 0.30


@dataclass(frozen=True)
class MonitoringParams:
    exercise: str = "back squat"  # the exercise whose velocity at the standard load is followed
    standard_load: float | None = None  # kg; None: the median set load of the athlete's first baseline weeks
    baseline_weeks: int = 4  # the rolling baseline: this many previous weeks with data
    min_baseline_weeks: int = 3
    te_velocity: float = 0.03  # m/s, typical error of velocity at a load (LPT test–retest, about 3 %)
    te_top_speed: float = 0.10  # m/s, typical error of GNSS top speed (about 1 %)
    swc_factor: float = 0.2  # SWC = 0.2 × the baseline's between-week SD (Hopkins)
    hsr_z: float = 1.0  # a week of high-speed running this many SD above its baseline is "high"
    mvt: dict = field(default_factory=lambda: dict(MVT))

    @classmethod
    def from_yaml(cls, path: str | Path) -> MonitoringParams:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
        known = set(cls.__dataclass_fields__)
        unknown = set(doc) - known
        if unknown:
            raise ValueError(f"{path}: unknown setting(s) {sorted(unknown)}; known: {sorted(known)}")
        params = cls(**{**doc, "mvt": {**MVT, **(doc.get("mvt") or {})}})
        if not (params.baseline_weeks >= params.min_baseline_weeks >= 2 and params.te_velocity >= 0
                and params.te_top_speed >= 0 and params.swc_factor >= 0):
            raise ValueError(f"{path}: need baseline_weeks ≥ min_baseline_weeks ≥ 2 and non-negative TE/SWC")
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


# --- weekly trends and flags ------------------------------------------------------------------------
@dataclass
class Week:
    start: dt.date  # Monday
    velocity: float = math.nan  # m/s at the standard load (mean of the week's sessions)
    e1rm: float = math.nan  # kg at the exercise's MVT
    velocity_loss: float = math.nan  # %, mean over the week's sets
    top_speed: float = math.nan  # m/s, best usable sprint trial (KF2)
    hsr_distance: float = math.nan  # m, sum of the week's GPS sessions
    sprint_distance: float = math.nan
    total_distance: float = math.nan
    z: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Flag:
    week: dt.date
    rule: str  # its id
    text: str  # the rule, in words
    numbers: dict[str, float]

    def explain(self) -> str:
        nums = ", ".join(f"{k} {v:.3g}" for k, v in self.numbers.items())
        return f"week of {self.week}: {self.text} ({nums})"


RULES = {
    "velocity-down": "velocity at the standard load fell below its baseline by more than TE + SWC",
    "top-speed-down": "sprint top speed fell below its baseline by more than TE + SWC",
    "velocity-and-sprint-down": "velocity at the standard load and sprint top speed both fell below their "
                                "baselines by more than TE + SWC in the same week",
    "velocity-down-sprint-flat": "velocity at the standard load fell below its baseline by more than TE + SWC "
                                 "while sprint top speed stayed within TE + SWC of its own",
    "hsr-then-velocity-down": "a week of high-speed running above its baseline by ≥ {hsr_z:g} SD was followed "
                              "by velocity at the standard load below its baseline by more than TE + SWC",
}


@dataclass(frozen=True)
class Baseline:
    mean: float
    sd: float
    weeks: int


def baseline(values: list[float], p: MonitoringParams) -> Baseline | None:
    """From the last `baseline_weeks` earlier weeks that have a value."""
    have = [v for v in values if math.isfinite(v)][-p.baseline_weeks:]
    if len(have) < p.min_baseline_weeks:
        return None
    return Baseline(float(np.mean(have)), float(np.std(have, ddof=1)), len(have))


def flags(weeks: list[Week], p: MonitoringParams) -> list[Flag]:
    """Fill each week's z-scores and return the flags, in week order: each metric against its own
    baseline (velocity at the standard load, sprint top speed — whichever the week has), both
    together, and the two patterns (velocity down with sprint flat; high-speed running, then
    velocity down)."""
    out = []
    for i, w in enumerate(weeks):
        before = weeks[:i]
        bases = {name: baseline([getattr(b, name) for b in before], p)
                 for name in ("velocity", "top_speed", "hsr_distance", "sprint_distance")}
        for name, b in bases.items():
            value = getattr(w, name)
            if b and b.sd > 0 and math.isfinite(value):
                w.z[name] = (value - b.mean) / b.sd
        velocity = _change(w.velocity, bases["velocity"], p.te_velocity, p)
        sprint = _change(w.top_speed, bases["top_speed"], p.te_top_speed, p)
        v_numbers = velocity and {"velocity m/s": w.velocity, "baseline m/s": bases["velocity"].mean,
                                  "change m/s": velocity[0], "TE + SWC m/s": velocity[1]}
        s_numbers = sprint and {"top speed m/s": w.top_speed, "top speed baseline m/s": bases["top_speed"].mean,
                                "top speed change m/s": sprint[0], "top speed TE + SWC m/s": sprint[1]}
        v_down = velocity is not None and velocity[0] < -velocity[1]
        s_down = sprint is not None and sprint[0] < -sprint[1]
        if v_down:
            out.append(Flag(w.start, "velocity-down", RULES["velocity-down"], v_numbers))
        if s_down:
            out.append(Flag(w.start, "top-speed-down", RULES["top-speed-down"], s_numbers))
        if v_down and s_down:
            out.append(Flag(w.start, "velocity-and-sprint-down", RULES["velocity-and-sprint-down"],
                            {**v_numbers, **s_numbers}))
        if not v_down:
            continue
        if sprint is not None and abs(sprint[0]) <= sprint[1]:
            out.append(Flag(w.start, "velocity-down-sprint-flat", RULES["velocity-down-sprint-flat"],
                            {**v_numbers, "top speed m/s": w.top_speed, "top speed change m/s": sprint[0],
                             "top speed TE + SWC m/s": sprint[1]}))
        if i > 0 and weeks[i - 1].z.get("hsr_distance", -math.inf) >= p.hsr_z:
            prev = weeks[i - 1]
            out.append(Flag(w.start, "hsr-then-velocity-down", RULES["hsr-then-velocity-down"].format(hsr_z=p.hsr_z),
                            {**v_numbers, "previous week HSR m": prev.hsr_distance,
                             "previous week HSR z": prev.z["hsr_distance"]}))
    return out


def _change(value: float, base: Baseline | None, te: float, p: MonitoringParams) -> tuple[float, float] | None:
    """(value − baseline, TE + SWC) when the week has the value and the metric a baseline."""
    if base is None or not math.isfinite(value):
        return None
    return value - base.mean, te + p.swc_factor * base.sd


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())

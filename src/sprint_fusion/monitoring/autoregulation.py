"""Auto-regulation from velocity: the load that meets a target velocity today, from today's warm-up
sets and the athlete's load–velocity profile, with its uncertainty; and the velocity-loss cut-off
of each working set.

The profile's slope is stable between sessions while the whole line shifts with the day's
readiness (Jovanović & Flanagan 2014; García-Ramos et al. 2018): today's line keeps the stored
slope and takes its level from the warm-ups (with two or more warm-up loads and no history, the
warm-ups alone are fitted). The load for a target velocity v* is L = (v* − a)/b; its standard
error carries the scatter of single sets about the profile (from the history's residuals, at least
the typical error of a set) through the level the warm-ups estimated and the one set to come.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .analysis import LoadVelocity

PLATE = 2.5  # kg: loads are rounded to what a bar can carry
SET_TE = 0.03  # m/s, the least scatter of one set's best rep about the profile (LPT test–retest)


@dataclass(frozen=True)
class Plan:
    target_velocity: float  # m/s
    load: float  # kg, rounded to PLATE
    load_exact: float  # kg
    load_sd: float  # kg, standard error of the load for the target
    zone: tuple[float, float] | None  # kg for the velocity zone (slow end → heavier load), rounded
    intercept: float  # m/s at zero load today
    slope: float  # m/s per kg
    cutoff_velocity: float | None  # m/s: end the set once a rep is slower (velocity-loss cut-off)

    def describe(self) -> str:
        text = (f"{self.load:g} kg for {self.target_velocity:.2f} m/s (±{self.load_sd:.1f} kg, 1 SD; "
                f"today's line v = {self.intercept:.3f} {self.slope:+.5f}·load)")
        if self.zone:
            text += f"; the zone: {self.zone[0]:g}–{self.zone[1]:g} kg"
        if self.cutoff_velocity is not None:
            text += f"; end a set at a rep slower than {self.cutoff_velocity:.2f} m/s"
        return text


def plan(warmups: list[tuple[float, float]], target: float, history: LoadVelocity | None = None,
         history_sd: float | None = None, zone: tuple[float, float] | None = None,
         velocity_loss: float | None = None) -> Plan:
    """warmups: (load kg, best mean velocity m/s) of today's warm-up sets; history: the athlete's
    profile from earlier sessions (its slope is kept), history_sd: the scatter of its sets about it;
    zone: (low, high) m/s; velocity_loss: the set's allowed loss, % of its first rep."""
    if not warmups:
        raise ValueError("no warm-up set: today's level is measured on them")
    loads = np.array([w[0] for w in warmups], dtype=float)
    v = np.array([w[1] for w in warmups], dtype=float)
    if not (np.isfinite(loads).all() and np.isfinite(v).all() and (v > 0).all() and (loads >= 0).all()):
        raise ValueError("warm-up sets need a load ≥ 0 kg and a velocity > 0 m/s")
    if not 0 < target < 3:
        raise ValueError(f"target velocity {target} m/s: outside what a bar moves at (0–3 m/s)")
    scatter = max(history_sd or 0.0, SET_TE)
    if history is not None and history.slope < 0:
        slope = history.slope
        intercept = float(np.mean(v - slope * loads))
        level_var = scatter ** 2 / len(v)
        slope_var = 0.0
    elif len(set(loads.tolist())) >= 2:
        slope, intercept = (float(c) for c in np.polyfit(loads, v, 1))
        if slope >= 0:
            raise ValueError("the warm-ups got faster with load: no profile to plan from")
        centred = loads - loads.mean()
        slope_var = scatter ** 2 / float(centred @ centred)
        level_var = scatter ** 2 / len(v)
    else:
        raise ValueError("one warm-up load and no profile history: two loads, or an athlete with history")
    exact = (target - intercept) / slope
    # Var(L) ≈ (Var(level) + Var(one set) + (L − mean load)²·Var(slope)) / b²
    spread = math.sqrt((level_var + scatter ** 2 + (exact - loads.mean()) ** 2 * slope_var) / slope ** 2)
    zone_loads = None
    if zone is not None:
        slow, fast = sorted(zone)
        zone_loads = tuple(sorted(_plate((z - intercept) / slope) for z in (fast, slow)))
    cutoff = target * (1 - velocity_loss / 100.0) if velocity_loss else None
    if velocity_loss is not None and not 0 < velocity_loss < 100:
        raise ValueError(f"velocity loss {velocity_loss} %: between 0 and 100")
    return Plan(target, _plate(exact), exact, spread, zone_loads, intercept, slope, cutoff)


def _plate(load: float) -> float:
    return max(0.0, round(load / PLATE) * PLATE)


def history_profile(store, athlete: str, exercise: str, sessions: int = 6) -> tuple[LoadVelocity | None, float | None]:
    """The athlete's slope over their last `sessions` sessions of the exercise — each session's
    level removed (readiness moves the line, not its slope) — and the scatter of sets about it."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from .schema import TrainingSession, VbtSet

    with store.transaction() as db:
        a = store.known_athlete(db, athlete)
        recent = db.scalars(select(TrainingSession).where(TrainingSession.athlete_id == a.id,
                                                          TrainingSession.kind == "vbt")
                            .order_by(TrainingSession.started_at.desc()).limit(4 * sessions)).all()
        sets = db.scalars(select(VbtSet).where(VbtSet.session_id.in_([s.id for s in recent]))
                          .options(selectinload(VbtSet.reps))).all()  # one query, not one per session
        points_of: dict[int, list] = {}
        for x in sets:
            if x.exercise.lower() == exercise.lower() and x.reps:
                points_of.setdefault(x.session_id, []).append((x.load_kg, max(r.mean_velocity for r in x.reps)))
        by_session = {}
        for s in recent:  # newest first
            points = points_of.get(s.id, [])
            if len({load for load, _ in points}) >= 2:
                by_session[s.id] = points
            if len(by_session) == sessions:
                break
    if not by_session:
        return None, None
    dl, dv, levels, n = [], [], [], 0
    for points in by_session.values():
        loads, v = np.array(points).T
        dl += list(loads - loads.mean())
        dv += list(v - v.mean())
        n += len(points)
    dl, dv = np.array(dl), np.array(dv)
    slope = float(dl @ dv / (dl @ dl))
    for points in by_session.values():
        loads, v = np.array(points).T
        levels.append(float(np.mean(v - slope * loads)))
    resid = dv - slope * dl
    sd = math.sqrt(float(resid @ resid) / max(n - len(by_session) - 1, 1))
    return LoadVelocity(float(np.mean(levels)), slope, math.nan, n), sd

"""An athlete's weeks from the store: the numbers the analysis needs, then its flags."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .analysis import Flag, MonitoringParams, Period, SetSummary, flags, load_velocity, monday, set_summary
from .schema import GpsLoad, SprintTrial, TrainingSession, VbtSet
from .store import Store


@dataclass
class AthleteTrend:
    athlete: str
    exercise: str
    standard_load: float  # kg
    weeks: list[Period]
    flags: list[Flag]  # the weeks' and then the session days' (Flag.period)
    last_sets: list[SetSummary]  # the latest VBT session's sets of the exercise
    notes: dict = field(default_factory=dict)  # (start, rule) → [(by, at, decision)]: flags acknowledged
    days: list[Period] = field(default_factory=list)  # the session days
    sessions: list[tuple[dt.date, list[SetSummary]]] = field(default_factory=list)  # VBT sets per day, in order

    def note_text(self, flag: Flag) -> str:
        """The coach's notes on a flag, in words ('' when it is still open)."""
        return "; ".join(f"acknowledged by {by} on {at:%Y-%m-%d}: {decision}"
                         for by, at, decision in self.notes.get((flag.start, flag.rule), []))


def athlete_trend(store: Store, name: str, p: MonitoringParams | None = None, start: dt.date | None = None,
                  end: dt.date | None = None) -> AthleteTrend:
    p = p or MonitoringParams()
    with store.transaction() as db:
        athlete = store.known_athlete(db, name)  # the stored spelling, whatever the case and spaces
        sessions = db.scalars(select(TrainingSession).where(TrainingSession.athlete_id == athlete.id)
                              .order_by(TrainingSession.started_at)).all()
        ids = [s.id for s in sessions]
        sets = db.scalars(select(VbtSet).where(VbtSet.session_id.in_(ids)).options(selectinload(VbtSet.reps))
                          .order_by(VbtSet.session_id, VbtSet.set_number)).all()
        trials = db.scalars(select(SprintTrial).where(SprintTrial.session_id.in_(ids))).all()
        loads = db.scalars(select(GpsLoad).where(GpsLoad.session_id.in_(ids))).all()
        by_id = {s.id: s for s in sessions}
        vbt = defaultdict(list)
        for s in sets:
            if s.exercise.lower() == p.exercise.lower() and s.reps:
                vbt[s.session_id].append(set_summary(s.exercise, s.load_kg, [r.mean_velocity for r in s.reps]))
        usable = [t for t in trials if t.filter == "kf2" and t.verdict != "unusable"]
        sprint = [(by_id[t.session_id].day, metric, value) for t in usable
                  for metric, value in (("top_speed", t.top_speed), ("t_10m", t.t_10m), ("t_20m", t.t_20m),
                                        ("t_30m", t.t_30m)) if value is not None]
        gps = [(by_id[g.session_id].day, metric, getattr(g, column)) for g in loads
               for metric, column in GPS_COLUMNS.items()]
        vbt_days = {sid: by_id[sid].day for sid in vbt}
    standard = p.standard_load or _standard_load(vbt, vbt_days, p)
    values = _session_values(vbt, vbt_days, standard, p) + sprint + gps
    weeks = _periods(values, monday, dt.timedelta(weeks=1))
    days = _periods(values, lambda day: day, None)
    found = flags(weeks, p) + (flags(days, p, "day") if p.daily else [])

    def shown(day: dt.date) -> bool:
        return (start is None or day >= monday(start)) and (end is None or day <= end)

    last = vbt[max(vbt, key=lambda sid: vbt_days[sid])] if vbt else []
    from .manage import flag_notes

    return AthleteTrend(name, p.exercise, standard, [w for w in weeks if shown(w.start)],
                        [f for f in found if shown(f.start)], last, flag_notes(store, name),
                        [d for d in days if shown(d.start)],
                        sorted(((vbt_days[sid], sets) for sid, sets in vbt.items() if shown(vbt_days[sid])),
                               key=lambda item: item[0]))


def _standard_load(vbt, vbt_days, p: MonitoringParams) -> float:
    """The median set load of the athlete's first baseline_weeks weeks with sets (to 2.5 kg): fixed
    once those weeks exist, so a session added later does not rewrite every past week (the median
    of all sets ever moved 90 → 80 kg with one partial session, z −9.1 → −12.8)."""
    if not vbt:
        return math.nan
    weeks = sorted({monday(day) for day in vbt_days.values()})[:p.baseline_weeks]
    loads = [s.load_kg for sid, summaries in vbt.items() if monday(vbt_days[sid]) in weeks for s in summaries]
    return round(float(np.median(loads)) / 2.5) * 2.5


def _session_values(vbt, vbt_days, standard: float, p: MonitoringParams) -> list[tuple[dt.date, str, float]]:
    """(day, metric, value) of each VBT session: velocity at the standard load (from the session's
    load–velocity profile, else its best rep at that load), e1RM, each set's velocity loss."""
    out = []
    for sid, summaries in vbt.items():
        day = vbt_days[sid]
        profile = load_velocity(summaries)
        at_load = [s.best_velocity for s in summaries if s.load_kg == standard]
        if profile is not None:
            out += [(day, "velocity", profile.velocity_at(standard)),
                    (day, "e1rm", profile.load_at(p.mvt_of(p.exercise)))]
        elif at_load:
            out.append((day, "velocity", max(at_load)))
        out += [(day, "velocity_loss", s.velocity_loss) for s in summaries]
    return out


REDUCE = {"top_speed": max, "t_10m": min, "t_20m": min, "t_30m": min, "hsr_distance": sum, "sprint_distance": sum,
          "total_distance": sum, "accelerations": sum, "decelerations": sum,
          "gps_top_speed": max}  # the best trial, the period's total; others: the mean
GPS_COLUMNS = {"hsr_distance": "hsr_distance", "sprint_distance": "sprint_distance", "total_distance": "total_distance",
               "accelerations": "accelerations", "decelerations": "decelerations", "gps_top_speed": "top_speed"}


def _periods(values, key, step: dt.timedelta | None) -> list[Period]:
    """Periods keyed by key(day) — weeks (every week from the first to the last, `step` apart, empty
    ones too) or session days (only those with data) — holding the reduced values."""
    if not values:
        return []
    grouped = defaultdict(lambda: defaultdict(list))
    for day, name, value in values:
        if value is not None and math.isfinite(value):
            grouped[key(day)][name].append(float(value))
    starts = sorted({key(day) for day, _, _ in values})
    if step is not None:
        starts = [starts[0] + k * step for k in range((starts[-1] - starts[0]) // step + 1)]
    periods = []
    for start in starts:
        period = Period(start)
        for name, items in grouped.get(start, {}).items():
            if items:
                setattr(period, name, float(REDUCE.get(name, np.mean)(items)))
        periods.append(period)
    return periods

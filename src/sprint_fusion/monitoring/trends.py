"""An athlete's weeks from the store: the numbers the analysis needs, then its flags."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .analysis import Flag, MonitoringParams, SetSummary, Week, flags, load_velocity, monday, set_summary
from .schema import GpsLoad, SprintTrial, TrainingSession, VbtSet
from .store import Store


@dataclass
class AthleteTrend:
    athlete: str
    exercise: str
    standard_load: float  # kg
    weeks: list[Week]
    flags: list[Flag]
    last_sets: list[SetSummary]  # the latest VBT session's sets of the exercise
    notes: dict = field(default_factory=dict)  # (week, rule) → [(by, at, decision)]: flags acknowledged

    def note_text(self, flag: Flag) -> str:
        """The coach's notes on a flag, in words ('' when it is still open)."""
        return "; ".join(f"acknowledged by {by} on {at:%Y-%m-%d}: {decision}"
                         for by, at, decision in self.notes.get((flag.week, flag.rule), []))


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
        sprint = [(by_id[t.session_id].day, t.top_speed) for t in trials
                  if t.filter == "kf2" and t.verdict != "unusable" and t.top_speed is not None]
        gps = [(by_id[g.session_id].day, g) for g in loads]
        vbt_days = {sid: by_id[sid].day for sid in vbt}
    standard = p.standard_load or _standard_load(vbt, vbt_days, p)
    weeks = _weeks(vbt, vbt_days, sprint, gps, standard, p)
    found = flags(weeks, p)
    inside = [w for w in weeks if (start is None or w.start >= monday(start)) and (end is None or w.start <= end)]
    last = vbt[max(vbt, key=lambda sid: vbt_days[sid])] if vbt else []
    shown = {w.start for w in inside}
    from .manage import flag_notes

    return AthleteTrend(name, p.exercise, standard, inside, [f for f in found if f.week in shown], last,
                        flag_notes(store, name))


def _standard_load(vbt, vbt_days, p: MonitoringParams) -> float:
    """The median set load of the athlete's first baseline_weeks weeks with sets (to 2.5 kg): fixed
    once those weeks exist, so a session added later does not rewrite every past week (the median
    of all sets ever moved 90 → 80 kg with one partial session, z −9.1 → −12.8)."""
    if not vbt:
        return math.nan
    weeks = sorted({monday(day) for day in vbt_days.values()})[:p.baseline_weeks]
    loads = [s.load_kg for sid, summaries in vbt.items() if monday(vbt_days[sid]) in weeks for s in summaries]
    return round(float(np.median(loads)) / 2.5) * 2.5


def _weeks(vbt, vbt_days, sprint, gps, standard: float, p: MonitoringParams) -> list[Week]:
    days = list(vbt_days.values()) + [d for d, _ in sprint] + [d for d, _ in gps]
    if not days:
        return []
    first, last = monday(min(days)), monday(max(days))
    weeks = {first + dt.timedelta(weeks=k): Week(first + dt.timedelta(weeks=k))
             for k in range((last - first).days // 7 + 1)}
    per_week = defaultdict(lambda: defaultdict(list))
    for sid, summaries in vbt.items():
        key = monday(vbt_days[sid])
        profile = load_velocity(summaries)
        at_load = [s.best_velocity for s in summaries if s.load_kg == standard]
        if profile is not None:
            per_week[key]["velocity"].append(profile.velocity_at(standard))
            per_week[key]["e1rm"].append(profile.load_at(p.mvt_of(p.exercise)))
        elif at_load:
            per_week[key]["velocity"].append(max(at_load))
        per_week[key]["velocity_loss"] += [s.velocity_loss for s in summaries]
    for day, top in sprint:
        per_week[monday(day)]["top_speed"].append(top)
    for day, g in gps:
        for name in ("hsr_distance", "sprint_distance", "total_distance"):
            per_week[monday(day)][name].append(getattr(g, name))
    for key, values in per_week.items():
        w = weeks[key]
        for name, items in values.items():
            items = [x for x in items if math.isfinite(x)]
            if not items:
                continue
            if name == "top_speed":
                setattr(w, name, max(items))
            elif name.endswith("distance"):
                setattr(w, name, float(sum(items)))
            else:
                setattr(w, name, float(np.mean(items)))
    return [weeks[k] for k in sorted(weeks)]

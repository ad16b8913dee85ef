"""Wellness and incidents beside the load: a CSV per kind, imported like the other data (one
transaction, the same file twice adds nothing), shown per week in the athlete's report.
Descriptive only — no injury prediction is made from them (the evidence does not support one).

wellness CSV: athlete,date[,rpe][,session_minutes][,rmssd][,sleep_hours][,soreness] (a day per
row; empty cells are missing values); incidents CSV: athlete,date,kind,description.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

from sqlalchemy import select

from .ingest import ImportReport, _run_import, content_hash
from .schema import Incident, Wellness
from .store import Store, clean_name
from .vbt import ImportRowError

RANGES = {"rpe": (0.0, 10.0), "session_minutes": (0.0, 600.0), "rmssd": (1.0, 300.0), "sleep_hours": (0.0, 24.0),
          "soreness": (0.0, 10.0)}
INCIDENT_KINDS = ("injury", "illness", "other")


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise ImportRowError(path, 1, f"the header lacks {missing} (has {reader.fieldnames})")
            return [(reader.line_num, row) for row in reader]
    except UnicodeDecodeError as err:
        raise ImportRowError(path, 1, f"not UTF-8 text ({err.reason}): export it as UTF-8 CSV") from None
    except csv.Error as err:
        raise ImportRowError(path, 1, f"not a readable CSV: {err}") from None


def _day(path, line, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        raise ImportRowError(path, line, f"date {text!r} is not YYYY-MM-DD") from None


def read_wellness(path: str | Path) -> list[tuple[str, dt.date, dict]]:
    path = Path(path)
    out, seen = [], set()
    for line, row in _rows(path, ("athlete", "date")):
        values = {}
        for name, (lo, hi) in RANGES.items():
            text = (row.get(name) or "").strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                raise ImportRowError(path, line, f"{name} {text!r} is not a number") from None
            if not (math.isfinite(value) and lo <= value <= hi):
                raise ImportRowError(path, line, f"{name} {value:g} is outside [{lo:g}, {hi:g}]")
            values[name] = value
        key = (clean_name(row["athlete"]).lower(), _day(path, line, row["date"]))
        if key in seen:
            raise ImportRowError(path, line, f"a second row for {row['athlete']} on {key[1]}")
        seen.add(key)
        out.append((clean_name(row["athlete"]), key[1], values))
    return out


def read_incidents(path: str | Path) -> list[tuple[str, dt.date, str, str]]:
    path = Path(path)
    out = []
    for line, row in _rows(path, ("athlete", "date", "kind", "description")):
        kind = (row["kind"] or "").strip().lower()
        if kind not in INCIDENT_KINDS:
            raise ImportRowError(path, line, f"kind {row['kind']!r}: one of {', '.join(INCIDENT_KINDS)}")
        out.append((clean_name(row["athlete"]), _day(path, line, row["date"]), kind, (row["description"] or "")[:1000]))
    return out


def import_wellness(store: Store, path: str | Path, kind: str) -> ImportReport:
    """kind 'wellness' or 'incidents'; every row checked before anything is written, then one
    import as the others run (ingest._run_import: the same file twice adds nothing)."""
    path = Path(path)
    rows = read_wellness(path) if kind == "wellness" else read_incidents(path)

    def fill(job, report: ImportReport) -> None:
        for row in rows:
            athlete = job.athlete(row[0])
            if kind == "incidents":
                job.db.add(Incident(athlete_id=athlete.id, day=row[1], kind=row[2], description=row[3],
                                    import_id=job.record.id))
                report.added += 1
                continue
            day, values = row[1], row[2]
            if job.db.scalar(select(Wellness).where(Wellness.athlete_id == athlete.id, Wellness.day == day)):
                report.present += 1
                continue
            job.db.add(Wellness(athlete_id=athlete.id, day=day, import_id=job.record.id, **values))
            report.added += 1
        job.record.sessions = report.added  # days (or incidents) written

    return _run_import(store, kind, str(path), content_hash(path), "UTC", fill)


def weekly_wellness(store: Store, athlete: str) -> tuple[dict, list]:
    """{monday: {srpe AU (sum), rmssd ms, sleep h, soreness (means), days}} and the incidents
    [(day, kind, description)] of the athlete."""
    from .analysis import monday

    with store.transaction() as db:
        a = store.known_athlete(db, athlete)
        days = db.scalars(select(Wellness).where(Wellness.athlete_id == a.id).order_by(Wellness.day)).all()
        incidents = [(i.day, i.kind, i.description) for i in
                     db.scalars(select(Incident).where(Incident.athlete_id == a.id).order_by(Incident.day))]
    weeks: dict = {}
    for w in days:
        wk = weeks.setdefault(monday(w.day), {"srpe": 0.0, "rmssd": [], "sleep": [], "soreness": [], "days": 0})
        wk["days"] += 1
        if w.rpe is not None and w.session_minutes is not None:
            wk["srpe"] += w.rpe * w.session_minutes
        for key, value in (("rmssd", w.rmssd), ("sleep", w.sleep_hours), ("soreness", w.soreness)):
            if value is not None:
                wk[key].append(value)
    for wk in weeks.values():
        for key in ("rmssd", "sleep", "soreness"):
            wk[key] = sum(wk[key]) / len(wk[key]) if wk[key] else math.nan
    return weeks, incidents

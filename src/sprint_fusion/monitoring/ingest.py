"""Imports into the store. Each import is one transaction: it is written whole or not at all (a
bad row names its file and line and leaves the store as it was). Importing the same content
twice adds nothing: a file already imported (by content hash) is skipped, and a session the store
already holds (athlete, kind, start time) is not added again."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from .gps_load import SessionLoad
from .schema import GpsLoad, Import, SprintTrial, TrainingSession, VbtRep, VbtSet
from .store import Store, clean_name
from .vbt import ImportRowError, VbtMapping, VbtRow, VbtTable, read_vbt_csv

VBT_SESSION_GAP = dt.timedelta(hours=2)  # reps further apart than this belong to different sessions


@dataclass
class ImportReport:
    source: str
    kind: str
    added: int = 0  # sessions written
    present: int = 0  # sessions the store already had
    skipped_file: bool = False  # this exact content was imported before
    extended: int = 0  # sessions the store had in part, completed from this file
    reps_added: int = 0  # reps added to those
    notes: list[str] = field(default_factory=list)  # conflicts: what this file says differently

    def __str__(self) -> str:
        if self.skipped_file:
            return f"{self.source}: already imported, nothing added"
        text = f"{self.source}: {self.added} {self.kind} session(s) added, {self.present} already present"
        if self.extended:
            text += f", {self.extended} completed with {self.reps_added} rep(s) they lacked"
        return "\n  ".join([text, *self.notes])


def content_hash(path: Path) -> str:
    """Of the content only: the same export under another name is the same import (a bag folder:
    its files' names inside it count too)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        if path.is_dir():
            digest.update(str(p.relative_to(path)).encode())
        with open(p, "rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class _Import:
    """The bookkeeping every import shares, inside one transaction."""

    def __init__(self, store: Store, session, kind: str, source: str, sha: str, zone: str):
        self.store, self.db, self.kind, self.zone = store, session, kind, ZoneInfo(zone)
        self.record = Import(kind=kind, source=source, sha256=sha, imported_at=dt.datetime.now(dt.timezone.utc),
                             sessions=0)
        session.add(self.record)
        session.flush()
        self.days: set[tuple[int, dt.date]] = set()
        self.athletes: dict[str, object] = {}  # looked up once per import: a big export has thousands of sessions
        self.starts: dict[int, set] = {}  # athlete id → start times of its sessions of this kind

    def athlete(self, name: str):
        found = self.athletes.get(name)
        if found is None:
            with self.db.no_autoflush:
                found = self.athletes[name] = self.store.athlete(self.db, name)
        return found

    def existing_session(self, athlete_name: str, started_at: dt.datetime) -> TrainingSession | None:
        athlete = self.athlete(athlete_name)
        with self.db.no_autoflush:  # the pending sessions are checked against too (identity map)
            return self.db.scalar(select(TrainingSession).where(
                TrainingSession.athlete_id == athlete.id, TrainingSession.kind == self.kind,
                TrainingSession.started_at == started_at))

    def has_session(self, athlete_name: str, started_at: dt.datetime) -> bool:
        """Whether the store (or this import) has the athlete's session of this kind starting then:
        the athlete's start times are read once, not one query per session."""
        athlete = self.athlete(athlete_name)
        if athlete.id not in self.starts:
            with self.db.no_autoflush:
                self.starts[athlete.id] = set(self.db.scalars(select(TrainingSession.started_at).where(
                    TrainingSession.athlete_id == athlete.id, TrainingSession.kind == self.kind)))
        return started_at in self.starts[athlete.id]

    def add_sessions(self, sessions: list[tuple[str, dt.datetime]]) -> list[int]:
        """New sessions (athlete name, start) in one statement; their ids in the same order."""
        values = []
        for name, started_at in sessions:
            athlete = self.athlete(name)
            day = started_at.astimezone(self.zone).date()
            values.append({"athlete_id": athlete.id, "kind": self.kind, "started_at": started_at, "day": day,
                           "day_order": 0, "import_id": self.record.id})
            self.starts.setdefault(athlete.id, set()).add(started_at)
            self.days.add((athlete.id, day))
        self.record.sessions += len(values)
        return self.db.scalars(insert(TrainingSession).returning(TrainingSession.id, sort_by_parameter_order=True),
                               values).all()

    def new_session(self, athlete_name: str, started_at: dt.datetime) -> TrainingSession | None:
        """A session to fill, or None when the store already has it."""
        athlete = self.athlete(athlete_name)
        if self.existing_session(athlete_name, started_at) is not None:
            return None
        day = started_at.astimezone(self.zone).date()
        session = TrainingSession(athlete_id=athlete.id, kind=self.kind, started_at=started_at, day=day, day_order=0,
                                  import_id=self.record.id)
        self.db.add(session)
        self.db.flush()
        self.record.sessions += 1
        self.days.add((athlete.id, day))
        return session

    def finish(self) -> None:
        """Number each touched day's sessions of an athlete in time order (all kinds)."""
        self.db.flush()
        days = defaultdict(set)
        for athlete_id, day in self.days:
            days[athlete_id].add(day)
        changed = []
        for athlete_id, touched in days.items():
            touched = sorted(touched)
            for k in range(0, len(touched), 500):  # bounded IN lists
                found = self.db.execute(select(TrainingSession.id, TrainingSession.day, TrainingSession.day_order)
                                        .where(TrainingSession.athlete_id == athlete_id,
                                               TrainingSession.day.in_(touched[k:k + 500]))
                                        .order_by(TrainingSession.day, TrainingSession.started_at,
                                                  TrainingSession.id)).all()
                order, last = 0, None
                for sid, day, stored in found:
                    order = order + 1 if day == last else 1
                    last = day
                    if stored != order:
                        changed.append({"id": sid, "day_order": order})
        if changed:
            self.db.execute(update(TrainingSession), changed)
            self.db.expire_all()  # sessions loaded as objects see the new numbers


def _already_imported(db, kind: str, sha: str) -> bool:
    return db.scalar(select(Import).where(Import.kind == kind, Import.sha256 == sha)) is not None


def _run_import(store: Store, kind: str, source: str, sha: str, zone: str, fill) -> ImportReport:
    """One transaction: skipped if this content was imported before, else fill(job, report)."""
    report = ImportReport(source, kind)
    try:
        with store.transaction() as db:
            if _already_imported(db, kind, sha):
                report.skipped_file = True
                return report
            job = _Import(store, db, kind, Path(source).name, sha, zone)
            fill(job, report)
            job.finish()
    except IntegrityError:  # the same file (or session) written by another import at the same time
        with store.transaction() as db:
            if not _already_imported(db, kind, sha):
                raise
        report = ImportReport(source, kind, skipped_file=True)
    except OperationalError as err:
        raise ValueError(f"{source}: the athlete store stayed busy (another import?) or failed: "
                         f"{str(err.orig).splitlines()[0]}; nothing of this file was written") from None
    return report


# --- VBT -------------------------------------------------------------------------------------
def import_vbt(store: Store, path: str | Path, mapping: VbtMapping, athlete: str | None = None,
               progress=None) -> ImportReport:
    """`athlete`: whose export it is, when it has no athlete column; `progress(fraction)` while
    the file is read."""
    path = Path(path)
    athlete = clean_name(athlete) if athlete else None
    rows = read_vbt_csv(path, mapping, athlete, progress)  # every row checked before anything is written

    def fill(job: _Import, report: ImportReport) -> None:
        pending = []  # new sessions, written in batches by statements of many rows (a big export has 10⁴–10⁵)
        for athlete, session_rows in _vbt_sessions(rows):
            sets = _vbt_sets(path, session_rows)
            started = session_rows[0].recorded
            if job.has_session(athlete, started):  # the store has it: complete it from this file, never drop
                stored = job.existing_session(athlete, started)
                added = _complete_vbt_session(job.db, stored, sets, report)
                report.extended += added > 0
                report.reps_added += added
                report.present += added == 0
                continue
            report.added += 1
            pending.append((athlete, started, sets))
            if len(pending) >= 2000:
                _write_vbt_sessions(job, pending)
                pending = []
        _write_vbt_sessions(job, pending)

    return _run_import(store, "vbt", str(path), content_hash(path), mapping.timezone, fill)


def _write_vbt_sessions(job: _Import, pending: list) -> None:
    """New sessions with their sets and reps: three multi-row INSERTs (ids returned in order)."""
    if not pending:
        return
    ids = job.add_sessions([(athlete, started) for athlete, started, _ in pending])
    set_values = [{"session_id": sid, "set_number": set_rows[0].set_number or number, "exercise": set_rows[0].exercise,
                   "load_kg": set_rows[0].load_kg}
                  for sid, (_, _, sets) in zip(ids, pending, strict=True)
                  for number, set_rows in enumerate(sets, start=1)]
    set_ids = job.db.scalars(insert(VbtSet).returning(VbtSet.id, sort_by_parameter_order=True), set_values).all()
    all_sets = [set_rows for _, _, sets in pending for set_rows in sets]
    job.db.execute(insert(VbtRep), [_rep_values(set_id, r) for set_id, set_rows in zip(set_ids, all_sets, strict=True)
                                    for r in set_rows])


def _vbt_set(session_id: int, number: int, set_rows: list[VbtRow]) -> VbtSet:
    first = set_rows[0]
    return VbtSet(session_id=session_id, set_number=first.set_number or number, exercise=first.exercise,
                  load_kg=first.load_kg, reps=[_vbt_rep(r) for r in set_rows])


def _rep_values(set_id: int, r: VbtRow) -> dict:
    return {"set_id": set_id, "rep": r.rep, "recorded_at": r.recorded, "mean_velocity": r.mean_velocity,
            "peak_velocity": r.peak_velocity, "mean_power": r.mean_power, "peak_power": r.peak_power}


def _vbt_rep(r: VbtRow) -> VbtRep:
    return VbtRep(rep=r.rep, recorded_at=r.recorded, mean_velocity=r.mean_velocity, peak_velocity=r.peak_velocity,
                  mean_power=r.mean_power, peak_power=r.peak_power)


def _complete_vbt_session(db, stored: TrainingSession, sets: list[list[VbtRow]], report: ImportReport) -> int:
    """Add to a stored session the sets and reps of this export it lacks (a mid-session export
    imported first, the full one now); a rep the store has with other values is kept as stored
    and named in the report's notes. Returns how many reps were added."""
    have = {s.set_number: s for s in db.scalars(select(VbtSet).where(VbtSet.session_id == stored.id))}
    added = 0
    for number, set_rows in enumerate(sets, start=1):
        key = set_rows[0].set_number or number
        existing = have.get(key)
        if existing is None:
            db.add(_vbt_set(stored.id, number, set_rows))
            added += len(set_rows)
            continue
        reps = {r.rep: r for r in existing.reps}
        for row in set_rows:
            old = reps.get(row.rep)
            if old is None:
                existing.reps.append(_vbt_rep(row))
                added += 1
            elif abs(old.mean_velocity - row.mean_velocity) > 1e-9 or (existing.exercise, existing.load_kg) != (
                    row.exercise, row.load_kg):
                report.notes.append(
                    f"{stored.started_at:%Y-%m-%d %H:%M} set {key} rep {row.rep}: the store has "
                    f"{existing.exercise} {existing.load_kg:g} kg at {old.mean_velocity:.3f} m/s, this file "
                    f"{row.exercise} {row.load_kg:g} kg at {row.mean_velocity:.3f} m/s — kept the stored one")
    return added


def _vbt_sessions(table: VbtTable):
    """(athlete, the session's rows in time order) — rows further apart than VBT_SESSION_GAP start a
    new session; the row objects are made one session at a time."""
    c = table.columns
    order = np.lexsort((c["line"], c["when"], c["athlete"]))
    athlete, when = c["athlete"][order], c["when"][order]
    breaks = np.flatnonzero((np.diff(athlete) != 0) | (np.diff(when) > VBT_SESSION_GAP.total_seconds())) + 1
    for part in np.split(order, breaks):
        yield table.names[int(c["athlete"][part[0]])], table.rows(part)


def _vbt_sets(path, rows: list[VbtRow]) -> list[list[VbtRow]]:
    """Sets in time order: by the export's set column, else a new set wherever the rep count
    starts again or the exercise or load changes."""
    if rows[0].set_number is not None:
        # by exercise and set: exports number the sets of each exercise from 1 (squat 1-3, bench 1-3)
        by_set: dict[tuple[str, int], list[VbtRow]] = defaultdict(list)
        for r in rows:
            if r.set_number is None:
                raise ImportRowError(path, r.line, "set is empty while other rows have one")
            by_set[(r.exercise, r.set_number)].append(r)
        sets = [by_set[k] for k in sorted(by_set, key=lambda k: by_set[k][0].recorded)]
        if len({k[1] for k in by_set}) < len(by_set):  # numbers repeat across exercises: the session's order
            for number, s in enumerate(sets, start=1):
                for k, r in enumerate(s):
                    s[k] = replace(r, set_number=number)
    else:
        sets = [[rows[0]]]
        for r in rows[1:]:
            last = sets[-1][-1]
            if r.rep <= last.rep or r.exercise != last.exercise or r.load_kg != last.load_kg:
                sets.append([])
            sets[-1].append(r)
    for s in sets:
        reps = [r.rep for r in s]
        if len(set(reps)) != len(reps) or len({(r.exercise, r.load_kg) for r in s}) != 1:
            raise ImportRowError(path, s[0].line, "a set repeats a rep number or mixes exercises or loads")
    return sets


# --- sprint results ----------------------------------------------------------------------------
def import_sprint(store: Store, path: str | Path, athlete: str, zone: str = "UTC") -> ImportReport:
    """Trials from a sprint.json (`sprint-fusion report` / the sprint_analyzer node)."""
    path = Path(path)
    athlete = clean_name(athlete)  # refused before anything is read or written
    doc = _sprint_doc(path)

    def fill(job: _Import, report: ImportReport) -> None:
        started = min(_utc(t["onset_utc"]) for t in doc["trials"])
        session = job.new_session(athlete, started)
        if session is None:
            report.present += 1
            return
        report.added += 1
        for t in doc["trials"]:
            for name in ("kf5", "kf2"):
                est = t.get(name)
                if not est:
                    continue
                at = {s["distance"]: s["time"] for s in est.get("splits", [])}
                prof, fv = est.get("profile") or {}, est.get("force_velocity") or {}
                job.db.add(SprintTrial(
                    session_id=session.id, trial=t["index"], filter=name, onset=_utc(t["onset_utc"]),
                    verdict=t["quality"]["verdict"], distance=est.get("distance"), top_speed=est.get("top_speed"),
                    t_10m=at.get(10.0), t_20m=at.get(20.0), t_30m=at.get(30.0), t_40m=at.get(40.0),
                    mss=prof.get("MSS"), tau=prof.get("TAU"), pmax=prof.get("PMAX"), f0=fv.get("F0"),
                    v0=fv.get("V0")))

    return _run_import(store, "sprint", str(path), content_hash(path), zone, fill)


def _sprint_doc(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a sprint.json: {err}") from None
    if not isinstance(doc, dict) or doc.get("schema") != "sprint_fusion/sprint/1":
        schema = doc.get("schema") if isinstance(doc, dict) else None
        raise ValueError(f"{path}: schema {schema!r}, expected 'sprint_fusion/sprint/1'")
    if not doc.get("trials"):
        raise ValueError(f"{path}: no trials to import")
    for k, trial in enumerate(doc["trials"], start=1):  # what the import reads, checked before it writes
        missing = [key for key in ("index", "onset_utc") if key not in trial]
        if not (isinstance(trial.get("quality"), dict) and "verdict" in trial["quality"]):
            missing.append("quality.verdict")
        if missing:
            raise ValueError(f"{path}: trial {k} lacks {', '.join(missing)} (docs/sprint.md has the schema)")
        try:
            _utc(trial["onset_utc"])
        except (TypeError, ValueError):
            raise ValueError(f"{path}: trial {k}: onset_utc {trial['onset_utc']!r} is not an ISO time") from None
    return doc


def _utc(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"time {text!r} has no offset")
    return when


# --- GPS session load ----------------------------------------------------------------------------
def import_gps_load(store: Store, athlete: str, started_at: dt.datetime, load: SessionLoad, source: str,
                    zone: str = "UTC", content: str | None = None) -> ImportReport:
    """A computed session load (import_gps_bag computes one from a bag)."""
    athlete = clean_name(athlete)
    values = (load.duration, load.total_distance, load.hsr_distance, load.sprint_distance, load.sprint_count,
              load.accelerations, load.decelerations, load.top_speed)
    if not all(math.isfinite(v) and v >= 0 for v in values):
        raise ValueError(f"{source}: session load has a negative or non-finite value: {load}")
    sha = content or hashlib.sha256(f"{athlete}|{started_at.isoformat()}|{values}".encode()).hexdigest()

    def fill(job: _Import, report: ImportReport) -> None:
        session = job.new_session(athlete, started_at)
        if session is None:
            report.present += 1
        else:
            report.added += 1
            job.db.add(GpsLoad(
                session_id=session.id, duration=load.duration, total_distance=load.total_distance,
                hsr_distance=load.hsr_distance, sprint_distance=load.sprint_distance, sprint_count=load.sprint_count,
                accelerations=load.accelerations, decelerations=load.decelerations, top_speed=load.top_speed,
                hsr_threshold=load.thresholds.hsr_speed, sprint_threshold=load.thresholds.sprint_speed))

    return _run_import(store, "gps", source, sha, zone, fill)


def bag_load(bag: str | Path, params=None, thresholds=None, namespace: str = "", remap=None):
    """(start time, SessionLoad) of a whole session's bag, from KF2's speed and acceleration."""
    from ..bags.reader import read_blocks
    from ..core.fusion import run_blocks
    from .gps_load import session_load

    result = run_blocks(read_blocks(bag, namespace, remap=remap), params)
    t, v, a = result["t"], result["kf2_speed"], result["kf2_accel"]
    ok = [i for i in range(len(t)) if math.isfinite(v[i])]
    if len(ok) < 2:
        raise ValueError(f"{bag}: no fused speed (no GNSS fix?)")
    started = dt.datetime.fromtimestamp(float(t[ok[0]]), dt.timezone.utc)
    return started, session_load(t, v, a, thresholds)


def import_gps_bag(store: Store, bag: str | Path, athlete: str, params=None, thresholds=None, zone: str = "UTC",
                   namespace: str = "", remap=None) -> ImportReport:
    bag = Path(bag)
    athlete = clean_name(athlete)
    sha = content_hash(bag)
    with store.transaction() as db:  # the cheap check first: a bag imported before is not replayed
        if _already_imported(db, "gps", sha):
            return ImportReport(str(bag), "gps", skipped_file=True)
    started, load = bag_load(bag, params, thresholds, namespace, remap)
    return import_gps_load(store, athlete, started, load, bag.name, zone, content=sha)

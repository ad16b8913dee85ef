"""Mending the store by hand — an athlete renamed, two athletes merged, a session moved to the
right athlete or deleted — each one transaction leaving an audit row. A file imported under the
wrong athlete is fixed with reassign, or with delete-session and a new import (a file whose
sessions are all deleted can be imported again)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select

from .schema import Athlete, Audit, GpsLoad, Import, SprintTrial, TrainingSession, VbtSet
from .store import Store, clean_name


def _audit(db, action: str, detail: str) -> None:
    db.add(Audit(at=dt.datetime.now(dt.timezone.utc), action=action, detail=detail))


def _session(db, session_id: int) -> TrainingSession:
    found = db.get(TrainingSession, session_id)
    if found is None:
        raise ValueError(f"no session {session_id} (`athletes sessions --athlete NAME` lists them)")
    return found


def _clashes(db, sessions: list[TrainingSession], athlete_id: int) -> list[TrainingSession]:
    """Sessions the target athlete already has at the same start (kind and time)."""
    return [s for s in sessions if db.scalar(select(TrainingSession.id).where(
        TrainingSession.athlete_id == athlete_id, TrainingSession.kind == s.kind,
        TrainingSession.started_at == s.started_at)) is not None]


def rename(store: Store, old: str, new: str) -> str:
    new = clean_name(new)
    with store.transaction() as db:
        athlete = store.known_athlete(db, old)
        other = store.athlete(db, new, create=False)
        if other is not None and other.id != athlete.id:
            raise ValueError(f"'{other.name}' is another athlete: merge them instead (athletes merge)")
        before, athlete.name = athlete.name, new
        _audit(db, "rename", f"athlete '{before}' renamed '{new}'")
    return f"renamed '{before}' to '{new}'"


def merge(store: Store, source: str, target: str) -> str:
    """Every session of `source` moves to `target`, then `source` is removed; refused (nothing
    changed) when both have a session of one kind at one start time."""
    with store.transaction() as db:
        a, b = store.known_athlete(db, source), store.known_athlete(db, target)
        if a.id == b.id:
            raise ValueError(f"'{a.name}' and '{b.name}' are one athlete already")
        sessions = db.scalars(select(TrainingSession).where(TrainingSession.athlete_id == a.id)).all()
        clashes = _clashes(db, sessions, b.id)
        if clashes:
            raise ValueError(f"both have {len(clashes)} session(s) at the same start (first: {clashes[0].kind} "
                             f"{clashes[0].started_at:%Y-%m-%d %H:%M} UTC, session {clashes[0].id}): delete the "
                             "duplicate first (athletes delete-session)")
        for s in sessions:
            s.athlete_id = b.id
        _audit(db, "merge", f"athlete '{a.name}' merged into '{b.name}': {len(sessions)} session(s) moved")
        name = a.name
        db.delete(a)
    return f"merged '{name}' into '{target}': {len(sessions)} session(s) moved"


def reassign(store: Store, session_id: int, athlete: str) -> str:
    """The session (imported under the wrong athlete) to another athlete, created if new."""
    with store.transaction() as db:
        session = _session(db, session_id)
        target = store.athlete(db, athlete)
        if _clashes(db, [session], target.id):
            raise ValueError(f"'{target.name}' already has a {session.kind} session starting "
                             f"{session.started_at:%Y-%m-%d %H:%M} UTC")
        before = db.get(Athlete, session.athlete_id).name
        session.athlete_id = target.id
        _audit(db, "reassign", f"{session.kind} session {session.id} of {session.started_at:%Y-%m-%d %H:%M} UTC "
                               f"moved from '{before}' to '{target.name}'")
    return f"session {session_id} moved from '{before}' to '{target.name}'"


def delete_session(store: Store, session_id: int) -> str:
    """The session and what it holds; its import record goes too when it was the import's last
    session, so that file can be imported again."""
    with store.transaction() as db:
        session = _session(db, session_id)
        for s in db.scalars(select(VbtSet).where(VbtSet.session_id == session.id)):
            db.delete(s)  # with its reps
        db.execute(delete(SprintTrial).where(SprintTrial.session_id == session.id))
        db.execute(delete(GpsLoad).where(GpsLoad.session_id == session.id))
        owner = db.get(Athlete, session.athlete_id).name
        what = f"{session.kind} session {session.id} of '{owner}', {session.started_at:%Y-%m-%d %H:%M} UTC"
        import_id = session.import_id
        db.delete(session)
        db.flush()
        left = db.scalar(select(func.count(TrainingSession.id)).where(TrainingSession.import_id == import_id))
        record = db.get(Import, import_id)
        if not left and record is not None:
            what += f"; its file {record.source} may be imported again"
            db.delete(record)
        _audit(db, "delete-session", f"deleted {what}")
    return f"deleted {what}"


def sessions_of(store: Store, athlete: str) -> list[tuple[int, str, dt.datetime, str]]:
    """(id, kind, start, source file) of the athlete's sessions, in time order."""
    with store.transaction() as db:
        a = store.known_athlete(db, athlete)
        rows = db.execute(select(TrainingSession.id, TrainingSession.kind, TrainingSession.started_at, Import.source)
                          .join(Import, Import.id == TrainingSession.import_id)
                          .where(TrainingSession.athlete_id == a.id).order_by(TrainingSession.started_at)).all()
    return [tuple(r) for r in rows]


def audit_trail(store: Store) -> list[tuple[dt.datetime, str, str]]:
    with store.transaction() as db:
        return [(a.at, a.action, a.detail) for a in db.scalars(select(Audit).order_by(Audit.id))]


def acknowledge(store: Store, athlete: str, start: dt.date, rule: str, by: str, decision: str, flags) -> str:
    """A coach's note on one of the athlete's flags (`flags`: the trend's, to check it exists);
    `start`: the flag's week (its Monday) or session day."""
    from .schema import FlagNote

    if not any(f.start == start and f.rule == rule for f in flags):
        have = "; ".join(f"{f.start} {f.rule}" for f in flags) or "none"
        raise ValueError(f"no flag '{rule}' of {start} for {athlete} (its flags: {have})")
    if not by.strip() or not decision.strip():
        raise ValueError("a note says who (--by) and what was decided (--note)")
    with store.transaction() as db:
        a = store.known_athlete(db, athlete)
        db.add(FlagNote(athlete_id=a.id, week=start, rule=rule, by=by.strip()[:200],
                        at=dt.datetime.now(dt.timezone.utc), decision=decision.strip()[:2000]))
        _audit(db, "acknowledge", f"flag {rule} of '{a.name}', {start}, acknowledged by {by.strip()}")
    return f"{rule}, {start}: acknowledged by {by.strip()}"


def flag_notes(store: Store, athlete: str) -> dict[tuple[dt.date, str], list[tuple[str, dt.datetime, str]]]:
    """(start, rule) → [(by, at, decision)] of the athlete's acknowledged flags."""
    from .schema import FlagNote

    with store.transaction() as db:
        a = store.known_athlete(db, athlete)
        out: dict = {}
        for n in db.scalars(select(FlagNote).where(FlagNote.athlete_id == a.id).order_by(FlagNote.at)):
            out.setdefault((n.week, n.rule), []).append((n.by, n.at, n.decision))
    return out

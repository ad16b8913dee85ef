"""The store's tables (SQLAlchemy). Times are stored as UTC and always returned timezone-aware;
`day` is the session's local calendar day, `day_order` its place among the athlete's sessions
that day (all kinds, in time order)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out — the same on SQLite (no time zones) and
    PostgreSQL; a naive datetime is refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value}: the store needs a time zone")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class Athlete(Base):
    __tablename__ = "athletes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Import(Base):
    __tablename__ = "imports"
    __table_args__ = (UniqueConstraint("kind", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    sessions: Mapped[int] = mapped_column(Integer)


class TrainingSession(Base):
    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("athlete_id", "kind", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id"))
    kind: Mapped[str] = mapped_column(String(20))  # sprint | gps | vbt
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    day: Mapped[dt.date] = mapped_column(Date)
    day_order: Mapped[int] = mapped_column(Integer, default=0)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))
    athlete: Mapped[Athlete] = relationship()


class SprintTrial(Base):
    __tablename__ = "sprint_trials"
    __table_args__ = (UniqueConstraint("session_id", "trial", "filter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    trial: Mapped[int] = mapped_column(Integer)
    filter: Mapped[str] = mapped_column(String(8))
    onset: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    verdict: Mapped[str] = mapped_column(String(40))
    distance: Mapped[float | None] = mapped_column(Float)
    top_speed: Mapped[float | None] = mapped_column(Float)
    t_10m: Mapped[float | None] = mapped_column(Float)
    t_20m: Mapped[float | None] = mapped_column(Float)
    t_30m: Mapped[float | None] = mapped_column(Float)
    t_40m: Mapped[float | None] = mapped_column(Float)
    mss: Mapped[float | None] = mapped_column(Float)
    tau: Mapped[float | None] = mapped_column(Float)
    pmax: Mapped[float | None] = mapped_column(Float)
    f0: Mapped[float | None] = mapped_column(Float)
    v0: Mapped[float | None] = mapped_column(Float)


class GpsLoad(Base):
    __tablename__ = "gps_loads"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), unique=True)
    duration: Mapped[float] = mapped_column(Float)
    total_distance: Mapped[float] = mapped_column(Float)
    hsr_distance: Mapped[float] = mapped_column(Float)
    sprint_distance: Mapped[float] = mapped_column(Float)
    sprint_count: Mapped[int] = mapped_column(Integer)
    accelerations: Mapped[int] = mapped_column(Integer)
    decelerations: Mapped[int] = mapped_column(Integer)
    top_speed: Mapped[float] = mapped_column(Float)
    hsr_threshold: Mapped[float] = mapped_column(Float)
    sprint_threshold: Mapped[float] = mapped_column(Float)


class VbtSet(Base):
    __tablename__ = "vbt_sets"
    __table_args__ = (UniqueConstraint("session_id", "set_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    set_number: Mapped[int] = mapped_column(Integer)
    exercise: Mapped[str] = mapped_column(String(100))
    load_kg: Mapped[float] = mapped_column(Float)
    reps: Mapped[list[VbtRep]] = relationship(order_by="VbtRep.rep", cascade="all, delete-orphan")


class VbtRep(Base):
    __tablename__ = "vbt_reps"
    __table_args__ = (UniqueConstraint("set_id", "rep"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("vbt_sets.id"))
    rep: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    mean_velocity: Mapped[float] = mapped_column(Float)
    peak_velocity: Mapped[float | None] = mapped_column(Float)
    mean_power: Mapped[float | None] = mapped_column(Float)
    peak_power: Mapped[float | None] = mapped_column(Float)


class Audit(Base):
    """What was changed by hand, when: the trail a coach or an auditor reads (in plain words)."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    action: Mapped[str] = mapped_column(String(40))  # rename | merge | reassign | delete-session
    detail: Mapped[str] = mapped_column(String(1000))


class FlagNote(Base):
    """A flag acknowledged by a coach: who, when, what was decided. The flag stays; it is no
    longer open."""

    __tablename__ = "flag_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id"))
    week: Mapped[dt.date] = mapped_column(Date)  # the flag's start: a week's Monday, or its session day (day-…)
    rule: Mapped[str] = mapped_column(String(40))
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    decision: Mapped[str] = mapped_column(String(2000))


class Wellness(Base):
    """One athlete's day: RPE (0–10) and minutes of the session (session RPE = their product, AU),
    HRV as rMSSD (ms), sleep (h), soreness (0–10)."""

    __tablename__ = "wellness"
    __table_args__ = (UniqueConstraint("athlete_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    rpe: Mapped[float | None] = mapped_column(Float)
    session_minutes: Mapped[float | None] = mapped_column(Float)
    rmssd: Mapped[float | None] = mapped_column(Float)
    sleep_hours: Mapped[float | None] = mapped_column(Float)
    soreness: Mapped[float | None] = mapped_column(Float)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))


class Incident(Base):
    """An injury, illness or other incident, as the staff logged it."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(1000))
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))

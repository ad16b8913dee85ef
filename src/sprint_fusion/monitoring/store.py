"""Opening the store: a file path means SQLite, a URL any database SQLAlchemy speaks (e.g.
postgresql+psycopg://user@host/db). The schema is brought to the newest migration on open."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .schema import Athlete

MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(target: str | Path) -> str:
    text = str(target)
    return text if "://" in text else f"sqlite:///{Path(text).expanduser()}"


BUSY_TIMEOUT = 120.0  # s a SQLite writer waits for another (an import of a big export) before giving up


def _sqlite_setup(engine: Engine) -> None:
    """Foreign keys on; and every transaction takes the write lock at its start (BEGIN IMMEDIATE),
    waiting up to BUSY_TIMEOUT for another writer: two imports at once then run one after the
    other (with pysqlite's deferred BEGIN the second failed with 'database is locked' as soon as
    it wanted to write)."""
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # pysqlite emits no BEGIN of its own
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


NAME_MAX = 200  # the column's width


def clean_name(name: str) -> str:
    """An athlete's name as stored: one space between words; refused when empty or too long."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise ValueError("an athlete's name is empty")
    if len(cleaned) > NAME_MAX:
        raise ValueError(f"an athlete's name is {len(cleaned)} characters long (at most {NAME_MAX}): "
                         f"{cleaned[:40]}…")
    return cleaned


class Store:
    def __init__(self, target: str | Path):
        self.url = database_url(target)
        sqlite = self.url.startswith("sqlite")
        self.engine = create_engine(self.url, **({"connect_args": {"timeout": BUSY_TIMEOUT}} if sqlite else {}))
        if sqlite:
            _sqlite_setup(self.engine)
        self.upgrade()
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    @contextmanager
    def transaction(self):
        """One transaction: committed if the block ends normally, rolled back (nothing written)
        if it raises."""
        with self.sessions() as session, session.begin():
            yield session

    def athlete(self, session: Session, name: str, create: bool = True) -> Athlete | None:
        """The athlete of this name — spaces trimmed and collapsed, letter case ignored ("Ana Silva",
        " ana  silva " are one athlete, spelt as first stored) — created if new."""
        name = clean_name(name)
        found = session.scalar(select(Athlete).where(func.lower(Athlete.name) == name.lower()))
        if found is None and create:
            found = Athlete(name=name)
            session.add(found)
            session.flush()
        return found

    def known_athlete(self, session: Session, name: str) -> Athlete:
        """The athlete of this name (athlete()'s matching), or an error naming those the store has."""
        found = self.athlete(session, name, create=False)
        if found is None:
            known = ", ".join(session.scalars(select(Athlete.name).order_by(Athlete.name))) or "none"
            raise ValueError(f"no athlete '{name}' in the store (known: {known})")
        return found

    def close(self) -> None:
        self.engine.dispose()

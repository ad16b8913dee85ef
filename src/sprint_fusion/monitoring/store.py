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


def _sqlite_foreign_keys(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


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
        self.engine = create_engine(self.url)
        if self.engine.dialect.name == "sqlite":
            _sqlite_foreign_keys(self.engine)
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

    def close(self) -> None:
        self.engine.dispose()

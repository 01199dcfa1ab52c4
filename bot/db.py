"""The database: SQLAlchemy 2 engine and sessions, schema kept by Alembic migrations.

SQLite by default (a file under ./data/), PostgreSQL through DATABASE_URL. Every table is created
by a migration in `bot/migrations/versions/`, never by `create_all`, so an upgrade of a running
installation goes through the same steps as a fresh one.

    engine = make_engine(settings.database_url)
    migrate(engine)
    with session_scope(engine) as session: ...
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Base class of every table."""


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets a busy timeout and WAL so threads and processes can share it."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if url in ("sqlite://", "sqlite:///:memory:"):
        # One shared connection, or every session would see its own empty in-memory database.
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        path = url.split("///", 1)[-1]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        if url not in ("sqlite://", "sqlite:///:memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


def alembic_config(engine: Engine) -> Config:
    """Alembic's configuration for our migrations, bound to `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


MIGRATION_LOCK = 0x63656B75  # any constant shared by every bot process: "ceku"


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (safe to call at every start, from several processes)."""
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), "head")
        _log_revision(engine)
        return
    # Two bots starting together on an empty database would both create the tables; one waits here.
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
    _log_revision(engine)


def _log_revision(engine: Engine) -> None:
    """One INFO line an operator can check against the release (alembic's own lines are at WARNING)."""
    with engine.connect() as conn:
        log.info("database schema at revision %s", MigrationContext.configure(conn).get_current_revision())


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine` that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

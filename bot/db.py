"""The database: SQLAlchemy 2 engine and sessions, schema kept by Alembic migrations.

SQLite by default (a file under ./data/), PostgreSQL through DATABASE_URL. Every table is created
by a migration in `bot/migrations/versions/`, never by `create_all`, so an upgrade of a running
installation goes through the same steps as a fresh one.

    engine = open_database(settings.database_url)   # make_engine + migrate, failures as StartupError
    with session_scope(engine) as session: ...
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool

from bot.startup import StartupError, database_errors, newer_schema, shown_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The migrations in order, oldest first (a test checks this against bot/migrations/versions/). With
# it, a start on a database already at the head reads one row and never imports Alembic (~0.3 s).
REVISIONS = (
    "0001_edits",
    "0002_digests",
    "0003_hardening",
    "0004_alerts",
    "0005_recovery",
    "0006_alert_files",
)
HEAD = REVISIONS[-1]
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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


MIGRATION_LOCK = 0x63656B75  # any constant shared by every bot process: "ceku"


def current_revision(connection: Connection) -> str | None:
    """The migration the database is at (None when empty), read the way Alembic stores it."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def schema_revision(engine: Engine) -> str | None:
    """`current_revision` on a connection of its own."""
    with engine.connect() as connection:
        return current_revision(connection)


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (safe to call at every start, from several processes)."""
    if schema_revision(engine) == HEAD:
        log.info("database schema at revision %s", HEAD)  # an operator checks this line against the release
        return
    from alembic import command  # only when there is something to migrate: the import costs ~0.3 s

    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), "head")
    else:
        # Two bots starting together on an empty database would both create the tables; one waits here.
        with engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                command.upgrade(alembic_config(engine), "head")
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
    log.info("database schema at revision %s", schema_revision(engine))


def open_database(url: str) -> Engine:
    """An engine on `url` with the schema migrated; known failures (bad URL, corrupt file, unreachable
    server, a newer schema) leave as a StartupError that names DATABASE_URL and the fix."""
    with database_errors(url):
        engine = make_engine(url)
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
    return engine


def schema_status(url: str) -> str:
    """Where the schema at `url` stands, without changing it (for `cekura-bot check`)."""
    with database_errors(url):
        engine = make_engine(url)
        try:
            current = schema_revision(engine)
        finally:
            engine.dispose()
    if current is not None and current not in REVISIONS:
        raise StartupError(newer_schema(url, current))
    if current is None:
        return f"{shown_url(url)} is empty; `serve` creates the tables"
    if current != HEAD:
        return f"{shown_url(url)} at {current}; `serve` migrates it to {HEAD}"
    return f"{shown_url(url)}, schema up to date ({HEAD})"


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

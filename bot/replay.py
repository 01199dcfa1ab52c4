"""The replay guard: a signed Slack request is acted on once, by whichever replica sees it first.

A signature is valid for Slack's 5-minute window, so anyone who captured a request could send it
again. Each accepted request inserts its `sha256(timestamp:signature)` into `seen_requests`
(migration 0003_hardening); the primary key turns the second insert into nothing, on every
replica sharing the database. Rows are useless once the window has passed, and are pruned now and then.

    guard = ReplayGuard(deps.db)
    if not guard.first_time(stamp, signature): refuse()
"""

from __future__ import annotations

import hashlib
import importlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, Executable, Index, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.db import Base
from bot.slack.verify import WINDOW_SECONDS

PRUNE_EVERY_SECONDS = 60.0


class SeenRequest(Base):
    """One signed request accepted inside its window."""

    __tablename__ = "seen_requests"
    __table_args__ = (Index("ix_seen_requests_expires_at", "expires_at"),)

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(), nullable=False)  # naive UTC


def request_digest(timestamp: int, signature: str) -> str:
    """The row key of a request: sha256 hex of its timestamp and signature."""
    return hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()


def _naive_utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


class ReplayGuard:
    """Insert-or-skip on `seen_requests`: True the first time a (timestamp, signature) is seen."""

    def __init__(self, db: sessionmaker[Session], *, clock: Callable[[], float] = time.time) -> None:
        self._engine: Engine = db.kw["bind"]
        self._db = db
        self._clock = clock
        self._next_prune = 0.0
        # One INSERT … ON CONFLICT DO NOTHING on a bare connection: this runs on every request before
        # its ack, and the ORM's unit of work around one row cost half the ack's CPU (and a replay's
        # IntegrityError, on PostgreSQL, an aborted transaction).
        dialect = importlib.import_module(f"sqlalchemy.dialects.{self._engine.dialect.name}")  # sqlite or postgresql
        self._add: Executable = dialect.insert(SeenRequest).on_conflict_do_nothing().returning(SeenRequest.digest)
        # The in-memory SQLite of tests and demos is one connection shared by every thread;
        # transactions on it must not interleave. Other databases isolate connections themselves.
        self._serial = self._engine.dialect.name == "sqlite"
        self._lock = threading.Lock()

    def first_time(self, timestamp: int, signature: str) -> bool:
        """Record the request; False when it was recorded before (a replay)."""
        # The verifier accepts a timestamp up to WINDOW_SECONDS from now either way, so the row
        # must outlive `timestamp + WINDOW_SECONDS`; a second's margin covers clock rounding.
        row = {
            "digest": request_digest(timestamp, signature),
            "expires_at": _naive_utc(timestamp + WINDOW_SECONDS + 1),
        }
        if self._serial:
            with self._lock:
                return self._insert(row)
        return self._insert(row)

    def _insert(self, row: dict[str, object]) -> bool:
        with self._engine.begin() as connection:
            if connection.execute(self._add, row).first() is None:
                return False  # nothing inserted, so nothing returned: the key was there, a replay
            now = self._clock()
            if now >= self._next_prune:
                self._next_prune = now + PRUNE_EVERY_SECONDS
                connection.execute(delete(SeenRequest).where(SeenRequest.expires_at < _naive_utc(now)))
        return True

    def count(self) -> int:
        """Rows currently stored (for tests and diagnostics)."""
        with self._db() as session:
            return session.query(SeenRequest).count()

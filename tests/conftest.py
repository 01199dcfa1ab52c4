"""Shared fixtures: a clean environment, and one running bot + sandboxes for the end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SETTING_PREFIXES = (
    "SLACK_",
    "CEKURA_",
    "DATABASE_URL",
    "PORT",
    "TIMEZONE",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "METRICS_PORT",
    "SHUTDOWN_GRACE_SECONDS",
    "APPROVERS",
    "ADMINS",
    "EDITORS",
    "APPROVALS_CHANNEL",
    "ALLOW_SELF_APPROVAL",
    "EDIT_",
    "DIGEST_",
    "ALERT_",
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, never from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(SETTING_PREFIXES):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def bot_harness() -> Iterator[object]:
    """The bot's real HTTP server with both sandboxes, shared by the end-to-end tests."""
    from bot.sandbox.harness import Harness

    harness = Harness.start()
    yield harness
    harness.stop()


@pytest.fixture
def h(bot_harness: object) -> object:
    """The shared harness, with both sandboxes reset to their seeded state."""
    from bot.sandbox.harness import Harness

    assert isinstance(bot_harness, Harness)
    assert bot_harness.deps.wait_idle(60), "jobs of an earlier test are still running"
    bot_harness.cekura.reset()
    bot_harness.slack.reset()
    return bot_harness


PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_pg_schema(prefix: str = "t") -> Iterator[str]:
    """A PostgreSQL URL on a fresh schema of its own, dropped afterwards.

    Skipped only when no server answers on a developer's machine; in CI (CI=true) that is a failure.
    """
    import secrets

    import psycopg

    try:
        psycopg.connect(PG_SERVER, connect_timeout=3).close()
    except psycopg.OperationalError:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL on 127.0.0.1:5432 does not answer (CI must start it: see .ci/run)")
        pytest.skip("the PostgreSQL server on 127.0.0.1:5432 does not answer")
    schema = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test."""
    with fresh_pg_schema("e2e") as url:
        yield url


class Clock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime.now(UTC)

    def __call__(self) -> object:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)

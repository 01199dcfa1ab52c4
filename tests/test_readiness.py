"""/healthz is liveness, /readyz is readiness: what each answers while starting, ready, broken and draining."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bot.config import build_settings
from bot.db import make_engine, migrate
from bot.lifecycle import Lifecycle, database_check, warm_in_background
from bot.metrics import Metrics
from bot.serve import probe_port
from bot.server import EVENTS_PATH, BotServer
from tests.bot_process import until


@pytest.fixture
def served() -> Iterator[tuple[BotServer, httpx.Client]]:
    server = BotServer(None, host="127.0.0.1", port=0, metrics=Metrics()).start()  # as `serve` binds it first
    try:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            yield server, client
    finally:
        server.stop()


def test_a_starting_bot_is_alive_but_not_ready_and_defers_slack(served: tuple[BotServer, httpx.Client]) -> None:
    server, client = served
    assert client.get("/healthz").status_code == 200  # alive: a liveness probe must not restart it
    ready = client.get("/readyz")
    assert (ready.status_code, ready.text) == (503, "not ready: starting")
    events = client.post(EVENTS_PATH, content=b"command=%2Fcekura")
    assert (events.status_code, events.text) == (503, "starting")  # Slack retries; nothing is read
    server.ready.set()
    assert (client.get("/readyz").status_code, client.get("/readyz").text) == (200, "ready")
    assert client.head("/readyz").content == b""
    assert client.post("/readyz").status_code == 405


def test_readyz_names_every_part_that_is_not_ready(served: tuple[BotServer, httpx.Client]) -> None:
    server, client = served
    life = server.lifecycle
    broken = {"database": "unreachable (OperationalError)", "digest scheduler": "not running"}
    for name, problem in broken.items():
        life.require(name, lambda problem=problem: problem)  # type: ignore[misc]
    life.require("render pool", lambda: None)
    server.ready.set()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.text == "not ready: database: unreachable (OperationalError); digest scheduler: not running"


def test_draining_turns_readyz_off_but_not_healthz(served: tuple[BotServer, httpx.Client]) -> None:
    server, client = served
    server.ready.set()
    assert client.get("/readyz").status_code == 200
    server.lifecycle.draining.set()
    answer = client.get("/readyz")
    assert answer.status_code == 503 and "draining" in answer.text
    assert client.get("/healthz").status_code == 200


def test_a_check_that_raises_reads_as_not_ready_not_as_a_crash() -> None:
    life = Lifecycle()
    life.started.set()

    def explode() -> str | None:
        raise RuntimeError("boom")

    life.require("database", explode)
    assert life.problems() == ["database: check failed (RuntimeError)"]


def test_slow_checks_are_cached_so_probes_do_not_load_the_database() -> None:
    calls: list[int] = []
    life = Lifecycle()
    life.started.set()
    life.require("database", lambda: calls.append(1) or None, cache_s=60)
    life.require("render pool", lambda: calls.append(2) or None)
    for _ in range(5):
        assert life.problems() == []
    assert calls.count(1) == 1 and calls.count(2) == 5


def test_database_check_wants_the_newest_migration(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/bot.sqlite")
    check = database_check(engine)
    assert check() == f"schema at nothing, this release needs {_head(check)}"  # empty: no schema yet
    migrate(engine)
    assert check() is None
    with engine.begin() as connection:  # an older release's schema
        connection.execute(text("UPDATE alembic_version SET version_num = '0001_edits'"))
    assert check() == f"schema at 0001_edits, this release needs {_head(check)}"
    with engine.begin() as connection:  # a newer release migrated first (a rolling upgrade): still ready
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    assert check() is None
    engine.dispose()


def _head(check: object) -> str:
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://"))).get_current_head()
    assert head is not None
    return head


def test_database_check_says_unreachable_when_the_server_is_down() -> None:
    engine = make_engine("postgresql+psycopg://bot@127.0.0.1:1/none?connect_timeout=2")
    assert database_check(engine)() == "unreachable (OperationalError)"
    engine.dispose()


def test_the_render_pool_is_ready_once_warm_and_says_when_it_failed() -> None:
    def fails() -> None:
        raise OSError("no fonts")

    warming = warm_in_background(lambda: None)
    until(lambda: warming() is None, 5, "the warm-up to finish")
    failed = warm_in_background(fails)
    until(lambda: failed() != "warming up", 5, "the warm-up to fail")
    assert failed() == "did not start (OSError); see the log"


def test_probes_listen_on_metrics_port_in_socket_mode_else_on_port() -> None:
    base = {
        "slack_bot_token": "xoxb-1",
        "slack_signing_secret": "s",
        "cekura_api_key": "k",
        "port": 3100,
    }
    assert probe_port(build_settings("serve", **base)) == ("PORT", 3100)
    assert probe_port(build_settings("serve", **base, metrics_port=9100)) == ("PORT", 3100)  # HTTP mode: one port
    socket = build_settings("serve", **base, slack_app_token="xapp-1", metrics_port=9100)
    assert probe_port(socket) == ("METRICS_PORT", 9100)
    assert probe_port(build_settings("serve", **base, slack_app_token="xapp-1")) == ("PORT", 3100)

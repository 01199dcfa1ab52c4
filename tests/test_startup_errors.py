"""Start-up failures through the real `cekura-bot` entry point, in a subprocess: one message naming the
setting and the fix, exit status 2, no traceback. Slack and Cekura are the loopback sandboxes."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.db import open_database
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.slack import SlackSandbox
from tests.conftest import PG_SERVER

CLI = Path(sys.executable).parent / "cekura-bot"
KEY = "startup-cekura-key"


@dataclass
class Result:
    """What one run of the CLI printed and returned."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout and stderr together."""
        return self.out + self.err


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[tuple[CekuraSandbox, SlackSandbox]]:
    with CekuraSandbox(api_key=KEY) as cekura, SlackSandbox() as slack:
        yield cekura, slack


@pytest.fixture
def env(sandboxes: tuple[CekuraSandbox, SlackSandbox], tmp_path: Path) -> dict[str, str]:
    """Settings of a bot that starts: the sandboxes and a SQLite file of its own."""
    cekura, slack = sandboxes
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": "startup-secret",
        "SLACK_API_URL": slack.api_url,
        "CEKURA_API_KEY": KEY,
        "CEKURA_BASE_URL": cekura.url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite",
    }


def run(tmp_path: Path, env: dict[str, str], *args: str) -> Result:
    """`cekura-bot <args>` with exactly these settings (the cwd is empty, so no `.env` is read)."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")}
    done = subprocess.run(
        [str(CLI), *args], env=base | env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    return Result(done.returncode, done.stdout, done.stderr)


def assert_startup_error(result: Result, *needles: str) -> None:
    """Exit status 2, the message, and no traceback."""
    assert result.code == 2, result.text
    assert "Traceback" not in result.text, result.text
    for needle in needles:
        assert needle in result.err, result.err


def test_bogus_database_url(tmp_path: Path, env: dict[str, str]) -> None:
    result = run(tmp_path, env | {"DATABASE_URL": "bogus"}, "serve")
    assert_startup_error(result, "DATABASE_URL", "not a database URL", "sqlite:///")


def test_corrupt_sqlite_file(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "bot.sqlite").write_bytes(b"this is not a SQLite database, just some bytes " * 100)
    result = run(tmp_path, env, "render", "12", "--out", str(tmp_path / "out"))
    assert_startup_error(result, "DATABASE_URL", "is not a readable database", "Restore it from a backup")


def test_unwritable_data_path(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "data").write_text("a file where the data folder should be")  # fails even for root
    result = run(tmp_path, env | {"DATABASE_URL": f"sqlite:///{tmp_path}/data/bot.sqlite"}, "serve")
    assert_startup_error(result, "Cannot create the database file of DATABASE_URL", "writable")


def test_database_of_a_newer_version(tmp_path: Path, env: dict[str, str]) -> None:
    open_database(env["DATABASE_URL"]).dispose()
    with sqlite3.connect(tmp_path / "bot.sqlite") as db:
        db.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    for command in (["serve"], ["render", "12", "--out", str(tmp_path / "out")]):
        result = run(tmp_path, env, *command)
        assert_startup_error(result, "DATABASE_URL", "'0099_from_the_future'", "Run that newer version")
    result = run(tmp_path, env, "check")
    assert result.code == 2 and "Database: FAILED" in result.out and "'0099_from_the_future'" in result.out


def test_postgres_refusing_connections(tmp_path: Path, env: dict[str, str]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://bot:pg-s3cret@127.0.0.1:{port}/test"
    result = run(tmp_path, env | {"DATABASE_URL": url}, "serve")
    assert_startup_error(result, "Cannot connect to the database at DATABASE_URL", "Connection refused")
    assert "pg-s3cret" not in result.text and "bot:***@" in result.err


def test_invalid_slack_token(tmp_path: Path, env: dict[str, str]) -> None:
    result = run(tmp_path, env | {"SLACK_BOT_TOKEN": "xoxb-wrong-token"}, "serve")
    assert_startup_error(result, "Slack refused SLACK_BOT_TOKEN (invalid_auth)", "Bot User OAuth Token")
    assert "xoxb-wrong-token" not in result.text
    result = run(tmp_path, env | {"SLACK_BOT_TOKEN": "xoxb-wrong-token"}, "check")
    assert result.code == 2 and "Slack:    FAILED — Slack refused SLACK_BOT_TOKEN (invalid_auth)" in result.out


def test_unreachable_slack(tmp_path: Path, env: dict[str, str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"
    result = run(tmp_path, env | {"SLACK_API_URL": url}, "serve")
    assert_startup_error(result, f"Cannot reach Slack at SLACK_API_URL ({url})", "Connection refused")
    assert not (tmp_path / "bot.sqlite").exists()  # stopped before touching the database


def test_port_in_use(tmp_path: Path, env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(tmp_path, env | {"PORT": str(port)}, "serve")
    assert_startup_error(result, f"Cannot listen on PORT {port}", "free port")


@pytest.mark.parametrize(
    ("base_url", "needle"),
    [
        ("https://cekura-bot-test.invalid", "cannot be found (DNS)"),
        ("http://127.0.0.1:{port}", "connection refused"),
        ("api.cekura.ai", "must be an http:// or https:// URL"),
    ],
)
def test_check_names_a_bad_cekura_base_url(tmp_path: Path, env: dict[str, str], base_url: str, needle: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base_url = base_url.format(port=probe.getsockname()[1])
    result = run(tmp_path, env | {"CEKURA_BASE_URL": base_url}, "check")
    assert result.code == 2, result.text
    assert "CEKURA_BASE_URL" in result.text and needle in result.text
    assert "try again in a minute" not in result.text and "Traceback" not in result.text


def test_check_when_all_is_fine(tmp_path: Path, env: dict[str, str]) -> None:
    result = run(tmp_path, env, "check")
    assert result.code == 0, result.text
    lines = result.out.splitlines()
    assert [line.split(" — ")[0] for line in lines] == ["Slack:    ok", "Cekura:   ok", "Database: ok"]
    assert "dashboards visible at" in lines[1] and "`serve` creates the tables" in lines[2]
    assert result.err == ""


def test_demo_with_an_unwritable_out_folder(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    result = run(tmp_path, {}, "demo", "--out", str(tmp_path / "taken" / "out"))
    assert_startup_error(result, "Cannot write to --out", "Pick a writable folder")


def test_an_unknown_failure_shows_a_reference_and_exits_1(tmp_path: Path, env: dict[str, str]) -> None:
    # A schema that does not exist: PostgreSQL answers, but migrating fails in a way nobody mapped.
    url = PG_SERVER.replace("postgresql://", "postgresql+psycopg://") + "?options=-csearch_path%3Dno_such_schema_x"
    result = run(tmp_path, env | {"DATABASE_URL": url}, "render", "12", "--out", str(tmp_path / "out"))
    assert result.code == 1, result.text
    assert "render failed unexpectedly" in result.err and "reference " in result.err


def test_render_names_a_cekura_base_url_nothing_answers_at(tmp_path: Path, env: dict[str, str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = run(tmp_path, env | {"CEKURA_BASE_URL": url}, "render", "12", "--out", str(tmp_path / "out"))
    assert_startup_error(result, f"Nothing answers at CEKURA_BASE_URL ({url})", "host and port")
    assert "try again in a minute" not in result.text

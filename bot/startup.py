"""Start-up failures an operator can fix, each turned into one message naming the setting and the fix.

    with database_errors(settings.database_url):
        engine = make_engine(settings.database_url)
        migrate(engine)

`cekura-bot` prints a StartupError's message and exits with status 2, without a traceback. Only
failures recognised here become StartupErrors; anything else stays an unexpected error.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot.errors import UpstreamError

EXIT_STATUS = 2  # the same status as for missing or invalid settings
_TOKEN_ERRORS = ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired")


class StartupError(Exception):
    """The bot cannot start for a reason the operator can fix; the message says which setting and how."""


def shown_url(url: str) -> str:
    """A database URL safe to print: the password replaced by `***`."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a URL)"


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn the known ways opening and migrating the database fail into a StartupError."""
    try:
        yield
    except Exception as exc:
        problem = database_problem(exc, url)
        if problem is None:
            raise
        raise StartupError(problem) from exc


def newer_schema(url: str, revision: str) -> str:
    """The message for a database migrated by a newer cekura-bot than this one."""
    return (
        f"The database at DATABASE_URL ({shown_url(url)}) was migrated to revision {revision!r}, which this "
        "version of cekura-bot does not know: a newer version has used it. Run that newer version, or set "
        "DATABASE_URL to another database."
    )


def database_problem(exc: BaseException, url: str) -> str | None:
    """What to tell the operator about a database failure, or None when it is not a known one."""
    where = f"DATABASE_URL ({shown_url(url)})"
    if isinstance(exc, NoSuchModuleError | ArgumentError):
        return (
            "DATABASE_URL is not a database URL this bot can use. Set it to e.g. "
            "sqlite:///data/cekura-bot.sqlite or postgresql+psycopg://user@host:5432/dbname."
        )
    # Alembic's CommandError, matched by name: importing Alembic here would cost every start ~0.3 s.
    if type(exc).__name__ == "CommandError" and "Can't locate revision" in str(exc):
        found = re.search(r"identified by '([^']+)'", str(exc))
        return newer_schema(url, found.group(1) if found else "unknown")
    if isinstance(exc, OSError):
        return (
            f"Cannot create the database file of {where}: {exc.strerror or exc}. Make its folder writable "
            "for the bot's user, or set DATABASE_URL to a writable place."
        )
    cause = exc.orig if isinstance(exc, DBAPIError) else None
    if isinstance(cause, sqlite3.DatabaseError):
        text = str(cause)
        if "not a database" in text or "malformed" in text:
            return (
                f"The SQLite file of {where} is not a readable database (corrupt, or some other file). "
                "Restore it from a backup, or move it away to start with an empty database."
            )
        if "unable to open" in text or "readonly" in text:
            return (
                f"Cannot open or write the SQLite file of {where} ({text}). Make the file and its folder "
                "writable for the bot's user, or set DATABASE_URL to a writable place."
            )
    if cause is not None and type(cause).__module__.startswith("psycopg") and "connection" in str(cause).lower():
        first = str(cause).strip().splitlines()[0]
        return (
            f"Cannot connect to the database at {where}: {first}. Check that PostgreSQL runs and accepts "
            "connections there, and that the user, password and database name in DATABASE_URL are right."
        )
    return None


def slack_problem(exc: BaseException, api_url: str, token: str = "SLACK_BOT_TOKEN") -> str | None:
    """What to tell the operator when a Slack call at start-up fails, or None when it is not a known failure."""
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if code in _TOKEN_ERRORS:
            where = "the app's Bot User OAuth Token (xoxb-…, under OAuth & Permissions)"
            if token == "SLACK_APP_TOKEN":
                where = "an app-level token (xapp-…) with connections:write, under Basic Information"
            return f"Slack refused {token} ({code}). Set it to {where}, and reinstall the app if it was revoked."
        return (
            f"Slack's auth.test at SLACK_API_URL ({api_url}) failed ({code or f'HTTP {exc.response.status_code}'}). "
            "Check SLACK_API_URL (normally https://slack.com/api/) and SLACK_BOT_TOKEN."
        )
    if isinstance(exc, OSError):
        reason = getattr(exc, "reason", None) or exc.strerror or exc.__class__.__name__
        return (
            f"Cannot reach Slack at SLACK_API_URL ({api_url}): {reason}. Check SLACK_API_URL and that this "
            "machine can reach it (network, proxy, firewall)."
        )
    return None


@contextmanager
def slack_errors(api_url: str, token: str = "SLACK_BOT_TOKEN") -> Iterator[None]:
    """Turn a refused token or an unreachable Slack into a StartupError naming the setting."""
    try:
        yield
    except Exception as exc:
        problem = slack_problem(exc, api_url, token)
        if problem is None:
            raise
        raise StartupError(problem) from exc


@contextmanager
def quiet(*loggers: str) -> Iterator[None]:
    """Silence chatty library loggers while a check runs whose outcome is reported in one message."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


def check_slack(client: Any, api_url: str) -> Any:
    """Slack's auth.test answer (a SlackResponse); a StartupError when the token or the URL is wrong."""
    # slack_sdk logs every failed attempt; the StartupError says it once, with the setting to fix.
    with slack_errors(api_url), quiet("slack_sdk"):
        return client.auth_test()


def writable_folder(folder: Path, option: str) -> None:
    """Create `folder` if needed; a StartupError naming `option` when it cannot be written to."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".cekura-bot-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StartupError(
            f"Cannot write to {option} {folder}: {exc.strerror or exc}. Pick a writable folder."
        ) from exc


def cekura_problem(exc: UpstreamError, base_url: str) -> str | None:
    """For a Cekura call that never reached Cekura, a message naming CEKURA_BASE_URL; else None."""
    cause = exc.__cause__
    where = f"CEKURA_BASE_URL ({base_url})"
    if isinstance(cause, httpx.UnsupportedProtocol):
        return f"{where} must start with https:// (or http://), e.g. https://api.cekura.ai."
    if isinstance(cause, httpx.ConnectError):
        text = str(cause).lower()
        if any(word in text for word in ("name or service not known", "name resolution", "nodename nor servname")):
            return f"The host of {where} cannot be found (DNS). Check the spelling of CEKURA_BASE_URL."
        if "refused" in text:
            return f"Nothing answers at {where}: connection refused. Check the host and port of CEKURA_BASE_URL."
        return f"Cannot connect to {where}: {cause}. Check CEKURA_BASE_URL and the network."
    if isinstance(cause, httpx.ConnectTimeout):
        return f"{where} does not answer (connect timed out). Check the host and port of CEKURA_BASE_URL."
    return None

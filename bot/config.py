"""The bot's settings: one pydantic-settings object, built once at start-up and passed down.

The environment variables named here are the bot's public interface; the README's settings table
is generated from the field descriptions (a test keeps the two in step).

    settings = load_settings("serve")   # exits 2 listing every problem when something is wrong
"""

from __future__ import annotations

import os
import sys
import zoneinfo
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

Mode = Literal["serve", "check", "render", "demo"]

# Which settings each command cannot do without; the rest have defaults or are optional.
REQUIRED: dict[Mode, tuple[str, ...]] = {
    "serve": ("slack_bot_token", "slack_signing_secret", "cekura_api_key"),
    "check": ("slack_bot_token", "cekura_api_key"),
    "render": ("cekura_api_key",),
    "demo": (),
}


class Settings(BaseSettings):
    """Every knob of the bot, read from the environment (or `.env` in development)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: SecretStr | None = Field(None, description="Bot token (`xoxb-…`) of the Slack app.")
    slack_signing_secret: SecretStr | None = Field(
        None, description="Signing secret of the Slack app; requests that fail its check are refused."
    )
    slack_app_token: SecretStr | None = Field(
        None, description="App-level token (`xapp-…`). Set: Socket Mode. Unset: HTTP mode on `PORT`."
    )
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL (any Slack-compatible endpoint)."
    )
    cekura_api_key: SecretStr | None = Field(None, description="Cekura API key (`X-CEKURA-API-KEY`).")
    cekura_base_url: str = Field("https://api.cekura.ai", description="Cekura API base URL.")
    cekura_attempt_timeout_s: float = Field(
        15,
        gt=0,
        description="Seconds one Cekura request may take in total (connect to last byte) before it is "
        "abandoned and, time allowing, retried.",
    )
    cekura_deadline_s: float = Field(
        45,
        gt=0,
        le=50,
        description="Seconds a command may spend on Cekura, retries included; then the user is told Cekura "
        "is not answering, with a reference. At most 50, so with the 10 s reply every answer comes within 60 s.",
    )
    cekura_app_url: str | None = Field(
        None, description="Cekura web app URL; when set, messages get an *Open in Cekura* button."
    )
    database_url: str = Field(
        "sqlite:///data/cekura-bot.sqlite",
        description="SQLAlchemy URL of the database (SQLite file by default; `postgresql+psycopg://…`).",
    )
    port: int = Field(
        3000, ge=1, le=65535, description="HTTP port for `/slack/events`, `/healthz`, `/readyz` and `/metrics`."
    )
    timezone: str = Field("UTC", description="IANA time zone for chart axes and times in messages.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    log_format: Literal["text", "json"] = Field(
        "text",
        description="`text` (one readable line per record) or `json` (one JSON object per line, for log shippers).",
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port for `/metrics`, `/healthz` and `/readyz` in Socket Mode (HTTP mode serves them on `PORT`).",
    )
    shutdown_grace_seconds: float = Field(
        25,
        gt=0,
        le=300,
        description="On SIGTERM, seconds that in-flight work (chart posts, deliveries, applies) may take to finish.",
    )
    approvers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Slack user ids (`U…`) and user-group ids (`S…`) who may approve "
        "edits. Edits are disabled until it is set.",
    )
    editors: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated user/user-group ids who may propose edits; empty = everyone.",
    )
    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Slack user ids (`U…`) who may see and manage every channel's digests "
        "(and anything else that belongs to a channel), even channels they are not in.",
    )
    approvals_channel: str | None = Field(
        None, description="Channel id where edit requests are posted; unset = the channel they came from."
    )
    allow_self_approval: bool = Field(False, description="Whether a requester may approve their own edit.")
    edit_request_ttl_hours: float = Field(24, gt=0, description="Hours after which a pending edit request expires.")
    edit_reconcile_after_seconds: float = Field(
        600,
        gt=0,
        description="An approved edit still unfinished this long after approval was cut off (a crash): the bot "
        "re-reads Cekura and settles it as applied, failed or conflicted. Keep well above the apply time.",
    )
    digest_grace_minutes: int = Field(
        60, ge=0, description="After a restart, missed digests younger than this are sent once, marked late."
    )
    digest_max_failures: int = Field(
        3, ge=1, description="Consecutive failed deliveries after which a digest pauses itself."
    )
    alert_max_failures: int = Field(
        5,
        ge=1,
        description="Consecutive failures of an alert's own (widget deleted, channel archived) "
        "after which it pauses itself and DMs its owner.",
    )
    alert_unknown_after: int = Field(
        3,
        ge=1,
        description="Consecutive failed evaluations (Cekura down or refusing) after which an alert "
        "is UNKNOWN and the channel is told once.",
    )
    alert_claim_stale_seconds: float = Field(
        120,
        gt=0,
        description="A live worker renews its alert claims every third of this while it evaluates and posts; a "
        "claim not renewed for this long belongs to a worker presumed dead and is taken over (after asking "
        "Slack whether its post landed).",
    )
    digest_lease_seconds: float = Field(
        60,
        gt=0,
        description="A worker's claim on a digest delivery lasts this long and is renewed while it works; "
        "a dead worker's delivery is taken over once its lease ran out.",
    )
    cekura_bot_kill_at: str | None = Field(
        None, description="Tests only: SIGKILL the bot when it reaches this named kill point (see bot/kill_points.py)."
    )

    @field_validator("approvers", "editors", "admins", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. UTC, Europe/Berlin)") from exc
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        _check_http_url(value, "https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("cekura_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        _check_http_url(value, "https://api.cekura.ai")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # The message never repeats the value: a database URL may hold a password.
        example = "e.g. sqlite:///data/cekura-bot.sqlite or postgresql+psycopg://user@host:5432/dbname"
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError(f"not a database URL ({example})") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"the bot stores its data in SQLite or PostgreSQL, not {backend} ({example})")
        return value

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The configured time zone."""
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set: the bot connects out instead of listening."""
        return self.slack_app_token is not None

    def missing_for(self, mode: Mode) -> list[str]:
        """Problems that keep `mode` from running: required settings that are unset."""
        return [
            f"{name.upper()} is not set ({type(self).model_fields[name].description})"
            for name in REQUIRED[mode]
            if getattr(self, name) is None
        ]


def _check_http_url(value: str, example: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL with a host, e.g. {example}")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or out of range
    except ValueError:
        raise ValueError(f"has an invalid port (e.g. {example})") from None


class SettingsError(Exception):
    """Settings are missing or invalid; `problems` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


def build_settings(mode: Mode, **overrides: object) -> Settings:
    """Build and check the settings for `mode`, raising SettingsError with every problem at once."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        ]
        # Also name the required settings that are missing, so one run shows every problem.
        invalid = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        problems += [
            f"{name.upper()} is not set ({Settings.model_fields[name].description})"
            for name in REQUIRED[mode]
            if name not in invalid and overrides.get(name) is None and not os.environ.get(name.upper())
        ]
        raise SettingsError(problems) from None
    problems = settings.missing_for(mode)
    if problems:
        raise SettingsError(problems)
    return settings


def load_settings(mode: Mode) -> Settings:
    """Settings for a command-line entry point: on any problem print them all and exit with status 2."""
    try:
        return build_settings(mode)
    except SettingsError as exc:
        print(f"cekura-bot: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def settings_table() -> str:
    """The README's settings table, generated from the fields (a test keeps the README in step)."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        default = info.get_default(call_default_factory=True)
        shown = "—" if default in (None, []) else f"`{default}`"
        rows.append(f"| `{name.upper()}` | {shown} | {info.description} |")
    return "\n".join(rows)

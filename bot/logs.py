"""Logging set-up, with every configured secret masked in every log line as a last line of defence.

`LOG_FORMAT=json` writes one JSON object per line (python-json-logger) with `time`, `level`,
`logger`, `message` and the request's context, set once per request and carried into the job
threads (`Deps.submit` runs jobs in a copy of the submitting thread's contextvars):

    with request_context(command="dashboard", channel_id="C1", user_id="U1", request_id=new_request_id()):
        log.info("…")         # carries command, channel_id, user_id, request_id
        note(reference="3f2a9c1d")   # later lines of this request carry it too
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

from bot.config import Settings

MASK = "«redacted»"
# A record carries at most this much text (message with its arguments; the traceback separately).
# Enough for any real diagnosis; a forged 10 MB body must not become a 10 MB log line.
MAX_MESSAGE_CHARS = 4000
MAX_TRACEBACK_CHARS = 8000


class RedactSecrets(logging.Filter):
    """Replaces each secret value with a mask in the formatted message and arguments."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask secrets in the record (always keeps the record)."""
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, MASK)
            record.msg, record.args = message, None
        return True


def bounded(text: str, limit: int) -> str:
    """`text` if short enough, else its head and tail around a note of how much was cut."""
    if len(text) <= limit:
        return text
    keep = max(limit - 40, 2) // 2
    return f"{text[:keep]} …[{len(text) - 2 * keep} characters cut]… {text[-keep:]}"


class BoundRecords(logging.Filter):
    """Caps each record's message and traceback, so no request data can flood the log."""

    def __init__(self, max_message: int = MAX_MESSAGE_CHARS, max_traceback: int = MAX_TRACEBACK_CHARS) -> None:
        super().__init__()
        self.max_message = max_message
        self.max_traceback = max_traceback
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Truncate the record in place (always keeps it)."""
        message = record.getMessage()
        if len(message) > self.max_message:
            record.msg, record.args = bounded(message, self.max_message), None
        if record.exc_info and not record.exc_text:
            # Formatted here so that it can be cut; formatters use exc_text when it is set.
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = bounded(record.exc_text, self.max_traceback)
        if record.stack_info:
            record.stack_info = bounded(record.stack_info, self.max_traceback)
        return True


# The fields of the request being handled; a dict shared by every copy of the context, so a note
# made in a job thread (the reference of an error) shows on the request's later lines too.
_REQUEST: ContextVar[dict[str, str] | None] = ContextVar("cekura_bot_request", default=None)
CONTEXT_FIELDS = ("request_id", "command", "team_id", "channel_id", "user_id", "reference")


def new_request_id() -> str:
    """A short id that ties together every log line of one request."""
    return secrets.token_hex(6)


@contextmanager
def request_context(**fields: str) -> Iterator[dict[str, str]]:
    """Within the block (and in jobs submitted from it) log records carry `fields`."""
    token = _REQUEST.set({**(_REQUEST.get() or {}), **fields})
    try:
        yield _REQUEST.get() or {}
    finally:
        _REQUEST.reset(token)


def note(**fields: str) -> None:
    """Add fields to the current request's context (nothing outside a request)."""
    current = _REQUEST.get()
    if current is not None:
        current.update(fields)


class AddRequestContext(logging.Filter):
    """Puts the current request's fields on each record (as attributes the JSON formatter writes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the context (always keeps the record); a field the call set itself wins."""
        for name, value in (_REQUEST.get() or {}).items():
            if name in CONTEXT_FIELDS and not hasattr(record, name):
                setattr(record, name, value)
        return True


class BoundedJsonFormatter(JsonFormatter):
    """One JSON object per line; the traceback is the bounded, masked `exc_text` of BoundRecords."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON, its traceback taken from `exc_text` rather than formatted afresh."""
        exc_info = record.exc_info
        if record.exc_text:
            record.exc_info = None  # else the formatter would format the whole, uncut traceback again
        try:
            return super().format(record)
        finally:
            record.exc_info = exc_info


def formatter(log_format: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT: `json` or the readable `text` line."""
    if log_format == "json":
        return BoundedJsonFormatter()
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def secret_values(settings: Settings) -> list[str]:
    """The plain values of every secret setting that is set."""
    fields = (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.cekura_api_key,
    )
    return [f.get_secret_value() for f in fields if f is not None]


def setup_logging(settings: Settings) -> None:
    """Log to stderr at the configured level and format, secrets masked, every record bounded in size."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(settings.log_format))
    handler.addFilter(RedactSecrets(secret_values(settings)))
    handler.addFilter(BoundRecords())  # after masking, so a cut can never leave half a secret
    handler.addFilter(AddRequestContext())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # httpx logs every request URL at INFO; keep that for DEBUG.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    # alembic logs a line per plugin and migration step at every start; bot.db logs the revision instead.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))

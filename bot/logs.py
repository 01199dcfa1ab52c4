"""Logging set-up, with every configured secret masked in every log line as a last line of defence."""

from __future__ import annotations

import logging
from collections.abc import Iterable

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
    """Log to stderr at the configured level, secrets masked, every record bounded in size."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secret_values(settings)))
    handler.addFilter(BoundRecords())  # after masking, so a cut can never leave half a secret
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # httpx logs every request URL at INFO; keep that for DEBUG.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    # alembic logs a line per plugin and migration step at every start; bot.db logs the revision instead.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))

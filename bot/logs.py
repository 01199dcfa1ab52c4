"""Logging set-up, with every configured secret masked in every log line as a last line of defence."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.config import Settings

MASK = "«redacted»"


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
    """Log to stderr at the configured level, secrets masked."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secret_values(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # httpx logs every request URL at INFO; keep that for DEBUG.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    # alembic logs a line per plugin and migration step at every start; bot.db logs the revision instead.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))

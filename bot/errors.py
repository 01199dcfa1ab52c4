"""The bot's exceptions, translated at the edges and rendered to the user in one place.

    BotError                  every error the bot raises on purpose
    ├── UserError             the user's input was wrong; the message says what and how to fix it
    │   └── FilterSyntaxError bad filter text; points at the offending word
    ├── NotFound              Cekura has no such object (or the key cannot see it)
    ├── CekuraAuthError       Cekura rejected the API key (401/403)
    ├── CekuraRejected        Cekura refused the request (400); its reason is safe to show
    ├── UpstreamError         Cekura or Slack is down, slow or rate limiting, after retries ran out
    │   └── CekuraDataError   Cekura answered with data the bot will not read (too deep, endless, …)
    └── SlackDeliveryError    Slack refused a post (not_in_channel, is_archived, …)

Every message of a BotError is safe to show in Slack: none carries a secret.
"""

from __future__ import annotations

import logging
import secrets


def new_reference() -> str:
    """A short id that ties a user-facing error to its log line."""
    return secrets.token_hex(4)


def error_words(exc: BaseException, doing: str, log: logging.Logger) -> str:
    """`exc` as users may read it (e.g. in a digest or alert notice); an unexpected one is logged on
    `log` as "`doing` failed unexpectedly", with the reference the words give."""
    if isinstance(exc, BotError):
        return str(exc)
    reference = new_reference()
    log.error("%s failed unexpectedly (reference %s)", doing, reference, exc_info=exc)
    return f"an unexpected error on my side (reference `{reference}`)"


class BotError(Exception):
    """Base of the errors the bot raises on purpose; `str(exc)` is safe to show to users."""


class UserError(BotError):
    """The user's input was wrong; the message says what was wrong and shows the right usage."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.usage = usage


class FilterSyntaxError(UserError):
    """Filter text that does not parse; `position` is the offending word's offset in the text."""

    def __init__(self, message: str, text: str, position: int, usage: str | None = None) -> None:
        super().__init__(message, usage)
        self.text = text
        self.position = position


class NotFound(BotError):
    """Cekura answered 404 for a dashboard or widget."""

    def __init__(self, kind: str, object_id: int) -> None:
        super().__init__(f"{kind.capitalize()} {object_id} was not found (or this API key cannot see it).")
        self.kind = kind
        self.object_id = object_id


class CekuraAuthError(BotError):
    """Cekura rejected the API key."""

    def __init__(self, status: int) -> None:
        super().__init__(
            f"Cekura rejected the API key (HTTP {status}). Check the CEKURA_API_KEY setting of the bot "
            "(and that the key belongs to the right organization and project)."
        )
        self.status = status


class CekuraRejected(BotError):
    """Cekura answered 400: the request was understood but refused; `detail` is Cekura's reason."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Cekura refused the request: {detail}")
        self.detail = detail


class UpstreamError(BotError):
    """A service stayed unreachable, slow or rate-limited after every retry."""

    def __init__(self, service: str, reason: str, reference: str | None = None) -> None:
        self.reference = reference or new_reference()
        super().__init__(
            f"{service} is not answering right now ({reason}); tried several times. "
            f"Please try again in a minute. Reference: `{self.reference}`"
        )
        self.service = service
        self.reason = reason


class BusyError(UpstreamError):
    """The request ran out of time mostly waiting for a free worker: the bot was busy, not Cekura."""

    def __init__(self, waited: float, budget: float) -> None:
        super().__init__("cekura-bot", "busy")
        self.args = (
            f"cekura-bot is very busy right now: your request waited {int(waited)} s of its {budget:g} s for a "
            f"free worker, so too little time was left to ask Cekura. Please try again in a minute. "
            f"Reference: `{self.reference}`",
        )


class CekuraDataError(UpstreamError):
    """Cekura answered, but with data the bot will not read; `what` says what was wrong with it."""

    def __init__(self, what: str, reference: str | None = None) -> None:
        super().__init__("Cekura", "unexpected response", reference)
        self.what = what
        # Not "not answering": it did answer, and trying again will likely get the same answer.
        self.args = (
            f"Cekura sent data I could not read ({what}), so I stopped. Please tell your bot admin. "
            f"Reference: `{self.reference}`",
        )


class SlackDeliveryError(BotError):
    """Slack refused to post; `code` is Slack's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

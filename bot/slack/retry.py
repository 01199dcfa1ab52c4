"""How long one Slack Web API call may take, retries included, and the WebClient built to keep it.

slack_sdk's defaults (timeout=30 s per socket operation, Retry-After honoured however long it is)
let one call run for minutes. Here: `TIMEOUT_S` per attempt, at most `RETRIES` retries in all
(slack_sdk counts attempts across its handlers), and a 429 is waited out only when Slack asks for
at most `MAX_RATE_WAIT_S`; longer, and the call fails at once as `ratelimited`, which the poster
reports. `worst_case_s()` is the resulting bound, checked by a test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.deadlines import shared_tls

if TYPE_CHECKING:
    from bot.config import Settings

TIMEOUT_S = 10
RETRIES = 2
MAX_RATE_WAIT_S = 5
_JITTER_S = 1.0  # slack_sdk adds up to a second to a Retry-After wait
_BACKOFF_S = 0.5 * (2**RETRIES)  # slack_sdk's default backoff between 5xx/connection retries, at most


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Retry a 429 only when Slack's Retry-After is short enough to keep the call's bound."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        asked = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"])
        try:
            return float(asked[0]) <= MAX_RATE_WAIT_S
        except (ValueError, IndexError):
            return False


def retry_handlers() -> list[RetryHandler]:
    """The bounded retry policy: connection errors, 5xx, and short 429 waits."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=RETRIES),
        BoundedRateLimitRetryHandler(max_retry_count=RETRIES),
        ServerErrorRetryHandler(max_retry_count=RETRIES),
    ]


def worst_case_s() -> float:
    """The longest one WebClient call can take against a server that answers each read in time."""
    waits = RETRIES * max(MAX_RATE_WAIT_S + _JITTER_S, _BACKOFF_S)
    return float((RETRIES + 1) * TIMEOUT_S + waits)


def bounded_client(token: str | None, base_url: str) -> WebClient:
    """A WebClient whose every call ends within `worst_case_s()`."""
    return WebClient(
        token=token, base_url=base_url, timeout=TIMEOUT_S, retry_handlers=retry_handlers(), ssl=shared_tls()
    )


def slack_client(settings: Settings) -> WebClient:
    """A WebClient for the configured Slack; every call ends within `worst_case_s()`."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return bounded_client(token, settings.slack_api_url)

"""Strict verification of Slack's request signature (v0 HMAC-SHA256 over `v0:<timestamp>:<body>`).

slack_sdk's SignatureVerifier computes and compares the signature; we parse the two headers first
and strictly, because it calls `int()` on whatever the timestamp header holds (`abc` raises, `1e9`
raises, ` 17` passes). Anything that is not exactly what Slack sends is simply "not verified".

    verifier = SlackVerifier("signing-secret")
    stamp = verifier.verified(body_text, timestamp_header, signature_header)   # int, or None
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence

from slack_sdk.signature import Clock, SignatureVerifier

WINDOW_SECONDS = 5 * 60  # Slack's own advice: refuse requests more than five minutes from now
# ASCII digits only (str.isdigit accepts "²" and Arabic-Indic digits); 10 digits last until 2286.
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"


def strict_timestamp(raw: str | None) -> int | None:
    """The header's Unix time if it is 1–12 ASCII digits and nothing else, else None."""
    if raw is None or not TIMESTAMP.fullmatch(raw):
        return None
    return int(raw)


class _Clock(Clock):
    """slack_sdk's clock interface over any `() -> float` (tests move time by hand)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        """Seconds since the epoch."""
        return self._now()


class SlackVerifier:
    """Decides whether a request body was signed by Slack with our signing secret, recently."""

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))

    def verified(self, body: str, timestamp: str | None, signature: str | None) -> int | None:
        """The request's timestamp when the signature is valid and inside the window, else None."""
        stamp = strict_timestamp(timestamp)
        if stamp is None or signature is None or not SIGNATURE.fullmatch(signature):
            return None
        if not self._verifier.is_valid(body=body, timestamp=str(stamp), signature=signature):
            return None
        return stamp

    def verified_headers(self, body: str, headers: Mapping[str, str | Sequence[str]]) -> int | None:
        """`verified` with the headers of a Bolt request (names lower-case, values maybe lists)."""
        return self.verified(body, _one(headers.get(TIMESTAMP_HEADER)), _one(headers.get(SIGNATURE_HEADER)))


def _one(value: str | Sequence[str] | None) -> str | None:
    """The header's only value; a header sent twice is not one Slack sent."""
    if value is None or isinstance(value, str):
        return value
    return value[0] if len(value) == 1 else None

"""The gate in front of Bolt on `POST /slack/events`: nothing from an unverified request is acted on.

Bolt verifies signatures too, but only after parsing the body, and it lets a malformed timestamp
header raise into the error handler with the untrusted body in hand. Here every request is, in order:
POST only (405) · at most MAX_BODY_BYTES (413) · UTF-8 (400) · signed by Slack in the last five
minutes (401, no details) · form or JSON (415) · shaped like a Slack body (400) · new (a replay gets
401; an Events API retry, 200 without acting). Only then does Bolt see it.

    front = SlackFront(SlackVerifier(secret), ReplayGuard(deps.db))
    wsgi = front.wrap(SlackRequestHandler(app))
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_bolt.middleware.authorization import SingleTeamAuthorization
from sqlalchemy.exc import SQLAlchemyError

from bot.ack_first import AckFirst
from bot.replay import ReplayGuard
from bot.slack.shape import shape_problem
from bot.slack.verify import SlackVerifier

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from slack_sdk.web import SlackResponse

log = logging.getLogger(__name__)

# Slack's largest real bodies are view submissions: 100 blocks with inputs of up to 3,000 characters
# each, URL-encoded (×3 at worst) — under 1 MB. A MiB leaves headroom and stops a forged 10 MB body.
MAX_BODY_BYTES = 1024 * 1024
CONTENT_TYPES = ("application/x-www-form-urlencoded", "application/json")
Answer = tuple[str, list[tuple[str, str]], bytes]


def plain(status: str, text: str = "", *extra: tuple[str, str]) -> Answer:
    """A short text answer; the body never repeats anything from the request."""
    body = (text or status.split(" ", 1)[1].lower()).encode()
    return status, [("Content-Type", "text/plain; charset=utf-8"), *extra], body


class GatedApp(App):
    """A Bolt App with the HTTP gate that must stand in front of it (None in Socket Mode)."""

    front: SlackFront | None = None

    def reuse_auth_test(self, auth: SlackResponse) -> None:
        """Hand Bolt's single-team authorization an auth.test answer we already have (one Slack call less)."""
        for middleware in self._middleware_list:
            if isinstance(middleware, SingleTeamAuthorization):
                middleware.auth_test_result = auth


class SlackFront:
    """Checks each request to the events path; hands Bolt only verified, well-formed, new ones."""

    def __init__(
        self,
        verifier: SlackVerifier,
        replays: ReplayGuard,
        *,
        max_body: int = MAX_BODY_BYTES,
        ack_first: AckFirst | None = None,
    ) -> None:
        self.verifier = verifier
        self.replays = replays
        self.max_body = max_body
        self.ack_first = ack_first or AckFirst()  # each request counts as in flight until answered

    def wrap(self, inner: WSGIApplication) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
        """A WSGI app that answers refusals itself and passes accepted requests to `inner`."""

        def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            with self.ack_first.serving():  # slow work waits for the acks (bot.ack_first)
                refusal = self.check(environ)
                if refusal is not None:
                    status, headers, body = refusal
                    start_response(status, [*headers, ("Content-Length", str(len(body)))])
                    return [body]
                return inner(environ, start_response)

        return application

    def check(self, environ: WSGIEnvironment) -> Answer | None:
        """The refusal for this request, or None after making its body readable again for Bolt."""
        if environ.get("REQUEST_METHOD") != "POST":
            return plain("405 Method Not Allowed", "", ("Allow", "POST"))
        length = _content_length(environ.get("CONTENT_LENGTH"))
        if length is None:
            return plain("400 Bad Request")
        if length > self.max_body:
            log.warning("refused a %d-byte body (limit %d)", length, self.max_body)
            return plain("413 Content Too Large")
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return plain("400 Bad Request", "body is not UTF-8")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        stamp = self.verifier.verified(text, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"), signature)
        if stamp is None or signature is None:
            log.info("refused a request that failed signature verification")
            return plain("401 Unauthorized")
        content_type = str(environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
        if content_type not in CONTENT_TYPES:
            return plain("415 Unsupported Media Type", "send application/x-www-form-urlencoded or application/json")
        problem = shape_problem(text, content_type)
        if problem is not None:
            log.warning("refused a signed but malformed body: %s", problem)
            return plain("400 Bad Request", problem)
        try:
            first = self.replays.first_time(stamp, signature)
        except SQLAlchemyError:
            # Fail closed: without the guard a replay could act twice. Slack shows the user an error.
            log.exception("the replay guard could not record a request; refused it")
            return plain("503 Service Unavailable", "try again")
        if not first:
            if environ.get("HTTP_X_SLACK_RETRY_NUM"):
                # Slack re-sends an event it thinks we missed; we have it, so: done, without acting again.
                log.info("ignored a retry of an event already handled")
                return plain("200 OK", "ok")
            log.warning("refused a replayed request (timestamp %d)", stamp)
            return plain("401 Unauthorized")
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        return None


def _content_length(raw: object) -> int | None:
    """The declared body length (0 when absent), None when it is not a plain number."""
    if raw in (None, ""):
        return 0
    text = str(raw)
    return int(text) if text.isascii() and text.isdigit() else None

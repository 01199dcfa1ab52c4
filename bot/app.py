"""Wiring: the Bolt app with every listener registered, built in one function (never at import).

deps = build_deps(settings)
app = create_app(settings, deps)
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web import SlackResponse

from bot.config import Settings
from bot.deps import Deps
from bot.replay import ReplayGuard
from bot.slack.front import GatedApp, SlackFront
from bot.slack.verify import SlackVerifier
from handlers import actions, alerts, commands, digests, edits
from handlers.draining import refuse_while_draining
from handlers.errors import bounded_respond, user_message

log = logging.getLogger(__name__)
_TOKEN_SKIPPED = warning_client_prioritized_and_token_skipped()


def _not_token_skipped(record: logging.LogRecord) -> bool:
    # Bolt reads SLACK_BOT_TOKEN by itself and then warns that our client's token wins over it: it is
    # the same setting, so the warning would only alarm an operator at every start.
    return record.getMessage() != _TOKEN_SKIPPED


def create_app(settings: Settings, deps: Deps, auth: SlackResponse | None = None) -> App:
    """A Bolt App for `settings`, with every listener registered, one error handler and its HTTP gate.

    `auth` is the bot token's auth.test answer when the caller already has it (serve checks the
    token first); without it Bolt asks Slack itself.
    """
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    logging.getLogger("slack_bolt.App").addFilter(_not_token_skipped)  # once: addFilter skips a filter it has
    app = GatedApp(
        name="cekura-bot",  # without a name Bolt calls inspect.stack(), which reads every caller's source file
        client=deps.slack,
        token_verification_enabled=auth is None,
        signing_secret=secret,
        # Listeners only parse and ack (slow work goes to deps.jobs), but give them room anyway:
        # Bolt's default pool is 5 threads.
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="listener"),
        # A second line behind our gate (bot.slack.front), which verifies before Bolt parses anything.
        request_verification_enabled=not settings.socket_mode,
    )
    if auth is not None:
        app.reuse_auth_test(auth)
    # Socket Mode requests come over Slack's TLS socket and are not signed; HTTP ones must be.
    verifier = None if settings.socket_mode or not secret else SlackVerifier(secret)
    if verifier is not None:
        app.front = SlackFront(verifier, ReplayGuard(deps.db), ack_first=deps.ack_first)
    app.use(bounded_respond)  # replies after the ack: bounded in time, failures logged
    app.use(refuse_while_draining(deps.lifecycle))  # after SIGTERM: "restarting, try again", no new work
    commands.register(app, deps)
    actions.register(app, deps)
    edits.register(app, deps)
    digests.register(app, deps)
    alerts.register(app, deps)

    def trusted(request: BoltRequest | None) -> bool:
        """Whether the body came over the socket or carries a valid signature (never act on others)."""
        if request is not None and request.mode == "socket_mode":
            return True
        if request is None or verifier is None:
            return False
        return verifier.verified_headers(request.raw_body, request.headers) is not None

    @app.error
    def on_error(error: Exception, body: dict[str, Any], request: BoltRequest | None, respond: Any) -> None:
        if not trusted(request):
            # The body is unverified: its response_url may be anyone's. Answer nothing, read nothing.
            log.warning("an error on an unverified request: %s (nothing answered)", type(error).__name__)
            return
        text, blocks = user_message(error)
        if respond is not None and body.get("response_url"):
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    return app

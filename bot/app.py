"""Wiring: the Bolt app with every listener registered, built in one function (never at import).

deps = build_deps(settings)
app = create_app(settings, deps)
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App

from bot.config import Settings
from bot.deps import Deps
from handlers import actions, commands, digests, edits
from handlers.errors import bounded_respond, user_message

log = logging.getLogger(__name__)


def create_app(settings: Settings, deps: Deps) -> App:
    """A Bolt App for `settings`, with every listener registered and one error handler."""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = App(
        client=deps.slack,
        signing_secret=secret,
        # Listeners only parse and ack (slow work goes to deps.jobs), but give them room anyway:
        # Bolt's default pool is 5 threads.
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="listener"),
        request_verification_enabled=not settings.socket_mode,
    )
    app.use(bounded_respond)  # replies after the ack: bounded in time, failures logged
    commands.register(app, deps)
    actions.register(app, deps)
    edits.register(app, deps)
    digests.register(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Any) -> None:
        text, blocks = user_message(error)
        if respond is not None and body.get("response_url"):
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    return app

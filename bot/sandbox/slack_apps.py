"""The sandbox's app-level methods: what an app token (`xapp-…`) may call, and nothing else may.

Socket Mode starts here: the bot's SocketModeHandler asks apps.connections.open for a WebSocket URL,
then connects to it. The sandbox's Web API serves no WebSocket itself; a Socket Mode server (the tests
have one, tests/socket_mode.py) sets `socket_url` to its own address and speaks Slack's envelopes.
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.sandbox.slack_chat import Handler
from bot.sandbox.slack_state import Params, SlackError, SlackState


def connections_open(state: SlackState, p: Params) -> dict[str, Any]:
    """apps.connections.open: a single-use WebSocket URL for one Socket Mode connection."""
    if state.socket_url is None:
        # What Slack answers an app whose Socket Mode is switched off.
        raise SlackError("not_allowed", "Socket Mode is not enabled for this app")
    return {"url": f"{state.socket_url}?ticket={secrets.token_hex(8)}&app_id=A_SANDBOX"}


APP_METHODS: dict[str, Handler] = {"apps.connections.open": connections_open}

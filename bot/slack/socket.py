"""Socket Mode: Slack's requests over its WebSocket instead of HTTP, acked on the same socket.

Bolt's SocketModeHandler, with what the HTTP front gives the other mode: each ack is timed into
`cekura_bot_ack_seconds` and counted in flight for acks first (bot.ack_first), so the bot's ack
histogram and its ordering of slow work mean the same in both modes. /readyz also asks whether the
connection is open: a rollout then waits until the new replica holds one. Nothing here is signed (the
socket is Slack's own TLS connection, opened with the app-level token), so nothing is verified.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.ack_first import AckFirst
from bot.metrics import Metrics


class TimedSocketModeHandler(SocketModeHandler):
    """Bolt's built-in Socket Mode adapter, its acks timed and counted in flight."""

    def __init__(self, app: App, app_token: str, *, metrics: Metrics, ack_first: AckFirst) -> None:
        super().__init__(app, app_token)
        self.metrics = metrics
        self.ack_first = ack_first

    def problem(self) -> str | None:
        """For /readyz: None while a connection is open; a replica without one gets no requests."""
        return None if self.client.is_connected() else "not connected (reconnecting)"

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Dispatch one envelope to the app and send its ack; the time to the ack is observed."""
        with self.metrics.ack_seconds.time(), self.ack_first.serving():
            super().handle(client, req)

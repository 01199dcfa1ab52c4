"""Slack's side of Socket Mode on loopback, for tests of the bot in that mode.

Slack hands the bot a WebSocket URL (apps.connections.open, answered by the Slack sandbox with this
server's address), sends `hello`, then envelopes; the bot acks each one with its envelope_id and the
answer, if any, as the payload. Nothing of it is on the bot's HTTP port: that serves only the probes.

    with SocketModeServer(slack) as socket:
        ... start the bot with SLACK_APP_TOKEN=slack.app_token ...
        ack = socket.command(form)           # the slash command's fields; the bot's ack payload
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from bot.sandbox.slack import SlackSandbox


class SocketModeServer:
    """A WebSocket server speaking Slack's Socket Mode envelopes; `slack` points its bot at it."""

    def __init__(self, slack: SlackSandbox) -> None:
        self.slack = slack
        self._server: Server = serve(self._connection, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link"
        self._thread = threading.Thread(target=self._server.serve_forever, name="socket-mode", daemon=True)
        self._changed = threading.Condition()
        self.connections: list[ServerConnection] = []
        self.opened = 0  # connections ever made (a reconnect counts again)
        self._acks: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> SocketModeServer:
        self.slack.socket_url = self.url
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.slack.socket_url = None
        self._server.shutdown()
        self._thread.join(5)

    def _connection(self, ws: ServerConnection) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A_SANDBOX"}}))
        with self._changed:
            self.connections.append(ws)
            self.opened += 1
            self._changed.notify_all()
        try:
            for raw in ws:
                ack = json.loads(raw)
                with self._changed:
                    self._acks[str(ack.get("envelope_id"))] = ack
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                self.connections.remove(ws)
                self._changed.notify_all()

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Block until the bot holds a connection."""
        with self._changed:
            if not self._changed.wait_for(lambda: bool(self.connections), timeout):
                raise AssertionError(f"the bot opened no Socket Mode connection within {timeout} s")

    def wait_closed(self, timeout: float = 10.0) -> None:
        """Block until the bot holds no connection."""
        with self._changed:
            if not self._changed.wait_for(lambda: not self.connections, timeout):
                raise AssertionError(f"the bot kept its Socket Mode connection for {timeout} s")

    def refresh(self) -> None:
        """Ask the bot to reconnect, as Slack does every few hours: `disconnect`, then close this socket."""
        with self._changed:
            ws = self.connections[-1]
        ws.send(json.dumps({"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "sandbox"}}))
        ws.close()

    def command(self, fields: dict[str, str], timeout: float = 3.0) -> dict[str, Any]:
        """Send a slash command envelope; the bot's ack payload (Slack shows it), within Slack's 3 s."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": "slash_commands",
            "payload": fields,
            "accepts_response_payload": True,
        }
        self.wait_connected()
        with self._changed:
            ws = self.connections[-1]
        ws.send(json.dumps(envelope))
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"no ack for the envelope within {timeout} s")
            payload = self._acks.pop(envelope_id).get("payload") or {}
        assert isinstance(payload, dict), payload
        return payload

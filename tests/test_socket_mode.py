"""The real bot in Socket Mode (`SLACK_APP_TOKEN` set, `python -m bot.cli serve`): commands arrive over
Slack's WebSocket and are acked there; the probes and /metrics are on METRICS_PORT; SIGTERM closes the
socket, so Slack sends the next events to another connection, and the bot drains and exits 0."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.harness import SIGNING_SECRET
from bot.sandbox.slack import SlackSandbox
from bot.sandbox.slack_driver import SlackDriver
from tests.bot_process import BotProcess, sandboxes, until
from tests.socket_mode import SocketModeServer

pytestmark = pytest.mark.e2e
World = tuple[SlackSandbox, CekuraSandbox, SocketModeServer, BotProcess]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with sandboxes() as (slack, cekura), SocketModeServer(slack) as socket:
        url = f"sqlite:///{tmp_path}/bot.sqlite"
        bot = BotProcess(
            slack, cekura, url, tmp_path / "bot.log", port_setting="METRICS_PORT", slack_app_token=slack.app_token
        )
        try:
            yield slack, cekura, socket, bot
        finally:
            bot.stop()


def _command(slack: SlackSandbox, text: str, channel: str = "C_GENERAL") -> dict[str, str]:
    """The fields of `/cekura <text>`, as the payload of a Socket Mode envelope carries them."""
    with SlackDriver("http://127.0.0.1:9/unused", SIGNING_SECRET, slack) as driver:  # only builds the form
        body, _, _ = driver.command_form(text, channel=channel)
    return dict(parse_qsl(body.decode()))


def test_commands_come_over_the_socket_and_the_probes_answer_on_metrics_port(world: World) -> None:
    slack, _, socket, bot = world
    bot.start()
    assert httpx.get(bot.url + "/readyz").text == "ready"
    assert httpx.get(bot.url + "/healthz").status_code == 200
    assert httpx.post(bot.url + "/slack/events", content=b"{}").status_code == 404  # no HTTP way in
    socket.wait_connected()
    assert [c.method for c in slack.recorded].count("apps.connections.open") == 1

    ack = socket.command(_command(slack, "dashboard 12"))
    assert "Fetching dashboard 12" in ack["text"], ack
    slack.wait_for(lambda: sum(len(m.files) for m in slack.messages if m.channel == "C_GENERAL") >= 12, timeout=60)
    wrong = socket.command(_command(slack, "frobnicate 3"))
    assert wrong["response_type"] == "ephemeral" and "frobnicate" in wrong["text"], wrong

    def metrics() -> str:
        return httpx.get(bot.url + "/metrics").text

    # A command is counted when its slow work ends, a moment after its last chart appeared.
    done = 'cekura_bot_commands_total{outcome="ok",subcommand="dashboard"} 1.0'
    until(lambda: done in metrics(), 10, "the dashboard command to be counted")
    assert "cekura_bot_ack_seconds_count 2.0" in metrics()  # acks over the socket are timed as well

    assert bot.proc is not None
    bot.proc.send_signal(signal.SIGTERM)
    socket.wait_closed()  # Slack sends what comes next to the other replicas' connections
    assert bot.proc.wait(25) == 0
    files = [f for m in slack.messages if m.channel == "C_GENERAL" for f in m.files]
    assert len(files) == 12  # posted once


def test_a_socket_mode_bot_without_an_app_token_slack_accepts_stops_with_one_message(world: World) -> None:
    slack, _, _, bot = world
    bot.env["SLACK_APP_TOKEN"] = "xapp-wrong"
    with pytest.raises(AssertionError, match="exited with 2"):
        bot.start(timeout=30)
    said = bot.log_text().splitlines()[-1]
    assert said.startswith("cekura-bot: Slack refused SLACK_APP_TOKEN (invalid_auth)"), said
    assert not [line for line in bot.log_text().splitlines() if " ERROR " in line or "Traceback" in line]


def test_sigterm_mid_dashboard_post_closes_the_socket_and_still_posts_it_once(world: World) -> None:
    slack, cekura, socket, bot = world
    bot.env["SHUTDOWN_GRACE_SECONDS"] = "20"
    bot.start()
    cekura.latency = 0.4  # each widget's data takes a while: the post is in flight for seconds
    ack = socket.command(_command(slack, "dashboard 12"))
    assert "Fetching dashboard 12" in ack["text"], ack
    assert bot.proc is not None
    bot.proc.send_signal(signal.SIGTERM)
    until(lambda: httpx.get(bot.url + "/readyz").status_code == 503, 2, "/readyz to turn 503")  # while it drains
    socket.wait_closed(5)
    assert bot.proc.wait(25) == 0
    posts = [m for m in slack.messages if m.channel == "C_GENERAL" and m.files and m.thread_ts is None]
    assert len(posts) == 1 and sum(len(m.files) for m in slack.messages) == 12
    assert socket.opened == 1  # closed for good, not reconnected while draining


def test_when_slack_refreshes_the_connection_the_bot_reconnects_and_goes_on_answering(world: World) -> None:
    slack, _, socket, bot = world
    bot.start()
    socket.wait_connected()
    socket.refresh()
    until(lambda: socket.opened == 2 and bool(socket.connections), 15, "the bot to reconnect")
    assert [c.method for c in slack.recorded].count("apps.connections.open") == 2  # a fresh URL each time
    ack = socket.command(_command(slack, "help"))
    assert "/cekura dashboard" in ack["text"] or "/cekura dashboard" in str(ack.get("blocks")), ack
    assert httpx.get(bot.url + "/readyz").text == "ready"


def test_a_bot_that_lost_its_connection_is_not_ready_until_it_has_one_again(world: World) -> None:
    slack, _, socket, bot = world
    bot.start()
    socket.wait_connected()
    url = slack.socket_url
    slack.socket_url = None  # apps.connections.open now fails: the bot cannot reconnect
    socket.refresh()

    def readyz() -> httpx.Response:
        return httpx.get(bot.url + "/readyz")

    until(lambda: readyz().status_code == 503, 15, "/readyz to say the socket is gone")
    assert "Slack socket: not connected" in readyz().text
    assert httpx.get(bot.url + "/healthz").status_code == 200  # alive: it keeps trying, no restart needed
    slack.socket_url = url
    until(lambda: readyz().status_code == 200, 30, "the bot to reconnect and be ready again")
    assert "Fetching dashboard 7" in socket.command(_command(slack, "dashboard 7"))["text"]

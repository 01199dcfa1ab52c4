"""The whole bot on loopback: both sandboxes, the real HTTP server, and a driver playing Slack.

Used by the demo, the end-to-end tests and the benchmarks, so all three exercise the same path:

    with Harness.start() as h:
        h.driver.command("dashboard 12")
        messages = h.wait_for_files(12)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.app import create_app
from bot.config import Settings, build_settings
from bot.deps import Deps, build_deps, utc_now
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.slack import Message, SlackSandbox
from bot.sandbox.slack_driver import SlackDriver
from bot.server import EVENTS_PATH, BotServer

SIGNING_SECRET = "sandbox-signing-secret"
CEKURA_KEY = "sandbox-cekura-key"
# `cekura-bot demo`: @alice types in #general; edit requests go to #cekura-approvals, @carol approves.
DEMO_USER = "U_ALICE"
DEMO_CHANNEL = "C_GENERAL"
DEMO_APPROVER = "U_CAROL"
DEMO_SETTINGS: dict[str, Any] = {"approvers": [DEMO_APPROVER], "approvals_channel": "C_APPROVALS"}


@dataclass
class Harness:
    """Sandboxes, bot and driver, started together and stopped together."""

    cekura: CekuraSandbox
    slack: SlackSandbox
    settings: Settings
    deps: Deps
    server: BotServer
    driver: SlackDriver

    @classmethod
    def start(
        cls,
        *,
        latency: float = 0.0,
        render_workers: int | None = None,
        clock: Callable[[], datetime] = utc_now,
        **overrides: Any,
    ) -> Harness:
        """Start everything on loopback; `overrides` are Settings fields."""
        cekura = CekuraSandbox(api_key=CEKURA_KEY, latency=latency, clock=clock).start()
        slack = SlackSandbox(latency=latency).start()
        values: dict[str, Any] = {
            "slack_bot_token": slack.bot_token,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": slack.api_url,
            "cekura_api_key": CEKURA_KEY,
            "cekura_base_url": cekura.url,
            "cekura_app_url": "https://dashboard.cekura.ai",
            "database_url": "sqlite://",
        }
        values.update(overrides)
        settings = build_settings("serve", **values)
        deps = build_deps(settings, render_workers=render_workers, clock=clock)
        deps.renderer.warm()
        server = BotServer(create_app(settings, deps), host="127.0.0.1", port=0, metrics=deps.metrics).start()
        server.ready.set()
        driver = SlackDriver(server.url + EVENTS_PATH, SIGNING_SECRET, slack)
        return cls(cekura, slack, settings, deps, server, driver)

    def stop(self) -> None:
        """Stop the bot first (letting running jobs finish), then the sandboxes."""
        self.driver.close()  # first: an open keep-alive connection would hold the server's shutdown
        self.server.stop()
        self.deps.close()
        self.slack.stop()
        self.cekura.stop()

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def widget_count(self, dashboard_id: int) -> int:
        """How many widgets a sandbox dashboard has."""
        return sum(1 for w in self.cekura.widgets.values() if w.get("dashboard") == dashboard_id)

    def wait_for_files(self, count: int, *, after: int = 0, timeout: float = 30.0) -> list[Message]:
        """Messages (from index `after` on) once they carry `count` files; fails on an error reply."""

        def done() -> bool:
            if any(":warning:" in str(r) or ":x:" in str(r) or ":hourglass:" in str(r) for r in self.slack.responses):
                raise AssertionError(f"the bot answered with an error: {self.slack.responses[-1]}")
            return sum(len(m.files) for m in self.slack.messages[after:]) >= count

        self.slack.wait_for(done, timeout=timeout)
        return [m for m in self.slack.messages[after:] if m.files or m.blocks]

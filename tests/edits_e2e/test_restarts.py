"""Approved edits across bot processes: a pending request survives a restart, and twenty clicks over
two bots sharing PostgreSQL send exactly one PATCH."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.app import create_app
from bot.deps import build_deps
from bot.sandbox.harness import SIGNING_SECRET, Harness
from bot.sandbox.slack_driver import SlackDriver
from bot.server import BotServer
from handlers.ids import EditActions, EditBlocks
from tests.conftest import Clock
from tests.edits_e2e.conftest import APPROVER, patches, propose, request_id

pytestmark = pytest.mark.e2e


def test_pending_requests_survive_a_restart(tmp_path: Any, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path}/bot.sqlite"
    with Harness.start(
        clock=clock, approvers=[APPROVER], approvals_channel="C_APPROVALS", database_url=url, render_workers=0
    ) as h:
        message = propose(h, 'edit widget 34 name "after restart"')
        h.server.stop()  # the bot goes down; Slack and Cekura stay
        h.driver.close()
        h.deps.close()
        h.deps = build_deps(h.settings, render_workers=0, clock=clock)
        h.server = BotServer(create_app(h.settings, h.deps), host="127.0.0.1", port=0).start()
        h.server.ready.set()
        h.driver = SlackDriver(h.server.url + "/slack/events", SIGNING_SECRET, h.slack)
        assert len(h.deps.edits.pending()) == 1
        ack = h.driver.block_action(
            EditActions.APPROVE, request_id(message), message=message, user=APPROVER, block_id=EditBlocks.ACTIONS
        )
        assert ack.status == 200, ack
        # `approved` comes before the apply: wait for where the apply ends (applied, failed, conflicted).
        settled = ("applied", "failed", "conflicted")
        h.slack.wait_for(lambda: h.deps.edits.require(request_id(message)).state.value in settled, timeout=15)
        assert h.deps.wait_idle(30)
        state = h.deps.edits.require(request_id(message)).state
        assert state.value == "applied", (state, [r.get("text") for r in h.slack.responses][1:])
        assert h.cekura.widgets[34]["name"] == "after restart"


@pytest.mark.postgres
def test_twenty_clicks_over_two_bots_on_postgres_send_one_patch(pg_schema_url: str, clock: Clock) -> None:
    with Harness.start(
        clock=clock,
        approvers=[APPROVER, "U_CAROL"],
        approvals_channel="C_APPROVALS",
        database_url=pg_schema_url,
        render_workers=0,
    ) as h:
        second_deps = build_deps(h.settings, render_workers=0, clock=clock)  # a second bot: own engine and pools
        second = BotServer(create_app(h.settings, second_deps), host="127.0.0.1", port=0).start()
        try:
            message = propose(h, 'edit widget 34 name "once"')
            drivers = [h.driver, SlackDriver(second.url + "/slack/events", SIGNING_SECRET, h.slack)]
            users = [APPROVER, "U_CAROL"]
            with ThreadPoolExecutor(20) as pool:
                codes = list(
                    pool.map(
                        lambda i: (
                            drivers[i % 2]
                            .block_action(EditActions.APPROVE, request_id(message), message=message, user=users[i % 2])
                            .status
                        ),
                        range(20),
                    )
                )
            assert codes == [200] * 20
            h.deps.wait_idle(30)
            second_deps.wait_idle(30)
            assert len(patches(h)) == 1
            losers = [r for r in h.slack.responses if "already approved by" in str(r.get("text"))]
            assert len(losers) == 19
            drivers[1].close()
        finally:
            second.stop()
            second_deps.close()

"""kill -9 at every write of the apply and delivery paths, then a restart: nothing lost, doubled or stranded.

Each test runs the real bot (`python -m bot.cli serve`) on the loopback sandboxes with
CEKURA_BOT_KILL_AT set, so the process SIGKILLs itself at exactly that step; then it starts the bot
again, unarmed, on the same database, and checks Slack, Cekura, the ledger and the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.db import make_engine, migrate, session_factory
from bot.digests import DeliveryLedger, DigestStore, parse_schedule
from bot.digests.schedule import slots_between
from bot.edits import State
from bot.edits.store import EditStore
from bot.kill_points import POINTS
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.slack import Message, SlackSandbox
from handlers.ids import EditActions, EditBlocks
from tests.bot_process import BotProcess, sandboxes, until

pytestmark = pytest.mark.e2e
APPROVER, REQUESTER = "U_BOB", "U_ALICE"
RECONCILE_AFTER_S = 1.0
LEASE_S = 2.0


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SlackSandbox, CekuraSandbox, str]]:
    with sandboxes() as (slack, cekura):
        yield slack, cekura, f"sqlite:///{tmp_path}/bot.sqlite"


def _bot(world: tuple[SlackSandbox, CekuraSandbox, str], tmp_path: Path) -> BotProcess:
    slack, cekura, url = world
    return BotProcess(
        slack,
        cekura,
        url,
        tmp_path / "bot.log",
        approvers=APPROVER,
        approvals_channel="C_APPROVALS",
        edit_reconcile_after_seconds=str(RECONCILE_AFTER_S),
        digest_lease_seconds=str(LEASE_S),
    )


def test_every_kill_point_has_a_test() -> None:
    from tests.alerts.test_kill_points import ALERT_POINTS  # the alert notice path: tests/alerts/

    tested = {p for p in EDIT_POINTS} | {p for p in DIGEST_POINTS} | ALERT_POINTS
    assert tested == set(POINTS)


# ---- edits ---------------------------------------------------------------------------------------


def _patches(cekura: CekuraSandbox) -> list[object]:
    return [r for r in cekura.requests("PATCH") if "/widgets/" in r.path]


def _approval(slack: SlackSandbox) -> Message:
    return next(m for m in slack.messages if m.channel == "C_APPROVALS" and m.thread_ts is None)


def _propose(bot: BotProcess, slack: SlackSandbox) -> tuple[Message, str]:
    assert bot.driver is not None
    ack = bot.driver.command('edit widget 34 name "survives kill -9"', user=REQUESTER, channel="C_GENERAL")
    assert ack.status == 200
    until(lambda: any(m.channel == "C_APPROVALS" and m.blocks for m in slack.messages), 30, "the approval message")
    message = _approval(slack)
    # the preview lands in the thread last: after it, the bot is idle
    until(lambda: any(m.thread_ts == message.ts and m.files for m in slack.messages), 30, "the preview")
    return message, str(message.blocks[0]["text"]["text"].split()[3])


def _shown(slack: SlackSandbox, message: Message) -> str:
    return json.dumps(next(m for m in slack.messages if m.ts == message.ts).blocks)


EDIT_POINTS = {
    # point: (state after the restart, PATCHes sent, what the audit says)
    "edit.approved": (State.FAILED, 0, "Cekura still has the old values"),
    "edit.patched": (State.APPLIED, 1, "confirmed after restart"),
    "edit.settled": (State.APPLIED, 1, "PATCH widget 34"),  # settled, but Slack never told: shown after restart
}


@pytest.mark.parametrize("point", list(EDIT_POINTS))
def test_an_apply_killed_midway_is_settled_after_restart(
    point: str, world: tuple[SlackSandbox, CekuraSandbox, str], tmp_path: Path
) -> None:
    slack, cekura, url = world
    state, sent, audit = EDIT_POINTS[point]
    bot = _bot(world, tmp_path)
    store = EditStore(session_factory(make_engine(url)))
    try:
        bot.start(kill_at=point)
        message, rid = _propose(bot, slack)
        assert bot.driver is not None
        try:
            click = bot.driver.block_action(
                EditActions.APPROVE, rid, message=message, user=APPROVER, block_id=EditBlocks.ACTIONS
            )
            assert click.status == 200
        except httpx.RemoteProtocolError:
            pass  # the apply runs after the ack: the kill may beat the ack's last bytes to the socket
        bot.wait_killed()
        killed = store.require(rid)
        assert killed.state is (State.APPROVED if point != "edit.settled" else State.APPLIED)
        assert len(_patches(cekura)) == sent
        before = _shown(slack, message)
        # Wait until the request is older than the reconcile age, so the restart's first sweep takes it.
        assert killed.decided_at is not None
        old_enough = killed.decided_at + timedelta(seconds=RECONCILE_AFTER_S)
        until(lambda: datetime.now(UTC) > old_enough, 5, "the request older than the reconcile age")
        bot.start()
        until(lambda: store.require(rid).state is state, 30, f"{rid} settled as {state.value}")
        # the approval message shows the outcome and the requester hears of it, as after a normal apply
        updated = lambda: _shown(slack, message) != before and state.value in _shown(slack, message)  # noqa: E731
        until(updated, 30, "the approval message updated")
        told = lambda: [e.user for e in slack.ephemerals if rid in e.text and state.value in e.text]  # noqa: E731
        until(lambda: told() == [REQUESTER], 30, "the requester told")
        sweeps = lambda: bot.log_text().count('"edit-reconcile (trigger') >= 6  # noqa: E731 (run + done lines)
        until(sweeps, 30, "three reconcile sweeps")  # the later ones must not announce it again
        assert told() == [REQUESTER]
        assert len(_patches(cekura)) == sent  # nothing sent twice
        trail = store.events(rid)
        assert [e.to_state for e in trail] == [State.PENDING, State.APPROVED, state]
        assert audit in json.dumps(trail[-1].detail)
        if state is State.APPLIED:
            assert cekura.widgets[34]["name"] == "survives kill -9"
            assert [h.request.id for h in store.history("widget", 34)] == [rid]  # history shows it: revertable
        else:
            # Failed with Retry: the retry applies it, once.
            shown_now = next(m for m in slack.messages if m.ts == message.ts)
            retry = bot.driver.block_action(
                EditActions.RETRY, rid, message=shown_now, user=APPROVER, block_id=EditBlocks.ACTIONS
            )
            assert retry.status == 200
            until(lambda: store.require(rid).state is State.APPLIED, 30, "the retry applied")
            assert len(_patches(cekura)) == 1 and cekura.widgets[34]["name"] == "survives kill -9"
    finally:
        bot.stop()


# ---- digests -------------------------------------------------------------------------------------

DIGEST_POINTS = {
    # point: attempts the slot took in all
    "digest.claimed": 2,  # nothing posted: the successor posts it
    "digest.uploaded": 2,  # files uploaded, never shared: the successor posts it
    "digest.posted": 2,  # shared, ledger not told: the successor finds it with files.info, posts nothing
    "digest.sent": 1,  # all done but the bookkeeping: nothing to do
}


def _digests(slack: SlackSandbox) -> list[Message]:
    return [m for m in slack.messages if m.channel == "C_GENERAL" and m.files and m.thread_ts is None]


@pytest.mark.parametrize("point", list(DIGEST_POINTS))
def test_a_delivery_killed_midway_posts_exactly_once_after_restart(
    point: str, world: tuple[SlackSandbox, CekuraSandbox, str], tmp_path: Path
) -> None:
    slack, _, url = world
    factory = session_factory(make_engine(url))
    bot = _bot(world, tmp_path)
    migrate(factory.kw["bind"])
    # A daily digest whose slot was a minute ago, subscribed ten minutes before it.
    slot = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    earlier = slot - timedelta(minutes=10)
    store = DigestStore(factory, lambda: earlier)
    sub = store.add(
        channel="C_GENERAL",
        dashboard_id=7,
        schedule=parse_schedule(f"daily {slot.astimezone(ZoneInfo('UTC')):%H:%M}"),
        tz="UTC",
        owner=REQUESTER,
    )
    assert slots_between(sub.schedule, sub.tz, slot - timedelta(seconds=1), slot + timedelta(seconds=1)) == [slot]
    ledger = DeliveryLedger(factory)
    try:
        bot.start(kill_at=point)  # the start-up sweep delivers the slot, and dies at `point`
        bot.wait_killed()
        row = ledger.get(sub.id, slot)
        assert row is not None
        if point == "digest.sent":
            assert row.state.value == "sent"
        else:
            assert row.state.value == "claimed" and row.lease_until is not None
            lapsed = row.lease_until
            until(lambda: datetime.now(UTC) > lapsed, 2 * LEASE_S, "the dead worker's lease to lapse")
        bot.start()
        until(lambda: bot.log_has("DigestScheduler.sweep", "executed successfully"), 30, "the first sweep")
        done = ledger.get(sub.id, slot)
        assert done is not None and done.state.value == "sent" and done.attempts == DIGEST_POINTS[point]
        [post] = _digests(slack)  # exactly one digest in the channel
        if point == "digest.posted":
            assert done.message_ts == post.ts  # learned from files.info → shares, not posted again
    finally:
        bot.stop()

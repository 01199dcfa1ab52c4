"""`/cekura digest …` end to end: signed commands and buttons against both sandboxes, a hand-moved clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.digests.scheduler import DigestScheduler
from bot.sandbox.harness import Harness
from handlers.digest_messages import DigestActions
from tests.conftest import Clock

pytestmark = pytest.mark.e2e
MONDAY = datetime(2025, 6, 2, 6, 30, tzinfo=UTC)  # 08:30 in Berlin, 02:30 in New York


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def module_harness(clock: Clock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    clock.now = MONDAY
    url = f"sqlite:///{tmp_path_factory.mktemp('digest-commands')}/bot.sqlite"  # threads share it safely
    with Harness.start(clock=clock, render_workers=0, timezone="Asia/Kolkata", database_url=url) as h:
        yield h
        h.driver.close()  # before the server stops, or it waits 5 s on the keep-alive connection


@pytest.fixture
def dh(module_harness: Harness, clock: Clock) -> Harness:
    """The harness with sandboxes reset, no digests, and the clock back on Monday morning."""
    h = module_harness
    assert h.deps.wait_idle(30)
    clock.now = MONDAY
    for sub in h.deps.digests.list():
        h.deps.digests.remove(sub.id)
    h.cekura.reset()
    h.slack.reset()
    h.deps.access.clear()  # memberships cached by an earlier test describe a workspace that is gone
    return h


def add(h: Harness, text: str, *, user: str = "U_ALICE", channel: str = "C_GENERAL") -> str:
    """Run `digest add …` and return the channel announcement's text (fails on an error reply)."""
    ack = h.driver.command(f"digest add {text}", user=user, channel=channel)
    assert ack.status == 200 and ack.json["response_type"] == "ephemeral", ack.json
    assert h.deps.wait_idle(30)
    assert not h.slack.responses, h.slack.responses
    return dumps([m.blocks for m in h.slack.messages if m.channel == channel][-1])


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def reply(h: Harness, text: str, *, channel: str = "C_GENERAL", user: str = "U_ALICE") -> dict:
    ack = h.driver.command(text, user=user, channel=channel)
    assert ack.status == 200
    return ack.json


def test_add_confirms_in_plain_words_with_the_next_three_times(dh: Harness) -> None:
    text = add(dh, "dashboard 12 weekdays 09:00 Europe/Berlin since 24h skip-if-empty")
    assert "subscribed this channel to *Support line — overview* (dashboard 12)" in text
    assert "every weekday at 09:00 Europe/Berlin" in text and "covering the last 24h" in text
    assert "Mon 2 Jun 09:00, Tue 3 Jun 09:00, Wed 4 Jun 09:00 (Europe/Berlin)" in text
    (sub,) = dh.deps.digests.list()
    assert (sub.channel, sub.dashboard_id, sub.tz, sub.owner) == ("C_GENERAL", 12, "Europe/Berlin", "U_ALICE")
    assert sub.skip_if_empty and not sub.only_if_changed and sub.since == "24h"


def test_zone_defaults_to_the_users_slack_zone_then_timezone(dh: Harness) -> None:
    text = add(dh, "dashboard 7 daily 7am where success = false only-if-changed", user="U_BOB")
    assert "America/New_York" in text and "Mon 2 Jun 07:00" in text and "where `success = false`" in text
    assert dh.slack.calls("users.info")
    dh.slack.fail("users.info", error="user_not_found", status=200, retry_after=None)
    text = add(dh, "7 hourly")
    assert "every hour on the hour (Asia/Kolkata time)" in text  # TIMEZONE of this bot
    assert [s.tz for s in dh.deps.digests.list()] == ["America/New_York", "Asia/Kolkata"]


def test_cron_schedule_means_what_crontab_means(dh: Harness) -> None:
    text = add(dh, 'dashboard 7 cron "0 9 * * 1-5" UTC')
    assert "Mon 2 Jun 09:00, Tue 3 Jun 09:00, Wed 4 Jun 09:00 (UTC)" in text


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("dashboard 12 daily 25:00", "not a time of day"),
        ("dashboard 12 daily 09:00 Europe/Berln", "did you mean Europe/Berlin"),
        ('dashboard 12 cron "0 9 * *"', "has 4"),
        ('dashboard 12 cron "* * * * *"', "more than once an hour"),
        ("dashboard 12 daily 09:00 where durration > 5", "durration"),
        ("dashboard 12 daily 09:00 since 45d", "at most 30 days"),
        ("dashboard 12 daily 09:00 where timestamp >= now-2d", "leave `timestamp` out"),
        ("dashboard 12", "When should it be sent?"),
        ("daily 09:00", "Which dashboard?"),
        ("dashboard 12 fortnightly", "I don't understand `fortnightly`"),
        ("dashboard twelve daily 09:00", "not a dashboard id"),
    ],
)
def test_bad_input_is_an_ephemeral_error_and_nothing_is_stored(dh: Harness, text: str, needle: str) -> None:
    answer = reply(dh, f"digest add {text}")
    assert answer["response_type"] == "ephemeral" and needle in answer["text"], answer["text"]
    assert dh.deps.wait_idle(10)
    assert not dh.deps.digests.list() and not dh.cekura.requests() and not dh.slack.messages


def test_unknown_dashboard_is_checked_with_cekura_and_nothing_stored(dh: Harness) -> None:
    reply(dh, "digest add dashboard 999 daily 09:00")
    assert dh.deps.wait_idle(10)
    assert "Dashboard 999 was not found" in dh.slack.responses[-1]["text"]
    assert not dh.deps.digests.list() and not dh.slack.messages


def test_a_channel_the_bot_cannot_post_in_is_refused(dh: Harness) -> None:
    reply(dh, "digest add dashboard 7 daily 09:00", channel="C_ARCHIVED")
    reply(dh, "digest add dashboard 7 daily 09:00", channel="G_PRIVATE")
    assert dh.deps.wait_idle(10)
    # The two answers come from jobs that run side by side: in either order.
    texts = {r.channel: r["text"] for r in dh.slack.responses}
    assert "archived" in texts["C_ARCHIVED"] and "/invite @cekura" in texts["G_PRIVATE"]
    assert not dh.deps.digests.list()


def test_public_channel_is_joined_to_announce(dh: Harness) -> None:
    add(dh, "dashboard 7 daily 09:00 UTC", channel="C_PUBLIC")
    assert dh.slack.calls("conversations.join") and dh.deps.digests.list()[0].channel == "C_PUBLIC"


def test_list_pause_resume_edit_remove(dh: Harness, clock: Clock) -> None:
    add(dh, "dashboard 12 daily 09:00 Europe/Berlin")
    add(dh, "dashboard 7 weekly fri 17:00 UTC", channel="C_PUBLIC")
    first, second = (s.id for s in dh.deps.digests.list())
    listing = dumps(reply(dh, "digest list"))
    assert f"*{first}* · dashboard 12" in listing and "dashboard 7" not in listing
    assert "next Mon 2 Jun 09:00 (Europe/Berlin)" in listing
    reply(dh, "digests all")  # which channels U_ALICE is in is a Slack call: answered after the ack
    assert dh.deps.wait_idle(10)
    everything = dumps(dh.slack.responses[-1])
    assert "dashboard 7 to <#C_PUBLIC>" in everything and "next Fri 6 Jun 17:00 (UTC)" in everything

    paused = reply(dh, f"digest pause {first}")
    assert paused["response_type"] == "in_channel" and "is paused by <@U_ALICE>" in paused["text"]
    assert dh.deps.digests.get(first).paused
    assert "*paused* — paused by <@U_ALICE>" in dumps(reply(dh, "digest list"))
    elsewhere = reply(dh, f"digest pause {second}")  # from C_GENERAL, about a C_PUBLIC digest
    assert elsewhere["response_type"] == "ephemeral"
    resumed = reply(dh, f"digest resume {first}")
    assert "running again" in resumed["text"] and not dh.deps.digests.get(first).paused
    assert "Mon 2 Jun 09:00" in dumps(resumed["blocks"])

    edited = reply(dh, f"digest edit {first} weekdays 08:15 America/New_York no-since skip-if-empty")
    assert "was changed" in edited["text"], edited
    sub = dh.deps.digests.get(first)
    assert (sub.schedule.text, sub.tz, sub.skip_if_empty, sub.dashboard_id) == (
        "weekdays 08:15",
        "America/New_York",
        True,
        12,
    )
    assert "Mon 2 Jun 08:15, Tue 3 Jun 08:15, Wed 4 Jun 08:15 (America/New_York)" in dumps(edited["blocks"])
    assert "What should change" in reply(dh, f"digest edit {first}")["text"]

    reply(dh, f"digest edit {first} dashboard 999")
    assert dh.deps.wait_idle(10)
    assert "Dashboard 999 was not found" in dh.slack.responses[-1]["text"]
    assert dh.deps.digests.get(first).dashboard_id == 12
    reply(dh, f"digest edit {first} dashboard 21 where success = true")
    assert dh.deps.wait_idle(10)
    assert dh.deps.digests.get(first).dashboard_id == 21 and dh.deps.digests.get(first).where_text == "success = true"

    removed = reply(dh, f"digest remove {first}")
    assert "was removed" in removed["text"] and dh.deps.digests.get(first) is None
    reply(dh, f"digest remove {first}")  # an unknown id is answered after the ack, like a refusal
    assert dh.deps.wait_idle(10)
    assert "There is no digest" in dh.slack.responses[-1]["text"]
    assert "takes only the digest id" in reply(dh, f"digest pause {second} now")["text"]


def test_buttons_pause_resume_and_remove(dh: Harness) -> None:
    add(dh, "dashboard 7 daily 09:00 UTC")
    sub_id = str(dh.deps.digests.list()[0].id)
    for action, check in [
        (DigestActions.PAUSE, lambda s: s.paused),
        (DigestActions.RESUME, lambda s: not s.paused),
        (DigestActions.REMOVE, lambda s: s is None),
    ]:
        assert dh.driver.block_action(action, sub_id, channel="C_GENERAL").status == 200
        assert dh.deps.wait_idle(10)
        assert check(dh.deps.digests.get(int(sub_id))), action


def test_run_sends_now_through_the_ledger_without_moving_the_schedule(dh: Harness, clock: Clock) -> None:
    add(dh, "dashboard 7 daily 09:00 UTC")
    (sub,) = dh.deps.digests.list()
    clock.advance(minutes=5)
    before = len(dh.slack.messages)
    assert "Sending digest" in reply(dh, f"digest run {sub.id}")["text"]
    assert dh.deps.wait_idle(30)
    (message,) = dh.slack.messages[before:]
    assert len(message.files) == 4 and "sent on request by <@U_ALICE>" in dumps(message.blocks)
    row = dh.deps.ledger.get(sub.id, clock.now)
    assert row is not None and row.state.value == "sent"
    after = dh.deps.digests.get(sub.id)
    assert after.last_slot is None and after.last_digest is None  # the 09:00 digest still covers its own day


def test_help_and_unknown_digest_words(dh: Harness) -> None:
    assert "/cekura digest add dashboard &lt;id&gt;" in reply(dh, "digest")["text"]  # Slack shows <id>
    answer = reply(dh, "digest frobnicate 3")
    assert "I don't know `digest frobnicate`" in answer["text"] and "digest pause" in dumps(answer["blocks"])
    assert "digest list" in reply(dh, "help")["text"]


def test_apscheduler_gets_one_job_per_active_digest_and_fires_the_same_tick(dh: Harness, clock: Clock) -> None:
    add(dh, "dashboard 7 daily 09:00 Europe/Berlin")
    add(dh, "dashboard 30 hourly UTC")
    first, second = dh.deps.digests.list()
    scheduler = DigestScheduler(dh.deps)
    scheduler.start()
    try:
        jobs = {job.id: job for job in scheduler.jobs()}
        assert set(jobs) == {"digest-sweep", f"digest-{first.id}", f"digest-{second.id}"}
        job = jobs[f"digest-{first.id}"]
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)
        assert str(job.trigger.timezone) == "Europe/Berlin"
        reply(dh, f"digest pause {second.id}")
        assert f"digest-{second.id}" not in {j.id for j in scheduler.jobs()}
        reply(dh, f"digest edit {first.id} weekdays 10:00")
        assert "hour='10'" in str(next(j for j in scheduler.jobs() if j.id == f"digest-{first.id}").trigger)
        clock.now = datetime(2025, 6, 2, 8, 0, 20, tzinfo=UTC)  # 10:00:20 in Berlin
        before = len(dh.slack.messages)
        scheduler.fire()  # what the job runs when it fires
        assert len(dh.slack.messages) == before + 1
        scheduler.fire()
        assert len(dh.slack.messages) == before + 1  # the ledger already has it
    finally:
        scheduler.shutdown()
    assert not scheduler.jobs()
    clock.now += timedelta(days=1)

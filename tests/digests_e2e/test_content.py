"""What digests say and when they say nothing: skip/only-if-changed, comparisons, failures and auto-pause."""

from __future__ import annotations

import json

import pytest

from bot.cekura_models import Widget, WidgetData
from bot.digests.compare import Headline, change, headline
from bot.digests.deliver import ChannelPacer
from bot.sandbox.harness import Harness
from handlers.digest_messages import DigestActions
from tests.digest_helpers import Bots, at, bulk_filters, posted, subscribe, text_of, tick

pytestmark = pytest.mark.e2e


def test_skip_if_empty_and_only_if_changed(dh: Harness, bots: Bots) -> None:
    skip = subscribe(dh, "C_GENERAL", 30, "hourly", skip_if_empty=True)
    quiet = subscribe(dh, "C_OPS", 30, "hourly")
    unchanged = subscribe(dh, "C_SALES", 30, "hourly", only_if_changed=True)
    changing = subscribe(dh, "C_LEADS", 7, "hourly", only_if_changed=True)
    scheduler = bots(dh.deps)
    first = tick(scheduler, at(2, 9, 0, 5))
    second = tick(scheduler, at(2, 10, 0, 5))
    states = {(o.subscription_id, o.slot.hour): o.state for o in first.outcomes + second.outcomes}
    assert states == {
        (skip.id, 9): "skipped",
        (skip.id, 10): "skipped",
        (quiet.id, 9): "sent",
        (quiet.id, 10): "sent",
        (unchanged.id, 9): "sent",  # nothing to compare with yet
        (unchanged.id, 10): "skipped",  # still empty: the same data
        (changing.id, 9): "sent",
        (changing.id, 10): "sent",
    }
    assert first.renders == second.renders == 2  # dashboard 30's three digests share one render
    assert not posted(dh, "C_GENERAL") and len(posted(dh, "C_SALES")) == 1
    assert "skip-if-empty" in (dh.deps.ledger.get(skip.id, at(2, 9)).error or "")
    quiet_post = posted(dh, "C_OPS")[0]
    assert "No data" in text_of(quiet_post) and not quiet_post.files  # one message, no empty images
    assert quiet_post.text and "no data in this period" in quiet_post.text


def test_a_failing_channel_pauses_itself_and_dms_its_owner_without_blocking_others(dh: Harness, bots: Bots) -> None:
    dh.slack.channels["C_ARCHIVED"].members.add("U_BOB")  # only members of its channel may resume it
    broken = subscribe(dh, "C_ARCHIVED", 7, "hourly", owner="U_BOB")
    healthy = subscribe(dh, "C_GENERAL", 7, "hourly")
    scheduler = bots(dh.deps)
    states = [tick(scheduler, at(2, 9, minute, 5)).outcomes for minute in range(4)]
    assert [[(o.subscription_id, o.state) for o in outcomes] for outcomes in states] == [
        [(broken.id, "failed"), (healthy.id, "sent")],
        [(broken.id, "failed")],
        [(broken.id, "failed")],
        [],
    ]
    paused = dh.deps.digests.get(broken.id)
    assert paused.paused and "archived" in (paused.paused_reason or "")
    (opened,) = dh.slack.calls("conversations.open")
    assert opened.params["users"] == "U_BOB"
    (dm,) = [m for m in dh.slack.messages if m.channel.startswith("D")]
    assert f"/cekura digest resume {broken.id}" in text_of(dm) and "3 deliveries in a row failed" in text_of(dm)
    assert [o.subscription_id for o in tick(scheduler, at(2, 10, 0, 5)).outcomes] == [healthy.id]
    dh.driver.block_action(DigestActions.RESUME, str(broken.id), channel=dm.channel, user="U_BOB", message=dm)
    assert dh.deps.wait_idle(10)
    resumed = dh.deps.digests.get(broken.id)
    assert not resumed.paused and resumed.consecutive_failures == 0


def test_a_cekura_outage_is_retried_then_said_in_the_channel_without_pausing(dh: Harness, bots: Bots) -> None:
    sub = subscribe(dh, "C_GENERAL", 7, "daily 09:00")
    dh.cekura.fail("/dashboards/dashboards/7", 401, times=100)
    scheduler = bots(dh.deps)
    for minute in range(4):
        tick(scheduler, at(2, 9, minute, 5))
    assert dh.deps.ledger.get(sub.id, at(2, 9)).attempts == 3
    (notice,) = dh.slack.messages
    assert "could not be built" in text_of(notice) and f"digest run {sub.id}" in text_of(notice)
    after = dh.deps.digests.get(sub.id)
    assert not after.paused and after.consecutive_failures == 0


def test_figures_are_compared_with_the_previous_period_unless_cekura_no_longer_has_it(dh: Harness, bots: Bots) -> None:
    subscribe(dh, "C_GENERAL", 7, "daily 09:00")
    subscribe(dh, "C_OPS", 7, "daily 09:00", since="20d")
    tick(bots(dh.deps), at(2, 9, 0, 5))
    (compared,), (long,) = ([text_of(m) for m in posted(dh, channel)] for channel in ("C_GENERAL", "C_OPS"))
    assert "vs the previous day" in compared and ("▲" in compared or "▼" in compared)
    assert "no comparison" in long and "vs the previous" not in long
    assert sum('"2025-05-13T09:00:00Z"' in f for f in bulk_filters(dh)) == 1  # 20 days: fetched once, not twice
    assert not any('"2025-04-23T09:00:00Z"' in f for f in bulk_filters(dh))


def test_the_digest_header_buttons_and_filter_stamp(dh: Harness, bots: Bots) -> None:
    subscribe(dh, "C_GENERAL", 12, "weekdays 11:00", "Europe/Berlin", where_text="duration >= 60")
    tick(bots(dh.deps), at(2, 9, 0, 5))
    parent, thread = (m for m in dh.slack.messages if m.files)
    assert len(parent.files) == 10 and thread.thread_ts == parent.ts and len(thread.files) == 2
    text = text_of(parent)
    assert "Support line — overview" in text and "Fri 30 May 11:00 – Mon 2 Jun 11:00 (Europe/Berlin)" in text
    assert "Filters: duration ≥ 60 s · times in Europe/Berlin" in text
    actions = next(b for b in parent.blocks if b["type"] == "actions")
    labels = [e["text"]["text"] for e in actions["elements"]]
    assert labels[0] == "Refresh" and labels[-1] == "Open in Cekura"
    assert json.loads(actions["elements"][0]["value"]) == {"d": 12, "s": "3d", "q": "duration >= 60"}
    assert dh.deps.digests.list()[0].last_slot == at(2, 9)


@pytest.mark.parametrize(
    ("now", "before", "unit", "words"),
    [
        (112, 100, "", "▲ 12 % (was 100)"),
        (97, 100, "", "▼ 3 % (was 100)"),
        (100.2, 100, "", "no change"),
        (5, 0, "", "▲ from 0"),
        (0.89, 0.92, "fraction", "▼ 3 pts (was 92 %)"),
        (95.5, 95, "percent", "▲ 0.5 pts (was 95 %)"),
        (None, 3, "", None),
        (3, None, "", "no data in the previous period"),
    ],
)
def test_changes_read_in_per_cent_or_points(now: float | None, before: float | None, unit: str, words: str) -> None:
    assert change(Headline(now, unit), Headline(before, unit)) == words  # type: ignore[arg-type]


def test_headline_totals_counts_averages_over_samples_and_keeps_extremes() -> None:
    bar = {"chart_type": "bar", "time_period": "day"}
    rows = [{"time_interval": "2025-06-01", "value": 10, "sample_count": 1}, {"value": 40, "sample_count": 3}]
    data = WidgetData(**bar, aggregation_function="avg", data=rows)
    widget = Widget(id=1, chart_type="bar", field="duration", aggregation_function="avg")
    assert headline(widget, data) == Headline(32.5, "seconds")
    assert headline(widget, data.model_copy(update={"aggregation_function": "count"})).value == 50
    assert headline(widget, data.model_copy(update={"aggregation_function": "max"})).value == 40
    stat = WidgetData(chart_type="stat", data={"total_calls": 7, "success_rate": 80})
    assert headline(widget, stat).value == 7
    assert headline(widget, WidgetData(**bar, aggregation_function="avg", data=[])).value is None


def test_posts_to_one_channel_are_spaced_a_second_apart_and_other_channels_do_not_wait() -> None:
    now = [100.0]
    waits: list[float] = []
    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=waits.append)
    for channel in ("C1", "C1", "C2", "C1"):
        pacer.wait(channel)
    assert waits == [1.0, 2.0]
    now[0] = 110.0
    pacer.wait("C1")
    assert waits == [1.0, 2.0]

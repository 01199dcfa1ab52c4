"""`/cekura digest log <id>` end to end: the ledger's last deliveries, in words, with links, for members only."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from bot.digests.history import recent_deliveries
from bot.digests.tables import DigestDelivery
from bot.sandbox.harness import Harness
from handlers.digest_access import hidden
from tests.conftest import Clock
from tests.digest_helpers import Bots, at, posted, subscribe, tick

pytestmark = pytest.mark.e2e


def answer_text(h: Harness, containing: str) -> str:
    """The blocks (as JSON) of the first response_url post containing `containing`, once it exists."""

    def found() -> list[str]:
        texts = [json.dumps(r.get("blocks"), ensure_ascii=False) for r in h.slack.responses]
        return [t for t in texts if containing in t]

    h.slack.wait_for(lambda: bool(found()), timeout=30)
    return found()[0]


def link(h: Harness, ts: str) -> str:
    return f"https://sandbox.slack.com/archives/C_OPS/p{ts.replace('.', '')}"


def test_the_log_says_what_became_of_each_slot_newest_first(dh: Harness, clock: Clock, bots: Bots) -> None:
    sub = subscribe(dh, "C_OPS", 12, "daily 09:00")  # 12 charts: a thread, so the post knows its ts
    scheduler = bots(dh.deps)
    counted = dh.deps.metrics.registry.get_sample_value
    sent_before = counted("cekura_bot_digest_deliveries_total", {"state": "sent"}) or 0
    assert tick(scheduler, at(2, 9, 0, 5)).count("sent") == 1
    dh.slack.fail("files.completeUploadExternal", error="is_archived", status=200, retry_after=None)
    assert tick(scheduler, at(3, 9, 0, 5)).count("failed") == 1
    assert tick(scheduler, at(4, 9, 30)).count("sent") == 1  # half an hour past its time: late
    first, late = posted(dh, "C_OPS")
    assert first.ts and late.ts

    ack = dh.driver.command(f"digest log {sub.id}", user="U_ALICE", channel="C_OPS")
    assert ack.status == 200 and ack.elapsed_ms < 3000
    text = answer_text(dh, "newest first")
    said = "\n".join(b["text"]["text"] for b in json.loads(text) if b["type"] == "section")
    lines = [line for line in said.split("\n") if line.startswith("• ")]
    assert len(lines) == 3
    assert lines[0].startswith("• *Wed 4 Jun 09:00* · :white_check_mark: sent · late · took")
    assert f"<{link(dh, late.ts)}|the message>" in lines[0]
    assert lines[1].startswith("• *Tue 3 Jun 09:00* · :x: failed · attempt 1 of 3")
    assert "archived" in text  # the error in words, under the failed slot
    assert lines[2].startswith("• *Mon 2 Jun 09:00* · :white_check_mark: sent · took")
    assert f"<{link(dh, first.ts)}|the message>" in lines[2]
    assert len(dh.slack.calls("chat.getPermalink")) == 2
    # The same ledger events reached the metrics.
    assert (counted("cekura_bot_digest_deliveries_total", {"state": "sent"}) or 0) - sent_before == 2
    assert (counted("cekura_bot_digest_deliveries_total", {"state": "late"}) or 0) >= 1
    assert (counted("cekura_bot_digest_deliveries_total", {"state": "failed"}) or 0) >= 1


def test_a_digest_without_deliveries_is_answered_in_the_ack(dh: Harness) -> None:
    sub = subscribe(dh, "C_OPS", 7, "daily 09:00")
    ack = dh.driver.command(f"digest log {sub.id}", user="U_ALICE", channel="C_OPS")
    assert ack.json is not None and "No deliveries yet" in json.dumps(ack.json["blocks"])
    assert not dh.slack.calls("chat.getPermalink")


def test_strangers_and_unknown_ids_get_the_same_hidden_answer(dh: Harness) -> None:
    sub = subscribe(dh, "C_OPS", 7, "daily 09:00")  # U_BOB is not in C_OPS
    dh.driver.command(f"digest log {sub.id}", user="U_BOB", channel="C_GENERAL")
    stranger = answer_text(dh, "that you can see")
    assert hidden(sub.id) in json.loads(stranger)[0]["text"]["text"]
    assert "dashboard 7" not in stranger and "C_OPS" not in stranger
    dh.driver.command("digest log 99999", user="U_ALICE", channel="C_OPS")
    assert hidden(99999)[:30] in answer_text(dh, "no digest 99999")
    ack = dh.driver.command("digest log twelve", user="U_ALICE", channel="C_OPS")
    assert ack.json is not None and "is not a digest id" in ack.json["text"]


def test_a_digest_with_one_message_links_to_it(dh: Harness, clock: Clock, bots: Bots) -> None:
    sub = subscribe(dh, "C_OPS", 7, "daily 09:00")  # few charts: one message, no thread
    assert tick(bots(dh.deps), at(2, 9, 0, 5)).count("sent") == 1
    [row] = recent_deliveries(dh.deps.db, sub.id, 1)
    [post] = posted(dh, "C_OPS")
    assert row.message_ts == post.ts  # learned for the record even without a thread
    dh.driver.command(f"digest log {sub.id}", user="U_ALICE", channel="C_OPS")
    assert link(dh, post.ts) in answer_text(dh, "sent")


def test_a_post_that_did_not_learn_its_ts_points_at_the_channel(dh: Harness, clock: Clock, bots: Bots) -> None:
    sub = subscribe(dh, "C_OPS", 7, "daily 09:00")
    assert tick(bots(dh.deps), at(2, 9, 0, 5)).count("sent") == 1
    [row] = recent_deliveries(dh.deps.db, sub.id, 1)
    with dh.deps.db.begin() as session:  # as rows from before the ts was always learned
        session.execute(update(DigestDelivery).where(DigestDelivery.id == row.id).values(message_ts=""))
    ack = dh.driver.command(f"digest log {sub.id}", user="U_ALICE", channel="C_OPS")
    assert ack.json is not None and ":white_check_mark: sent · took 0.0 s · posted in <#C_OPS>" in json.dumps(
        ack.json, ensure_ascii=False
    )

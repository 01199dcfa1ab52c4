"""End to end: the words around the charts — alt text, fallback text, empty widgets, the range said once."""

from __future__ import annotations

import json

import pytest

from bot.sandbox.harness import Harness
from bot.sandbox.slack import Message

pytestmark = pytest.mark.e2e


def texts(message: Message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


def settled(h: Harness, *, messages: int) -> list[Message]:
    """The channel messages once `messages` of them are there and the bot is idle."""
    h.slack.wait_for(lambda: len(h.slack.messages) >= messages)
    assert h.deps.wait_idle(30)
    return list(h.slack.messages)


def assert_every_message_has_words(messages: list[Message]) -> None:
    """No blank notification: a message has text, or (a file share with blocks, where Slack takes no
    `text`) every chart in it has a title and alt text."""
    for message in messages:
        if message.files and message.blocks and message.text is None:
            assert all(f.title and f.alt_txt for f in message.files), message
        else:
            assert message.text and message.text.strip(), message


def test_every_uploaded_chart_has_alt_text_saying_what_it_shows(h: Harness) -> None:
    h.driver.command("dashboard 12")
    messages = h.wait_for_files(12)
    files = [f for m in messages for f in m.files]
    assert len(files) == 12
    for file in files:
        assert file.alt_txt and len(file.alt_txt) <= 1000
        assert "last 7 days" in file.alt_txt and file.alt_txt.endswith(".")
    by_title = {f.title: f.alt_txt for f in files}
    # the key figure the message line shows is in the alt text too
    line = next(b["text"]["text"] for b in messages[0].blocks if "Calls per hour" in json.dumps(b))
    figure = line.split("*Calls per hour* — ")[1].split("\n")[0]
    assert figure in (by_title["Calls per hour"] or "")
    assert_every_message_has_words(messages)
    assert messages[1].text and "charts 11–12 of 12" in messages[1].text


def test_a_dashboard_with_no_data_anywhere_is_one_message_saying_why_without_images(h: Harness) -> None:
    h.driver.command("dashboard 12 where duration > 100000")
    (message,) = settled(h, messages=1)
    assert not message.files and message.thread_ts is None
    text = texts(message)
    assert "No data* for any of the 12 widgets" in text
    assert "last 7 days · duration &gt; 100000 s" in text and "since 30d" in text
    assert message.text is not None and "no data in this range (last 7 days · duration" in message.text
    assert not h.slack.calls("files.completeUploadExternal")
    assert_every_message_has_words([message])


def test_widgets_without_data_are_named_and_the_rest_drawn(h: Harness) -> None:
    # The pie widget keeps its own `agent.id = 1`: with `agent.id = 2` it alone has no data.
    h.driver.command("dashboard 12 where agent.id = 2")
    messages = h.wait_for_files(11)
    assert assert_drawn(messages) == 11
    text = texts(messages[0])
    assert "No data in this range for *Success — Ava (agent 1)*." in text
    assert "Success — Ava (agent 1)" not in {f.title for m in messages for f in m.files}
    assert messages[0].text is None or "11 charts, no data for 1 widget" in messages[0].text
    assert_every_message_has_words(messages)


def assert_drawn(messages: list[Message]) -> int:
    return sum(len(m.files) for m in messages)


def test_a_narrower_where_range_is_said_once(h: Harness) -> None:
    h.driver.command("dashboard 12 where timestamp >= now-3d")
    messages = h.wait_for_files(12)
    context = texts(messages[0])
    assert "last 3 days" in context and "last 7 days" not in context
    assert all("last 3 days" in (f.alt_txt or "") and "7 days" not in (f.alt_txt or "") for f in messages[0].files)
    sent = [json.dumps(r.json()["filters"]) for r in h.cekura.requests("POST", "bulk_data")]
    assert sent and all('"now-3d"' in s and '"now-7d"' not in s for s in sent)


def test_a_range_after_the_filter_is_taken_as_the_range(h: Harness) -> None:
    ack = h.driver.command("widget 34 where duration >= 60 since 24h")
    assert ack.status == 200 and "Fetching widget 34 (since 24h where duration &gt;= 60)" in ack.json["text"]
    (message,) = h.wait_for_files(1)
    assert "last 24 hours · duration ≥ 60 s" in texts(message)

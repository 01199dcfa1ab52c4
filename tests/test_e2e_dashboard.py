"""End to end: signed slash commands to the bot's real HTTP endpoint, against both sandboxes."""

from __future__ import annotations

import json

import pytest

from bot.sandbox.harness import CEKURA_KEY, SIGNING_SECRET, Harness

pytestmark = pytest.mark.e2e


def bulk_bodies(h: Harness) -> list[dict]:
    return [r.json() for r in h.cekura.requests("POST", "bulk_data")]


def test_dashboard_posts_one_message_with_every_chart(h: Harness) -> None:
    ack = h.driver.command("dashboard 12", user="U_ALICE", channel="C_GENERAL")
    assert ack.status == 200
    assert ack.elapsed_ms < 3000
    assert ack.json["response_type"] == "ephemeral"
    assert "Fetching dashboard 12" in ack.json["text"]

    messages = h.wait_for_files(12)
    parent, continuation = messages
    assert parent.channel == "C_GENERAL" and parent.thread_ts is None
    assert len(parent.files) == 10 and len(continuation.files) == 2
    assert continuation.thread_ts == parent.ts
    assert all(f.content.startswith(b"\x89PNG") for m in messages for f in m.files)

    text = json.dumps(parent.blocks, ensure_ascii=False)
    assert "Support line" in text and "<@U_ALICE>" in text and "last 7 days" in text
    figures = [b for b in parent.blocks if b["type"] == "section"]
    assert sum(t["text"]["text"].count("\n• ") + 1 for t in figures) >= 12
    actions = next(b for b in parent.blocks if b["type"] == "actions")
    labels = [e["text"]["text"] for e in actions["elements"]]
    assert labels == ["Refresh", "Last 24h", "Last 7d", "Last 30d", "Open in Cekura"]
    assert actions["elements"][-1]["url"].endswith("/dashboards/12")


def test_overrides_keep_each_widgets_own_filters_and_share_fetches(h: Harness) -> None:
    h.driver.command("dashboard 12 since 24h where duration >= 60")
    h.wait_for_files(12)
    bodies = bulk_bodies(h)
    groups = {json.dumps(b["filters"], sort_keys=True) for b in bodies}
    # The widgets' own filters differ (none, `duration gte 60`, `agent.id eq 1`): one group each.
    assert len(groups) == 3
    for body in bodies:
        text = json.dumps(body["filters"])
        assert '"now-24h"' in text and '"now-7d"' not in text
        assert '{"field": "duration", "op": "gte", "value": 60}' in text
    pie_filters = [b["filters"] for b in bodies if "agent.id" in json.dumps(b["filters"])]
    assert pie_filters, "the pie widget's own `agent.id eq 1` filter was dropped"


def test_default_range_is_used_and_said_when_nothing_sets_one(h: Harness) -> None:
    h.driver.command("dashboard 7")
    messages = h.wait_for_files(h.widget_count(7))
    assert all('"now-7d"' in json.dumps(b["filters"]) for b in bulk_bodies(h))
    assert "no range was saved" in json.dumps(messages[0].blocks)


def test_widget_command_posts_one_chart(h: Harness) -> None:
    ack = h.driver.command("widget 34 last 24h")
    assert "Fetching widget 34" in ack.json["text"]
    (message,) = h.wait_for_files(1)
    assert len(message.files) == 1
    assert "24 hours" in json.dumps(message.blocks)


def test_dashboards_lists_what_the_key_can_see(h: Harness) -> None:
    h.driver.command("dashboards")
    h.slack.wait_for(lambda: bool(h.slack.responses))
    listing = json.dumps(h.slack.responses[-1])
    assert "Support line" in listing and "`12`" in listing
    assert h.slack.responses[-1].get("response_type") == "ephemeral"


@pytest.mark.parametrize("text", ["", "help", "?"])
def test_help(h: Harness, text: str) -> None:
    ack = h.driver.command(text)
    # Slack shows `&lt;id&gt;` as `<id>`; written raw, `<id>` would be parsed as a link
    assert ack.status == 200 and "/cekura dashboard &lt;id&gt;" in ack.json["text"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("dashboard abc", '"abc" is not a dashboard id'),
        ("dashbord 12", "Did you mean `dashboard`?"),
        ("dashboard", "Which dashboard?"),
        ("dashboard 12 where durration > 5", "durration"),
        ("dashboard 12 since 45d", "at most 30 days"),
        ("dashboard 12 where duration >= ", "duration"),
    ],
)
def test_bad_input_gets_an_ephemeral_answer_and_nothing_is_posted(h: Harness, text: str, needle: str) -> None:
    ack = h.driver.command(text)
    assert ack.status == 200
    assert ack.json["response_type"] == "ephemeral"
    assert needle in ack.json["text"]
    assert not h.cekura.requests()
    assert not h.slack.messages


def test_unknown_dashboard(h: Harness) -> None:
    h.driver.command("dashboard 999")
    h.slack.wait_for(lambda: bool(h.slack.responses))
    assert "Dashboard 999 was not found (or this API key cannot see it)" in h.slack.responses[-1]["text"]
    assert not h.slack.messages


def test_rejected_key_names_the_setting_not_the_key(h: Harness) -> None:
    h.cekura.fail("/dashboards/", 401, times=5)
    h.driver.command("dashboard 12")
    h.slack.wait_for(lambda: bool(h.slack.responses))
    text = h.slack.responses[-1]["text"]
    assert "CEKURA_API_KEY" in text and CEKURA_KEY not in text


def test_cekura_5xx_is_retried(h: Harness) -> None:
    h.cekura.fail("bulk_data", 503, times=2)
    h.driver.command("dashboard 12")
    assert len(h.wait_for_files(12)) == 2


def test_cekura_down_ends_in_a_reference_the_log_also_has(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    h.cekura.fail("/dashboards/dashboards/12", 503, times=50)
    h.driver.command("dashboard 12")
    h.slack.wait_for(lambda: bool(h.slack.responses), timeout=30)
    text = h.slack.responses[-1]["text"]
    assert "Reference:" in text
    reference = text.split("`")[-2]
    assert reference in caplog.text


def test_slack_429_is_retried(h: Harness) -> None:
    h.slack.fail("files.completeUploadExternal", retry_after=1, times=1)
    h.driver.command("widget 34")
    assert len(h.wait_for_files(1)) == 1


def test_public_channel_is_joined(h: Harness) -> None:
    h.driver.command("widget 34", channel="C_PUBLIC")
    (message,) = h.wait_for_files(1)
    assert message.channel == "C_PUBLIC"
    assert h.slack.calls("conversations.join")


def test_private_channel_explains_how_to_invite(h: Harness) -> None:
    h.driver.command("widget 34", channel="G_PRIVATE")
    h.slack.wait_for(lambda: bool(h.slack.responses))
    assert "/invite @cekura" in h.slack.responses[-1]["text"]
    assert not h.slack.messages


def test_range_button_reposts_with_that_range(h: Harness) -> None:
    h.driver.command("widget 34")
    (message,) = h.wait_for_files(1)
    actions = next(b for b in message.blocks if b["type"] == "actions")
    button = next(e for e in actions["elements"] if e["text"]["text"] == "Last 30d")
    ack = h.driver.block_action(button["action_id"], button["value"], message=message, block_id=actions["block_id"])
    assert ack.status == 200
    messages = h.wait_for_files(2)
    assert "30 days" in json.dumps(messages[-1].blocks)


def test_bad_and_stale_signatures_are_refused(h: Harness) -> None:
    body = b"command=%2Fcekura&text=dashboard+12&user_id=U_ALICE&channel_id=C_GENERAL"
    assert h.driver.send(body, "application/x-www-form-urlencoded", signature="v0=deadbeef").status == 401
    assert h.driver.send(body, "application/x-www-form-urlencoded", timestamp=1_000_000_000).status == 401
    assert not h.cekura.requests()


def test_health(h: Harness) -> None:
    import httpx

    assert httpx.get(h.server.url + "/healthz").status_code == 200


def test_secrets_never_reach_slack_or_the_log(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    h.cekura.fail("bulk_data", 400, body={"detail": "bad filter"})
    h.driver.command("dashboard 12")
    h.slack.wait_for(lambda: bool(h.slack.responses) or bool(h.slack.messages))
    h.cekura.fail("/dashboards/", 401, times=5)
    h.driver.command("dashboard 7")
    h.slack.wait_for(lambda: len(h.slack.responses) >= 1)
    seen = json.dumps([m.blocks for m in h.slack.messages]) + json.dumps(h.slack.responses) + caplog.text
    for secret in (CEKURA_KEY, SIGNING_SECRET, h.slack.bot_token):
        assert secret not in seen

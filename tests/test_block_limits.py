"""Every message and modal stays within Slack's limits as Slack counts them (UTF-16), at the boundaries.

Each builder's output is checked with slack_sdk's Block Kit models and the Slack sandbox's checker
(tests/slack_checks.py). The sandbox itself refuses what Slack refuses (msg_too_long, invalid_blocks,
msg_blocks_too_long), and one end-to-end run posts a 60-widget dashboard of long, hostile names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cekura_models import DashboardSummary, Widget
from bot.dashboards import Report
from bot.digests.build import Digest, Period
from bot.edits import State
from bot.query import DataQuery
from bot.sandbox.harness import Harness
from bot.sandbox.slack import SlackSandbox
from bot.slack.text import units
from handlers import digest_messages as dm
from handlers import digest_notices as dn
from handlers import edit_messages as em
from handlers import edit_modal, messages
from handlers.ids import ChartActions
from tests.alerts.builders import alert_messages
from tests.slack_checks import REQUESTER, leaks, limit_errors, view_limit_errors
from tests.test_escaping import AT, FIELDS, report, request, subscription

EMOJI = "😀"  # two UTF-16 units: a limit counted in code points lets these through
SIZES = {
    "emoji": EMOJI * 2000,
    "markup": "<&>" * 1500,  # escaping makes each character four or five
    "words": "average call duration " * 200,
}


def names(big: str) -> dict[str, str]:
    return dict.fromkeys(FIELDS, big)


def every_message(n: dict[str, str], widgets: int) -> Iterator[tuple[str, list, str | None]]:
    """(name, blocks, text) of every message builder, fed `n`."""
    rep = report(n, widgets=widgets)
    yield (
        "chart",
        messages.chart_message(rep, REQUESTER, "https://app", editable=True),
        messages.chart_fallback_text(rep),
    )
    period = Period(AT - timedelta(days=1), AT)
    digest = Digest(rep, period, "UTC", n["filter"], changes={i: n["change"] for i in range(widgets)})
    for reason in (None, n["reason"]):
        sub = subscription(n, paused_reason=reason)
        blocks = dn.digest_blocks(digest, sub, slot=AT, late=True, requester=None, app_url="https://a")
        yield "digest", blocks, dn.digest_text(digest, sub, late=True)
        yield "added", dm.added_blocks(sub, n["dashboard"], REQUESTER, [AT] * 3), dm.added_text(sub, n["dashboard"])
        yield "list", dm.list_blocks([sub] * 60, AT, n["other"]), None
        yield "paused", dn.paused_blocks(sub, n["reason"], 3), dn.paused_text(sub)
        yield "gave up", dn.gave_up_blocks(sub, AT, n["reason"]), dn.gave_up_text(sub)
    for state in State:
        req = request(n, state)
        yield f"request {state}", em.request_message(req), em.request_text(req)
    reqs = [request(n, State.PENDING)] * 60
    yield "pending", em.pending_list(reqs), em.receipt(reqs[0], "C1")
    dashboards = [DashboardSummary(id=i, name=n["dashboard"], widget_count=i) for i in range(180)]
    for page in messages.dashboards_pages(dashboards):
        yield "dashboards", page, None
    yield from alert_messages(n, count=widgets)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("widgets", [1, 12, 60])
def test_every_message_fits_slack_at_the_boundaries(size: str, widgets: int) -> None:
    for name, blocks, text in every_message(names(SIZES[size]), widgets):
        assert limit_errors(blocks, text) == [], name


@pytest.mark.parametrize("size", list(SIZES))
def test_modals_fit_slack(size: str) -> None:
    big = SIZES[size]
    widget = Widget(id=34, name=big, field=big, filters={"field": "metadata.x", "op": "eq", "value": big})
    for view in (edit_modal.widget_modal(widget, "C1"), edit_modal.problem_modal(RuntimeError(big))):
        assert view_limit_errors(view) == []
    assert view_limit_errors(edit_modal.reject_modal("ER-7F3K2")) == []


def test_a_big_dashboard_moves_what_does_not_fit_into_the_thread() -> None:
    rep = report(names("x" * 400), widgets=60)
    shown = messages.chart_layout(rep, REQUESTER, None)
    assert 10 <= shown.listed < 60 and limit_errors(shown.blocks) == []
    assert "their figures are with their charts in the thread" in json.dumps(shown.blocks)
    comments = [messages.thread_comment(rep, shown, first, min(first + 9, 60)) for first in range(11, 61, 10)]
    carried = sum(c.count("\n• ") for c in comments)
    assert shown.listed + carried == 60 + 1  # every widget, and the one that could not be charted
    assert all(units(c) <= messages.COMMENT_BUDGET for c in comments)


def _values(blocks: list[dict]) -> dict[str, str]:
    elements = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    return {e["action_id"]: e["value"] for e in elements if "value" in e}


def test_range_buttons_are_all_kept_or_all_left_out_with_a_note() -> None:
    def rep(filter_len: int) -> Report:
        where = {"field": "metadata.region", "op": "eq", "value": "é" * filter_len}
        return replace(report(names("x"), widgets=1), query=DataQuery(range=(7, "d"), where=where))

    # Find the filter with which Refresh (`7d`) just fits and `Last 30d` (`30d`) would not.
    size = next(n for n in range(1900, 2100) if len(messages.chart_value(rep(n), "30d")) > 2000)
    assert len(messages.chart_value(rep(size), "7d")) == 2000
    blocks = messages.chart_message(rep(size), REQUESTER, "https://app")
    assert _values(blocks) == {} and "Run the command again to refresh" in json.dumps(blocks)
    assert limit_errors(blocks) == []
    assert [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]] == ["Open in Cekura"]
    fits = messages.chart_message(rep(size - 2), REQUESTER, None)
    assert set(_values(fits)) == {ChartActions.REFRESH, *messages.RANGE_BUTTONS}
    assert all(len(v) <= 2000 for v in _values(fits).values())


def test_utf16_clipping_never_splits_an_emoji_or_an_entity() -> None:
    rep = report(names(EMOJI * 100 + "<>" * 2000), widgets=1)
    for block in messages.chart_message(rep, REQUESTER, None, editable=True):
        for text in [block.get("text", {}).get("text", "")] + [e.get("text", "") for e in block.get("elements", [])]:
            if isinstance(text, str):
                text.encode("utf-16-le")  # a lone surrogate would raise
                assert not text.rstrip("…").endswith(("&", "&l", "&lt", "&g", "&gt", "&a", "&am", "&amp"))


# -- the Slack sandbox refuses what Slack refuses --------------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as slack:
        yield slack


@pytest.fixture
def client(sandbox: SlackSandbox) -> WebClient:
    sandbox.reset()
    return WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)


def _error(call: object) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()  # type: ignore[operator]
    return str(caught.value.response["error"])


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_sandbox_refuses_oversize_messages_like_slack(client: WebClient) -> None:
    post = client.chat_postMessage
    assert _error(lambda: post(channel="C_GENERAL", text=EMOJI * 20_001)) == "msg_too_long"
    assert post(channel="C_GENERAL", text=EMOJI * 20_000)["ok"]
    over = [section("x" * 2400)] * 4 + [section(EMOJI * 1200 + "x")]  # 12,001 units, 11,201 code points
    assert _error(lambda: post(channel="C_GENERAL", text="t", blocks=over)) == "msg_blocks_too_long"
    assert post(channel="C_GENERAL", text="t", blocks=[section("x" * 2400)] * 5)["ok"]  # 12,000 exactly
    assert _error(lambda: post(channel="C_GENERAL", text="t", blocks=[section(EMOJI * 1501)])) == "invalid_blocks"
    assert _error(lambda: post(channel="C_GENERAL", text="t", blocks=[section("x")] * 51)) == "invalid_blocks"
    header = {"type": "header", "text": {"type": "plain_text", "text": EMOJI * 76}}
    assert _error(lambda: post(channel="C_GENERAL", text="t", blocks=[header])) == "invalid_blocks"
    option = {"text": {"type": "plain_text", "text": "o" * 76}, "value": "1"}
    menu = {"type": "static_select", "action_id": "a", "options": [option]}
    assert _error(lambda: post(channel="C_GENERAL", text="t", blocks=[{"type": "actions", "elements": [menu]}])) == (
        "invalid_blocks"
    )
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}
    assert _error(lambda: post(channel="C_GENERAL", text="t", blocks=[context])) == "invalid_blocks"


def test_sandbox_refuses_a_too_long_initial_comment(client: WebClient) -> None:
    upload = client.files_upload_v2
    assert _error(
        lambda: upload(content=b"a", filename="a.png", channel="C_GENERAL", initial_comment=EMOJI * 20_001)
    ) == ("msg_too_long")


def test_sandbox_response_urls_refuse_oversize_messages(sandbox: SlackSandbox) -> None:
    sandbox.reset()
    url = sandbox.response_url()
    big = httpx.post(url, json={"text": "t", "blocks": [section("x" * 2500)] * 5})
    assert (big.status_code, big.text) == (400, "msg_blocks_too_long")
    assert httpx.post(url, json={"text": "t", "blocks": [section("x" * 2500)] * 4}).status_code == 200


# -- end to end: a 60-widget dashboard with long, hostile names -------------------------------------


@pytest.mark.e2e
def test_a_60_widget_dashboard_of_hostile_names_posts_within_limits(h: Harness) -> None:
    board = "Board <!channel> <!here> <@U1> <https://evil|click>"
    h.cekura.dashboards[12]["name"] = board
    own = [w for w in h.cekura.widgets.values() if w["dashboard"] == 12]
    for i in range(60 - len(own)):
        clone = deepcopy(own[i % len(own)]) | {"id": 9000 + i}
        h.cekura.widgets[clone["id"]] = clone
    for i, widget in enumerate(w for w in h.cekura.widgets.values() if w["dashboard"] == 12):
        widget["name"] = f"{i} <!channel> {EMOJI * 120}"
    assert h.driver.command("dashboard 12", user="U_ALICE", channel="C_GENERAL").status == 200
    posted = h.wait_for_files(60, timeout=120)
    assert len(posted) == 6 and not [c for c in h.slack.calls() if c.error]
    for message in posted:
        assert leaks({"text": message.text, "blocks": message.blocks}, users=("U_ALICE",)) == []
        assert limit_errors(message.blocks or [], message.text) == []
    assert posted[1].text.startswith("Board &lt;!channel&gt; &lt;!here&gt; &lt;@U1&gt; &lt;https://evil|click&gt;")

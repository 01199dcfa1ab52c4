"""Nothing from Cekura or a user reaches Slack as markup: every builder and the poster, over hostile strings.

Hostile names, figures, filters, reasons and user input (`<!channel>`, `<@U1>`, `<https://evil|x>`, `&`,
backticks, unicode) go through every builder; no mrkdwn string of the output may keep markup the bot
did not write itself (tests/slack_checks.py: only mentions of the verified ids REQUESTER / APPROVER,
the channel CHANNEL and `<!date^…>` tokens are the bot's own). Plain-text fields show data literally.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient

from bot.cekura_models import DashboardSummary, Widget
from bot.dashboards import RenderedWidget, Report
from bot.digests import Subscription, parse_schedule
from bot.digests.build import Digest, Period
from bot.edits import EditRequest, HistoryEntry, Outcome, State, state_message
from bot.errors import CekuraRejected, FilterSyntaxError, NotFound, UpstreamError, UserError
from bot.query import DataQuery
from bot.sandbox.slack import SlackSandbox
from bot.slack.post import SlackPoster
from bot.slack.text import Mention, code, escape, md
from bot.slack.upload import ChartFile
from bot.widget_charts import WidgetView
from charts.spec import EmptyChart
from handlers import digest_messages as dm
from handlers import digest_notices as dn
from handlers import edit_messages as em
from handlers import edit_modal, messages
from handlers.commands import ROUTER
from handlers.errors import user_message
from tests.alerts.builders import alert_messages
from tests.slack_checks import APPROVER, CHANNEL, REQUESTER, hostile, leaks

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FIELDS = ("dashboard", "widget", "figure", "scope", "reason", "filter", "user", "change", "other")
names = st.fixed_dictionaries({key: hostile for key in FIELDS})


def report(n: dict[str, str], widgets: int = 12) -> Report:
    views = [WidgetView(i, f"{n['widget']} {i}", EmptyChart(n["widget"]), n["figure"]) for i in range(1, widgets + 1)]
    return Report(
        title=n["dashboard"],
        scope=n["scope"],
        query=DataQuery(range=(7, "d"), where={"field": "metadata.region", "op": "eq", "value": n["filter"]}),
        dashboard_id=12,
        widgets=[RenderedWidget(view, b"png") for view in views],
        failures=[(n["other"], n["reason"])],
        widget_count=widgets + 1,
    )


def subscription(n: dict[str, str], *, paused_reason: str | None) -> Subscription:
    return Subscription(
        id=7, channel=CHANNEL, dashboard_id=12, schedule=parse_schedule("daily 09:00"), tz="UTC", since="24h",
        where_text=n["filter"], skip_if_empty=True, only_if_changed=True, owner=REQUESTER,
        paused=paused_reason is not None, paused_reason=paused_reason, consecutive_failures=0,
        last_digest=None, last_slot=None, created_at=AT, updated_at=AT,
    )  # fmt: skip


def request(n: dict[str, str], state: State) -> EditRequest:
    decided = state is not State.PENDING and state is not State.EXPIRED
    return EditRequest(
        id="ER-1", kind="widget", object_id=34, dashboard_id=12, requester=REQUESTER, channel=CHANNEL,
        base_snapshot={"id": 34, "name": n["widget"], "chart_type": "bar", "field": n["other"]},
        changes={"name": n["change"], "field": n["filter"]}, state=state, state_version=2,
        created_at=AT, expires_at=AT + timedelta(days=1), decided_by=APPROVER if decided else None,
        decided_at=AT if decided else None, reason=n["reason"],
    )  # fmt: skip


def errors(n: dict[str, str]) -> list[BaseException]:
    unknown: BaseException = UserError("")
    try:
        ROUTER.match(n["user"] + " x")
    except UserError as exc:
        unknown = exc
    return [
        unknown,
        UserError(f"`digest list` takes `all` or nothing, not `{n['user']}`.", usage=f"/cekura {n['user']}"),
        UserError(n["user"], usage=ROUTER.help_text()),
        FilterSyntaxError(f"Unknown field {n['user']}", n["user"], 0, usage="/cekura dashboard <id>"),
        CekuraRejected(n["reason"]),
        UpstreamError("Cekura", n["reason"]),
        NotFound("dashboard", 12),
        RuntimeError(n["reason"]),
    ]


def outputs(n: dict[str, str]) -> Iterator[tuple[str, Any]]:
    """(name, payload) for every builder, fed `n` wherever it takes data."""
    rep = report(n)
    shown = messages.chart_layout(rep, REQUESTER, "https://app.cekura.ai", editable=True)
    yield "chart message", {"text": messages.chart_fallback_text(rep), "blocks": shown.blocks}
    for first in (11,):
        yield "thread comment", {"initial_comment": messages.thread_comment(rep, shown, first, 12)}
    yield "widget message", messages.chart_message(report(n, widgets=1), REQUESTER, None)
    dashboards = [DashboardSummary(id=i, name=f"{n['dashboard']}{i}", widget_count=i) for i in range(1, 4)]
    yield "dashboards", messages.dashboards_pages(dashboards)
    for exc in errors(n):
        text, blocks = user_message(exc)
        yield f"error {type(exc).__name__}", {"text": text, "blocks": blocks}
    yield "help", messages.text_blocks(ROUTER.help_text() + n["user"])
    yield from digest_outputs(n, rep)
    yield from edit_outputs(n)
    for name, blocks, text in alert_messages(n):
        yield f"alert {name}", {"text": text, "blocks": blocks}


def digest_outputs(n: dict[str, str], rep: Report) -> Iterator[tuple[str, Any]]:
    period = Period(AT - timedelta(days=1), AT)
    digest = Digest(rep, period, "UTC", n["filter"], changes={1: n["change"]}, no_comparison=n["reason"])
    for reason in (None, n["reason"], dm.pause_reason(REQUESTER), f"paused by <@{n['user']}>"):
        sub = subscription(n, paused_reason=reason)
        for requester in (None, REQUESTER):
            shown = dn.digest_layout(digest, sub, slot=AT, late=True, requester=requester, app_url="https://a")
            yield "digest", {"text": dn.digest_text(digest, sub, late=True), "blocks": shown.blocks}
        yield "digest comment", {"initial_comment": dn.digest_comment(digest, shown, 11, 12)}
        added = dm.added_blocks(sub, n["dashboard"], REQUESTER, [AT])
        yield "digest added", {"text": dm.added_text(sub, n["dashboard"]), "blocks": added}
        yield "digest changed", dm.changed_blocks(sub, md("was changed by {who}", who=Mention(REQUESTER)), [AT])
        yield "digest list", dm.list_blocks([sub] * 20, AT, n["other"])
        yield "digest paused", {"text": dn.paused_text(sub), "blocks": dn.paused_blocks(sub, n["reason"], 3)}
        gave_up = dn.gave_up_blocks(sub, AT, n["reason"])
        yield "digest gave up", {"text": dn.gave_up_text(sub), "blocks": gave_up}


def edit_outputs(n: dict[str, str]) -> Iterator[tuple[str, Any]]:
    for state in State:
        req = request(n, state)
        yield f"request {state}", {"text": em.request_text(req), "blocks": em.request_message(req)}
        yield f"receipt {state}", {"text": em.receipt(req, CHANNEL)}
        if state is not State.PENDING:
            yield f"outcome {state}", {"text": em.outcome_for_requester(req)}
        yield f"refusal {state}", {"text": em.refusal(Outcome(False, req, state_message(req)))}
        yield f"refusal other {state}", {"text": em.refusal(Outcome(False, req, n["reason"]))}
    reqs = [request(n, State.PENDING), request(n, State.APPLIED)]
    yield "pending list", em.pending_list(reqs)
    yield "history", em.history_list(n["other"], [HistoryEntry(reqs[1], AT, ())])
    widget = Widget(id=34, name=n["widget"], field=n["other"])
    yield "edit form", edit_modal.widget_modal(widget, CHANNEL)
    yield "problem modal", edit_modal.problem_modal(UserError(n["user"]))


@settings(max_examples=60, deadline=None)
@given(names)
def test_no_builder_lets_markup_from_data_through(n: dict[str, str]) -> None:
    for name, payload in outputs(n):
        assert leaks(payload) == [], name


@settings(max_examples=200, deadline=None)
@given(hostile)
def test_escaped_text_reads_back_as_the_data(text: str) -> None:
    shown = escape(text)
    assert "<" not in shown and ">" not in shown
    assert shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text
    assert escape(shown) == shown  # escaping Mrkdwn again changes nothing: no double escaping


@settings(max_examples=200, deadline=None)
@given(hostile)
def test_code_spans_hold_whatever_data_is_in_them(text: str) -> None:
    span = code(text)
    assert span.startswith("`") and span.endswith("`") and span.count("`") == 2
    assert leaks({"text": span}) == []


def test_a_data_mention_never_passes_for_the_bots_own() -> None:
    assert md("by {who}", who=Mention("U0REQ")) == "by <@U0REQ>"
    assert md("by {who}", who=Mention("U1><!channel")) == "by @U1&gt;&lt;!channel"
    assert md("by {who}", who="<@U0REQ>") == "by &lt;@U0REQ&gt;"


def test_plain_text_shows_data_literally() -> None:
    n = dict.fromkeys(FIELDS, "A & <B>")
    blocks = messages.chart_message(report(n, widgets=1), REQUESTER, None, editable=True)
    assert blocks[0]["text"] == {"type": "plain_text", "text": ":bar_chart: A & <B>", "emoji": True}
    menu = blocks[-1]["elements"][-1]
    assert menu["options"][0]["text"]["text"] == "A & <B> 1"
    assert "*A &amp; &lt;B&gt; 1* — A &amp; &lt;B&gt;" in blocks[2]["text"]["text"]


def test_the_boards_name_from_the_issue_reaches_no_text_raw() -> None:
    n = dict.fromkeys(FIELDS, "x")
    n["dashboard"] = "Board <!channel> <!here> <@U1> <https://evil|click>"
    rep = report(n)
    shown = messages.chart_layout(rep, REQUESTER, None)
    comment = messages.thread_comment(rep, shown, 11, 12)
    escaped = "Board &lt;!channel&gt; &lt;!here&gt; &lt;@U1&gt; &lt;https://evil|click&gt;"
    assert comment.startswith(f"{escaped} — charts 11–12")
    period = Period(AT - timedelta(days=1), AT)
    sub = subscription(n, paused_reason=None)
    assert "&lt;!channel&gt;" in dn.digest_text(Digest(rep, period, "UTC", ""), sub, late=False)
    assert "&lt;!channel&gt;" in dm.added_text(sub, n["dashboard"])


def test_unknown_command_echo_is_escaped() -> None:
    with pytest.raises(UserError) as caught:
        ROUTER.match("<!channel>")
    text, blocks = user_message(caught.value)
    assert 'I don\'t know the command "&lt;!channel&gt;"' in text
    assert leaks({"text": text, "blocks": blocks}) == []


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as slack:
        yield slack


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=names)
def test_poster_comments_and_texts_reach_slack_escaped(sandbox: SlackSandbox, n: dict[str, str]) -> None:
    """Through the Slack sandbox: the chart message, its thread comments and a plain post."""
    sandbox.reset()
    poster = SlackPoster(WebClient(token=sandbox.bot_token, base_url=sandbox.api_url), _Inline())
    rep = report(n, widgets=12)
    shown = messages.chart_layout(rep, REQUESTER, None)
    files = [ChartFile(f"w{w.view.widget_id}.png", w.view.title, b"\x89PNG") for w in rep.widgets]
    poster.post_charts(
        "C_GENERAL",
        text=messages.chart_fallback_text(rep),
        blocks=shown.blocks,
        files=files,
        more_text=lambda first, last: messages.thread_comment(rep, shown, first, last),
    )
    poster.post_message("C_GENERAL", text=messages.chart_fallback_text(rep), blocks=shown.blocks)
    poster.close()
    posted = [{"text": m.text, "blocks": m.blocks} for m in sandbox.messages]
    assert len(posted) == 3 and posted[1]["text"].startswith(messages.thread_comment(rep, shown, 11, 12)[:20])
    assert leaks(posted) == []


class _Inline:
    """An Executor that runs each task at once, so the test needs no threads."""

    def submit(self, fn: Any, *args: Any) -> Any:
        from concurrent.futures import Future

        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


@pytest.mark.e2e
@pytest.mark.parametrize(
    "text",
    [
        "<!channel>",
        "revert <!channel>",
        "dashboard <!here>",
        "digest list <@U1>",
        "digest pause <#C1>",
        'dashboard 12 where metadata.region = "<!channel> <https://evil|x>"',
    ],
)
def test_slash_command_echoes_reach_slack_escaped(h: Any, text: str) -> None:
    """Through the bot's HTTP endpoint: the ack, the later replies and any post escape what was typed."""
    ack = h.driver.command(text, user="U_ALICE", channel="C_GENERAL")
    assert ack.status == 200 and ack.json["text"]
    assert h.deps.wait_idle(60)
    posted = [{"text": m.text, "blocks": m.blocks} for m in h.slack.messages]
    replies = list(h.slack.responses)
    assert leaks([ack.json, *replies, *posted], users=("U_ALICE",), channel="C_GENERAL") == []


def test_only_the_boundary_makes_mrkdwn() -> None:
    """Mrkdwn is constructed in bot/slack/text.py only, and mrkdwn text objects in handlers/blocks.py only."""
    root = Path(__file__).resolve().parent.parent
    allowed = {root / "bot" / "slack" / "text.py", root / "handlers" / "blocks.py"}
    offenders = [
        str(path.relative_to(root))
        for folder in ("bot", "handlers", "charts")
        for path in (root / folder).rglob("*.py")
        if path not in allowed
        and "sandbox" not in path.parts
        and re.search(r"\bMrkdwn\(|[\"']type[\"']:\s*[\"']mrkdwn[\"']", path.read_text())
    ]
    assert offenders == []

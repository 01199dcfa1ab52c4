"""Whole Slack messages built from plain data: chart posts, lists, errors, help. No I/O here.

Every builder takes raw data (Cekura names, user input) and escapes it through bot/slack/text.py;
every message stays within Slack's limits (50 blocks, ~12,000 characters of block text), moving
what does not fit into the thread next to the charts it belongs to.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.cekura_models import DashboardSummary
from bot.dashboards import RenderedWidget, Report
from bot.errors import UserError
from bot.slack.text import Mention, Mrkdwn, clip, clip_mrkdwn, code, escape, fit, join, md, text_units, units
from handlers import blocks as bk
from handlers.ids import RANGE_BUTTONS, ChartActions, ChartBlocks, EditActions

BUTTON_VALUE_LIMIT = bk.BUTTON_VALUE_LIMIT
SCOPE_LIMIT = 1000  # the scope (range and filters) in a message's context line
LINE_LIMIT = 500  # one widget's line: ten always fit beside the charts they describe
THREAD_LINE_LIMIT = 300  # one widget's line in a thread comment
COMMENT_BUDGET = 4000  # a thread comment is a message `text`; Slack advises at most 4,000
TITLE_LIMIT = 200  # a dashboard's name inside a line of text
LIST_NAME_LIMIT = 100  # a dashboard's name in `/cekura dashboards`
LIST_PAGES = 4  # a response_url takes 5 posts; the command's receipt was the ack
NO_BUTTONS = md(
    "_Refresh and the range buttons are left out: the filter is too long for a Slack button. "
    "Run the command again to refresh._"
)


@dataclass(frozen=True)
class Layout:
    """A message's blocks, and how many widget lines it lists (the rest go with their charts in the thread)."""

    blocks: list[bk.SlackBlock]
    listed: int
    dropped_failures: list[Mrkdwn]
    # The widgets whose charts go with the message (widgets with no data are named, not drawn).
    widgets: list[RenderedWidget] = field(default_factory=list)


def plural(n: int, word: str, words: str | None = None) -> str:
    """`1 chart`, `2 charts`, `no charts`."""
    many = words or f"{word}s"
    return f"no {many}" if n == 0 else f"{n} {word if n == 1 else many}"


def drawn_only(report: Report) -> tuple[Report, list[str]]:
    """The report without its widgets that have no data, and their titles (one identical image each says nothing)."""
    empty = [w.view.title for w in report.widgets if w.view.is_empty]
    if not empty:
        return report, []
    return replace(report, widgets=[w for w in report.widgets if not w.view.is_empty]), empty


def empty_lines(report: Report, empty: Sequence[str], advice: str) -> list[Mrkdwn]:
    """What to say about the widgets with no data: one line naming them, or why the whole message has no chart."""
    if not empty:
        return []
    if report.widgets or report.failures:
        names = join([md("*{t}*", t=clip(t, TITLE_LIMIT)) for t in empty], ", ")
        return [clip_mrkdwn(md("• No data in this range for {names}.", names=names), LINE_LIMIT * 2)]
    which = "this widget" if len(empty) == 1 else f"any of the {len(empty)} widgets"
    scope = clip(report.scope, SCOPE_LIMIT)
    return [
        md(
            ":information_source: *No data* for {which}: nothing matched {scope}. {advice}",
            which=which,
            scope=scope,
            advice=advice,
        )
    ]


def chart_value(report: Report, since: str | None) -> str:
    """The button value that re-posts this report, optionally with another range (compact JSON)."""
    payload: dict[str, object] = {"w": report.widget_id} if report.widget_id is not None else {"d": report.dashboard_id}
    if since:
        payload["s"] = since
    if report.query.where_text:
        payload["q"] = report.query.where_text
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def edit_menu(report: Report) -> bk.SlackBlock:
    """A menu to propose an edit to one of the charted widgets."""
    return {
        "type": "static_select",
        "action_id": EditActions.EDIT_WIDGET,
        "placeholder": bk.plain("Edit a widget…", bk.PLACEHOLDER_LIMIT, emoji=None),
        "options": [bk.option(w.view.title, str(w.view.widget_id)) for w in report.widgets[:100]],
    }


def _repost_buttons(report: Report) -> list[bk.SlackBlock] | None:
    """Refresh and the range buttons, or None when a value would pass Slack's 2,000 characters."""
    values = {ChartActions.REFRESH: ("Refresh", chart_value(report, report.query.since_text))}
    values |= {action: (label, chart_value(report, since)) for action, (label, since) in RANGE_BUTTONS.items()}
    if any(units(value) > BUTTON_VALUE_LIMIT for _, value in values.values()):
        return None
    return [bk.button(label, action, value) for action, (label, value) in values.items()]


def chart_controls(report: Report, app_url: str | None, editable: bool = False) -> list[bk.SlackBlock]:
    """The buttons under a chart message (and a note when the re-post buttons cannot carry the filter)."""
    out: list[bk.SlackBlock] = []
    elements: list[bk.SlackBlock] = []
    if report.dashboard_id is not None or report.widget_id is not None:
        buttons = _repost_buttons(report)
        if buttons is None:
            out.append(bk.context(NO_BUTTONS))
        else:
            elements += buttons
    if app_url and report.dashboard_id is not None:
        url = f"{app_url.rstrip('/')}/dashboards/{report.dashboard_id}"
        elements.append(bk.button("Open in Cekura", ChartActions.OPEN_IN_CEKURA, url=url))
    if editable and report.widgets:
        elements.append(edit_menu(report))
    if elements:
        out.append(bk.actions(elements, block_id=ChartBlocks.ACTIONS))
    return out


def figure_line(title: str, figure: str, extra: Mrkdwn | None = None) -> Mrkdwn:
    """`• *name* — key figure`, data escaped."""
    line = md("• *{title}* — {figure}{extra}", title=title, figure=figure, extra=extra or md(""))
    return clip_mrkdwn(line, LINE_LIMIT)


def failure_lines(report: Report) -> list[Mrkdwn]:
    """One line per widget that could not be charted."""
    return [
        clip_mrkdwn(md("• :warning: *{t}* — not charted: {why}", t=title, why=why), LINE_LIMIT)
        for title, why in report.failures
    ]


def figure_lines(report: Report) -> list[Mrkdwn]:
    """One line per widget: its name and key figure."""
    return [figure_line(w.view.title, w.view.key_figure) for w in report.widgets]


def layout(
    head: list[bk.SlackBlock],
    lines: list[Mrkdwn],
    failures: list[Mrkdwn],
    tail: list[bk.SlackBlock],
    *,
    thread: bool,
) -> Layout:
    """`head`, as many lines as Slack's size limits allow, a note on the rest, then `tail`."""
    note_room = 400
    budget = bk.MESSAGE_BUDGET - text_units([*head, *tail]) - note_room
    room = bk.MESSAGE_BLOCKS - len(head) - len(tail) - 1
    everything = [*lines, *failures]
    count = fit(everything, max(budget, 0))
    body = bk.sections(everything[:count])
    while len(body) > room:
        count -= 1
        body = bk.sections(everything[:count])
    listed = min(count, len(lines))
    dropped = failures[max(count - len(lines), 0) :]
    notes: list[Mrkdwn] = []
    if listed < len(lines):
        notes.append(
            md(
                "{n} not listed here (Slack's message size); their figures are with their charts in the thread.",
                n=plural(len(lines) - listed, "more widget is", "more widgets are"),
            )
        )
    if dropped:
        verb = "is" if len(dropped) == 1 else "are"
        where = f"{verb} listed in the thread" if thread else f"{verb} not listed (Slack's message size)"
        notes.append(md("{n} that could not be charted {where}.", n=plural(len(dropped), "widget"), where=where))
    if not everything:
        body = [bk.section(md("_This dashboard has no widgets yet._"))]
    extra = [bk.context(*[md("_{n}_", n=note) for note in notes])] if notes else []
    return Layout([*head, *body, *extra, *tail], listed, dropped)


SINCE_ADVICE = md("Try a longer range (e.g. {eg}) or fewer conditions.", eg=code("since 30d"))


def chart_layout(report: Report, requester: str, app_url: str | None, editable: bool = False) -> Layout:
    """The message that carries a dashboard's (or widget's) charts, and what it left to the thread."""
    full = report
    report, empty = drawn_only(report)
    kind = "Widget" if report.widget_id is not None else "Dashboard"
    ident = report.widget_id if report.widget_id is not None else report.dashboard_id
    who, scope = Mention(requester), clip(report.scope, SCOPE_LIMIT)
    head = [
        bk.header(f":bar_chart: {report.title}"),
        bk.context(
            md("{kind} {ident} · requested by {who} · {scope}", kind=kind, ident=ident, who=who, scope=scope)
            if ident is not None
            else md("Requested by {who} · {scope}", who=who, scope=scope)
        ),
    ]
    tail = []
    if len(report.widgets) > 10:
        others = len(report.widgets) - 10
        tail.append(bk.context(md("Charts 1–10 are attached here; the other {n} are in the thread.", n=others)))
    tail += chart_controls(full, app_url, editable)
    failures = [*empty_lines(report, empty, SINCE_ADVICE), *failure_lines(report)]
    shown = layout(head, figure_lines(report), failures, tail, thread=len(report.widgets) > 10)
    return replace(shown, widgets=report.widgets)


def chart_message(report: Report, requester: str, app_url: str | None, editable: bool = False) -> list[bk.SlackBlock]:
    """The message that carries a dashboard's (or widget's) charts."""
    return chart_layout(report, requester, app_url, editable).blocks


def thread_comment(report: Report, shown: Layout, first: int, last: int, lines: Sequence[Mrkdwn] = ()) -> Mrkdwn:
    """The comment on charts `first`–`last` in the thread, with the lines the main message had no room for."""
    report, _ = drawn_only(report)
    total = len(report.widgets)
    title = clip(report.title, TITLE_LIMIT)
    head = md("{title} — charts {first}–{last} of {total}", title=title, first=first, last=last, total=total)
    own = list(lines) or figure_lines(report)
    extra = [clip_mrkdwn(line, THREAD_LINE_LIMIT) for line in own[max(first - 1, shown.listed) : last]]
    if last >= total:
        extra += [clip_mrkdwn(line, THREAD_LINE_LIMIT) for line in shown.dropped_failures]
    count = fit(extra, COMMENT_BUDGET - units(head) - 100)
    more = [md("…and {n} more, not listed (Slack's message size).", n=len(extra) - count)] if count < len(extra) else []
    return join([head, *extra[:count], *more])


def chart_fallback_text(report: Report) -> Mrkdwn:
    """Notification text for a chart message: what it shows, over which range and filters."""
    report, empty = drawn_only(report)
    scope, title = clip(report.scope, SCOPE_LIMIT), clip(report.title, TITLE_LIMIT)
    if empty and not report.widgets:
        return bk.fallback(md("{title}: no data in this range ({scope}).", title=title, scope=scope))
    charts = plural(len(report.widgets), "chart")
    more = md(", no data for {n}", n=plural(len(empty), "widget")) if empty else md("")
    return bk.fallback(md("{title}: {charts}{more} ({scope}).", title=title, charts=charts, more=more, scope=scope))


def dashboards_pages(dashboards: Sequence[DashboardSummary]) -> list[list[bk.SlackBlock]]:
    """The dashboards the key can see, as ephemeral messages (one page each, within Slack's limits)."""
    if not dashboards:
        return [[bk.section(md("This API key cannot see any dashboard yet. Create one in Cekura first."))]]
    rest = [
        md(
            "• {id} {name}{count}",
            id=code(str(d.id)),
            name=clip(d.name or "Untitled", LIST_NAME_LIMIT),
            count=md(" — {n} widget{s}", n=d.count, s="s" if d.count != 1 else "") if d.count is not None else "",
        )
        for d in sorted(dashboards, key=lambda d: d.id)
    ]
    pages: list[list[bk.SlackBlock]] = []
    footer = bk.context(md("Post one with {usage}.", usage=code("/cekura dashboard <id>")))
    while rest and len(pages) < LIST_PAGES:
        title = md("*Dashboards you can post* ({n})", n=len(dashboards)) if not pages else md("_…continued_")
        count = max(fit(rest, bk.MESSAGE_BUDGET - 500), 1)
        body = bk.sections(rest[:count])[: bk.MESSAGE_BLOCKS - 3]
        pages.append([bk.section(title), *body])
        rest = rest[count:]
    if rest:
        pages[-1].append(bk.context(md("…and {n} more, not listed (too many for Slack).", n=len(rest))))
    pages[-1].append(footer)
    return pages


def error_text(exc: BaseException) -> Mrkdwn:
    """An error's message as mrkdwn: bot errors quote user input and Cekura's words, so it is all escaped."""
    return bk.fallback(escape(str(exc)))


def user_error(exc: UserError) -> list[bk.SlackBlock]:
    """An ephemeral answer to bad input: what was wrong, then the right usage."""
    out = [bk.section(md(":warning: {message}", message=sentence(str(exc))))]
    if exc.usage and ("\n" in exc.usage or "`" in exc.usage):
        # Usage that already marks its examples as code is shown as written: backticks do not nest.
        out.append(bk.section(escape(exc.usage)) if "\n" in exc.usage else bk.context(escape(exc.usage)))
    elif exc.usage:
        out.append(bk.context(md("Usage: {usage}", usage=code(exc.usage))))
    return out


def sentence(text: str) -> str:
    """`text` with its first line ending in a full stop (messages from deep down may lack one)."""
    first, newline, rest = text.partition("\n")
    if first and first.rstrip()[-1:] not in (".", "?", "!", "…", ":", "`"):
        first = first.rstrip() + "."
    return first + newline + rest


def text_blocks(text: str) -> list[bk.SlackBlock]:
    """Bot-written text (help, usage) that mentions `<id>` placeholders, as sections Slack shows literally."""
    return bk.sections([escape(line) for line in text.splitlines()])

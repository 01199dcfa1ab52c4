"""The digest's own messages, from pure builders: the digest itself, its thread comment, the channel's
notice when a slot failed, and the owner's DM when a digest paused itself.

    shown = digest_layout(digest, sub, slot=slot, late=False, requester=None, app_url=url)

The words the digest's other messages share (its summary, status, buttons) are in handlers/digest_messages.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.digests.build import Digest
from bot.digests.store import Subscription
from bot.digests.zones import when
from bot.slack.text import ChannelRef, Mention, Mrkdwn, clip, code, escape, md
from handlers import blocks as bk
from handlers.digest_messages import REASON_LIMIT, TITLE_LIMIT, DigestActions
from handlers.messages import (
    SCOPE_LIMIT,
    Layout,
    chart_controls,
    drawn_only,
    empty_lines,
    failure_lines,
    figure_line,
    layout,
    plural,
    thread_comment,
)

DIGEST_ADVICE = md("The digest runs again at its next time; its filters are below.")


def span(start: datetime, end: datetime, tz: str) -> str:
    """'Mon 2 Jun 09:00 – Tue 3 Jun 09:00 (Europe/Berlin)' (plain text: escape it where it goes)."""
    return f"{when(start, tz)} – {when(end, tz)} ({tz})"


def _drawn(digest: Digest) -> tuple[Digest, list[str]]:
    """The digest without its widgets that have no data (they are named instead), and their titles."""
    report, empty = drawn_only(digest.report)
    return (replace(digest, report=report) if empty else digest), empty


def digest_lines(digest: Digest) -> list[Mrkdwn]:
    """One line per charted widget: its key figure and its change against the previous period."""
    digest, _ = _drawn(digest)
    versus = f" vs the previous {digest.period.words()}"
    return [
        figure_line(
            w.view.title,
            w.view.key_figure,
            md(" · {change}{versus}", change=digest.changes[w.view.widget_id], versus=versus)
            if w.view.widget_id in digest.changes
            else None,
        )
        for w in digest.report.widgets
    ]


def digest_layout(
    digest: Digest, sub: Subscription, *, slot: datetime, late: bool, requester: str | None, app_url: str | None
) -> Layout:
    """The digest message (header, period, figures with their changes, filter stamp, buttons) and its overflow."""
    full = digest.report
    digest, empty = _drawn(digest)
    report, period = digest.report, digest.period
    origin = md("sent on request by {who}", who=Mention(requester)) if requester else escape(sub.describe())
    head: list[bk.SlackBlock] = [
        bk.header(f":newspaper: {report.title}"),
        bk.context(
            md(
                "*Digest {id}* · dashboard {dashboard} · {span} · {origin}",
                id=sub.id,
                dashboard=sub.dashboard_id,
                span=span(period.start, period.end, sub.tz),
                origin=origin,
            )
        ),
    ]
    if late:
        head.append(
            bk.context(
                md(
                    ":hourglass: *Late* — due {due} ({tz}); I was not running then, so it comes now.",
                    due=when(slot, sub.tz),
                    tz=sub.tz,
                )
            )
        )
    tail: list[bk.SlackBlock] = []
    if digest.no_comparison:
        tail.append(bk.context(md("_{why}_", why=digest.no_comparison)))
    filters = clip(digest.filter_words, SCOPE_LIMIT)
    tail.append(bk.context(md("Filters: {filters} · times in {tz}", filters=filters, tz=sub.tz)))
    if len(report.widgets) > 10:
        others = len(report.widgets) - 10
        tail.append(bk.context(md("Charts 1–10 are attached here, the other {n} in the thread.", n=others)))
    tail += chart_controls(full, app_url)
    tail.append(
        bk.context(
            md(
                "{pause} pauses it · {listing} lists them all",
                pause=code(f"/cekura digest pause {sub.id}"),
                listing=code("/cekura digest list"),
            )
        )
    )
    lines = digest_lines(digest)
    failures = [*empty_lines(report, empty, DIGEST_ADVICE), *failure_lines(report)]
    shown = layout(head, lines, failures, tail, thread=len(report.widgets) > 10)
    return replace(shown, widgets=report.widgets)


def digest_blocks(
    digest: Digest, sub: Subscription, *, slot: datetime, late: bool, requester: str | None, app_url: str | None
) -> list[bk.SlackBlock]:
    """The digest message: header, period, figures with their changes, filter stamp, buttons."""
    return digest_layout(digest, sub, slot=slot, late=late, requester=requester, app_url=app_url).blocks


def digest_comment(digest: Digest, shown: Layout, first: int, last: int) -> Mrkdwn:
    """The comment on a digest's charts `first`–`last` in its thread."""
    return thread_comment(digest.report, shown, first, last, digest_lines(digest))


def digest_text(digest: Digest, sub: Subscription, *, late: bool) -> Mrkdwn:
    """Notification text of a digest."""
    period = span(digest.period.start, digest.period.end, sub.tz)
    late_word = "(late) " if late else ""
    title = clip(digest.report.title, TITLE_LIMIT)
    drawn, empty = _drawn(digest)
    if empty and not drawn.report.widgets:
        what = md("no data in this period")
    else:
        what = md("{n}", n=plural(len(drawn.report.widgets), "chart"))
    return bk.fallback(
        md("{late}Digest: {title}, {period}: {what}.", late=late_word, title=title, period=period, what=what)
    )


def paused_text(sub: Subscription) -> Mrkdwn:
    """Notification text of the pause DM."""
    return md(
        "Your digest {id} to {channel} paused itself after repeated failures.",
        id=sub.id,
        channel=ChannelRef(sub.channel),
    )


def paused_blocks(sub: Subscription, reason: str, failures: int) -> list[bk.SlackBlock]:
    """The owner's DM: the digest paused itself, why, and how to resume it."""
    return [
        bk.section(
            md(
                ":double_vertical_bar: Your digest {id} (dashboard {dashboard} to {channel}, {schedule}) paused "
                "itself: {failures} deliveries in a row failed.\n*Last error:* {reason}",
                id=sub.id,
                dashboard=sub.dashboard_id,
                channel=ChannelRef(sub.channel),
                schedule=sub.describe(),
                failures=failures,
                reason=clip(reason, REASON_LIMIT),
            )
        ),
        bk.section(
            md(
                "Fix the cause — e.g. invite me with `/invite @cekura`, or unarchive the channel — then resume it "
                "with {resume} or the button. {remove} deletes it.",
                resume=code(f"/cekura digest resume {sub.id}"),
                remove=code(f"/cekura digest remove {sub.id}"),
            )
        ),
        bk.actions([bk.button("Resume", DigestActions.RESUME, str(sub.id), style="primary")]),
    ]


def gave_up_text(sub: Subscription) -> Mrkdwn:
    """Notification text of a failed slot."""
    return md("Digest {id} could not be delivered this time.", id=sub.id)


def gave_up_blocks(sub: Subscription, slot: datetime, reason: str) -> list[bk.SlackBlock]:
    """The channel's notice that one slot failed after every retry (an outage, not the digest's fault)."""
    return [
        bk.section(
            md(
                ":warning: The digest of dashboard {dashboard} due {due} ({tz}) could not be built: {reason}\n"
                "{run} tries again now; the schedule goes on.",
                dashboard=sub.dashboard_id,
                due=when(slot, sub.tz),
                tz=sub.tz,
                reason=clip(reason, REASON_LIMIT),
                run=code(f"/cekura digest run {sub.id}"),
            )
        ),
        bk.actions([bk.button("Send now", DigestActions.RUN, str(sub.id))]),
    ]

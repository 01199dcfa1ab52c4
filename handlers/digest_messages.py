"""Block Kit for digests: the digest itself, confirmations, the list, the pause DM. Pure functions, no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from bot.digests.build import Digest
from bot.digests.ledger import Delivery
from bot.digests.store import Subscription
from bot.digests.tables import DeliveryState
from bot.digests.zones import when
from handlers import blocks as bk
from handlers.messages import chart_actions

_MENTION = re.compile(r"&lt;@([UW][A-Z0-9_]+)&gt;")
LIST_BUTTONS = 15  # digests listed with their own buttons; the rest as plain lines (50 blocks at most)


class DigestActions(StrEnum):
    """Buttons on digest lists and notices; each button's value is the digest id."""

    RUN = "digest_run"
    PAUSE = "digest_pause"
    RESUME = "digest_resume"
    REMOVE = "digest_remove"


def summary(sub: Subscription) -> str:
    """The subscription in plain words: schedule, period, conditions and options."""
    parts = [sub.describe()]
    parts.append(f"covering the last {sub.since}" if sub.since else "covering the time since the previous digest")
    if sub.where_text:
        parts.append(f"where `{bk.escape(sub.where_text)}`")
    if sub.skip_if_empty:
        parts.append("skipped when every widget is empty")
    if sub.only_if_changed:
        parts.append("only when the data changed")
    return " · ".join(parts)


def span(start: datetime, end: datetime, tz: str) -> str:
    """'Mon 2 Jun 09:00 – Tue 3 Jun 09:00 (Europe/Berlin)'."""
    return f"{when(start, tz)} – {when(end, tz)} ({tz})"


def digest_blocks(
    digest: Digest, sub: Subscription, *, slot: datetime, late: bool, requester: str | None, app_url: str | None
) -> list[bk.SlackBlock]:
    """The digest message: header, period, figures with their changes, filter stamp, buttons."""
    report, period = digest.report, digest.period
    origin = f"sent on request by <@{requester}>" if requester else bk.escape(sub.describe())
    out: list[bk.SlackBlock] = [
        bk.header(f":newspaper: {report.title}"),
        bk.context(
            f"*Digest {sub.id}* · dashboard {sub.dashboard_id} · {span(period.start, period.end, sub.tz)} · {origin}"
        ),
    ]
    if late:
        out.append(
            bk.context(
                f":hourglass: *Late* — due {when(slot, sub.tz)} ({sub.tz}); I was not running then, so it comes now."
            )
        )
    versus = f" vs the previous {period.words()}"
    lines = [
        f"• *{bk.escape(w.view.title)}* — {bk.escape(w.view.key_figure)}"
        + (f" · {digest.changes[w.view.widget_id]}{versus}" if w.view.widget_id in digest.changes else "")
        for w in report.widgets
    ]
    lines += [f"• :warning: *{bk.escape(title)}* — not charted: {bk.escape(why)}" for title, why in report.failures]
    out.extend(bk.sections(lines)[:38] if lines else [bk.section("_This dashboard has no widgets yet._")])
    if digest.no_comparison:
        out.append(bk.context(f"_{bk.escape(digest.no_comparison)}_"))
    out.append(bk.context(f"Filters: {bk.escape(digest.filter_words)} · times in {sub.tz}"))
    if len(report.widgets) > 10:
        out.append(bk.context(f"Charts 1–10 are attached here, the other {len(report.widgets) - 10} in the thread."))
    buttons = chart_actions(report, app_url)
    if buttons:
        out.append(buttons)
    out.append(bk.context(f"`/cekura digest pause {sub.id}` pauses it · `/cekura digest list` lists them all"))
    return out


def digest_text(digest: Digest, sub: Subscription, *, late: bool) -> str:
    """Notification text of a digest."""
    period = span(digest.period.start, digest.period.end, sub.tz)
    return f"{'(late) ' if late else ''}Digest: {digest.report.title}, {period}"


def added_blocks(sub: Subscription, title: str, requester: str, times: Sequence[datetime]) -> list[bk.SlackBlock]:
    """The channel's notice that a digest was set up, with its next three send times."""
    upcoming = ", ".join(when(moment, sub.tz) for moment in times) or "none (the schedule never fires again)"
    return [
        bk.section(
            f":newspaper: <@{requester}> subscribed this channel to *{bk.escape(title)}* "
            f"(dashboard {sub.dashboard_id}) — digest {sub.id}.\n{summary(sub)}.\n"
            f"*Next:* {upcoming} ({sub.tz})"
        ),
        manage_context(sub),
    ]


def changed_blocks(sub: Subscription, what: str, times: Sequence[datetime] = ()) -> list[bk.SlackBlock]:
    """A confirmation that digest `sub` was edited, paused, resumed or removed (`what` says which)."""
    text = f"Digest {sub.id} (dashboard {sub.dashboard_id} to <#{sub.channel}>) {what}."
    if times:
        text += f"\n{summary(sub)}.\n*Next:* {', '.join(when(t, sub.tz) for t in times)} ({sub.tz})"
    return [bk.section(text)]


def manage_context(sub: Subscription) -> bk.SlackBlock:
    """How to manage a digest, in one line."""
    return bk.context(
        f"`/cekura digest run {sub.id}` sends it now · `pause {sub.id}` · `edit {sub.id} …` · "
        f"`remove {sub.id}` · `/cekura digest list`"
    )


def _status(sub: Subscription, now: datetime) -> str:
    if sub.paused:
        # Escaped like any text, except user mentions ("paused by <@U123>") which should render.
        reason = _MENTION.sub(r"<@\1>", bk.escape(sub.paused_reason or "paused by hand"))
        return f":double_vertical_bar: *paused* — {reason}"
    upcoming = sub.next_times(now, 1)
    return f"next {when(upcoming[0], sub.tz)} ({sub.tz})" if upcoming else "no further sends"


def _buttons(sub: Subscription) -> bk.SlackBlock:
    value = str(sub.id)
    toggle = (
        bk.button("Resume", DigestActions.RESUME, value, style="primary")
        if sub.paused
        else bk.button("Pause", DigestActions.PAUSE, value)
    )
    remove = bk.button("Remove", DigestActions.REMOVE, value, style="danger")
    remove["confirm"] = {
        "title": {"type": "plain_text", "text": f"Remove digest {sub.id}?"},
        "text": {"type": "mrkdwn", "text": "The channel stops getting it. This cannot be undone."},
        "confirm": {"type": "plain_text", "text": "Remove"},
        "deny": {"type": "plain_text", "text": "Keep it"},
    }
    return bk.actions([bk.button("Send now", DigestActions.RUN, value), toggle, remove], block_id=f"digest_{sub.id}")


def list_blocks(subs: Sequence[Subscription], now: datetime, where: str) -> list[bk.SlackBlock]:
    """The digests of a channel (or all of them), each with its status and buttons."""
    if not subs:
        return [bk.section(f"No digests {where} yet. Add one with `/cekura digest add dashboard <id> daily 09:00`.")]
    out = [bk.section(f"*Digests {where}* ({len(subs)})")]
    for sub in subs[:LIST_BUTTONS]:
        out.append(bk.section(_line(sub, now)))
        out.append(_buttons(sub))
    rest = [f"• {_line(sub, now)}" for sub in subs[LIST_BUTTONS:]]
    out.extend(bk.sections(rest)[: 49 - len(out)])
    return out


def _line(sub: Subscription, now: datetime) -> str:
    return f"*{sub.id}* · dashboard {sub.dashboard_id} to <#{sub.channel}> · {summary(sub)}\n{_status(sub, now)}"


def paused_text(sub: Subscription) -> str:
    """Notification text of the pause DM."""
    return f"Your digest {sub.id} to <#{sub.channel}> paused itself after repeated failures."


def paused_blocks(sub: Subscription, reason: str, failures: int) -> list[bk.SlackBlock]:
    """The owner's DM: the digest paused itself, why, and how to resume it."""
    return [
        bk.section(
            f":double_vertical_bar: Your digest {sub.id} (dashboard {sub.dashboard_id} to <#{sub.channel}>, "
            f"{bk.escape(sub.describe())}) paused itself: {failures} deliveries in a row failed.\n"
            f"*Last error:* {bk.escape(reason)}"
        ),
        bk.section(
            "Fix the cause — e.g. invite me with `/invite @cekura`, or unarchive the channel — then resume it "
            f"with `/cekura digest resume {sub.id}` or the button. `/cekura digest remove {sub.id}` deletes it."
        ),
        bk.actions([bk.button("Resume", DigestActions.RESUME, str(sub.id), style="primary")]),
    ]


def gave_up_text(sub: Subscription) -> str:
    """Notification text of a failed slot."""
    return f"Digest {sub.id} could not be delivered this time."


def gave_up_blocks(sub: Subscription, slot: datetime, reason: str) -> list[bk.SlackBlock]:
    """The channel's notice that one slot failed after every retry (an outage, not the digest's fault)."""
    return [
        bk.section(
            f":warning: The digest of dashboard {sub.dashboard_id} due {when(slot, sub.tz)} ({sub.tz}) could not "
            f"be built: {bk.escape(reason)}\n`/cekura digest run {sub.id}` tries again now; the schedule goes on."
        ),
        bk.actions([bk.button("Send now", DigestActions.RUN, str(sub.id))]),
    ]


_STATE_WORDS = {
    DeliveryState.SENT: ":white_check_mark: sent",
    DeliveryState.SKIPPED: ":fast_forward: skipped",
    DeliveryState.FAILED: ":x: failed",
    DeliveryState.CLAIMED: ":hourglass_flowing_sand: being delivered",
}


def _seconds(row: Delivery) -> str:
    if row.finished_at is None:
        return ""
    took = (row.finished_at - row.claimed_at).total_seconds()
    return f"took {took:.1f} s" if took < 120 else f"took {took / 60:.0f} min"


def delivery_line(row: Delivery, channel: str, tz: str, link: str | None, max_attempts: int) -> str:
    """One ledger row in words: slot, state, late, attempts, duration, why, and the message link.

    `link`: the message's permalink; "" when Slack could not give one; None when there is no message.
    """
    parts = [f"*{when(row.slot, tz)}*", _STATE_WORDS[row.state]]
    if row.late:
        parts.append("late")
    if row.state is DeliveryState.FAILED:
        parts.append(f"attempt {row.attempts} of {max_attempts}")
    elif row.attempts > 1:
        parts.append(f"on attempt {row.attempts}")
    if took := _seconds(row):
        parts.append(took)
    if link:
        parts.append(f"<{link}|the message>")
    elif link == "":
        parts.append("no link: Slack did not give one just now")
    elif row.state is DeliveryState.SENT and row.message_ts:
        parts.append("the message is gone (deleted?)")
    elif row.state is DeliveryState.SENT:
        parts.append(f"posted in <#{channel}>")  # a post of up to 10 charts does not learn its ts
    line = " · ".join(parts)
    if row.error:
        line += f"\n    _{bk.escape(bk.clip(row.error, 300))}_"
    return f"• {line}"


def log_text(sub: Subscription, rows: Sequence[Delivery]) -> str:
    """Notification text of a digest's delivery log."""
    return f"Digest {sub.id}: the last {len(rows)} deliveries" if rows else f"Digest {sub.id} has no deliveries yet"


def log_blocks(
    sub: Subscription, rows: Sequence[Delivery], links: dict[int, str], now: datetime, max_attempts: int
) -> list[bk.SlackBlock]:
    """The last deliveries of a digest, newest first: the answer to "why didn't it arrive?"."""
    title = f"*Digest {sub.id}* (dashboard {sub.dashboard_id} to <#{sub.channel}>) — {_status(sub, now)}"
    if not rows:
        return [bk.section(f"{title}\nNo deliveries yet: nothing has been due since it was set up.")]
    lines = [delivery_line(row, sub.channel, sub.tz, links.get(row.id), max_attempts) for row in rows]
    return [
        bk.section(f"{title}\nThe last {len(rows)} deliveries, newest first (times in {sub.tz}):"),
        *bk.sections(lines),
        manage_context(sub),
    ]

"""What digests say in Slack around the digest itself, from pure builders: a subscription in words,
confirmations, the list of digests and a digest's delivery log.

    blocks = list_blocks(subs, now, "in #general")

The digest itself, a failed slot's notice and the pause DM are in handlers/digest_notices.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from bot.digests.records import Delivery
from bot.digests.store import Subscription
from bot.digests.tables import DeliveryState
from bot.digests.zones import when
from bot.slack.text import ChannelRef, Mention, Mrkdwn, clip, clip_mrkdwn, code, escape, fit, join, md, text_units
from bot.slack.text import link as slack_link
from handlers import blocks as bk

_PAUSED_BY = re.compile(r"paused by <@([UW][A-Z0-9_]+)>")
LIST_BUTTONS = 15  # digests listed with their own buttons; the rest as plain lines (50 blocks at most)
LIST_LINE_LIMIT = 500  # one digest in a list: fifteen with buttons stay within Slack's message size
TITLE_LIMIT = 300
REASON_LIMIT = 1500
WHERE_LIMIT = 300


class DigestActions(StrEnum):
    """Buttons on digest lists and notices; each button's value is the digest id."""

    RUN = "digest_run"
    PAUSE = "digest_pause"
    RESUME = "digest_resume"
    REMOVE = "digest_remove"


def summary(sub: Subscription) -> Mrkdwn:
    """The subscription in plain words: schedule, period, conditions and options."""
    parts = [escape(sub.describe())]
    parts.append(
        md("covering the last {since}", since=sub.since)
        if sub.since
        else md("covering the time since the previous digest")
    )
    if sub.where_text:
        parts.append(md("where {filter}", filter=code(clip(sub.where_text, WHERE_LIMIT))))
    if sub.skip_if_empty:
        parts.append(md("skipped when every widget is empty"))
    if sub.only_if_changed:
        parts.append(md("only when the data changed"))
    return join(parts, " · ")


def added_text(sub: Subscription, title: str) -> Mrkdwn:
    """Notification text of the notice that a digest was set up."""
    return bk.fallback(md("Digest {id} set up: {title}", id=sub.id, title=clip(title, TITLE_LIMIT)))


def added_blocks(sub: Subscription, title: str, requester: str, times: Sequence[datetime]) -> list[bk.SlackBlock]:
    """The channel's notice that a digest was set up, with its next three send times."""
    upcoming = ", ".join(when(moment, sub.tz) for moment in times) or "none (the schedule never fires again)"
    return [
        bk.section(
            md(
                ":newspaper: {who} subscribed this channel to *{title}* (dashboard {dashboard}) — digest {id}.\n"
                "{summary}.\n*Next:* {upcoming} ({tz})",
                who=Mention(requester),
                title=clip(title, TITLE_LIMIT),
                dashboard=sub.dashboard_id,
                id=sub.id,
                summary=summary(sub),
                upcoming=upcoming,
                tz=sub.tz,
            )
        ),
        manage_context(sub),
    ]


def changed_blocks(sub: Subscription, what: Mrkdwn, times: Sequence[datetime] = ()) -> list[bk.SlackBlock]:
    """A confirmation that digest `sub` was edited, paused, resumed or removed (`what` says which)."""
    text = md(
        "Digest {id} (dashboard {dashboard} to {channel}) {what}.",
        id=sub.id,
        dashboard=sub.dashboard_id,
        channel=ChannelRef(sub.channel),
        what=what,
    )
    if times:
        upcoming = ", ".join(when(t, sub.tz) for t in times)
        text = md(
            "{text}\n{summary}.\n*Next:* {upcoming} ({tz})",
            text=text,
            summary=summary(sub),
            upcoming=upcoming,
            tz=sub.tz,
        )
    return [bk.section(text)]


def manage_context(sub: Subscription) -> bk.SlackBlock:
    """How to manage a digest, in one line."""
    return bk.context(
        md(
            "{run} sends it now · {pause} · {edit} · {remove} · {listing}",
            run=code(f"/cekura digest run {sub.id}"),
            pause=code(f"pause {sub.id}"),
            edit=code(f"edit {sub.id} …"),
            remove=code(f"remove {sub.id}"),
            listing=code("/cekura digest list"),
        )
    )


def pause_reason(user_id: str) -> str:
    """What the store keeps as the reason when a user pauses a digest (rendered back as a mention)."""
    return f"paused by <@{user_id}>"


def _reason(stored: str | None) -> Mrkdwn:
    # The one stored form the bot writes itself (pause_reason) renders as a mention; any other
    # reason (Cekura's or Slack's words after failures) is data and is escaped whole.
    by_user = _PAUSED_BY.fullmatch(stored or "")
    if by_user:
        return md("paused by {who}", who=Mention(by_user.group(1)))
    return escape(stored or "paused by hand")


def _status(sub: Subscription, now: datetime) -> Mrkdwn:
    if sub.paused:
        return md(":double_vertical_bar: *paused* — {reason}", reason=_reason(sub.paused_reason))
    upcoming = sub.next_times(now, 1)
    return md("next {at} ({tz})", at=when(upcoming[0], sub.tz), tz=sub.tz) if upcoming else md("no further sends")


def _buttons(sub: Subscription) -> bk.SlackBlock:
    value = str(sub.id)
    toggle = (
        bk.button("Resume", DigestActions.RESUME, value, style="primary")
        if sub.paused
        else bk.button("Pause", DigestActions.PAUSE, value)
    )
    remove = bk.button("Remove", DigestActions.REMOVE, value, style="danger")
    remove["confirm"] = {
        "title": bk.plain(f"Remove digest {sub.id}?", 100),
        "text": bk.mrkdwn(md("The channel stops getting it. This cannot be undone.")),
        "confirm": bk.plain("Remove", 30),
        "deny": bk.plain("Keep it", 30),
    }
    return bk.actions([bk.button("Send now", DigestActions.RUN, value), toggle, remove], block_id=f"digest_{sub.id}")


def list_blocks(subs: Sequence[Subscription], now: datetime, where: str) -> list[bk.SlackBlock]:
    """The digests of a channel (or all of them), each with its status and buttons."""
    if not subs:
        add = code("/cekura digest add dashboard <id> daily 09:00")
        return [bk.section(md("No digests {where} yet. Add one with {add}.", where=where, add=add))]
    out = [bk.section(md("*Digests {where}* ({n})", where=clip(where, TITLE_LIMIT), n=len(subs)))]
    for sub in subs[:LIST_BUTTONS]:
        out.append(bk.section(_line(sub, now)))
        out.append(_buttons(sub))
    rest = [md("• {line}", line=_line(sub, now)) for sub in subs[LIST_BUTTONS:]]
    room = bk.MESSAGE_BUDGET - text_units(out) - 300
    count = fit(rest, max(room, 0))
    body = bk.sections(rest[:count])[: bk.MESSAGE_BLOCKS - 1 - len(out)]
    shown = len(subs[:LIST_BUTTONS]) + count
    out.extend(body)
    if shown < len(subs):
        out.append(bk.context(md("…and {n} more, not listed (Slack's message size).", n=len(subs) - shown)))
    return out


def _line(sub: Subscription, now: datetime) -> Mrkdwn:
    line = md(
        "*{id}* · dashboard {dashboard} to {channel} · {summary}\n{status}",
        id=sub.id,
        dashboard=sub.dashboard_id,
        channel=ChannelRef(sub.channel),
        summary=summary(sub),
        status=_status(sub, now),
    )
    return clip_mrkdwn(line, LIST_LINE_LIMIT)


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


def delivery_line(row: Delivery, channel: str, tz: str, link: str | None, max_attempts: int) -> Mrkdwn:
    """One ledger row in words: slot, state, late, attempts, duration, why, and the message link.

    `link`: the message's permalink; "" when Slack could not give one; None when there is no message.
    """
    parts = [md("*{slot}*", slot=when(row.slot, tz)), escape(_STATE_WORDS[row.state])]
    if row.late:
        parts.append(escape("late"))
    if row.state is DeliveryState.FAILED:
        parts.append(md("attempt {n} of {of}", n=row.attempts, of=max_attempts))
    elif row.attempts > 1:
        parts.append(md("on attempt {n}", n=row.attempts))
    if took := _seconds(row):
        parts.append(escape(took))
    if link:
        parts.append(slack_link(link, "the message"))  # Slack's own permalink
    elif link == "":
        parts.append(escape("no link: Slack did not give one just now"))
    elif row.state is DeliveryState.SENT and row.message_ts:
        parts.append(escape("the message is gone (deleted?)"))
    elif row.state is DeliveryState.SENT:
        parts.append(md("posted in {ch}", ch=ChannelRef(channel)))  # a post of up to 10 charts does not learn its ts
    line = join(parts, " · ")
    if row.error:
        line = md("{line}\n    _{why}_", line=line, why=clip(row.error, 300))
    return md("• {line}", line=line)


def log_text(sub: Subscription, rows: Sequence[Delivery]) -> str:
    """Notification text of a digest's delivery log."""
    return f"Digest {sub.id}: the last {len(rows)} deliveries" if rows else f"Digest {sub.id} has no deliveries yet"


def log_blocks(
    sub: Subscription, rows: Sequence[Delivery], links: dict[int, str], now: datetime, max_attempts: int
) -> list[bk.SlackBlock]:
    """The last deliveries of a digest, newest first: the answer to "why didn't it arrive?"."""
    title = md(
        "*Digest {id}* (dashboard {dash} to {ch}) — {status}",
        id=sub.id,
        dash=sub.dashboard_id,
        ch=ChannelRef(sub.channel),
        status=_status(sub, now),
    )
    if not rows:
        return [bk.section(md("{title}\nNo deliveries yet: nothing has been due since it was set up.", title=title))]
    lines = [delivery_line(row, sub.channel, sub.tz, links.get(row.id), max_attempts) for row in rows]
    return [
        bk.section(
            md("{title}\nThe last {n} deliveries, newest first (times in {tz}):", title=title, n=len(rows), tz=sub.tz)
        ),
        *bk.sections(lines),
        manage_context(sub),
    ]

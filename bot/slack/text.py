"""The one boundary where text from Cekura or from a user becomes text Slack will read.

Slack parses `&`, `<` and `>` in every mrkdwn text (message `text`, `initial_comment`, section and
context text): `<!channel>` pings a whole channel, `<@U1>` mentions, `<https://evil|x>` is a link.
So mrkdwn is a type of its own:

    md("• *{name}* — {figure}", name=widget.name, figure=view.key_figure)   # → Mrkdwn, data escaped
    md("asked by {who}", who=Mention(user_id))                              # the one way to mention

- `Mrkdwn` is text safe to give Slack as mrkdwn. Only this module constructs one; the block
  builders (handlers/blocks.py) and the poster (bot/slack/post.py) accept nothing else.
- `md(template, **values)` escapes every value that is not already `Mrkdwn`; the template is the
  bot's own literal markup. Concatenating a `Mrkdwn` with a `str` gives a plain `str` again, so
  data cannot be glued on afterwards without mypy noticing.
- `Mention` / `GroupMention` / `ChannelRef` / `date` are the bot's own markup, built from ids Slack sent in a
  verified request (or from a datetime); an id that does not look like one is escaped as text.
- `code(raw)` is an inline code span that data cannot break out of (backticks are replaced).
- plain_text objects (headers, button and option labels, modal titles, alt text) are shown
  literally by Slack and are never escaped (that would show `&lt;`); they are only `clip`ped.

Lengths are counted as Slack counts them: in UTF-16 code units (an emoji counts 2).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_USER_ID = re.compile(r"[UW][A-Z0-9_]{1,30}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9_]{1,30}")
_GROUP_ID = re.compile(r"S[A-Z0-9_]{1,30}")
ELLIPSIS = "…"


class Mrkdwn(str):
    """Text that is safe to hand to Slack as mrkdwn: data in it was escaped by this module."""

    __slots__ = ()


@dataclass(frozen=True)
class Mention:
    """A mention of a user whose id came from a verified Slack request."""

    user_id: str

    def render(self) -> str:
        """`<@U123>`, or the id escaped as text when it does not look like a Slack user id."""
        return f"<@{self.user_id}>" if _USER_ID.fullmatch(self.user_id) else f"@{_escape(self.user_id)}"


@dataclass(frozen=True)
class ChannelRef:
    """A link to a channel whose id came from a verified Slack request or our own store."""

    channel_id: str

    def render(self) -> str:
        """`<#C123>`, or the id escaped as text when it does not look like a Slack channel id."""
        return f"<#{self.channel_id}>" if _CHANNEL_ID.fullmatch(self.channel_id) else f"#{_escape(self.channel_id)}"


@dataclass(frozen=True)
class GroupMention:
    """A mention of a user group whose id the bot resolved through usergroups.list."""

    group_id: str

    def render(self) -> str:
        """`<!subteam^S123>`, or the id escaped as text when it does not look like a Slack group id."""
        return f"<!subteam^{self.group_id}>" if _GROUP_ID.fullmatch(self.group_id) else f"@{_escape(self.group_id)}"


def units(text: str) -> int:
    """The length of `text` as Slack counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 units, ending with an ellipsis when cut (for plain text)."""
    if units(text) <= limit:
        return text
    out, used = [], units(ELLIPSIS)
    for char in text:
        used += units(char)
        if used > limit:
            break
        out.append(char)
    return "".join(out) + ELLIPSIS


def clip_mrkdwn(text: Mrkdwn, limit: int) -> Mrkdwn:
    """Mrkdwn cut to `limit` units without splitting an entity (`&lt;`) or a token (`<@U1>`)."""
    if units(text) <= limit:
        return text
    cut = clip(text, limit)[:-1]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    opened, closed = cut.rfind("<"), cut.rfind(">")
    if opened > closed:
        cut = cut[:opened]
    return Mrkdwn(cut + ELLIPSIS)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape(text: str) -> Mrkdwn:
    """Data as mrkdwn: `&`, `<` and `>` written as Slack's entities, so nothing in it is parsed."""
    return text if isinstance(text, Mrkdwn) else Mrkdwn(_escape(text))


def code(text: str) -> Mrkdwn:
    """An inline code span around data; its backticks and line breaks cannot end the span early."""
    inner = _escape(str(text)).replace("`", "ˋ").replace("\n", " ").strip()
    return Mrkdwn(f"`{inner or ' '}`")


def link(url: str, label: str) -> Mrkdwn:
    """A link to an http(s) URL the bot got from Slack or its settings; anything else is shown as text."""
    if not url.startswith(("https://", "http://")) or any(c in url for c in "<>| \n"):
        return escape(label)
    return Mrkdwn(f"<{_escape(url)}|{_escape(label)}>")


def date(moment: datetime) -> Mrkdwn:
    """A time Slack shows in the reader's own zone, with a UTC fallback."""
    fallback = f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return Mrkdwn(f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>")


def _render(value: Any) -> Any:
    if isinstance(value, Mrkdwn):
        return str(value)
    if isinstance(value, Mention | ChannelRef | GroupMention):
        return value.render()
    if isinstance(value, bool) or value is None:
        return _escape(str(value if value is not None else ""))
    if isinstance(value, int | float):
        return value  # numbers keep their format spec ({n:,})
    return _escape(str(value))


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        return format(_render(value), format_spec)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        # `!r` / `!s` turn a value into a str, which is then escaped like any data.
        return value if conversion is None else _escape(str(super().convert_field(value, conversion)))


_FORMATTER = _Formatter()


def md(template: str, /, *args: object, **values: object) -> Mrkdwn:
    """Fill the bot's own mrkdwn `template` with data, escaping every value that is not Mrkdwn."""
    return Mrkdwn(_FORMATTER.vformat(template, args, values))


def join(parts: Iterable[str], sep: str = "\n") -> Mrkdwn:
    """Mrkdwn parts joined by `sep`; parts that are plain str are escaped as data."""
    return Mrkdwn(_escape(sep).join(str(escape(part)) for part in parts))


def fit(lines: Sequence[Mrkdwn], budget: int, *, sep: int = 1) -> int:
    """How many of `lines`, in order, fit in `budget` UTF-16 units (with `sep` units between them)."""
    used = 0
    for count, line in enumerate(lines):
        used += units(line) + (sep if count else 0)
        if used > budget:
            return count
    return len(lines)


def text_units(payload: Any) -> int:
    """The UTF-16 length of the `text` strings of a Block Kit payload (what Slack's size limit counts).

    Interactive elements (anything with an `action_id`: buttons, menus and their options) have
    their own per-element limits and are not counted.
    """
    if isinstance(payload, Mapping):
        if "action_id" in payload:
            return 0
        own = units(payload["text"]) if isinstance(payload.get("text"), str) else 0
        return own + sum(text_units(v) for k, v in payload.items() if not (k == "text" and isinstance(v, str)))
    if isinstance(payload, list | tuple):
        return sum(text_units(item) for item in payload)
    return 0

"""One slash command, a table of sub-commands: matching, and the help text built from the same table.

Each feature contributes a list of `Subcommand`s; the router tries the longest words first (so
`digest add` wins over `digest`), and anything it cannot match gets the usage back.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.errors import UserError

if TYPE_CHECKING:
    from bot.deps import Deps, JobKind

COMMAND = "/cekura"
# Marks some clients insert around pasted or right-to-left text: invisible, and never meant as input.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# Control characters other than tab and newline: PostgreSQL refuses NUL in text, and none can be typed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Invocation:
    """Who typed what, where; `args` is the text after the sub-command's words."""

    user_id: str
    channel_id: str
    args: str
    respond: Callable[..., Any]
    trigger_id: str = ""


@dataclass(frozen=True)
class Reply:
    """What the bot answers at once (ephemeral, in the ack), and the slow work to run after it."""

    text: str
    blocks: list[dict[str, object]] | None = None
    work: Callable[[], None] | None = None
    in_channel: bool = False
    kind: JobKind = "cekura"  # "local" when `work` needs no Cekura, so a slow Cekura cannot delay it


Handler = Callable[["Deps", Invocation], Reply]


@dataclass(frozen=True)
class Subcommand:
    """A row of the command table."""

    words: str
    args: str
    summary: str
    handle: Handler
    aliases: tuple[str, ...] = field(default_factory=tuple)
    examples: tuple[str, ...] = field(default_factory=tuple)

    @property
    def usage(self) -> str:
        """`/cekura dashboard <id> [since 7d]`."""
        return f"{COMMAND} {self.words} {self.args}".rstrip()


@dataclass(frozen=True)
class Match:
    """The sub-command a text matched and the rest of the text."""

    command: Subcommand
    args: str


class Router:
    """Matches slash-command text against the table."""

    def __init__(self, commands: Sequence[Subcommand]) -> None:
        self.commands = list(commands)
        names = [(name.split(), cmd) for cmd in self.commands for name in (cmd.words, *cmd.aliases)]
        self._names = sorted(names, key=lambda pair: -len(pair[0]))

    def match(self, text: str) -> Match:
        """The matching sub-command, or a UserError that says what was wrong and shows the usage."""
        text = clean_text(text)
        tokens = text.split()
        lowered = [t.lower() for t in tokens]
        for words, command in self._names:
            if lowered[: len(words)] == words:
                return Match(command, _after_words(text, len(words)))
        raise UserError(self._unknown(tokens[0] if tokens else ""), usage=self.help_text())

    def find(self, words: str) -> Subcommand:
        """The sub-command with exactly these words (for usage lines in error messages)."""
        return next(c for c in self.commands if c.words == words)

    def _unknown(self, word: str) -> str:
        known = sorted({w.split()[0] for c in self.commands for w in (c.words, *c.aliases)})
        guess = difflib.get_close_matches(word.lower(), known, n=1)
        hint = f" Did you mean `{guess[0]}`?" if guess else ""
        return f'I don\'t know the command "{word}".{hint}'

    def help_text(self) -> str:
        """Usage of every sub-command, built from the table so it cannot drift."""
        lines = [f"*{COMMAND}* — Cekura dashboards in Slack"]
        for command in self.commands:
            # "; also …" rather than brackets: a summary may end in brackets of its own.
            aliases = f"; also `{'`, `'.join(command.aliases)}`" if command.aliases else ""
            lines.append(f"• `{command.usage}` — {command.summary}{aliases}")
        examples = [e for c in self.commands for e in c.examples]
        if examples:
            lines.append("*Examples*")
            lines.extend(f"• `{COMMAND} {e}`" for e in examples)
        return "\n".join(lines)


def _after_words(text: str, count: int) -> str:
    rest = text.strip()
    for _ in range(count):
        parts = rest.split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
    return rest.strip()


def clean_text(text: str) -> str:
    """`text` without invisible direction marks; a UserError if it holds a control character."""
    text = _INVISIBLE.sub("", text)
    bad = _CONTROL.search(text)
    if bad is not None:
        raise UserError(
            f"Your command contains an invisible control character (U+{ord(bad.group()):04X}) at position "
            f"{bad.start() + 1}. "
            "Retype the command (pasting it from elsewhere can bring these along).",
            usage=f"{COMMAND} help",
        )
    return text


def is_number(word: str) -> bool:
    """True for whole numbers in ASCII digits: `²` passes `str.isdigit` but `int()` refuses it."""
    return word.isascii() and word.isdigit()


def parse_id(args: str, kind: str, usage: str) -> tuple[int, str]:
    """The leading numeric id of `args` and the rest; a clear UserError otherwise."""
    parts = args.split(None, 1)
    if not parts:
        example = f"{usage.split('<id>')[0]}12" if "<id>" in usage else usage
        raise UserError(f"Which {kind}? Give its number, e.g. `{example}`.", usage=usage)
    word = parts[0].lstrip("#")
    if not is_number(word) or len(word) > 12 or int(word) <= 0:
        raise UserError(f'"{parts[0]}" is not a {kind} id: ids are whole numbers, e.g. 12.', usage=usage)
    return int(word), parts[1] if len(parts) > 1 else ""


def group_help(title: str, words: str, commands: Sequence[Subcommand], args: str) -> str:
    """The help of one command group (`digest`, `alert`); a UserError when `args` names an unknown word."""
    lines = [f"• `{c.usage}` — {c.summary}" for c in commands if c.words != words]
    text = "\n".join([f"*{title}*", *lines])
    if args.strip():
        raise UserError(f"I don't know `{words} {args.split()[0]}`.", usage=text)
    return text

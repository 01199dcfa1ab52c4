"""Splits filter text into tokens, and builds the errors that point at one of them.

Words run until whitespace, a parenthesis, a bracket, a comma or an operator character, so
`duration>=60` lexes like `duration >= 60`. Quoted strings take "…", '…' and the curly quotes that
phones and Macs substitute; inside them a backslash escapes only a backslash or a quote, and any other
backslash is kept, so regexes such as `"^\\d+$"` need no doubling. Slack sends `>` and `<` as `&gt;`
and `&lt;` in slash-command text, so those spellings count as the operator characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from bot.errors import FilterSyntaxError

FILTER_USAGE = "<field> <op> <value> [and|or …], e.g. duration >= 60 and (topic = billing or success = false)"
QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "”": "”", "’": "’"}
ESCAPABLE = frozenset("\\\"'”’")
_STOP = "\\s()\\[\\],=!<>≥≤≠"
_ENTITY = "(?!&[gl]t;)"
WORD = re.compile(f'{_ENTITY}[^{_STOP}"\'“”‘’](?:{_ENTITY}[^{_STOP}"“”‘])*')
SYMBOL = re.compile("(?:[=!<>≥≤≠]|&gt;|&lt;)+")
NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
INTEGER = re.compile(r"-?[0-9]+")
KEYWORDS = frozenset(
    {"and", "or", "in", "is", "not", "null", "true", "false", "contains", "startswith", "endswith"}
    | {"matches", "same_row"}
)
_SNIPPET = 72


class Kind(Enum):
    """What a token is."""

    WORD = "word"
    STRING = "string"
    SYMBOL = "symbol"
    OPEN = "("
    CLOSE = ")"
    LBRACKET = "["
    RBRACKET = "]"
    COMMA = ","
    END = "end"


@dataclass(frozen=True)
class Token:
    """One token: its kind, text as typed (`&gt;` decoded), span in the text, and a string's content."""

    kind: Kind
    text: str
    pos: int
    end: int
    value: str = ""

    def shown(self) -> str:
        """The token as quoted in an error message."""
        if self.kind is Kind.END:
            return "the end of the filter"
        text = self.text if len(self.text) <= 40 else self.text[:39] + "…"
        return f'"{text}"' if self.kind is not Kind.STRING else text

    def is_word(self, *words: str) -> bool:
        """True for an unquoted word equal to one of `words`, ignoring case."""
        return self.kind is Kind.WORD and self.text.lower() in words


_SINGLE = {"(": Kind.OPEN, ")": Kind.CLOSE, "[": Kind.LBRACKET, "]": Kind.RBRACKET, ",": Kind.COMMA}


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with an END token; raises FilterSyntaxError on an unclosed quote."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in _SINGLE:
            tokens.append(Token(_SINGLE[char], char, i, i + 1))
            i += 1
        elif char in QUOTES:
            tokens.append(_string(text, i))
            i = tokens[-1].end
        elif match := SYMBOL.match(text, i):
            symbol = match.group().replace("&gt;", ">").replace("&lt;", "<")
            tokens.append(Token(Kind.SYMBOL, symbol, i, match.end()))
            i = match.end()
        else:
            word = WORD.match(text, i)
            end = word.end() if word else i + 1  # defensive: the branches above leave WORD a start
            tokens.append(Token(Kind.WORD, text[i:end], i, end))
            i = end
    tokens.append(Token(Kind.END, "", n, n))
    return tokens


def _string(text: str, start: int) -> Token:
    close = QUOTES[text[start]]
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPABLE:
            chars.append(text[i + 1])
            i += 2
        elif char == close:
            return Token(Kind.STRING, text[start : i + 1], start, i + 1, "".join(chars))
        else:
            chars.append(char)
            i += 1
    raise error(
        f"Unterminated quote: the {text[start]} here is never closed — end the value with {close}",
        text,
        start,
    )


def quote(value: str) -> str:
    """`value` in double quotes, escaping only what the lexer would otherwise misread."""
    out = []
    for i, char in enumerate(value):
        if char == '"':
            out.append('\\"')
        elif char == "\\" and (i + 1 == len(value) or value[i + 1] in ESCAPABLE):
            out.append("\\\\")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def is_bare(value: str) -> bool:
    """True when `value` can be written without quotes and still reads back as the same text."""
    return WORD.fullmatch(value) is not None and NUMBER.fullmatch(value) is None and value.lower() not in KEYWORDS


def error(message: str, text: str, pos: int, length: int = 1) -> FilterSyntaxError:
    """A FilterSyntaxError whose message ends with the text and a caret line under the offending word."""
    return FilterSyntaxError(f"{message}\n{caret(text, pos, length)}", text, pos, usage=FILTER_USAGE)


def caret(text: str, pos: int, length: int = 1) -> str:
    """A two-line code block: (a window of) the text, and carets under `length` characters at `pos`."""
    # Newlines and backticks would break the code block, so they become same-width stand-ins.
    line = "".join(" " if c.isspace() else "'" if c == "`" else c for c in text)
    start = max(0, min(pos - _SNIPPET // 2, len(line) - _SNIPPET))
    window = line[start : start + _SNIPPET]
    prefix = "…" if start else ""
    suffix = "…" if start + _SNIPPET < len(line) else ""
    width = max(1, min(length, start + _SNIPPET - pos))
    return f"```{prefix}{window}{suffix}\n{' ' * (len(prefix) + pos - start)}{'^' * width}```"

"""Filter text → Cekura filter JSON, by recursive descent.

    expr      := chain ("or" chain)*
    chain     := operand ("and" operand)*
    operand   := "(" expr ")" | "same_row" "(" chain ")" | condition
    condition := FIELD op value | FIELD "in" "(" value ("," value)* ")" | FIELD "is" ["not"] "null"

`and` binds tighter than `or`. A chain becomes one group however long it is, and parentheses always
make their own node, so `a and (b and c)` keeps its nesting: that is what lets the printer reproduce
the text from the JSON exactly.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

from bot.filters.fields import (
    TEXT_OPS,
    Field,
    FilterJSON,
    in_same_row,
    lookup,
    op_message,
    unknown_field_message,
    value_message,
)
from bot.filters.lexer import INTEGER, KEYWORDS, NUMBER, Kind, Token, error, tokenize

MAX_DEPTH = 20
SYMBOL_OPS = {
    "=": "eq",
    "==": "eq",
    "!=": "neq",
    "≠": "neq",
    "<>": "neq",
    ">": "gt",
    ">=": "gte",
    "≥": "gte",
    "<": "lt",
    "<=": "lte",
    "≤": "lte",
}
WORD_OPS = {"contains": "contains", "startswith": "startswith", "endswith": "endswith", "matches": "regex"}
MISTYPED = {"=>": ">=", "=<": "<=", "=!": "!="}
OP_HINT = "expected an operator such as >=, =, contains, in (…)"
_EXAMPLE = "duration >= 60"


def parse(text: str) -> FilterJSON:
    """Parse filter text into Cekura's filter JSON; raises FilterSyntaxError pointing at the problem."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.in_same_row = False

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def prev(self) -> Token | None:
        return self.tokens[self.i - 1] if self.i else None

    def next(self) -> Token:
        token = self.peek()
        if token.kind is not Kind.END:
            self.i += 1
        return token

    def fail(self, message: str, token: Token) -> NoReturn:
        raise error(message, self.text, token.pos, token.end - token.pos)

    def parse(self) -> FilterJSON:
        if self.peek().kind is Kind.END:
            self.fail(f"The filter is empty — write a condition such as {_EXAMPLE}", self.peek())
        node = self.expr()
        if self.peek().kind is Kind.CLOSE:
            self.fail('Unexpected ")" — there is no "(" for it to close', self.peek())
        if self.peek().kind is not Kind.END:
            self.unexpected("and, or or the end of the filter")
        return node

    def expr(self) -> FilterJSON:
        items = [self.chain()]
        while self.peek().is_word("or"):
            self.next()
            items.append(self.chain())
        return items[0] if len(items) == 1 else {"operator": "or", "conditions": items}

    def chain(self) -> FilterJSON:
        items = self.chain_items()
        return items[0] if len(items) == 1 else {"operator": "and", "conditions": items}

    def chain_items(self) -> list[FilterJSON]:
        items = [self.operand()]
        while self.peek().is_word("and"):
            self.next()
            items.append(self.operand())
        return items

    def operand(self) -> FilterJSON:
        token = self.peek()
        if token.kind is Kind.OPEN:
            opening = self.enter()
            node = self.expr()
            self.close(opening)
            return node
        if token.is_word("same_row"):
            return self.same_row()
        return self.condition()

    def enter(self) -> Token:
        opening = self.next()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"Too deeply nested: at most {MAX_DEPTH} levels of parentheses", opening)
        if self.peek().kind is Kind.CLOSE:
            self.fail("Empty parentheses — put a condition inside them or remove them", self.peek())
        return opening

    def close(self, opening: Token) -> None:
        if self.peek().kind is Kind.CLOSE:
            self.next()
            self.depth -= 1
            return
        if self.peek().kind is Kind.END:
            self.fail('This "(" is never closed — add a ")" after its conditions', opening)
        self.unexpected('and, or or ")"')

    def same_row(self) -> FilterJSON:
        word = self.next()
        if self.peek().kind is not Kind.OPEN:
            self.fail(
                "same_row needs its conditions in parentheses, e.g. same_row(metric_evaluations.metric.name"
                " = accuracy and metric_evaluations.value >= 0.9)",
                word,
            )
        opening = self.enter()
        outer, self.in_same_row = self.in_same_row, True
        items = self.chain_items()
        if self.peek().is_word("or"):
            self.fail(
                'same_row(…) joins its conditions with "and"; put an "or" inside its own parentheses',
                self.peek(),
            )
        self.close(opening)
        self.in_same_row = outer
        return {"operator": "same_row", "conditions": items}

    def condition(self) -> FilterJSON:
        name = self.peek()
        if name.kind is not Kind.WORD or name.is_word("and", "or"):
            self.no_condition(name)
        self.next()
        field = lookup(name.text)
        if field is None:
            self.fail(unknown_field_message(name.text), name)
        if self.in_same_row and not in_same_row(field):
            self.fail(
                f"same_row(…) groups conditions on metric_evaluations.* fields; {field.name} is not one",
                name,
            )
        op_token = self.next()
        op = self.operator(field, name, op_token)
        if not field.allows(op):
            self.fail(op_message(field, op), op_token)
        value: Any
        if op == "isnull":
            value = self.next().is_word("null")  # `is null` → true; `is not null` → false
            if not value:
                self.next()
        elif op == "in":
            value = self.in_list(field, op_token)
        else:
            value = self.value(field, op, op_token)
        return {"field": field.name, "op": op, "value": value}

    def operator(self, field: Field, name: Token, token: Token) -> str:
        word = token.text.lower() if token.kind is Kind.WORD else ""
        if token.kind is Kind.SYMBOL and token.text in SYMBOL_OPS:
            return SYMBOL_OPS[token.text]
        if word in WORD_OPS:
            return WORD_OPS[word]
        if word == "in":
            return "in"
        if word == "is":
            after = self.peek()
            if after.is_word("null") or (after.is_word("not") and self.peek(1).is_word("null")):
                return "isnull"
            self.fail(
                f'After "is" write null or not null (e.g. {field.name} is not null); '
                f"to compare values use = or !=, e.g. {field.example()}",
                after,
            )
        if token.kind is Kind.END:
            self.fail(f'"{name.text}" needs an operator and a value after it, e.g. {field.example()}', token)
        hint = f'did you mean "{MISTYPED[token.text]}"?' if token.text in MISTYPED else OP_HINT
        self.fail(f'Unexpected {token.shown()} after "{name.text}" — {hint}', token)

    def in_list(self, field: Field, op_token: Token) -> list[Any]:
        opening = self.peek()
        if opening.kind not in (Kind.OPEN, Kind.LBRACKET):
            self.fail(f'"in" needs a list in parentheses, e.g. {field.name} in (a, b)', opening)
        self.next()
        closing = Kind.CLOSE if opening.kind is Kind.OPEN else Kind.RBRACKET
        if self.peek().kind is closing:
            self.fail('The list after "in" is empty — put at least one value in it', self.peek())
        values = [self.value(field, "in", opening)]
        while self.peek().kind is Kind.COMMA:
            values.append(self.value(field, "in", self.next()))
        token = self.peek()
        if token.kind is closing:
            self.next()
            return values
        if token.kind is Kind.END:
            self.fail(f'The list after "in" is never closed — add "{closing.value}"', opening)
        self.fail(
            f'Unexpected {token.shown()} in the list after "in" — separate values with commas and close '
            f'the list with "{closing.value}"',
            token,
        )

    def value(self, field: Field, op: str, after: Token) -> Any:
        token = self.peek()
        if token.kind not in (Kind.WORD, Kind.STRING) or token.is_word("and", "or"):
            found = "" if token.kind is Kind.END else f", found {token.shown()}"
            self.fail(f"Missing value after {after.shown()}{found} — e.g. {field.example()}", token)
        if token.is_word("null"):
            self.fail(
                f'Write "{field.name} is null" (or "is not null") to test for a missing value; '
                'to mean the text null, quote it: "null"',
                token,
            )
        self.next()
        value: Any
        if token.kind is Kind.STRING:
            value = token.value
        elif field.kind in ("string", "datetime") or op in TEXT_OPS:
            value = token.text  # these fields hold text, so `5` or `true` mean the text as typed
        else:
            value = self.scalar(token)
        problem = value_message(field, op, value, token.shown())
        if problem:
            self.fail(problem, token)
        return value

    def scalar(self, token: Token) -> Any:
        text = token.text
        if NUMBER.fullmatch(text):
            try:
                number = int(text) if INTEGER.fullmatch(text) else float(text)
            except ValueError:  # Python refuses int() of more than 4300 digits
                self.fail(f"{token.shown()} is too long for a number", token)
            if isinstance(number, float) and not math.isfinite(number):
                self.fail(f"{token.shown()} is too large for a number", token)
            return number
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        return text

    def unexpected(self, expected: str) -> NoReturn:
        token, prev = self.peek(), self.prev()
        after = f" after {prev.shown()}" if prev else ""
        message = f"Unexpected {token.shown()}{after} — expected {expected}"
        if token.kind is Kind.WORD and lookup(token.text) is not None:
            message += f'; is an "and" or "or" missing before {token.shown()}?'
        elif prev and {prev.kind, token.kind} <= {Kind.WORD, Kind.STRING} and prev.text.lower() not in KEYWORDS:
            both = f"{prev.value if prev.kind is Kind.STRING else prev.text} {token.text}"
            message += f'; put a value with spaces in quotes, e.g. "{both}"'
        self.fail(message, token)

    def no_condition(self, token: Token) -> NoReturn:
        prev = self.prev()
        if prev and prev.is_word("and", "or") and token.kind in (Kind.END, Kind.CLOSE):
            self.fail(f"Nothing follows {prev.shown()} — add a condition after it, e.g. {_EXAMPLE}", prev)
        if prev and prev.is_word("and", "or") and token.is_word("and", "or"):
            self.fail(f"{prev.shown()} is followed by {token.shown()} — put a condition between them", token)
        after = f" after {prev.shown()}" if prev else ""
        hint = f"a condition looks like {_EXAMPLE}"
        if token.is_word("not"):
            hint = 'there is no "not": use != or "is not null"'
        elif token.kind is Kind.STRING:
            hint = "field names are written without quotes"
        self.fail(f"Expected a condition{after}, found {token.shown()} — {hint}", token)

"""The command table: matching, aliases, longest match first, help built from the table."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from handlers.commands import ROUTER
from handlers.router import Reply, Router, Subcommand, parse_id


def _noop(deps: object, inv: object) -> Reply:
    return Reply("ok")


def test_longest_words_win() -> None:
    router = Router([Subcommand("digest", "", "a", _noop), Subcommand("digest add", "<x>", "b", _noop)])
    match = router.match("Digest ADD dashboard 12  daily 09:00")
    assert match.command.words == "digest add"
    assert match.args == "dashboard 12  daily 09:00"


def test_aliases_and_case() -> None:
    assert ROUTER.match("DASH 12").command.words == "dashboard"
    assert ROUTER.match("w 34 since 7d").args == "34 since 7d"


def test_unknown_command_suggests_and_shows_usage() -> None:
    with pytest.raises(UserError) as caught:
        ROUTER.match("dashbord 12")
    assert '"dashbord"' in str(caught.value) and "`dashboard`" in str(caught.value)
    assert caught.value.usage and "/cekura dashboard <id>" in caught.value.usage


def test_help_lists_every_command_from_the_table() -> None:
    text = ROUTER.help_text()
    for command in ROUTER.commands:
        assert command.usage in text


@pytest.mark.parametrize(
    ("args", "message"),
    [("", "Which dashboard?"), ("twelve", '"twelve" is not a dashboard id'), ("-3", '"-3"'), ("0", '"0"')],
)
def test_ids_must_be_whole_numbers(args: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_id(args, "dashboard", "/cekura dashboard <id>")
    assert message in str(caught.value)


def test_id_and_rest() -> None:
    assert parse_id("#12 since 7d", "dashboard", "u") == (12, "since 7d")

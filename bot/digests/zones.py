"""IANA time zones for digests: the names users type, checked, with a suggestion when misspelt.

parse_zone("europe/berlin")   # "Europe/Berlin"
parse_zone("Berlin")          # UserError: Unknown time zone 'Berlin' — did you mean Europe/Berlin?
"""

from __future__ import annotations

import difflib
import logging
import zoneinfo
from datetime import datetime
from functools import lru_cache

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import UserError

log = logging.getLogger(__name__)

QUOTES = "\"'“”‘’`"
_NOT_ZONES = ("localtime", "Factory", "posixrules")


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {
        name.lower(): name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
    }


def parse_zone(text: str) -> str:
    """The canonical IANA name for `text` (any case); raises UserError with a suggestion otherwise."""
    zones = _zones()
    name = text.strip().strip(QUOTES)
    found = zones.get(name.lower())
    if found is not None:
        return found
    key = name.lower().replace(" ", "_")
    guesses = [zone for low, zone in zones.items() if low.rsplit("/", 1)[-1] == key]
    guesses = guesses or [zones[low] for low in difflib.get_close_matches(key, zones, n=1, cutoff=0.6)]
    hint = f"did you mean {guesses[0]}?" if guesses else "use an IANA name such as Europe/Berlin or UTC."
    raise UserError(
        f"Unknown time zone '{name}' — {hint}",
        usage="Time zones are IANA names, e.g. Europe/Berlin, America/New_York, Asia/Kolkata, UTC.",
    )


def user_zone(slack: WebClient, user: str, fallback: str) -> str:
    """The Slack user's time zone (`users.info`), or `fallback` when Slack does not say or fails."""
    try:
        found = slack.users_info(user=user).get("user") or {}
    except SlackApiError as exc:
        log.info("users.info for %s failed (%s); using %s", user, exc.response.get("error"), fallback)
        return fallback
    name = found.get("tz")
    if not isinstance(name, str) or not name:
        return fallback
    try:
        return parse_zone(name)
    except UserError:
        return fallback  # Slack knows zones Python's database may not (or not yet)


def local(moment: datetime, tz: str) -> datetime:
    """`moment` on the wall clock of zone `tz`."""
    return moment.astimezone(zoneinfo.ZoneInfo(tz))


def when(moment: datetime, tz: str, *, day: bool = True) -> str:
    """'Mon 2 Jun 09:00' (or just '09:00') in zone `tz`; the abbreviation is left to the caller."""
    at = local(moment, tz)
    clock = at.strftime("%H:%M")
    return f"{at.strftime('%a')} {at.day} {at.strftime('%b')} {clock}" if day else clock

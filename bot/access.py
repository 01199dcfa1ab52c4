"""Who may see and change what belongs to a Slack channel: its members, and the bot admins (`ADMINS`).

    access = ChannelAccess(slack, admins=settings.admins)
    access.known("U1", "C1")             # True / False / None from the cache alone: safe inside a 3 s ack
    access.may_use_channel("U1", "C1")   # Slack I/O on a cache miss; CannotVerify when Slack can't tell
    access.visible_channels("U1")        # the user's conversations (None for an admin: every channel)

Which Slack call answers which question:

- *May this user use this one channel?* `conversations.members` of that channel, paginated and
  cached per channel. It is the call that says why it cannot answer: `channel_not_found` or
  `not_in_channel` mean the bot left (or was never in) a private channel, so nobody's membership
  can be verified there and only admins pass. `users.conversations` would just leave such a
  channel out, and a member would look like a stranger.
- *Which channels may this user see?* (`digest list all`) `users.conversations` for that user,
  paginated and cached per user: one call (a page per ~200 conversations) instead of one per
  channel. Slack leaves out private conversations the bot is not in; digests there cannot be
  delivered anyway. A hit in this cache also answers the one-channel question with "yes".

Answers live for `MEMBERSHIP_TTL` seconds in bounded LRU caches behind one lock, so someone removed
from a channel keeps access for at most that long; failures are never cached.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.errors import BotError

log = logging.getLogger(__name__)

MEMBERSHIP_TTL = 60.0  # seconds a membership answer is trusted
CACHE_SIZE = 4096  # channels (and users) remembered at most, least recently used first out
PAGE_SIZE = 200  # Slack's recommended page size for cursor-paginated methods
CONVERSATION_TYPES = "public_channel,private_channel,mpim,im"
# Slack lets only members type in a public or private channel, so a slash command typed there
# proves membership; other ids (DMs, anything unusual) are checked like any other channel.
TYPED_MEANS_MEMBER = ("C", "G")
_GONE = frozenset({"channel_not_found", "not_in_channel"})


class CannotVerify(BotError):
    """Slack could not say whether the user is in the channel; what was asked is refused (admins pass)."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.code = code


def _cannot_verify(exc: SlackApiError, method: str) -> CannotVerify:
    """Slack's error code → why membership cannot be checked, in words safe to show."""
    code = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    if code in _GONE:
        return CannotVerify("I am not in that channel (any more), so I cannot see who is in it", code)
    if code == "missing_scope":
        needed = exc.response.get("needed") or "channels:read, groups:read, mpim:read, im:read"
        log.warning("%s needs the Slack scope %s: reinstall the app from manifest.yml", method, needed)
        return CannotVerify(f"the Slack app lacks the `{needed}` scope (reinstall it from manifest.yml)", code)
    log.warning("%s failed (%s): membership cannot be checked", method, code)
    return CannotVerify(f"Slack did not answer my membership check ({code}); try again in a minute", code)


class ChannelAccess:
    """The rule for anything that belongs to a channel, with a short-lived membership cache."""

    def __init__(
        self,
        slack: WebClient,
        admins: Iterable[str],
        *,
        ttl: float = MEMBERSHIP_TTL,
        maxsize: int = CACHE_SIZE,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._slack = slack
        self._admins = frozenset(admins)
        self._members: TTLCache[str, frozenset[str]] = TTLCache(maxsize, ttl, timer=timer)
        self._channels_of: TTLCache[str, frozenset[str]] = TTLCache(maxsize, ttl, timer=timer)
        self._lock = threading.Lock()  # TTLCache is not thread-safe; Slack calls happen outside it

    def is_admin(self, user: str) -> bool:
        """Whether `user` is in ADMINS (may use every channel's things)."""
        return user in self._admins

    def known(self, user: str, channel: str, *, typed_in: str | None = None) -> bool | None:
        """The answer without any Slack call, or None when only Slack can tell.

        `typed_in` is the channel of a slash command the user just typed (never a button's).
        """
        if user in self._admins or (typed_in == channel and channel.startswith(TYPED_MEANS_MEMBER)):
            return True
        with self._lock:
            members = self._members.get(channel)
            mine = self._channels_of.get(user)
        if members is not None:
            return user in members
        return True if mine is not None and channel in mine else None

    def may_use_channel(self, user: str, channel: str, *, typed_in: str | None = None) -> bool:
        """Whether `user` may see and change what belongs to `channel` (raises CannotVerify)."""
        answer = self.known(user, channel, typed_in=typed_in)
        if answer is not None:
            return answer
        members = self._pages(
            "conversations.members",
            "members",
            lambda: self._slack.conversations_members(channel=channel, limit=PAGE_SIZE),
        )
        with self._lock:
            self._members[channel] = members
        return user in members

    def known_channels(self, user: str) -> frozenset[str] | None:
        """The cached conversations of `user`, or None (no Slack call)."""
        with self._lock:
            return self._channels_of.get(user)

    def visible_channels(self, user: str) -> frozenset[str] | None:
        """The conversations `user` is in (None: an admin, who sees every channel); raises CannotVerify."""
        if user in self._admins:
            return None
        with self._lock:
            mine = self._channels_of.get(user)
        if mine is None:
            mine = self._pages(
                "users.conversations",
                "channels",
                lambda: self._slack.users_conversations(user=user, types=CONVERSATION_TYPES, limit=PAGE_SIZE),
            )
            with self._lock:
                self._channels_of[user] = mine
        return mine

    def clear(self) -> None:
        """Forget every cached answer (when told that memberships changed, and between tests)."""
        with self._lock:
            self._members.clear()
            self._channels_of.clear()

    def _pages(self, method: str, key: str, first: Callable[[], SlackResponse]) -> frozenset[str]:
        """Every page of a cursor-paginated method (slack_sdk follows the cursors), as a set of ids."""
        found: set[str] = set()
        try:
            for page in first():
                found.update(item if isinstance(item, str) else str(item["id"]) for item in page.get(key) or [])
        except SlackApiError as exc:
            raise _cannot_verify(exc, method) from exc
        except OSError as exc:  # connection errors, after the client's own retries
            log.warning("%s failed: %s", method, type(exc).__name__)
            raise CannotVerify(
                "Slack did not answer my membership check; try again in a minute", "unreachable"
            ) from exc
        return frozenset(found)

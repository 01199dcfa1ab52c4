"""The Slack sandbox's workspace: its records, its ids and clock, and the seeded channels and users.

`SlackState` holds everything a fake workspace knows; the Web API method modules
(`slack_chat`, `slack_files`, `slack_views`) read and change it, and `SlackSandbox`
(in `slack.py`) puts it behind HTTP.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.slack_records import (
    Channel,
    Ephemeral,
    Message,
    RecordedCall,
    ResponsePost,
    UploadedFile,
    User,
    ViewRecord,
)

BOT_ID = "B0SANDBOX"
APP_ID = "A0SANDBOX"
TEAM_DOMAIN = "sandbox"
# The scopes the seeded install has (manifest.yml's); tests remove one to see `missing_scope`.
BOT_SCOPES = frozenset(
    {"commands", "chat:write", "files:write", "files:read", "channels:join", "usergroups:read", "users:read"}
    | {"im:write", "channels:read", "groups:read", "mpim:read", "im:read"}
)
PAGE_LIMIT = 2  # cursor-paginated methods return at most this many items a page, so paging is exercised


class SlackError(Exception):
    """A Web API failure, answered as `{"ok": false, "error": code, ...}`."""

    def __init__(self, code: str, *messages: str, status: int = 200, **extra: Any) -> None:
        super().__init__(code, *messages)
        self.code = code
        self.messages = list(messages)
        self.status = status
        self.extra = extra

    def payload(self) -> dict[str, Any]:
        """The JSON body Slack would send for this error."""
        body: dict[str, Any] = {"ok": False, "error": self.code, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return body


@dataclass
class Params:
    """A Web API call's arguments, from a JSON body, a form body or the query string."""

    data: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """The argument, or None when missing or empty (Slack treats "" as absent)."""
        value = self.data.get(name)
        return None if value in ("", None) else value

    def text(self, name: str) -> str | None:
        """The argument as a string, or None."""
        value = self.get(name)
        return None if value is None else str(value)

    def require(self, name: str) -> str:
        """The argument as a string; missing → `invalid_arguments` as newer Slack methods answer."""
        value = self.text(name)
        if value is None:
            raise SlackError("invalid_arguments", f"missing required field: {name}")
        return value

    def json(self, name: str, *, error: str = "invalid_arguments") -> Any:
        """A JSON-valued argument: form bodies carry it as a string, JSON bodies as the value."""
        value = self.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(error, f"{name} is not valid JSON") from None


class SlackState:
    """A fake workspace: channels, users and every record the tests assert on."""

    url: str = ""  # set by SlackSandbox once its port is bound

    def __init__(self, *, bot_token: str, team_id: str, bot_user_id: str, app_token: str = "xapp-sandbox") -> None:
        self.bot_token = bot_token
        self.app_token = app_token  # Socket Mode's app-level token: apps.connections.open only
        self.socket_url: str | None = None  # where apps.connections.open points (a Socket Mode server's)
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        # one re-entrant lock around every request: the HTTP server is threaded
        self.lock = threading.RLock()
        self._seed()

    def _seed(self) -> None:
        """(Re)build the starting workspace, empty every record and restore Slack's time limits."""
        self.trigger_ttl = 3.0
        self.response_url_uses = 5
        self.response_url_ttl = 30 * 60.0
        self.scopes: set[str] = set(BOT_SCOPES)
        self.page_limit = PAGE_LIMIT
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.usergroups: dict[str, list[str]] = {"S_APPROVERS": ["U_CAROL"], "S_ONCALL": ["U_BOB", "U_CAROL"]}
        self.usergroup_handles: dict[str, str] = {"S_APPROVERS": "approvers", "S_ONCALL": "oncall"}
        self.messages: list[Message] = []
        self.ephemerals: list[Ephemeral] = []
        self.responses: list[ResponsePost] = []
        self.files: dict[str, UploadedFile] = {}
        self.views: list[ViewRecord] = []
        self.open_views: dict[str, dict[str, Any]] = {}
        self.view_stacks: dict[str, list[str]] = {}  # user → modal stack (view ids)
        self.view_users: dict[str, str] = {}  # view id → user
        self.triggers: dict[str, tuple[str, float, bool]] = {}  # id → (user, issued, used)
        self.hooks: dict[str, tuple[float, int, str | None, str | None]] = {}  # token → (t, uses, ch, user)
        self.recorded: list[RecordedCall] = []
        self._ids = itertools.count(1)
        self._last_us = 0
        bot = self.bot_user_id
        for user in (
            User(bot, "cekura", "America/Los_Angeles", is_bot=True),
            User("U_ALICE", "alice", "Europe/Berlin", is_admin=True),
            User("U_BOB", "bob", "America/New_York"),
            User("U_CAROL", "carol", "Asia/Kolkata"),
        ):
            self.users[user.id] = user
        everyone = ("U_ALICE", "U_BOB", "U_CAROL")
        self.add_channel("C_GENERAL", "general", members=(bot, *everyone))
        self.add_channel("C_PUBLIC", "support-metrics", members=everyone)
        self.add_channel("G_PRIVATE", "leads", private=True, members=("U_ALICE", "U_CAROL"))
        self.add_channel("C_ARCHIVED", "old-reports", members=(bot, "U_ALICE"), archived=True)
        self.add_channel("C_APPROVALS", "cekura-approvals", members=(bot, "U_ALICE", "U_CAROL"))

    def add_channel(
        self,
        id: str,  # noqa: A002 - Slack's own field name
        name: str,
        *,
        private: bool = False,
        members: tuple[str, ...] | list[str] | set[str] = (),
        archived: bool = False,
    ) -> Channel:
        """Add (or replace) a channel; include `bot_user_id` in members to make the bot a member."""
        channel = Channel(id, name, is_private=private, is_archived=archived, members=set(members))
        self.channels[id] = channel
        return channel

    def require_scope(self, scope: str) -> None:
        """Answer `missing_scope` (with `needed` and `provided`, as Slack does) unless the install has `scope`."""
        if scope not in self.scopes:
            raise SlackError("missing_scope", needed=scope, provided=",".join(sorted(self.scopes)))

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-looking id such as "F0SBX00001"."""
        return f"{prefix}0SBX{next(self._ids):05d}"

    def next_ts(self) -> str:
        """A message ts: wall-clock microseconds, strictly increasing even within one microsecond."""
        micros = max(int(time.time() * 1_000_000), self._last_us + 1)
        self._last_us = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def channel(self, ref: str | None, *, must_be_member: bool = False) -> Channel:
        """Resolve a channel id, `#name` or user id (→ the bot's DM with that user)."""
        if ref is None:
            raise SlackError("channel_not_found")
        found = self.channels.get(ref)
        if found is None and ref in self.users:
            found = self.open_dm([ref])
        if found is None:
            name = ref.removeprefix("#")
            found = next((c for c in self.channels.values() if c.name == name), None)
        if found is None:
            raise SlackError("channel_not_found")
        if must_be_member:
            if found.is_archived:
                raise SlackError("is_archived")
            if self.bot_user_id not in found.members:
                raise SlackError("not_in_channel")
        return found

    def open_dm(self, users: list[str]) -> Channel:
        """The bot's IM (one user) or MPIM (several) with these users, created on first use."""
        wanted = {self.bot_user_id, *users}
        for channel in self.channels.values():
            if (channel.is_im or channel.is_mpim) and channel.members == wanted:
                return channel
        one = len(users) == 1
        channel = self.add_channel(self.new_id("D" if one else "G"), "", private=True, members=wanted)
        channel.is_im, channel.is_mpim = one, not one
        if one:
            channel.user = users[0]
        return channel

    def find_message(self, channel: str, ts: str) -> Message | None:
        """The channel message with this ts, if any."""
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def parent_ts(self, channel: Channel, thread_ts: str | None) -> str | None:
        """Check `thread_ts` names a top-level message of this channel (Slack threads only one level)."""
        if thread_ts is None:
            return None
        parent = self.find_message(channel.id, thread_ts)
        if parent is None or (parent.thread_ts not in (None, parent.ts)):
            raise SlackError("thread_not_found", f"no parent message {thread_ts} in {channel.id}")
        return thread_ts

    def post(self, channel: Channel, via: str, **fields: Any) -> Message:
        """Record a new message in a channel."""
        message = Message(channel=channel.id, ts=self.next_ts(), user=self.bot_user_id, via=via, **fields)
        self.messages.append(message)
        return message

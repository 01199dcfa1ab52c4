"""What the Slack sandbox keeps: channels, users, messages, files, views and calls, with their Slack JSON."""

from __future__ import annotations

import mimetypes
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class Channel:
    """A conversation: public/private channel, IM (`D…`) or MPIM."""

    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    members: set[str] = field(default_factory=set)
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None  # the other party of an IM
    created: int = field(default_factory=lambda: int(time.time()))

    def to_json(self, viewer: str) -> dict[str, Any]:
        """The `channel` object of conversations.* answers, as seen by `viewer`."""
        body: dict[str, Any] = {
            "id": self.id,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_im": self.is_im,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private,
            "is_member": viewer in self.members,
        }
        if self.is_im:
            body["user"] = self.user
        else:
            is_channel = not (self.is_private or self.is_mpim)
            body.update(name=self.name, is_channel=is_channel, is_group=self.is_private and not self.is_mpim)
            body.update(is_general=self.name == "general", num_members=len(self.members))
        return body


@dataclass
class User:
    """A workspace member with an IANA time zone."""

    id: str
    name: str
    tz: str
    is_admin: bool = False
    is_bot: bool = False

    def to_json(self, team_id: str) -> dict[str, Any]:
        """The `user` object of users.info; tz_offset follows the zone today, tz_label is its abbreviation."""
        now = datetime.now(ZoneInfo(self.tz))
        offset = now.utcoffset()
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.name.title(),
            "deleted": False,
            "tz": self.tz,
            "tz_label": now.tzname() or self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_bot": self.is_bot,
            "profile": {"real_name": self.name.title(), "display_name": self.name},
        }


@dataclass
class UploadedFile:
    """A file of the upload-v2 flow; `content` is None until its bytes are POSTed."""

    id: str
    filename: str
    length: int
    title: str = ""
    content: bytes | None = None
    completed: bool = False
    alt_txt: str | None = None
    shares: dict[str, list[str]] = field(default_factory=dict)  # channel → [message ts]
    created: int = field(default_factory=lambda: int(time.time()))

    def to_json(self, base_url: str, team_id: str, user: str) -> dict[str, Any]:
        """The `file` object (without shares; files.info adds them)."""
        mimetype = mimetypes.guess_type(self.filename)[0] or "application/octet-stream"
        private = f"{base_url}/files-pri/{team_id}-{self.id}/{self.filename}"
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.filename,
            "title": self.title or self.filename,
            "mimetype": mimetype,
            "filetype": self.filename.rpartition(".")[2].lower() if "." in self.filename else "binary",
            "user": user,
            "size": self.length,
            "mode": "hosted",
            "is_external": False,
            "url_private": private,
            "url_private_download": private.replace("/files-pri/", "/files-pri-download/"),
            "permalink": f"{base_url}/files/{user}/{self.id}/{self.filename}",
        }


@dataclass
class Message:
    """A message that appeared in a channel (posted, or shared with files); edited in place."""

    channel: str
    ts: str
    text: str | None = None
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    user: str = ""
    files: list[UploadedFile] = field(default_factory=list)
    edited_at: float | None = None
    via: str = "chat.postMessage"

    def to_json(self, bot_id: str) -> dict[str, Any]:
        """The `message` object Slack returns and puts in interaction payloads."""
        body: dict[str, Any] = {"type": "message", "user": self.user, "bot_id": bot_id, "ts": self.ts}
        body["text"] = self.text or ""
        if self.blocks is not None:
            body["blocks"] = self.blocks
        if self.thread_ts is not None:
            body["thread_ts"] = self.thread_ts
        if self.files:
            body["files"] = [{"id": f.id, "name": f.filename, "title": f.title} for f in self.files]
        if self.edited_at is not None:
            body["edited"] = {"user": self.user, "ts": f"{self.edited_at:.6f}"}
        return body


@dataclass
class Ephemeral:
    """A chat.postEphemeral message (only `user` sees it)."""

    channel: str
    user: str
    ts: str
    text: str | None = None
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None


class ResponsePost(dict[str, Any]):
    """One POST to a response_url: the JSON exactly as posted (so `post["text"]` works), plus attributes.

    The attributes `text`, `blocks`, `response_type`, `replace_original`, `delete_original` and
    `thread_ts` read the payload with Slack's defaults; `url`, `channel`, `user` and `at` say
    where and when it was posted (channel/user as bound by the driver, else None).
    """

    def __init__(self, payload: dict[str, Any], *, url: str, channel: str | None, user: str | None) -> None:
        super().__init__(payload)
        self.url = url
        self.channel = channel
        self.user = user
        self.at = time.monotonic()

    @property
    def text(self) -> str | None:
        """The `text` field."""
        return self.get("text")

    @property
    def blocks(self) -> list[dict[str, Any]] | None:
        """The `blocks` field."""
        return self.get("blocks")

    @property
    def response_type(self) -> str | None:
        """`ephemeral`, `in_channel`, or None (Slack then treats it as ephemeral)."""
        return self.get("response_type")

    @property
    def replace_original(self) -> bool:
        """Whether the post replaces the message the interaction came from."""
        return bool(self.get("replace_original", False))

    @property
    def delete_original(self) -> bool:
        """Whether the post deletes the message the interaction came from."""
        return bool(self.get("delete_original", False))

    @property
    def thread_ts(self) -> str | None:
        """The `thread_ts` field."""
        return self.get("thread_ts")


@dataclass
class ViewRecord:
    """One views.open/push/update/publish; `view` is the stored view (with its `id`)."""

    method: str
    view: dict[str, Any]
    user: str | None = None
    trigger_id: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class RecordedCall:
    """One Web API call as the sandbox received it, with the error it answered (None if ok)."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    error: str | None = None
    status: int = 200

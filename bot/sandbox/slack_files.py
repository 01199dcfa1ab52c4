"""The Slack sandbox's upload-v2 flow: getUploadURLExternal → POST the bytes → completeUploadExternal.

As in Slack, completing shares every listed file as ONE message per target channel, a file can
be completed only once, and the bot must be a member of every target channel.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from bot.sandbox.server import Request, Response
from bot.sandbox.slack_blocks import size_error
from bot.sandbox.slack_chat import Handler, message_blocks
from bot.sandbox.slack_records import UploadedFile
from bot.sandbox.slack_state import Params, SlackError, SlackState

MAX_ALT_TXT = 1000
MAX_CHANNELS = 100


def get_upload_url(state: SlackState, p: Params) -> dict[str, Any]:
    """files.getUploadURLExternal: reserve a file id and hand out where to POST its bytes."""
    filename = p.require("filename")
    raw_length = p.require("length")
    try:
        length = int(raw_length)
    except ValueError:
        raise SlackError("invalid_arguments", f"length must be an integer, got {raw_length!r}") from None
    if length <= 0:
        raise SlackError("missing_argument", "length must be greater than 0")
    alt_txt = p.text("alt_txt")
    if alt_txt is not None and len(alt_txt) > MAX_ALT_TXT:
        raise SlackError("alt_txt_too_large")
    file = UploadedFile(state.new_id("F"), filename, length, alt_txt=alt_txt)
    state.files[file.id] = file
    return {"upload_url": f"{state.url}/upload/{file.id}", "file_id": file.id}


def _body_bytes(request: Request) -> bytes:
    """The uploaded bytes: the whole body, or the `file`/`filename` part of a multipart body."""
    content_type = request.header("content-type") or ""
    if not content_type.startswith("multipart/form-data"):
        return request.body  # slack_sdk POSTs raw bytes (urllib labels them form-urlencoded)
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    parsed = BytesParser(policy=HTTP).parsebytes(head + request.body)
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name in ("file", "filename") or part.get_filename():
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    return b""


def upload(state: SlackState, file_id: str, request: Request) -> Response:
    """POST /upload/<file_id>: store the bytes; 200 "OK - <length>" like files.slack.com."""
    file = state.files.get(file_id)
    if file is None or file.completed:
        return Response(404, b"file not found", {"Content-Type": "text/plain"})
    data = _body_bytes(request)
    if len(data) != file.length:
        message = f"length mismatch: announced {file.length}, received {len(data)}"
        return Response(400, message.encode(), {"Content-Type": "text/plain"})
    file.content = data
    return Response(200, f"OK - {len(data)}".encode(), {"Content-Type": "text/plain"})


def _targets(p: Params) -> list[str]:
    """`channel_id` and/or `channels` (comma-separated channel or user ids)."""
    refs = [r.strip() for r in (p.text("channels") or "").split(",") if r.strip()]
    single = p.text("channel_id")
    if single and single not in refs:
        refs.insert(0, single)
    if len(refs) > MAX_CHANNELS:
        raise SlackError("channels_limit_exceeded")
    return refs


def complete_upload(state: SlackState, p: Params) -> dict[str, Any]:
    """files.completeUploadExternal: check everything first, then share all files as one message."""
    items = p.json("files")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) and i.get("id") for i in items):
        raise SlackError("invalid_arguments", "files must be a non-empty array of {id, title}")
    files: list[UploadedFile] = []
    for item in items:
        file = state.files.get(str(item["id"]))
        if file is None or file.content is None:
            raise SlackError("file_not_found", f"file {item['id']} has no uploaded content")
        if file.completed:
            raise SlackError("invalid_arguments", f"file {file.id} was already completed")
        files.append(file)
    refs = _targets(p)
    thread_ts = p.text("thread_ts")
    if thread_ts is not None and len(refs) != 1:
        raise SlackError("invalid_arguments", "thread_ts needs exactly one channel")
    channels = [state.channel(ref, must_be_member=True) for ref in refs]
    if channels:
        state.parent_ts(channels[0], thread_ts)
    comment = p.text("initial_comment")
    if size_error(comment, None):
        raise SlackError("msg_too_long")
    # Slack ignores blocks when initial_comment is set, so they are not even validated then
    blocks = message_blocks(p) if comment is None else None
    for file, item in zip(files, items, strict=True):
        file.completed = True
        file.title = str(item.get("title") or file.filename)
    for channel in channels:
        message = state.post(
            channel,
            "files.completeUploadExternal",
            text=comment,
            blocks=blocks,
            thread_ts=thread_ts,
            files=list(files),
        )
        for file in files:
            file.shares.setdefault(channel.id, []).append(message.ts)
    # like Slack, no `shares` here: sharing is asynchronous there; read them with files.info
    return {"files": [f.to_json(state.url, state.team_id, state.bot_user_id) for f in files]}


def _share(state: SlackState, channel_id: str, ts: str) -> dict[str, Any]:
    """One `shares.<public|private>.<channel>[]` entry, as Slack writes it (thread fields included)."""
    entry: dict[str, Any] = {
        "ts": ts,
        "channel_name": state.channels[channel_id].name,
        "team_id": state.team_id,
        "share_user_id": state.bot_user_id,
        "source": "UNKNOWN",
    }
    message = state.find_message(channel_id, ts)
    if message is not None and message.thread_ts not in (None, ts):
        entry["thread_ts"] = message.thread_ts  # shared as a reply
        return entry
    replies = [m for m in state.messages if m.channel == channel_id and m.thread_ts == ts and m.ts != ts]
    entry.update(reply_users=sorted({m.user for m in replies}), reply_users_count=len({m.user for m in replies}))
    entry["reply_count"] = len(replies)
    if replies:
        entry["latest_reply"] = replies[-1].ts
    return entry


def files_info(state: SlackState, p: Params) -> dict[str, Any]:
    """files.info: the file with `shares.<public|private>.<channel id>` = [{ts, channel_name, …}, …].

    A file uploaded but never completed is `file_not_found`, as in Slack (it was never created).
    """
    file = state.files.get(p.text("file") or "")
    if file is None or not file.completed:
        raise SlackError("file_not_found")
    body = file.to_json(state.url, state.team_id, state.bot_user_id)
    shares: dict[str, dict[str, list[dict[str, Any]]]] = {}
    lists: dict[str, list[str]] = {"channels": [], "groups": [], "ims": []}
    for channel_id, stamps in file.shares.items():
        channel = state.channels[channel_id]
        kind = "private" if channel.is_private else "public"
        entries = [_share(state, channel_id, ts) for ts in stamps]
        shares.setdefault(kind, {})[channel_id] = entries
        group = "ims" if channel.is_im else "groups" if channel.is_private else "channels"
        lists[group].append(channel_id)
    body.update(lists, shares=shares, is_public="public" in shares)
    return {"file": body, "comments": [], "response_metadata": {"next_cursor": ""}}


FILE_METHODS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "files.info": files_info,
}

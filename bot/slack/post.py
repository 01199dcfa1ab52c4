"""Posting chart messages to Slack: PNGs attached to one message, uploaded concurrently.

Slack's upload flow has three steps (get an upload URL per file, POST the bytes, complete once for
all files, which shares them as one message carrying our blocks). The first two are bot/slack/upload.py;
here is the third. Slack fails past about 14 files in one message, so charts go 10 to a message and
the rest continue in the first one's thread.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import SlackDeliveryError, UpstreamError
from bot.slack.text import Mrkdwn, md
from bot.slack.upload import ChartFile, PendingUploads, Uploader

log = logging.getLogger(__name__)
FILES_PER_MESSAGE = 10
_T = TypeVar("_T")
SlackBlock = dict[str, Any]

NOT_IN_CHANNEL = (
    "I can't post in this channel because I'm not a member, and I can't join it myself (it is private "
    "or a direct message). Invite me with `/invite @cekura`, then try again."
)
ARCHIVED = "This channel is archived, so nothing can be posted in it."


class SlackPoster:
    """Posts messages and chart files through one WebClient (which carries the 429 retry handlers)."""

    def __init__(
        self,
        client: WebClient,
        io: Executor,
        *,
        sleep: Callable[[float], None] = time.sleep,
        share_wait_s: float = 10.0,
    ) -> None:
        self.client = client
        self.sleep = sleep
        self.share_wait_s = share_wait_s
        self.uploader = Uploader(client, io, sleep=sleep)

    def post_charts(
        self,
        channel: str,
        *,
        text: Mrkdwn,
        blocks: Sequence[SlackBlock],
        files: Sequence[ChartFile],
        more_text: Callable[[int, int], Mrkdwn] = lambda first, last: md("Charts {0}–{1}", first, last),
        pending: PendingUploads | None = None,
        thread_ts: str | None = None,
        on_uploaded: Callable[[list[str]], None] | None = None,
        want_ts: bool = False,
    ) -> str | None:
        """Post `blocks` with the first 10 files as one message, the rest in its thread.

        Without `blocks`, `text` is the files' comment; with them, Slack's upload takes no text.

        With `thread_ts`, everything goes into that thread instead. `on_uploaded(file_ids)` runs
        once the first message's files are uploaded, before they are shared (crash recovery).

        `text` and the thread comments from `more_text` are Mrkdwn (bot/slack/text.py): Slack parses
        both, so data in them must have been escaped.

        Returns the message ts when it was needed (a thread, or `want_ts`: a record that links to
        it), else None: Slack shares files asynchronously and learning the ts costs polling.
        """
        return self._joining(
            channel,
            lambda: self._post_batches(
                channel, text, blocks, files, more_text, pending, thread_ts, on_uploaded, want_ts=want_ts
            ),
        )

    def pending(self) -> PendingUploads:
        """A holder for uploads started before the message is ready."""
        return PendingUploads(self.uploader)

    def post_message(
        self, channel: str, *, text: Mrkdwn, blocks: Sequence[SlackBlock], thread_ts: str | None = None
    ) -> str:
        """A plain chat.postMessage; returns the message ts."""
        return self._joining(channel, lambda: self._post_text(channel, text, blocks, thread_ts))

    def _post_text(self, channel: str, text: Mrkdwn, blocks: Sequence[SlackBlock], thread_ts: str | None) -> str:
        response = self.client.chat_postMessage(channel=channel, text=text, blocks=list(blocks), thread_ts=thread_ts)
        return str(response["ts"])

    def _post_batches(
        self,
        channel: str,
        text: Mrkdwn,
        blocks: Sequence[SlackBlock],
        files: Sequence[ChartFile],
        more_text: Callable[[int, int], Mrkdwn],
        pending: PendingUploads | None,
        thread_ts: str | None,
        on_uploaded: Callable[[list[str]], None] | None = None,
        *,
        want_ts: bool = False,
    ) -> str | None:
        if not files:
            return self._post_text(channel, text, blocks, thread_ts)
        first = self.uploader.upload(files[:FILES_PER_MESSAGE], pending)
        if on_uploaded is not None:
            on_uploaded([file_id for file_id, _ in first])
        # Slack ignores blocks when initial_comment is set and takes no `text` here, so a message
        # without blocks carries its words as the comment (they are then its notification text).
        comment = None if blocks else text
        self._complete(channel, first, blocks=blocks, thread_ts=thread_ts, comment=comment)
        if len(files) <= FILES_PER_MESSAGE:
            # No thread needed: spend a files.info call on the ts only when the caller keeps it.
            return self._share_ts(channel, first[0][0]) if want_ts else None
        parent_ts = thread_ts or self._share_ts(channel, first[0][0])
        for start in range(FILES_PER_MESSAGE, len(files), FILES_PER_MESSAGE):
            batch = files[start : start + FILES_PER_MESSAGE]
            uploaded = self.uploader.upload(batch, pending)
            comment = more_text(start + 1, start + len(batch))
            self._complete(channel, uploaded, blocks=None, thread_ts=parent_ts, comment=comment)
        return parent_ts

    def _complete(
        self,
        channel: str,
        uploaded: Sequence[tuple[str, str]],
        *,
        blocks: Sequence[SlackBlock] | None,
        thread_ts: str | None,
        comment: Mrkdwn | None,
    ) -> None:
        extra: dict[str, Any] = {"blocks": json.dumps(list(blocks))} if blocks else {}
        self.client.files_completeUploadExternal(
            files=[{"id": file_id, "title": title} for file_id, title in uploaded],
            channel_id=channel,
            thread_ts=thread_ts,
            initial_comment=comment,
            **extra,
        )

    def shared_in(self, channel: str, file_id: str) -> tuple[str, str | None] | None:
        """(ts, thread_ts) of the message that shared `file_id` in `channel`, top-level shares first;
        None when it was never shared there (or never completed): how a restart tells a post landed."""
        try:
            info = self.client.files_info(file=file_id)
        except SlackApiError as exc:
            if exc.response.get("error") == "file_not_found":
                return None  # uploaded but never completed: nothing reached the channel
            raise
        shares = info["file"].get("shares") or {}
        entries = [*(shares.get("public") or {}).get(channel, []), *(shares.get("private") or {}).get(channel, [])]
        if not entries:
            return None
        first = sorted(entries, key=lambda e: "thread_ts" in e)[0]
        thread_ts = first.get("thread_ts")
        return str(first["ts"]), None if thread_ts is None else str(thread_ts)

    def _share_ts(self, channel: str, file_id: str) -> str:
        """The ts of the message a file was shared in; Slack shares asynchronously, so poll."""
        deadline = time.monotonic() + self.share_wait_s
        delay = 0.1
        while (share := self.shared_in(channel, file_id)) is None:
            if time.monotonic() > deadline:
                raise UpstreamError("Slack", "the chart message did not appear in time")
            self.sleep(delay)
            delay = min(delay * 2, 1.0)
        return share[0]

    def _joining(self, channel: str, post: Callable[[], _T]) -> _T:
        """Run `post`; if the bot is not in a public channel, join it once and post again."""
        try:
            return post()
        except SlackApiError as exc:
            code = str(exc.response.get("error", ""))
            if code != "not_in_channel":
                raise _delivery_error(exc) from exc
        try:
            self.client.conversations_join(channel=channel)
        except SlackApiError as exc:
            log.info("could not join %s: %s", channel, exc.response.get("error"))
            raise SlackDeliveryError("not_in_channel", NOT_IN_CHANNEL) from exc
        log.info("joined public channel %s to post", channel)
        try:
            return post()
        except SlackApiError as exc:
            raise _delivery_error(exc) from exc

    def close(self) -> None:
        """Release the upload HTTP client."""
        self.uploader.close()


def _delivery_error(exc: SlackApiError) -> Exception:
    code = str(exc.response.get("error", "unknown_error"))
    if code == "not_in_channel":
        return SlackDeliveryError(code, NOT_IN_CHANNEL)
    if code == "is_archived":
        return SlackDeliveryError(code, ARCHIVED)
    if code in ("ratelimited", "internal_error", "fatal_error", "service_unavailable"):
        return UpstreamError("Slack", code)
    if code == "channel_not_found":
        return SlackDeliveryError(code, "I can't see this channel. Invite me with `/invite @cekura` and try again.")
    return SlackDeliveryError(code, f"Slack refused the post ({code}).")

"""Posting chart messages to Slack: PNGs attached to one message, uploaded concurrently.

Slack's upload flow has three steps (get an upload URL per file, POST the bytes, complete once for
all files, which shares them as one message carrying our blocks). slack_sdk's `files_upload_v2`
does the first two one file after another; here they run side by side. Slack fails past about 14
files in one message, so charts go 10 to a message and the rest continue in the first one's thread.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_random_exponential

from bot import deadlines
from bot.deadlines import deadline_transport
from bot.errors import SlackDeliveryError, UpstreamError
from bot.slack_text import Mrkdwn, md

log = logging.getLogger(__name__)
FILES_PER_MESSAGE = 10
UPLOAD_ATTEMPT_S = 15.0  # one PNG (≤ a few hundred kB) to Slack's upload URL, connect to last byte
UPLOAD_BUDGET_S = 30.0  # one file's upload with every retry
ALT_TXT_LIMIT = 1000  # files.getUploadURLExternal refuses longer alt_txt (alt_txt_too_large)
_T = TypeVar("_T")
SlackBlock = dict[str, Any]

NOT_IN_CHANNEL = (
    "I can't post in this channel because I'm not a member, and I can't join it myself (it is private "
    "or a direct message). Invite me with `/invite @cekura`, then try again."
)
ARCHIVED = "This channel is archived, so nothing can be posted in it."


@dataclass(frozen=True)
class ChartFile:
    """One PNG to attach."""

    filename: str
    title: str
    content: bytes
    alt: str = ""  # what the chart shows, for screen readers (Slack's `alt_txt`)


class PendingUploads:
    """Uploads (steps 1–2) started early, as each chart is drawn; `post_charts` completes them."""

    def __init__(self, poster: SlackPoster) -> None:
        self._poster = poster
        self._futures: dict[str, Future[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def start(self, chart: ChartFile) -> None:
        """Begin uploading `chart` in the background."""
        future = self._poster.io.submit(self._poster._upload_one, chart)
        with self._lock:
            self._futures[chart.filename] = future

    def take(self, chart: ChartFile) -> Future[tuple[str, str]] | None:
        """The early upload of `chart`, once (a second post, after joining a channel, uploads afresh)."""
        with self._lock:
            return self._futures.pop(chart.filename, None)


def _retryable_upload(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and (
        exc.response.status_code == 429 or exc.response.status_code >= 500
    )


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
        self.io = io
        self.sleep = sleep
        self.share_wait_s = share_wait_s
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
        self._http = httpx.Client(timeout=UPLOAD_ATTEMPT_S, transport=deadline_transport(limits))

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

        `text` and the thread comments from `more_text` are Mrkdwn (bot/slack_text.py): Slack parses
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
        return PendingUploads(self)

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
        first = self._upload(files[:FILES_PER_MESSAGE], pending)
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
            uploaded = self._upload(batch, pending)
            comment = more_text(start + 1, start + len(batch))
            self._complete(channel, uploaded, blocks=None, thread_ts=parent_ts, comment=comment)
        return parent_ts

    def _upload(self, files: Sequence[ChartFile], pending: PendingUploads | None = None) -> list[tuple[str, str]]:
        """Steps 1–2 for every file at once (reusing early uploads); (file_id, title) pairs in order."""
        futures = []
        for chart in files:
            early = pending.take(chart) if pending is not None else None
            futures.append(early or self.io.submit(self._upload_one, chart))
        results = []
        for chart, future in zip(files, futures, strict=True):
            try:
                results.append(future.result())
            except SlackApiError:
                raise
            except Exception:
                # An early upload that failed gets one more go, now, with its own retries.
                results.append(self._upload_one(chart))
        return results

    def _upload_one(self, chart: ChartFile) -> tuple[str, str]:
        # slack_sdk's files_upload_v2 sends alt_txt here too: Slack takes it when the upload is reserved.
        ticket = self.client.files_getUploadURLExternal(
            filename=chart.filename, length=len(chart.content), alt_txt=_alt_txt(chart)
        )
        url, file_id = str(ticket["upload_url"]), str(ticket["file_id"])
        # slack_sdk's retry handlers do not cover this raw POST, so it gets its own policy, and its
        # own deadline: UPLOAD_ATTEMPT_S per attempt in total, UPLOAD_BUDGET_S with every retry.
        try:
            with deadlines.within(UPLOAD_BUDGET_S):
                for attempt in Retrying(
                    retry=retry_if_exception(_retryable_upload),
                    wait=wait_random_exponential(multiplier=0.2, max=4),
                    stop=stop_after_attempt(4) | stop_after_delay(UPLOAD_BUDGET_S - UPLOAD_ATTEMPT_S / 4),
                    sleep=self.sleep,
                    reraise=True,
                ):
                    with attempt, deadlines.within(UPLOAD_ATTEMPT_S):
                        response = self._http.post(url, content=chart.content, headers={"Content-Type": "image/png"})
                        response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise UpstreamError("Slack", f"the file upload failed with HTTP {exc.response.status_code}") from exc
        except httpx.TimeoutException as exc:
            raise UpstreamError("Slack", "the file upload timed out") from exc
        except httpx.TransportError as exc:
            raise UpstreamError("Slack", "the file upload lost its connection") from exc
        return file_id, chart.title

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
        self._http.close()


def _alt_txt(chart: ChartFile) -> str:
    """The chart's alt text within Slack's 1,000 characters (the title when nothing better is known)."""
    text = chart.alt or chart.title
    return text if len(text) <= ALT_TXT_LIMIT else text[: ALT_TXT_LIMIT - 1] + "…"


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

"""Steps 1–2 of Slack's file upload, one PNG at a time and many side by side: reserve an upload URL
(files.getUploadURLExternal), then POST the bytes to it. `SlackPoster` completes them (step 3).

slack_sdk's `files_upload_v2` does these steps one file after another, and its retry handlers do
not cover the raw POST: here each file gets its own retry policy and deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_random_exponential

from bot import deadlines
from bot.deadlines import deadline_transport
from bot.errors import UpstreamError

UPLOAD_ATTEMPT_S = 15.0  # one PNG (≤ a few hundred kB) to Slack's upload URL, connect to last byte
UPLOAD_BUDGET_S = 30.0  # one file's upload with every retry
ALT_TXT_LIMIT = 1000  # files.getUploadURLExternal refuses longer alt_txt (alt_txt_too_large)


@dataclass(frozen=True)
class ChartFile:
    """One PNG to attach."""

    filename: str
    title: str
    content: bytes
    alt: str = ""  # what the chart shows, for screen readers (Slack's `alt_txt`)


class Uploader:
    """Uploads chart files through `client` (step 1) and its own HTTP client (step 2), on `io`."""

    def __init__(self, client: WebClient, io: Executor, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.io = io
        self.sleep = sleep
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
        self._http = httpx.Client(timeout=UPLOAD_ATTEMPT_S, transport=deadline_transport(limits))

    def upload(self, files: Sequence[ChartFile], pending: PendingUploads | None = None) -> list[tuple[str, str]]:
        """Every file at once (reusing early uploads from `pending`); (file_id, title) pairs in order."""
        futures = []
        for chart in files:
            early = pending.take(chart) if pending is not None else None
            futures.append(early or self.io.submit(self.upload_one, chart))
        results = []
        for chart, future in zip(files, futures, strict=True):
            try:
                results.append(future.result())
            except SlackApiError:
                raise
            except Exception:
                # An early upload that failed gets one more go, now, with its own retries.
                results.append(self.upload_one(chart))
        return results

    def upload_one(self, chart: ChartFile) -> tuple[str, str]:
        """Reserve and send one file; its (file_id, title)."""
        # slack_sdk's files_upload_v2 sends alt_txt here too: Slack takes it when the upload is reserved.
        ticket = self.client.files_getUploadURLExternal(
            filename=chart.filename, length=len(chart.content), alt_txt=alt_txt(chart)
        )
        url, file_id = str(ticket["upload_url"]), str(ticket["file_id"])
        # UPLOAD_ATTEMPT_S per attempt in total, UPLOAD_BUDGET_S with every retry.
        try:
            with deadlines.within(UPLOAD_BUDGET_S):
                for attempt in Retrying(
                    retry=retry_if_exception(_retryable),
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

    def close(self) -> None:
        """Release the upload HTTP client."""
        self._http.close()


class PendingUploads:
    """Uploads started early, as each chart is drawn; the post that follows completes them."""

    def __init__(self, uploader: Uploader) -> None:
        self._uploader = uploader
        self._futures: dict[str, Future[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def start(self, chart: ChartFile) -> None:
        """Begin uploading `chart` in the background."""
        future = self._uploader.io.submit(self._uploader.upload_one, chart)
        with self._lock:
            self._futures[chart.filename] = future

    def take(self, chart: ChartFile) -> Future[tuple[str, str]] | None:
        """The early upload of `chart`, once (a second post, after joining a channel, uploads afresh)."""
        with self._lock:
            return self._futures.pop(chart.filename, None)


def alt_txt(chart: ChartFile) -> str:
    """The chart's alt text within Slack's 1,000 characters (the title when nothing better is known)."""
    text = chart.alt or chart.title
    return text if len(text) <= ALT_TXT_LIMIT else text[: ALT_TXT_LIMIT - 1] + "…"


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and (
        exc.response.status_code == 429 or exc.response.status_code >= 500
    )

"""Shared pieces of the Cekura sandbox tests: the fixed moment, a hand-moved clock, request helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # a Monday afternoon
KEY = {"X-CEKURA-API-KEY": "sandbox-key"}
REQUIRED = "A timestamp filter (gt or gte) is required on the dashboard, the widget or the override."
TOO_OLD = "Timestamp filter value is too far in the past. Maximum allowed range is 30 days."
LAST_WEEK = {"field": "timestamp", "op": "gte", "value": "now-7d"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def bulk(api: httpx.Client, ids: list[int], **body: object) -> httpx.Response:
    """POST bulk_data for `ids` (plus extra body members)."""
    return api.post("/dashboards/widgets/bulk_data/", json={"widget_ids": ids, **body})

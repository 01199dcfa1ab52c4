"""Walking Cekura's DRF pages: every `next` link, on our own origin, within a bound.

    widgets = all_pages(calls, "GET", "/dashboards/widgets/", Widget, {"dashboard_id": 12})

`next` is followed as given (bulk_data pages are POSTs that re-send the same body), moved onto the
client's base URL so the API key never travels elsewhere, and a loop or an endless run of pages is
a plain error instead of a hang.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.cekura.calls import Calls, M, Params
from bot.cekura_models import Page

# Real listings are dashboards or widgets of one org (hundreds) in pages of up to 100; bulk_data asks
# for a whole group in one page. 200 pages or 20,000 items is far past any of them, and at ~50 ms
# a page still ends in ~10 s, inside a command's deadline. Past it, `next` is a server bug.
MAX_PAGES = 200
MAX_ITEMS = 20_000


def all_pages(calls: Calls, method: str, url: str, item: type[M], params: Params, body: Any = None) -> list[M]:
    """Every item of every page, validated as `item`."""
    items: list[M] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url is not None:
        if len(seen) >= MAX_PAGES or len(items) >= MAX_ITEMS:
            what = f"it kept sending more pages: over {MAX_PAGES} pages or {MAX_ITEMS:,} items"
            raise calls.bad_data(method, url, what, f"after {len(seen)} pages, {len(items)} items")
        seen.add(next_url)
        page = calls.request(method, next_url, Page, params=params, body=body)
        items += [calls.validate(item, result, method, next_url) for result in page.results]
        params = None  # the server's `next` already carries the query
        next_url = same_origin(page.next, calls.base_url)
        if next_url is not None and next_url in seen:
            raise calls.give_up(method, next_url, "pagination loop")
    return items


def same_origin(url: str | None, base: httpx.URL) -> str | None:
    """A `next` link moved onto our base URL's scheme and host, so the API key never travels elsewhere.

    (A proxy in front of Cekura may write its internal host or plain http into `next`.)
    """
    if url is None:
        return None
    target = httpx.URL(url)
    return str(target.copy_with(scheme=base.scheme, host=base.host, port=base.port))

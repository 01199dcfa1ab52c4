"""HTTP plumbing of the Cekura sandbox: DRF-style errors, bodies, page-number pagination, faults.

Everything here imitates Django REST Framework, which Cekura runs on: errors are
`{"detail": "…"}` or `{"<field>": ["…"]}`, pages are `{count, next, previous, results}` with
absolute `next`/`previous` URLs whose query keeps every other parameter.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from bot.sandbox.server import Request, Response

T = TypeVar("T")

MAX_PAGE_SIZE = 100
NOT_FOUND = "Not found."
DEFAULT_DETAILS = {
    400: "Bad request.",
    401: "Invalid API key.",
    403: "You do not have permission to perform this action.",
    404: NOT_FOUND,
    408: "Request timeout.",
    429: "Request was throttled.",
    500: "A server error occurred.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable, try again later.",
    504: "Gateway timeout.",
}


class BadRequest(Exception):
    """Raised inside a view to answer with a 4xx JSON body."""

    def __init__(self, body: dict[str, Any], status: int = 400) -> None:
        super().__init__(body)
        self.body = body
        self.status = status


def lookup(records: Mapping[int, T], ident: int) -> T:
    """The record with id `ident`; raises BadRequest as a 404 `Not found.` when there is none."""
    record = records.get(ident)
    if record is None:
        raise BadRequest({"detail": NOT_FOUND}, 404)
    return record


def detail(status: int, message: str) -> Response:
    """A `{"detail": message}` response."""
    return Response.json({"detail": message}, status)


def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; raises BadRequest in DRF's words otherwise."""
    if not request.body:
        return {}
    try:
        payload = json.loads(request.body)
    except ValueError as exc:
        raise BadRequest({"detail": f"JSON parse error - {exc}"}) from exc
    if not isinstance(payload, dict):
        kind = type(payload).__name__
        raise BadRequest({"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]})
    return payload


def int_param(request: Request, name: str) -> int | None:
    """An integer query parameter (None when absent); raises BadRequest when it is not a number."""
    values = request.query.get(name)
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError as exc:
        raise BadRequest({name: ["Enter a number."]}) from exc


def paginate(
    items: Sequence[T],
    request: Request,
    base_url: str,
    default_size: int,
    transform: Callable[[T], Any] | None = None,
) -> dict[str, Any]:
    """One DRF page of `items` (`transform` runs only on the page's items); raises on a bad page."""
    size = default_size
    raw_size = request.query.get("page_size")
    if raw_size:
        # DRF ignores a page_size it cannot use rather than failing the request.
        try:
            size = int(raw_size[0]) if int(raw_size[0]) > 0 else default_size
        except ValueError:
            size = default_size
    size = min(size, MAX_PAGE_SIZE)
    pages = max(1, math.ceil(len(items) / size))
    raw_page = (request.query.get("page") or ["1"])[0]
    try:
        page = int(raw_page)
    except ValueError:
        page = 0 if raw_page != "last" else pages
    if not 1 <= page <= pages:
        raise BadRequest({"detail": "Invalid page."}, 404)
    chunk = items[(page - 1) * size : page * size]
    return {
        "count": len(items),
        "next": _page_url(request, base_url, page + 1) if page < pages else None,
        "previous": _page_url(request, base_url, page - 1) if page > 1 else None,
        "results": [transform(item) for item in chunk] if transform else list(chunk),
    }


def _page_url(request: Request, base_url: str, page: int) -> str:
    query = {key: values for key, values in request.query.items() if key != "page"}
    if page > 1:
        query["page"] = [str(page)]
    encoded = urlencode(sorted(query.items()), doseq=True)
    return f"{base_url}{request.path}" + (f"?{encoded}" if encoded else "")


@dataclass
class Fault:
    """An injected failure for the next `times` requests matching path (and method).

    An error `status` answers at once. With status 200 and neither `raw` nor `endless`, the real
    answer is sent, but `hang` seconds late and/or one byte every `drip` seconds. `raw` answers
    with those bytes (deep or odd JSON); `endless` answers page N with one item and a `next` link
    to page N+1, forever.
    """

    path_contains: str
    status: int
    times: int
    retry_after: float | None = None
    body: dict[str, Any] | None = None
    method: str | None = None
    hang: float = 0.0
    drip: float = 0.0
    raw: bytes | None = None
    endless: dict[str, Any] | None = None

    def matches(self, request: Request) -> bool:
        """Whether this fault applies to the request."""
        if self.method is not None and self.method.upper() != request.method:
            return False
        return self.path_contains in request.path

    @property
    def passthrough(self) -> bool:
        """Whether the real answer is sent (only slowed down)."""
        return self.status == 200 and self.raw is None and self.endless is None

    def slowed(self, response: Response) -> Response:
        """`response`, sent as slowly as this fault says."""
        response.delay, response.drip = self.hang, self.drip
        return response

    def response(self, request: Request | None = None, base_url: str = "") -> Response:
        """The response the fault answers with."""
        if self.raw is not None:
            return self.slowed(Response(self.status, self.raw, {"Content-Type": "application/json"}))
        if self.endless is not None and request is not None:
            page = int((request.query.get("page") or ["1"])[0])
            following = _page_url(request, base_url, page + 1)
            page_body = {"count": 10**9, "next": following, "previous": None, "results": [self.endless]}
            return self.slowed(Response.json(page_body))
        headers: dict[str, str] = {}
        transient = self.status == 429 or self.status >= 500
        if transient and self.retry_after is not None:
            # Whole seconds as HTTP says, but fractions survive so tests and benchmarks stay fast.
            seconds = self.retry_after
            headers["Retry-After"] = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        body = self.body
        if body is None:
            message = DEFAULT_DETAILS.get(self.status, f"Injected failure (HTTP {self.status}).")
            if self.status == 429 and self.retry_after is not None:
                message += f" Expected available in {math.ceil(self.retry_after)} seconds."
            body = {"detail": message}
        return self.slowed(Response.json(body, self.status, headers))


def and_filters(*nodes: dict[str, Any] | None) -> dict[str, Any] | None:
    """The AND of the non-empty filters (the node itself when only one is set, None when none is)."""
    present = [node for node in nodes if node]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return {"operator": "and", "conditions": present}

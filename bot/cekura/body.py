"""Reading a Cekura answer defensively: by a deadline, up to a size, as JSON the bot can handle.

Cekura's data reaches recursive code (filter printers, validators) and charts, so odd data is
stopped here with a plain reason: bodies over `MAX_BODY_BYTES`, JSON nested deeper than
`MAX_DEPTH`, NaN/Infinity (not JSON at all, though Python's parser accepts them) and numbers
too large to be real. Each failure is a `BadData` whose message is safe to show.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx

from bot.deadlines import Deadline

# The biggest real answer is a bulk_data page: 30 widgets × 720 hourly points × ~100 bytes ≈ 2 MB.
MAX_BODY_BYTES = 32 * 1024 * 1024
# The deepest real answer is a dashboard → widget → filter group → condition: a dozen levels. 64
# leaves room for generous filters while staying far below Python's recursion limit (1000 frames)
# for the bot's recursive filter code.
MAX_DEPTH = 64


class BadData(ValueError):
    """An answer the bot will not read; `str()` says why in plain words."""


def read_body(response: httpx.Response, deadline: Deadline) -> httpx.Response:
    """The streamed `response`, read by `deadline` and at most MAX_BODY_BYTES, as a plain response.

    The transport already stops at the deadline on real sockets; the check between chunks also
    covers in-process transports (tests) and keeps a runaway body from filling memory.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise BadData(f"an answer larger than {MAX_BODY_BYTES // (1024 * 1024)} MB")
            chunks.append(chunk)
            if deadline.expired:
                raise httpx.ReadTimeout("the attempt's deadline passed", request=response.request)
    finally:
        response.close()
    # Decoded already, so the encoding headers must not make httpx decode a second time.
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("content-encoding", "content-length")]
    return httpx.Response(response.status_code, headers=headers, content=b"".join(chunks), request=response.request)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadData(f"a number too large to be real ({text[:20]}…)")
    return value


def _no_constants(name: str) -> Any:
    raise BadData(f"{name}, which is not a number")


def parse_json(content: bytes) -> Any:
    """The body as JSON, refusing NaN/Infinity, absurd numbers and nesting deeper than MAX_DEPTH."""
    try:
        data = json.loads(content, parse_float=_finite_float, parse_constant=_no_constants)
    except BadData:
        raise
    except RecursionError:
        raise BadData(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        # Covers bodies that are not JSON and integers past Python's 4,300-digit conversion limit.
        raise BadData("an answer that is not valid JSON") from exc
    if too_deep(data):
        raise BadData(f"JSON nested more than {MAX_DEPTH} levels deep")
    return data


def too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `data` nests lists/objects more than `limit` levels (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False

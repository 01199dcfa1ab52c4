"""What the delivery ledger hands out: a snapshot of one row, a slot due now, and the names it keys by."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from bot.digests.store import Subscription
from bot.digests.tables import DeliveryState


def slot_key(moment: datetime) -> datetime:
    """The ledger's form of a slot: aware UTC, whole seconds (APScheduler's run time → key)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive slot {moment!r}: slots must be aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def worker_id() -> str:
    """A name for this process in `claimed_by`: host, pid and a random part (pids get reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Delivery:
    """A snapshot of one ledger row."""

    id: int
    subscription_id: int
    slot: datetime
    state: DeliveryState
    late: bool
    claimed_by: str
    claimed_at: datetime
    finished_at: datetime | None
    attempts: int
    error: str | None
    message_ts: str | None
    lease_until: datetime | None = None
    file_ids: tuple[str, ...] = ()


class DueSlot(NamedTuple):
    """A slot to deliver now: `late` when it is more than a minute past its time."""

    subscription: Subscription
    slot: datetime
    late: bool


def delivery_of(row: Any) -> Delivery:
    """The snapshot of a `digest_deliveries` row."""
    values = {name: getattr(row, name) for name in Delivery.__dataclass_fields__}
    values["state"] = DeliveryState(values["state"])
    values["file_ids"] = tuple(i for i in (values["file_ids"] or "").split(",") if i)
    return Delivery(**values)

"""Read-only look at a digest's past deliveries (the ledger), for `/cekura digest log`.

rows = recent_deliveries(deps.db, subscription_id, limit=10)   # newest slot first
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.digests.records import Delivery
from bot.digests.tables import DeliveryState, DigestDelivery

_T = cast(Table, DigestDelivery.__table__)
LOG_LIMIT = 10


def recent_deliveries(factory: sessionmaker[Session], subscription_id: int, limit: int = LOG_LIMIT) -> list[Delivery]:
    """The ledger rows of the digest's latest `limit` slots, newest first."""
    query = select(_T).where(_T.c.subscription_id == subscription_id).order_by(_T.c.slot.desc()).limit(limit)
    with session_scope(factory) as session:
        return [
            Delivery(
                id=row.id,
                subscription_id=row.subscription_id,
                slot=row.slot,
                state=DeliveryState(row.state),
                late=row.late,
                claimed_by=row.claimed_by,
                claimed_at=row.claimed_at,
                finished_at=row.finished_at,
                attempts=row.attempts,
                error=row.error,
                message_ts=row.message_ts,
            )
            for row in session.execute(query)
        ]

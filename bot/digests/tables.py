"""Digest tables: channel subscriptions and the delivery ledger that makes each slot post once.

Created by migration `0002_digests`; these classes only map them. Every time is an aware UTC
datetime in Python and a naive UTC timestamp in the database, identical on SQLite and PostgreSQL, so
the ledger's unique key (subscription, slot) compares equal whichever process computed the slot.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime stored as a naive UTC timestamp; naive input is refused."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware → naive UTC, so every writer stores the same value for the same instant."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: digest times must be aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Naive UTC from the database → aware UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


class DeliveryState(StrEnum):
    """Where one delivery of one slot stands."""

    CLAIMED = "claimed"  # a worker owns it and is rendering/posting
    SENT = "sent"
    SKIPPED = "skipped"  # skip-if-empty / only-if-changed: decided, nothing posted
    FAILED = "failed"  # may be retried while attempts < the ledger's max_attempts


class DigestSubscription(Base):
    """A channel's subscription to a dashboard on a schedule; `id` is what users type."""

    __tablename__ = "digest_subscriptions"
    # AUTOINCREMENT: SQLite would otherwise hand a removed digest's id to the next one.
    __table_args__ = (Index("ix_digest_subscriptions_channel", "channel"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    dashboard_id: Mapped[int] = mapped_column(Integer)
    schedule: Mapped[str] = mapped_column(String(200))  # canonical `Schedule.text`
    tz: Mapped[str] = mapped_column(String(64))
    since: Mapped[str | None] = mapped_column(String(32))  # "24h"; None = since the previous digest
    where_text: Mapped[str | None] = mapped_column(Text)
    skip_if_empty: Mapped[bool] = mapped_column(Boolean, default=False)
    only_if_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str] = mapped_column(String(32))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_digest: Mapped[str | None] = mapped_column(String(64))  # hash of the last posted data
    last_slot: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestDelivery(Base):
    """One ledger row per (subscription, slot): claimed before rendering, marked after posting."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "slot", name="uq_digest_deliveries_subscription_slot"),
        CheckConstraint("state IN ('claimed', 'sent', 'skipped', 'failed')", name="ck_digest_deliveries_state"),
        Index("ix_digest_deliveries_state_claimed_at", "state", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("digest_subscriptions.id", ondelete="CASCADE"))
    slot: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text)  # the failure, or why a slot was skipped
    message_ts: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # added by 0003_hardening
    file_ids: Mapped[str | None] = mapped_column(Text)  # comma-separated Slack file ids (0003_hardening)

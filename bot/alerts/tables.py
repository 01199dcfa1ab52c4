"""Alert tables: rules with their state, incidents, and the claims ledger (evaluation slots and an
outbox of notifications). Created by migrations `0004_alerts` and `0006_alert_files`; these classes only map them.

Times are aware UTC in Python and naive UTC in the database (`UTCDateTime`, as for digests).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base
from bot.digests.tables import UTCDateTime


class AlertRow(Base):
    """One alert rule of one channel, with the state machine's memory; `id` is what users type."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_channel", "channel"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(32))
    rule_text: Mapped[str] = mapped_column(Text)  # canonical `Rule.text`, parsed again on load
    widget_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok / pending / firing
    breach_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    good_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    peak: Mapped[float | None] = mapped_column(Float)
    last_value: Mapped[float | None] = mapped_column(Float)
    last_slot: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the latest slot evaluated
    incident_id: Mapped[int | None] = mapped_column(Integer)  # the open or latest incident
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive evaluations that failed
    unknown: Mapped[bool] = mapped_column(Boolean, default=False)  # the channel was told it's UNKNOWN
    own_failures: Mapped[int] = mapped_column(Integer, default=0)  # widget gone, channel archived, …
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=0)  # compare-and-set on every state write
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentRow(Base):
    """One breach that fired: its message, its peak, who acknowledged it, when it ended."""

    __tablename__ = "alert_incidents"
    __table_args__ = (Index("ix_alert_incidents_alert", "alert_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the first breached evaluation
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    value: Mapped[float | None] = mapped_column(Float)  # at firing
    peak: Mapped[float | None] = mapped_column(Float)
    message_ts: Mapped[str | None] = mapped_column(String(32))  # the channel message (or thread parent)
    thread_ts: Mapped[str | None] = mapped_column(String(32))  # set when it fired during a snooze
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClaimRow(Base):
    """The alerts ledger: one row per (alert, key) — `eval:<slot>` or a notification such as `fire:12`.

    A claim is an INSERT on the unique key; notifications are written `pending` in the same
    transaction as the state change that causes them, then claimed, posted and marked `sent`.
    """

    __tablename__ = "alert_claims"
    __table_args__ = (
        UniqueConstraint("alert_id", "key", name="uq_alert_claims_alert_key"),
        Index("ix_alert_claims_state", "state", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # eval / fire / resolve / remind / unknown / recovered / paused
    incident_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # pending / claimed / done / failed
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[str | None] = mapped_column(Text)  # JSON: what the message must say
    message_ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    file_ids: Mapped[str | None] = mapped_column(Text)  # charts uploaded for the post (0006), comma-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

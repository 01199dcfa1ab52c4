"""Alerts: rules with their state machine, incidents, and the claims ledger (slots and notifications).

Revision ID: 0004_alerts
Revises: 0003_hardening
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_alerts"
down_revision = "0003_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `alerts`, `alert_incidents` and `alert_claims`."""
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("rule_text", sa.Text(), nullable=False),
        sa.Column("widget_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="ok"),
        sa.Column("breach_since", sa.DateTime()),
        sa.Column("good_since", sa.DateTime()),
        sa.Column("peak", sa.Float()),
        sa.Column("last_value", sa.Float()),
        sa.Column("last_slot", sa.DateTime()),
        sa.Column("incident_id", sa.Integer()),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("unknown", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("own_failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("snoozed_until", sa.DateTime()),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("paused_reason", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('ok', 'pending', 'firing')", name="ck_alerts_status"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_alerts_channel", "alerts", ["channel"])
    op.create_table(
        "alert_incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime()),
        sa.Column("value", sa.Float()),
        sa.Column("peak", sa.Float()),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("acknowledged_by", sa.String(32)),
        sa.Column("acknowledged_at", sa.DateTime()),
        sa.Column("last_reminded_at", sa.DateTime()),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_alert_incidents_alert", "alert_incidents", ["alert_id"])
    op.create_table(
        "alert_claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("incident_id", sa.Integer()),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("claimed_at", sa.DateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("payload", sa.Text()),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        # The ledger's whole point: one row per (alert, slot or notification), whoever writes first.
        sa.UniqueConstraint("alert_id", "key", name="uq_alert_claims_alert_key"),
        sa.CheckConstraint("state IN ('pending', 'claimed', 'done', 'failed')", name="ck_alert_claims_state"),
    )
    op.create_index("ix_alert_claims_state", "alert_claims", ["state", "claimed_at"])


def downgrade() -> None:
    """Drop the alert tables."""
    op.drop_table("alert_claims")
    op.drop_table("alert_incidents")
    op.drop_table("alerts")

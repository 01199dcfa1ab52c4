"""Digests: channel subscriptions and the exactly-once delivery ledger.

Revision ID: 0002_digests
Revises: 0001_edits
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_digests"
down_revision = "0001_edits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `digest_subscriptions` and `digest_deliveries`."""
    # Times are naive UTC timestamps (see bot.digests.tables.UTCDateTime), the same on both backends.
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("dashboard_id", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("since", sa.String(32), nullable=True),
        sa.Column("where_text", sa.Text(), nullable=True),
        sa.Column("skip_if_empty", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("only_if_changed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_digest", sa.String(64), nullable=True),
        sa.Column("last_slot", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        # Never reuse a removed digest's id on SQLite: users refer to digests by it.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_digest_subscriptions_channel", "digest_subscriptions", ["channel"])
    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "subscription_id",
            sa.Integer(),
            sa.ForeignKey("digest_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("slot", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        # The ledger's whole point: one row per (subscription, slot), enforced by the database.
        sa.UniqueConstraint("subscription_id", "slot", name="uq_digest_deliveries_subscription_slot"),
        sa.CheckConstraint("state IN ('claimed', 'sent', 'skipped', 'failed')", name="ck_digest_deliveries_state"),
    )
    op.create_index("ix_digest_deliveries_state_claimed_at", "digest_deliveries", ["state", "claimed_at"])


def downgrade() -> None:
    """Drop the digest tables (the ledger first: it references the subscriptions)."""
    op.drop_index("ix_digest_deliveries_state_claimed_at", table_name="digest_deliveries")
    op.drop_table("digest_deliveries")
    op.drop_index("ix_digest_subscriptions_channel", table_name="digest_subscriptions")
    op.drop_table("digest_subscriptions")

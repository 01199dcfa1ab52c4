"""Hardening: a shared replay guard for signed Slack requests, and renewable leases on digest claims.

Revision ID: 0003_hardening
Revises: 0002_digests
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_hardening"
down_revision = "0002_digests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `seen_requests`; add `lease_until` and `file_ids` to `digest_deliveries`."""
    # One row per signed request accepted in Slack's 5-minute window; the primary key makes a replay,
    # on any replica sharing the database, fail to insert. Rows older than the window are pruned.
    op.create_table(
        "seen_requests",
        sa.Column("digest", sa.String(64), primary_key=True),  # sha256 hex of timestamp + signature
        sa.Column("expires_at", sa.DateTime(), nullable=False),  # naive UTC
    )
    op.create_index("ix_seen_requests_expires_at", "seen_requests", ["expires_at"])
    with op.batch_alter_table("digest_deliveries") as batch:
        # A claim is a lease: the worker renews it while it works; a lapsed lease may be taken over.
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        # Files uploaded for this delivery, recorded before the post completes, so a takeover can ask
        # Slack whether the message already landed instead of posting it again.
        batch.add_column(sa.Column("file_ids", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop what `upgrade` added."""
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.drop_column("file_ids")
        batch.drop_column("lease_until")
    op.drop_index("ix_seen_requests_expires_at", table_name="seen_requests")
    op.drop_table("seen_requests")

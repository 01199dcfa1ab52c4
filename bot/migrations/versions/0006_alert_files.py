"""Alerts: the chart files a notification's post uploaded, so a successor can find a post that landed.

Revision ID: 0006_alert_files
Revises: 0005_recovery
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_alert_files"
down_revision = "0005_recovery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `alert_claims.file_ids` (comma-separated Slack file ids, recorded before Slack shares them)."""
    # A worker killed after Slack accepted a post but before it saved the ts leaves these behind: the
    # takeover asks files.info whether the files were shared in the channel, and posts only if not.
    op.add_column("alert_claims", sa.Column("file_ids", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop `file_ids`."""
    with op.batch_alter_table("alert_claims") as batch:
        batch.drop_column("file_ids")

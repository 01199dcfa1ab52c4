"""Recovery: which state of an edit request its Slack message last showed.

Revision ID: 0005_recovery
Revises: 0004_alerts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_recovery"
down_revision = "0004_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `edit_requests.shown_version`; existing requests count as shown (nothing to re-announce)."""
    # The state_version the approval message was last updated to. A crash between settling a request
    # and updating Slack leaves it behind state_version, and the reconciler updates the message then.
    op.add_column("edit_requests", sa.Column("shown_version", sa.Integer(), nullable=True))
    op.execute("UPDATE edit_requests SET shown_version = state_version")


def downgrade() -> None:
    """Drop `shown_version`."""
    with op.batch_alter_table("edit_requests") as batch:
        batch.drop_column("shown_version")

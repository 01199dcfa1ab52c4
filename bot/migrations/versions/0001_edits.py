"""Approved edits: edit_requests, and edit_events made append-only by triggers.

Revision ID: 0001_edits
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_edits"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = "edit_events is append-only"

# The audit trail must stay trustworthy even against a stray UPDATE from a SQL shell or a future
# bug, so the database itself refuses to change or remove an event.
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER edit_events_no_{verb.lower()} BEFORE {verb} ON edit_events
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"""
    for verb in ("UPDATE", "DELETE")
]
POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION edit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END; $$""",
    """CREATE TRIGGER edit_events_no_change BEFORE UPDATE OR DELETE ON edit_events
    FOR EACH ROW EXECUTE FUNCTION edit_events_append_only()""",
    """CREATE TRIGGER edit_events_no_truncate BEFORE TRUNCATE ON edit_events
    FOR EACH STATEMENT EXECUTE FUNCTION edit_events_append_only()""",
]


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the tables, their indexes and the append-only triggers."""
    op.create_table(
        "edit_requests",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("object_id", sa.Integer, nullable=False),
        sa.Column("dashboard_id", sa.Integer, nullable=True),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("message_channel", sa.String(64), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("base_snapshot", sa.JSON, nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_version", sa.Integer, nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", _time(), nullable=True),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("revert_of", sa.String(16), nullable=True),
        sa.CheckConstraint("kind IN ('widget', 'dashboard')", name="ck_edit_requests_kind"),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'applied', 'failed', 'conflicted', 'rejected', 'expired')",
            name="ck_edit_requests_state",
        ),
    )
    op.create_index("ix_edit_requests_state_expires", "edit_requests", ["state", "expires_at"])
    op.create_index("ix_edit_requests_object", "edit_requests", ["kind", "object_id"])
    op.create_table(
        "edit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(16), sa.ForeignKey("edit_requests.id"), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_edit_events_request_id", "edit_events", ["request_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = SQLITE_TRIGGERS
    elif dialect == "postgresql":
        statements = POSTGRES_TRIGGERS
    else:
        raise RuntimeError(f"no append-only trigger for {dialect}: use SQLite or PostgreSQL")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    """Drop everything `upgrade` created (dropping a table is not a DELETE, so the triggers allow it)."""
    op.drop_table("edit_events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS edit_events_append_only()")
    op.drop_index("ix_edit_requests_object", table_name="edit_requests")
    op.drop_index("ix_edit_requests_state_expires", table_name="edit_requests")
    op.drop_table("edit_requests")

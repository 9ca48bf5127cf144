"""Conversation numbers from one sequence per workspace; joins the feature branches.

Revision ID: 0015_conversation_numbers
Revises: every head before it (a merge point, so later revisions have one parent)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_conversation_numbers"
down_revision: str | Sequence[str] | None = (
    "0006_routing",
    "0007_kb",
    "0009_analytics",
    "0010_channels_send_rate",
    "0011_console_saved_views",
    "0012_residency_grants",
    "0013_perf_conversation_filters",
    "0014_templates_system",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Each existing workspace continues after the highest number it has handed out
    # (the old row counter, or a conversation's number if that is higher).
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT w.id, greatest(w.conversation_seq, coalesce(max(c.number), 0)) AS last "
            "FROM workspaces w LEFT JOIN conversations c ON c.workspace_id = w.id GROUP BY w.id"
        )
    ).all()
    for workspace_id, last in rows:
        name = f"conversation_number_{workspace_id.hex}"
        op.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}" AS bigint START WITH {int(last) + 1}')
    # The sequences replace the counter; a column nothing reads would only mislead.
    op.drop_column("workspaces", "conversation_seq")


def downgrade() -> None:
    op.add_column(
        "workspaces", sa.Column("conversation_seq", sa.BigInteger(), nullable=False, server_default="0")
    )
    bind = op.get_bind()
    for (workspace_id,) in bind.execute(sa.text("SELECT id FROM workspaces")).all():
        op.execute(f'DROP SEQUENCE IF EXISTS "conversation_number_{workspace_id.hex}"')

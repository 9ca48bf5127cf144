"""Automation rules on "time since": episodes per rule and conversation, and when each
conversation's status last changed.

Revision ID: 0019_automations_time_since
Revises: 0018_routing_proficiency
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_automations_time_since"
down_revision: str | Sequence[str] | None = "0018_routing_proficiency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workspace() -> sa.Column[object]:
    return sa.Column(
        "workspace_id",
        postgresql.UUID(as_uuid=True),
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    )


def _conversation(*, primary_key: bool) -> sa.Column[object]:
    return sa.Column(
        "conversation_id",
        postgresql.UUID(as_uuid=True),
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "automation_episodes",
        sa.Column(
            "automation_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("automations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _conversation(primary_key=True),
        _workspace(),
        sa.Column("since_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_automation_episodes_workspace_id", "automation_episodes", ["workspace_id"])
    # Deleting a conversation cascades here; without an index each delete scans the table.
    op.create_index("ix_automation_episodes_conversation", "automation_episodes", ["conversation_id"])
    op.create_table(
        "automation_status_changes",
        _conversation(primary_key=True),
        _workspace(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_automation_status_changes_workspace_id", "automation_status_changes", ["workspace_id"]
    )


def downgrade() -> None:
    op.drop_table("automation_status_changes")
    op.drop_table("automation_episodes")

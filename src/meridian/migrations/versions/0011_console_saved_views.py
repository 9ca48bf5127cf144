"""Console: saved inbox views, presence (UNLOGGED), notifications; indexes for the inbox views.

Revision ID: 0011_console_saved_views
Revises: 0001_core
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_console_saved_views"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep in step with meridian.conversations.service.SLA_DUE (the inbox's "SLA due" sort key).
SLA_DUE = "LEAST(sla->>'first_response_due_at', sla->>'next_response_due_at', sla->>'resolution_due_at')"


def upgrade() -> None:
    op.create_table(
        "console_saved_views",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sort", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_console_saved_views_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_console_saved_views_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_saved_views")),
    )
    op.create_index(
        op.f("ix_console_saved_views_workspace_id"), "console_saved_views", ["workspace_id"], unique=False
    )
    op.create_index("ix_console_saved_views_agent", "console_saved_views", ["agent_id", "name"], unique=False)
    op.create_table(
        "console_presence",
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("typing_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_console_presence_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_console_presence_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_console_presence_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "agent_id", name=op.f("pk_console_presence")),
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        op.f("ix_console_presence_workspace_id"), "console_presence", ["workspace_id"], unique=False
    )
    op.create_table(
        "console_notifications",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=True),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_console_notifications_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_console_notifications_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_console_notifications_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_console_notifications_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["agents.id"],
            name=op.f("fk_console_notifications_author_id_agents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_notifications")),
    )
    op.create_index(
        op.f("ix_console_notifications_workspace_id"), "console_notifications", ["workspace_id"], unique=False
    )
    op.create_index(
        "ix_console_notifications_agent_unread",
        "console_notifications",
        ["agent_id", "read_at", "created_at"],
        unique=False,
    )
    # The inbox sorted by SLA due time: an ordered index walk instead of a sort of every open row.
    op.create_index(
        "ix_conversations_ws_status_sla_due",
        "conversations",
        ["workspace_id", "status", sa.text(f"({SLA_DUE}) ASC NULLS LAST"), "id"],
        unique=False,
    )
    # Mine / My teams sorted by last activity.
    op.create_index(
        "ix_conversations_assignee_status_activity",
        "conversations",
        ["assignee_id", "status", sa.text("last_activity_at DESC"), sa.text("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_conversations_team_status_activity",
        "conversations",
        ["team_id", "status", sa.text("last_activity_at DESC"), sa.text("id DESC")],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_team_status_activity", table_name="conversations")
    op.drop_index("ix_conversations_assignee_status_activity", table_name="conversations")
    op.drop_index("ix_conversations_ws_status_sla_due", table_name="conversations")
    op.drop_table("console_notifications")
    op.drop_table("console_presence")
    op.drop_index("ix_console_saved_views_agent", table_name="console_saved_views")
    op.drop_index(op.f("ix_console_saved_views_workspace_id"), table_name="console_saved_views")
    op.drop_table("console_saved_views")

"""System templates: a workspace's wording for the messages Meridian sends by itself.

Revision ID: 0014_templates_system
Revises: 0005_multilingual
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_templates_system"
# Beside canned_responses, whose rendering it shares; needs only workspaces.
down_revision: str | Sequence[str] | None = "0005_multilingual"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "system_templates",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("variants", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_system_templates_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_templates")),
    )
    op.create_index(
        op.f("ix_system_templates_workspace_id"), "system_templates", ["workspace_id"], unique=False
    )
    op.create_index("uq_system_templates_key", "system_templates", ["workspace_id", "key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_system_templates_key", table_name="system_templates")
    op.drop_index(op.f("ix_system_templates_workspace_id"), table_name="system_templates")
    op.drop_table("system_templates")

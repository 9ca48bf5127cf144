"""Manual contact merges, recorded so they can be undone.

Revision ID: 0010_channels_contact_merges
Revises: 0002_event_dispatch
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_channels_contact_merges"
down_revision: str | Sequence[str] | None = "0002_event_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_merges",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=False),
        sa.Column("other_contact_id", sa.UUID(), nullable=False),
        sa.Column("identity_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("conversation_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("repointed_contact_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("merged_by_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("unmerged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unmerged_by_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_contact_merges_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_contact_merges_contact_id_contacts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["other_contact_id"],
            ["contacts.id"],
            name="fk_contact_merges_other_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merged_by_id"], ["agents.id"], name="fk_contact_merges_merged_by_id_agents", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["unmerged_by_id"],
            ["agents.id"],
            name="fk_contact_merges_unmerged_by_id_agents",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contact_merges"),
    )
    op.create_index("ix_contact_merges_workspace_id", "contact_merges", ["workspace_id"])
    op.create_index("ix_contact_merges_contact_id", "contact_merges", ["contact_id"])
    op.create_index("ix_contact_merges_other_contact_id", "contact_merges", ["other_contact_id"])


def downgrade() -> None:
    op.drop_table("contact_merges")

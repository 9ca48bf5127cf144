"""Images for knowledge-base articles (``kb_assets``); re-index articles for title vectors.

Revision ID: 0016_kb_assets_titles
Revises: 0015_conversation_numbers
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_kb_assets_titles"
down_revision: str | Sequence[str] | None = "0015_conversation_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_assets",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("author_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_kb_assets_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["agents.id"], name="fk_kb_assets_author_id_agents", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_kb_assets"),
        sa.UniqueConstraint("workspace_id", "sha256", name="uq_kb_assets_workspace_id_sha256"),
    )
    op.create_index("ix_kb_assets_workspace_id", "kb_assets", ["workspace_id"])
    # The index now also holds each article's title as a passage of its own (kb/index.py,
    # TITLE_POSITION): marking every article stale lets the sweep rebuild it in the
    # background (``kb.reindex_stale``), with search working on the old chunks meanwhile.
    op.execute("UPDATE kb_articles SET indexed_version = 0")


def downgrade() -> None:
    op.drop_table("kb_assets")

"""Multilingual core: translation settings, glossary, translation memory, canned responses.

Revision ID: 0005_multilingual
Revises: 0002_event_dispatch
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0005_multilingual"
down_revision: str | Sequence[str] | None = "0002_event_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pg_trgm (fuzzy translation-memory matches) is created by 0001_core.
    op.create_table(
        "glossary_entries",
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("do_not_translate", sa.Boolean(), nullable=False),
        sa.Column("translations", postgresql.JSONB(astext_type=Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_glossary_entries_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_entries")),
    )
    op.create_index(
        op.f("ix_glossary_entries_workspace_id"), "glossary_entries", ["workspace_id"], unique=False
    )
    op.create_index(
        "uq_glossary_entries_term",
        "glossary_entries",
        ["workspace_id", sa.literal_column("lower(term)")],
        unique=True,
    )
    op.create_table(
        "translation_settings",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("api_base_url", sa.String(length=500), nullable=True),
        sa.Column("api_key_encrypted", sa.Text(), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("agent_language", sa.String(length=35), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_translation_settings_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_translation_settings")),
    )
    op.create_table(
        "canned_responses",
        sa.Column("shortcut", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("variants", postgresql.JSONB(astext_type=Text()), nullable=False),
        sa.Column("created_by_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["agents.id"],
            name=op.f("fk_canned_responses_created_by_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_canned_responses_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_responses")),
    )
    op.create_index(
        op.f("ix_canned_responses_workspace_id"), "canned_responses", ["workspace_id"], unique=False
    )
    op.create_index(
        "uq_canned_responses_shortcut",
        "canned_responses",
        ["workspace_id", sa.literal_column("lower(shortcut)")],
        unique=True,
    )
    op.create_table(
        "translation_segments",
        sa.Column("source_lang", sa.String(length=35), nullable=False),
        sa.Column("target_lang", sa.String(length=35), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("target_text", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("contact_id", sa.UUID(), nullable=True),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("author_agent_id", sa.UUID(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_agent_id"],
            ["agents.id"],
            name=op.f("fk_translation_segments_author_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_translation_segments_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_translation_segments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_segments")),
        sa.UniqueConstraint(
            "workspace_id",
            "source_lang",
            "target_lang",
            "source_hash",
            "origin",
            name="uq_translation_segments_lookup",
        ),
    )
    op.create_index(
        op.f("ix_translation_segments_contact_id"), "translation_segments", ["contact_id"], unique=False
    )
    op.create_index(
        "ix_translation_segments_source_trgm",
        "translation_segments",
        ["source_text"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"source_text": "gin_trgm_ops"},
    )
    op.create_index(
        op.f("ix_translation_segments_workspace_id"), "translation_segments", ["workspace_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_translation_segments_workspace_id"), table_name="translation_segments")
    op.drop_index(
        "ix_translation_segments_source_trgm",
        table_name="translation_segments",
        postgresql_using="gin",
        postgresql_ops={"source_text": "gin_trgm_ops"},
    )
    op.drop_index(op.f("ix_translation_segments_contact_id"), table_name="translation_segments")
    op.drop_table("translation_segments")
    op.drop_index("uq_canned_responses_shortcut", table_name="canned_responses")
    op.drop_index(op.f("ix_canned_responses_workspace_id"), table_name="canned_responses")
    op.drop_table("canned_responses")
    op.drop_table("translation_settings")
    op.drop_index("uq_glossary_entries_term", table_name="glossary_entries")
    op.drop_index(op.f("ix_glossary_entries_workspace_id"), table_name="glossary_entries")
    op.drop_table("glossary_entries")

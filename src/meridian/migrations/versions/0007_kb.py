"""Knowledge base (articles, locale variants, versions, search chunks, votes, the
help-center site) and the bot (settings, per-conversation sessions).

The vector column and its HNSW index are created only when the pgvector extension is
installed: an external PostgreSQL without it (CI's PostgreSQL 15) gets the same schema
minus the vector, and search falls back to full text (``kb/index.py`` checks).

Revision ID: 0007_kb
Revises: 0002_event_dispatch
Create Date: 2026-11-23
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_kb"
down_revision: str | Sequence[str] | None = "0002_event_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

EMBEDDING_DIM = 384


def _timestamps() -> list[sa.Column[datetime]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def _workspace(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"], ["workspaces.id"], name=f"fk_{table}_workspace_id_workspaces", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "kb_sites",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("default_locale", sa.String(length=35), nullable=False),
        *_timestamps(),
        _workspace("kb_sites"),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_kb_sites"),
        sa.UniqueConstraint("slug", name="uq_kb_sites_slug"),
    )
    op.create_table(
        "kb_categories",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("names", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *_timestamps(),
        _workspace("kb_categories"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_categories"),
        sa.UniqueConstraint("workspace_id", "slug", name="uq_kb_categories_workspace_id_slug"),
    )
    op.create_index("ix_kb_categories_workspace_id", "kb_categories", ["workspace_id"])
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("master_id", sa.UUID(), nullable=True),
        sa.Column("category_id", sa.UUID(), nullable=True),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("outdated", sa.Boolean(), nullable=False),
        sa.Column("master_version", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("reviewer_id", sa.UUID(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("indexed_version", sa.Integer(), nullable=False),
        sa.Column("helpful_yes", sa.Integer(), nullable=False),
        sa.Column("helpful_no", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["author_id"], ["agents.id"], name="fk_kb_articles_author_id_agents", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["kb_categories.id"],
            name="fk_kb_articles_category_id_kb_categories",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["master_id"], ["kb_articles.id"], name="fk_kb_articles_master_id_kb_articles", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["agents.id"], name="fk_kb_articles_reviewer_id_agents", ondelete="SET NULL"
        ),
        _workspace("kb_articles"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_articles"),
        sa.UniqueConstraint("master_id", "locale", name="uq_kb_articles_master_id_locale"),
        sa.UniqueConstraint("workspace_id", "locale", "slug", name="uq_kb_articles_workspace_id_locale_slug"),
    )
    op.create_index("ix_kb_articles_master_id", "kb_articles", ["master_id"])
    op.create_index("ix_kb_articles_workspace_id", "kb_articles", ["workspace_id"])
    op.create_index("ix_kb_articles_ws_status", "kb_articles", ["workspace_id", "status"])
    op.create_table(
        "kb_article_versions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("article_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name="fk_kb_article_versions_article_id_kb_articles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["agents.id"], name="fk_kb_article_versions_author_id_agents", ondelete="SET NULL"
        ),
        _workspace("kb_article_versions"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_article_versions"),
        sa.UniqueConstraint("article_id", "number", name="uq_kb_article_versions_article_id_number"),
    )
    op.create_index("ix_kb_article_versions_workspace_id", "kb_article_versions", ["workspace_id"])
    op.create_table(
        "kb_chunks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("article_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("config", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tsv", postgresql.TSVECTOR(), nullable=False),
        sa.Column("embedder", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["kb_articles.id"], name="fk_kb_chunks_article_id_kb_articles", ondelete="CASCADE"
        ),
        _workspace("kb_chunks"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_chunks"),
    )
    op.create_index("ix_kb_chunks_article_id", "kb_chunks", ["article_id"])
    op.create_index("ix_kb_chunks_workspace_id", "kb_chunks", ["workspace_id"])
    op.create_index("ix_kb_chunks_tsv", "kb_chunks", ["tsv"], postgresql_using="gin")
    op.create_index(
        "ix_kb_chunks_text_trgm",
        "kb_chunks",
        ["text"],
        postgresql_using="gin",
        postgresql_ops={"text": "gin_trgm_ops"},
    )
    _add_vectors_if_available()
    op.create_table(
        "kb_votes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("article_id", sa.UUID(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("voter", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["kb_articles.id"], name="fk_kb_votes_article_id_kb_articles", ondelete="CASCADE"
        ),
        _workspace("kb_votes"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_votes"),
        sa.UniqueConstraint("article_id", "voter", name="uq_kb_votes_article_id_voter"),
    )
    op.create_index("ix_kb_votes_workspace_id", "kb_votes", ["workspace_id"])
    op.create_table(
        "bot_settings",
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("secrets_encrypted", sa.Text(), nullable=True),
        *_timestamps(),
        _workspace("bot_settings"),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_bot_settings"),
    )
    op.create_table(
        "bot_sessions",
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("turns", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_bot_sessions_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        _workspace("bot_sessions"),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_bot_sessions"),
    )
    op.create_index("ix_bot_sessions_workspace_id", "bot_sessions", ["workspace_id"])


def _add_vectors_if_available() -> None:
    # 0001 already tried to install pgvector; try once more (it may have been added to
    # the server since) without letting a missing extension abort the migration.
    op.execute(
        "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS vector; "
        "EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'extension vector unavailable'; END $$"
    )
    present = op.get_bind().execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).scalar()
    if not present:
        log.warning("pgvector is not installed: knowledge-base search will use full text only")
        return
    op.execute(f"ALTER TABLE kb_chunks ADD COLUMN embedding vector({EMBEDDING_DIM})")
    # HNSW works from the first row (IVFFlat needs data to train its lists).
    op.execute("CREATE INDEX ix_kb_chunks_embedding ON kb_chunks USING hnsw (embedding vector_cosine_ops)")


def downgrade() -> None:
    for table in (
        "bot_sessions",
        "bot_settings",
        "kb_votes",
        "kb_chunks",
        "kb_article_versions",
        "kb_articles",
        "kb_categories",
        "kb_sites",
    ):
        op.drop_table(table)

"""Knowledge-base tables: articles and their locale variants, versions, search chunks.

``kb_chunks.embedding`` (pgvector) is deliberately not mapped: the column exists only
where the server has pgvector (see migration ``0007_kb``), so it is read and written
with SQL in ``kb/index.py`` and ``kb/search.py`` after checking it is there.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, func
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped
from meridian.vault.bigrams import HAS_PAIR

ARTICLE_STATUSES = ("draft", "in_review", "published")


class KbSite(TimestampMixin, Base):
    """A workspace's public help center: the slug in its URLs and its title."""

    __tablename__ = "kb_sites"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    title: Mapped[str | None] = mapped_column(String(200), default=None)
    default_locale: Mapped[str] = mapped_column(String(35), default="en")


class KbCategory(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "kb_categories"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # Localized names by BCP 47 tag; ``name`` is the fallback.
    names: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)


class KbArticle(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A master article (``master_id`` null) or one of its locale variants."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        UniqueConstraint("workspace_id", "locale", "slug"),
        # One variant per locale per master.
        UniqueConstraint("master_id", "locale"),
        Index("ix_kb_articles_ws_status", "workspace_id", "status"),
    )

    master_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), default=None, index=True
    )
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("kb_categories.id", ondelete="SET NULL"), default=None
    )
    slug: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(35))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # Sanitized HTML rendered from ``body`` on every change.
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # Increments on every title/body change; each value has a kb_article_versions row.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # A variant whose master changed since the variant was last edited or reviewed.
    outdated: Mapped[bool] = mapped_column(Boolean, default=False)
    master_version: Mapped[int | None] = mapped_column(Integer, default=None)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    # The version the search index holds (0: never indexed); behind ``version`` = stale.
    indexed_version: Mapped[int] = mapped_column(Integer, default=0)
    helpful_yes: Mapped[int] = mapped_column(Integer, default=0)
    helpful_no: Mapped[int] = mapped_column(Integer, default=0)


class KbArticleVersion(IdMixin, WorkspaceScoped, Base):
    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class KbChunk(IdMixin, WorkspaceScoped, Base):
    """A passage of a published article, indexed for full-text, trigram and vector search."""

    __tablename__ = "kb_chunks"
    __table_args__ = (
        Index("ix_kb_chunks_tsv", "tsv", postgresql_using="gin"),
        # Full text finds the workspace's configurations here, one probe each (0026).
        Index("ix_kb_chunks_ws_config", "workspace_id", "config"),
        # CJK character pairs, for the bigram ranking (kb/search.py, migration 0026).
        Index(
            "ix_kb_chunks_cjk_bigrams",
            sql_text("meridian_cjk_bigrams(text)"),
            postgresql_using="gin",
            postgresql_where=sql_text(HAS_PAIR),
        ),
        Index(
            "ix_kb_chunks_text_trgm", "text", postgresql_using="gin", postgresql_ops={"text": "gin_trgm_ops"}
        ),
    )

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(35))
    # The PostgreSQL text search configuration the tsvector was built with.
    config: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    tsv: Mapped[Any] = mapped_column(TSVECTOR)
    # Which embedder produced the vector (a different one means: re-embed).
    embedder: Mapped[str | None] = mapped_column(String(100), default=None)


class KbVote(IdMixin, WorkspaceScoped, Base):
    """A help-center "was this helpful?" answer; one per visitor per article."""

    __tablename__ = "kb_votes"
    __table_args__ = (UniqueConstraint("article_id", "voter"),)

    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    # A keyed hash of the visitor's address and browser: dedupes without storing either.
    voter: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class KbAsset(IdMixin, WorkspaceScoped, Base):
    """An image uploaded for articles, served publicly by the help center.

    The bytes live in PostgreSQL rather than the attachments store: article images are
    few and small, must be readable by every web process, and belong to the workspace
    (not to a contact, so contact erasure must not touch them).
    """

    __tablename__ = "kb_assets"
    # The same picture uploaded twice is stored once.
    __table_args__ = (UniqueConstraint("workspace_id", "sha256"),)

    filename: Mapped[str] = mapped_column(String(255))
    # Sniffed from the bytes, never taken from the uploader.
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

"""A workspace's translation settings, glossary and translation memory."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped

ORIGINS = ("human", "machine")


class TranslationSettings(TimestampMixin, Base):
    """One row per workspace.

    A table of its own rather than a key in ``workspaces.settings``: the API key is a
    secret (Fernet-encrypted, write-only), and the general settings blob is read and
    returned by other features that must never see it.
    """

    __tablename__ = "translation_settings"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(32), default="none")
    api_base_url: Mapped[str | None] = mapped_column(String(500), default=None)
    api_key_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    region: Mapped[str | None] = mapped_column(String(64), default=None)
    agent_language: Mapped[str] = mapped_column(String(35), default="en")


class GlossaryEntry(IdMixin, WorkspaceScoped, Base):
    __tablename__ = "glossary_entries"
    __table_args__ = (Index("uq_glossary_entries_term", "workspace_id", text("lower(term)"), unique=True),)

    term: Mapped[str] = mapped_column(String(200))
    do_not_translate: Mapped[bool] = mapped_column(default=False)
    # Forced wording per target language (BCP 47): {"es": "reembolso"}.
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TranslationSegment(IdMixin, WorkspaceScoped, Base):
    """A source sentence (or whole message) and its translation, human or machine.

    Segments hold message text, so they carry the contact they came from and that
    contact's data region: erasing a contact forgets its segments
    (``translation.memory.forget_contact``).
    """

    __tablename__ = "translation_segments"
    __table_args__ = (
        # One segment per origin: a human correction sits beside the machine output it
        # replaces, and lookups prefer it.
        UniqueConstraint(
            "workspace_id",
            "source_lang",
            "target_lang",
            "source_hash",
            "origin",
            name="uq_translation_segments_lookup",
        ),
        Index(
            "ix_translation_segments_source_trgm",
            "source_text",
            postgresql_using="gin",
            postgresql_ops={"source_text": "gin_trgm_ops"},
        ),
    )

    # The source's primary language (es), the target's full tag (pt-BR, zh-Hant).
    source_lang: Mapped[str] = mapped_column(String(35))
    target_lang: Mapped[str] = mapped_column(String(35))
    source_hash: Mapped[str] = mapped_column(String(64))
    source_text: Mapped[str] = mapped_column(Text)
    target_text: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str | None] = mapped_column(String(32), default=None)
    # Deleting the contact deletes the text its messages lent to the memory.
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), default=None, index=True
    )
    region: Mapped[str] = mapped_column(String(32), default="default")
    author_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

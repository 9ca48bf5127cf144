from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class CannedResponse(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A saved reply an agent inserts by shortcut, with one body per locale."""

    __tablename__ = "canned_responses"
    __table_args__ = (
        Index("uq_canned_responses_shortcut", "workspace_id", text("lower(shortcut)"), unique=True),
    )

    shortcut: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(200), default=None)
    # {"en": "Hi {{ contact.name }}...", "pt-BR": "Olá {{ contact.name }}..."}: Jinja2
    # templates rendered in a sandbox.
    variants: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )


class SystemTemplate(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A workspace's wording for a message Meridian sends by itself (``canned/system.py``).

    Only the locales an admin wrote are stored; the others keep the shipped default.
    """

    __tablename__ = "system_templates"
    __table_args__ = (Index("uq_system_templates_key", "workspace_id", "key", unique=True),)

    key: Mapped[str] = mapped_column(String(64))
    # {"pt-BR": "Como foi o nosso atendimento, {{ contact.first_name }}?"}: Jinja2, sandboxed.
    variants: Mapped[dict[str, Any]] = mapped_column(default=dict)

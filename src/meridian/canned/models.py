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

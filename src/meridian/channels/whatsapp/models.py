from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class WhatsAppTemplate(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A message template of a WhatsApp inbox's business account, as Meta approved it.

    Outside the 24-hour window only an approved template may be sent; the body text
    keeps Meta's ``{{1}}`` placeholders and ``variables`` says how many it takes.
    """

    __tablename__ = "whatsapp_templates"
    __table_args__ = (UniqueConstraint("inbox_id", "name", "language"),)

    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(512))
    # Meta's code: "en_US", "pt_BR", "es", "ja".
    language: Mapped[str] = mapped_column(String(35))
    # "marketing" | "utility" | "authentication" (Meta's, lower-cased).
    category: Mapped[str] = mapped_column(String(32))
    # "approved" | "pending" | "rejected" | "paused" | "disabled" (Meta's, lower-cased).
    status: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    variables: Mapped[int] = mapped_column(Integer, default=0)
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # Meta's template id, for templates that came from a sync.
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)
    synced_at: Mapped[datetime | None] = mapped_column(default=None)

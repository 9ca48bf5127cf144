from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, WorkspaceScoped

DIRECTIONS = ("incoming", "outgoing", "note")
# queued -> sending -> sent -> delivered -> read; retrying/failed on errors.
# Incoming messages and notes carry "received"/"none".
DELIVERY_STATUSES = ("none", "received", "queued", "retrying", "sent", "delivered", "read", "failed")


class Message(IdMixin, WorkspaceScoped, Base):
    """Message metadata. The body and anything else the customer wrote is in the vault."""

    __tablename__ = "messages"
    __table_args__ = (
        # One row per vendor id per inbox: retries and redeliveries dedupe here.
        UniqueConstraint("inbox_id", "external_id"),
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(16))
    author_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    # "human", "bot", "automation", "system"
    author_kind: Mapped[str] = mapped_column(String(16), default="human")
    content_type: Mapped[str] = mapped_column(String(32), default="text")
    language: Mapped[str | None] = mapped_column(String(35), default=None)
    language_confidence: Mapped[float | None] = mapped_column(default=None)
    external_id: Mapped[str | None] = mapped_column(String(255), default=None)
    delivery_status: Mapped[str] = mapped_column(String(16), default="none")
    delivery_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Channel-specific metadata that is not content (email Message-ID, reply token age...).
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

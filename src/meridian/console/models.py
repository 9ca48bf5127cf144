"""The console's own rows: saved inbox filters, presence in conversations, notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class SavedView(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A named set of inbox filters and a sort order, private to one agent."""

    __tablename__ = "console_saved_views"
    __table_args__ = (Index("ix_console_saved_views_agent", "agent_id", "name"),)

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    # The inbox query string's filter fields (status, channel, inbox, team, ...), validated on save.
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sort: Mapped[str] = mapped_column(String(16), default="activity")


class Presence(WorkspaceScoped, Base):
    """Who has a conversation open, and who is typing in it: a few seconds of truth, so UNLOGGED.

    Lost on a database crash, which is fine: the next ping (every ~10 s) writes it again.
    """

    __tablename__ = "console_presence"
    __table_args__ = {"prefixes": ["UNLOGGED"]}  # noqa: RUF012 - SQLAlchemy reads this class attribute

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # "viewing" | "typing"
    seen_at: Mapped[datetime]
    typing_at: Mapped[datetime | None] = mapped_column(default=None)


class Notification(IdMixin, WorkspaceScoped, Base):
    """Something for one agent to look at: today, an @mention in an internal note."""

    __tablename__ = "console_notifications"
    __table_args__ = (Index("ix_console_notifications_agent_unread", "agent_id", "read_at", "created_at"),)

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="mention")
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), default=None
    )
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(default=None)

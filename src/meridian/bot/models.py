"""The bot's per-workspace settings and its per-conversation memory."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, TimestampMixin, WorkspaceScoped

# active: answering; awaiting_feedback: asked "did this solve it?"; handed_off: a person's turn.
SESSION_STATES = ("active", "awaiting_feedback", "handed_off", "resolved")


class BotSettings(TimestampMixin, Base):
    __tablename__ = "bot_settings"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    # Public settings (threshold, endpoints, model names), returned by the API.
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # API keys, Fernet-encrypted JSON, write-only.
    secrets_encrypted: Mapped[str | None] = mapped_column(Text, default=None)


class BotSession(WorkspaceScoped, TimestampMixin, Base):
    """What the bot did in one conversation: the turns it took, and where it stands.

    Turns hold ids and scores only; what the customer wrote stays in the vault.
    """

    __tablename__ = "bot_sessions"

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(24), default="active")
    turns: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped

CHANNELS = ("api", "email", "webchat", "whatsapp", "messenger", "instagram", "telegram", "line", "sms")
BOT_MODES = ("off", "always", "outside_hours")


class Inbox(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "inboxes"

    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    # Non-secret settings, returned by the API.
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Write-only settings (tokens, app secrets, passwords), Fernet-encrypted JSON.
    secrets_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    bot_mode: Mapped[str] = mapped_column(String(16), default="off")
    # Channel-owned state that is not configuration (IMAP cursor, webhook registration...).
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, WorkspaceScoped


class ApiToken(IdMixin, WorkspaceScoped, Base):
    """A script's credential. Only a SHA-256 of the token is stored; it is shown once."""

    __tablename__ = "api_tokens"

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # None: until revoked (the bootstrap token, and tokens minted without an expiry).
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class AgentSession(IdMixin, WorkspaceScoped, Base):
    """A console sign-in. The cookie carries only a signed reference to this row,
    so signing out (or an admin deactivating the agent) ends it everywhere."""

    __tablename__ = "agent_sessions"

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    user_agent: Mapped[str | None] = mapped_column(String(400), default=None)

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, WorkspaceScoped


class AgentTotp(WorkspaceScoped, Base):
    """An agent's TOTP secret (Fernet-encrypted, like inbox secrets). Sign-in asks for a
    code once ``confirmed_at`` is set, i.e. after the agent proved their authenticator works."""

    __tablename__ = "agent_totp"

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The time step of the last accepted code: a code is accepted once (RFC 6238 section 5.2).
    last_step: Mapped[int | None] = mapped_column(default=None)

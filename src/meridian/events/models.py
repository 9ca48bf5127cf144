from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base


class DomainEvent(Base):
    """An event written in the same transaction as the change it describes.

    Written inside the action's transaction and announced with ``pg_notify``, which
    PostgreSQL delivers only on commit: listeners never see an event whose change
    was rolled back. The row also lets an SSE client resume with Last-Event-ID.
    """

    __tablename__ = "domain_events"
    __table_args__ = (
        Index("ix_domain_events_undispatched", "id", postgresql_where="dispatched_at IS NULL"),
        Index("ix_domain_events_ws_id", "workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    type: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    # Visibility: who may see it on /events (team members, the assignee, admins).
    team_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Set once the subscribers (routing, SLA, translation, analytics...) have all run.
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
    # Subscribers that already handled it (their effects are committed with this list).
    handled: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

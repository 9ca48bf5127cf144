from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped

STATUSES = ("open", "pending", "snoozed", "resolved")
PRIORITIES = ("low", "normal", "high", "urgent")


class Conversation(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        # The agent's main views: by status and owner, newest activity first.
        Index("ix_conversations_ws_status_activity", "workspace_id", "status", text("last_activity_at DESC")),
        Index("ix_conversations_assignee_status", "assignee_id", "status"),
        Index("ix_conversations_team_status", "team_id", "status"),
        Index("ix_conversations_contact", "contact_id", "inbox_id", "status"),
        # Lists without a status filter, and the tag and language filters
        # (migration 0013_perf_conversation_filters).
        Index("ix_conversations_ws_activity", "workspace_id", text("last_activity_at DESC"), text("id DESC")),
        Index(
            "ix_conversations_tags", "tags", postgresql_using="gin", postgresql_ops={"tags": "jsonb_path_ops"}
        ),
        Index(
            "ix_conversations_ws_language",
            "workspace_id",
            "language",
            postgresql_ops={"language": "varchar_pattern_ops"},
        ),
    )

    number: Mapped[int] = mapped_column(BigInteger)
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    language: Mapped[str | None] = mapped_column(String(35), default=None)
    tags: Mapped[list[str]] = mapped_column(default=list)
    custom_attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    subject: Mapped[str | None] = mapped_column(String(500), default=None)
    snoozed_until: Mapped[datetime | None] = mapped_column(default=None)
    last_activity_at: Mapped[datetime]
    # The customer's last message: opens the 24-hour window on Meta channels.
    last_incoming_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    # Latest SLA state and routing decision, owned by the routing/SLA packages.
    sla: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    routing: Mapped[dict[str, Any] | None] = mapped_column(default=None)

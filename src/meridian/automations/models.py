from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class Automation(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """When ``event`` happens and every condition holds, run ``actions`` in order."""

    __tablename__ = "automations"

    name: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(64))
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Rules run in ascending position (then creation order).
    position: Mapped[int] = mapped_column(Integer, default=0)


class Macro(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A named list of actions an agent applies to a conversation in one click."""

    __tablename__ = "macros"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)


class AutomationEpisode(WorkspaceScoped, Base):
    """A "time since" rule's last look at a conversation.

    One row per rule and conversation: ``since_at`` is the moment its clock counted
    from. The periodic pass claims an episode by inserting or moving this row (an
    ``INSERT ... ON CONFLICT DO UPDATE WHERE since_at differs``), so a rule looks at a
    conversation once per episode however many workers run the pass at once.
    """

    __tablename__ = "automation_episodes"
    # Deleting a conversation cascades here; without it each delete scans the table.
    __table_args__ = (Index("ix_automation_episodes_conversation", "conversation_id"),)

    automation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("automations.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    since_at: Mapped[datetime]
    evaluated_at: Mapped[datetime]
    # False when the time was up but another condition did not hold then.
    matched: Mapped[bool]


class StatusChange(WorkspaceScoped, Base):
    """When a conversation's status last changed, for rules counting "since status change".

    Kept by the automations subscriber from ``conversation.updated`` events (every
    writer of a status publishes one); a conversation without a row has kept the
    status it was created with.
    """

    __tablename__ = "automation_status_changes"

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime]

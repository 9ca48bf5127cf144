from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped

METRICS = ("first_response", "next_response", "resolution")


class SlaPolicy(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "sla_policies"

    name: Mapped[str] = mapped_column(String(200))
    # None: applies to any priority (a policy naming the priority wins over it).
    priority: Mapped[str | None] = mapped_column(String(16), default=None)
    first_response_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    next_response_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    business_hours: Mapped[bool] = mapped_column(default=True)
    # {"channel": [..], "inbox_id": [..], "region": [..], "tier": [..]}; absent keys match all.
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SlaClock(WorkspaceScoped, Base):
    """The running SLA state of one conversation; ``conversations.sla`` is its public face.

    ``metrics`` holds, per metric, the budget, the business (or calendar) seconds
    consumed before ``since``, and the resulting due time; ``next_check_at`` is the
    earliest warning or breach instant, so the periodic check reads only due rows.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        Index("ix_sla_clocks_next_check", "next_check_at", postgresql_where="next_check_at IS NOT NULL"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL"), default=None
    )
    business_hours: Mapped[bool] = mapped_column(default=True)
    # The team whose calendar the clock currently counts in (None: calendar time).
    team_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    next_check_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class SlaEvent(IdMixin, WorkspaceScoped, Base):
    """Attainment for reporting: one row per metric cycle, met or breached."""

    __tablename__ = "sla_events"
    __table_args__ = (
        UniqueConstraint("conversation_id", "metric", "started_at"),
        Index("ix_sla_events_ws_started", "workspace_id", "started_at"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    policy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL"), default=None
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    metric: Mapped[str] = mapped_column(String(32))
    # "met" or "breached"; a breached cycle gets completed_at when finally answered.
    outcome: Mapped[str] = mapped_column(String(16))
    business_hours: Mapped[bool] = mapped_column(default=True)
    started_at: Mapped[datetime]
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    breached_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())

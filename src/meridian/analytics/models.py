"""Reporting tables: the append-only event log, one fact row per conversation, rollups,
and CSAT surveys.

No foreign keys to conversations, agents or teams: reports keep their anonymous counts
when a conversation is deleted by retention or a contact is erased.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, WorkspaceScoped

# Additive measures of a rollup row; ``facts.contribution`` says what each one counts.
COUNTERS = (
    "conversations",
    "first_responses",
    "first_response_sum_s",
    "resolved",
    "resolution_sum_s",
    "next_responded",
    "ever_resolved",
    "reopened",
    "fcr",
    "bot_engaged",
    "bot_deflected",
    "handed_off",
    "handoffs",
    "sla_met",
    "sla_breached",
    "csat_sent",
    "csat_count",
    "csat_sum",
    "resolutions",
    "reopens",
    "backlog_delta",
)
# Duration histograms (``buckets.BUCKETS`` buckets): calendar (_c) and business (_b) time.
HISTOGRAMS = ("fr_c", "fr_b", "res_c", "res_b", "nr_c", "nr_b")
DIMENSIONS = ("language", "channel", "inbox_id", "team_id", "agent_id", "region", "tier")


class ReportEvent(WorkspaceScoped, Base):
    """One thing that happened to a conversation, with the dimensions it had then.

    Rows are only ever inserted. Facts and rollups are folds of this table, so
    ``meridian analytics rebuild`` can recompute them from it at any time.
    """

    __tablename__ = "report_events"
    __table_args__ = (
        # A replayed domain event records nothing twice.
        UniqueConstraint("source_event_id", "conversation_id", "kind"),
        Index("ix_report_events_ws_conversation", "workspace_id", "conversation_id", "id"),
        Index("ix_report_events_ws_at", "workspace_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    conversation_id: Mapped[uuid.UUID]
    source_event_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    language: Mapped[str | None] = mapped_column(String(35), default=None)
    channel: Mapped[str | None] = mapped_column(String(16), default=None)
    inbox_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    team_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    region: Mapped[str | None] = mapped_column(String(32), default=None)
    tier: Mapped[str | None] = mapped_column(String(32), default=None)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    calendar_s: Mapped[float | None] = mapped_column(Float, default=None)
    business_s: Mapped[float | None] = mapped_column(Float, default=None)
    value: Mapped[int | None] = mapped_column(Integer, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ReportFact(WorkspaceScoped, Base):
    """A conversation as reports see it: latest dimensions, durations, outcomes."""

    __tablename__ = "report_conversations"
    __table_args__ = (
        Index("ix_report_conversations_ws_created", "workspace_id", "created_at"),
        Index("ix_report_conversations_tags", "tags", postgresql_using="gin"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime]
    local_how: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    language: Mapped[str | None] = mapped_column(String(35), default=None)
    channel: Mapped[str | None] = mapped_column(String(16), default=None)
    inbox_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    team_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    region: Mapped[str | None] = mapped_column(String(32), default=None)
    tier: Mapped[str | None] = mapped_column(String(32), default=None)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_s: Mapped[float | None] = mapped_column(Float, default=None)
    first_response_bs: Mapped[float | None] = mapped_column(Float, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_s: Mapped[float | None] = mapped_column(Float, default=None)
    resolution_bs: Mapped[float | None] = mapped_column(Float, default=None)
    waiting_since: Mapped[datetime | None] = mapped_column(default=None)
    next_responses: Mapped[int] = mapped_column(Integer, default=0)
    next_response_total_s: Mapped[float] = mapped_column(Float, default=0.0)
    next_response_total_bs: Mapped[float] = mapped_column(Float, default=0.0)
    human_replies: Mapped[int] = mapped_column(Integer, default=0)
    bot_replies: Mapped[int] = mapped_column(Integer, default=0)
    reopens: Mapped[int] = mapped_column(Integer, default=0)
    handoffs: Mapped[int] = mapped_column(Integer, default=0)
    assignments: Mapped[int] = mapped_column(Integer, default=0)
    sla: Mapped[str] = mapped_column(String(16), default="none")
    csat_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    csat_rating: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # [["2026-03-02", "resolved"], ["2026-03-04", "reopened"], ...] (UTC days).
    timeline: Mapped[list[list[str]]] = mapped_column(JSONB, default=list)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportRollup(WorkspaceScoped, Base):
    """Additive sums of fact contributions per period and dimension tuple.

    Writers only append rows holding deltas (a fact's new contribution minus its
    old one), so concurrent writers never contend for a row; ``rollups.compact``
    folds rows with the same key together every minute. Readers simply ``SUM`` every
    row of a key, so they see the same figures before and after compaction.
    ``cube`` names the dimensions a row keeps (``rollups.CUBES``: small ones per
    grouping, with or without the language, then "a" and "g", and the tag cubes "k"
    and "j", where a conversation counts once per tag); ``grain`` "d" rows are
    per UTC day, "w" per ISO week, "m" per month.
    """

    __tablename__ = "report_rollups"
    __table_args__ = (
        Index("ix_report_rollups_read", "workspace_id", "cube", "grain", "period"),
        Index("ix_report_rollups_key", "workspace_id", "key_hash"),
        # Pending deltas in key order: ``rollups.compact`` walks it batch by batch.
        Index("ix_report_rollups_pending", "workspace_id", "key_hash", postgresql_where="NOT compacted"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key_hash: Mapped[int] = mapped_column(BigInteger)
    compacted: Mapped[bool] = mapped_column(Boolean, default=False)
    cube: Mapped[str] = mapped_column(String(1))
    grain: Mapped[str] = mapped_column(String(1))
    period: Mapped[date] = mapped_column(Date)
    language: Mapped[str | None] = mapped_column(String(35), default=None)
    channel: Mapped[str | None] = mapped_column(String(16), default=None)
    inbox_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    team_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    region: Mapped[str | None] = mapped_column(String(32), default=None)
    tier: Mapped[str | None] = mapped_column(String(32), default=None)
    # Only the tag cubes keep a tag: one row per tag of the conversation (NULL: untagged).
    tag: Mapped[str | None] = mapped_column(String(64), default=None)


class ReportTagBackfill(Base):
    """A workspace whose rollups predate the tag cubes (migration 0025): its tag reports
    read the facts until ``meridian analytics rebuild`` has written them."""

    __tablename__ = "report_tag_backfill"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )


for _name in COUNTERS:
    setattr(ReportRollup, _name, mapped_column(_name, BigInteger, default=0, nullable=False))
for _name in HISTOGRAMS:
    # Delta rows store only the buckets they touch, as arrays with a lower bound
    # ('[17:17]={1}'); a subscript outside the bounds reads NULL, which SUM skips.
    setattr(ReportRollup, _name, mapped_column(_name, ARRAY(Integer), nullable=True, default=None))


class CsatSurvey(IdMixin, WorkspaceScoped, Base):
    """A satisfaction survey sent after a resolution, and the customer's answer."""

    __tablename__ = "csat_surveys"
    __table_args__ = (
        UniqueConstraint("conversation_id"),
        Index("ix_csat_surveys_pending", "contact_id", "inbox_id", postgresql_where="status = 'sent'"),
        Index("ix_csat_surveys_reply", "reply_message_id"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35))
    # sent -> answered | ignored (the customer wrote something that is not a rating)
    status: Mapped[str] = mapped_column(String(16), default="sent")
    message_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    rating: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # The customer's answer (rating and comment; its text lives in the vault) and the
    # conversation it arrived in, which is a new one when the channel opened one.
    reply_message_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    reply_conversation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    source: Mapped[str | None] = mapped_column(String(16), default=None)


class ReportAgentDay(WorkspaceScoped, Base):
    """Sampled agent time per UTC day (analytics/occupancy.py), for utilization and
    occupancy against capacity: seconds online, seconds online with at least one open
    assigned conversation, conversation-seconds carried, and capacity-seconds offered.
    """

    __tablename__ = "report_agent_days"
    __table_args__ = (PrimaryKeyConstraint("workspace_id", "agent_id", "day"),)

    agent_id: Mapped[uuid.UUID] = mapped_column()
    day: Mapped[date] = mapped_column(Date)
    online_s: Mapped[int] = mapped_column(BigInteger, default=0)
    busy_s: Mapped[int] = mapped_column(BigInteger, default=0)
    load_s: Mapped[int] = mapped_column(BigInteger, default=0)
    capacity_s: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportOccupancyClock(Base):
    """When each workspace's agents were last sampled: the next sample counts the time since."""

    __tablename__ = "report_occupancy_clock"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    sampled_at: Mapped[datetime]

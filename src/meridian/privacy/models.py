from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped

REQUEST_TYPES = ("erase", "export")
# pending -> completed | failed (erasure retries while pending; export completes at once)
REQUEST_STATUSES = ("pending", "completed", "failed")
PURPOSES = ("marketing", "proactive", "support")


class PrivacyRequest(IdMixin, WorkspaceScoped, Base):
    """A data subject request (DSAR) with its legal deadline and who handled it."""

    __tablename__ = "privacy_requests"
    __table_args__ = (
        Index("ix_privacy_requests_pending", "id", postgresql_where="status = 'pending'"),
        Index("ix_privacy_requests_ws_created", "workspace_id", "created_at"),
    )

    # Kept when the contact row is deleted: the request history outlives it.
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None, index=True
    )
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # The law whose deadline applies: "gdpr", "ccpa", "lgpd", "pdpa", ...
    regime: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    handled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    # "api", "console", "cli", "retention"
    source: Mapped[str] = mapped_column(String(16), default="api")
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class Consent(IdMixin, WorkspaceScoped, Base):
    """One grant or revocation; the latest row per (contact, purpose, channel) is in force.

    Append-only, so the history (when, how, from where) is the proof regulators ask for.
    """

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_lookup", "contact_id", "purpose", "channel", "recorded_at"),)

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    # None: every channel.
    channel: Mapped[str | None] = mapped_column(String(16), default=None)
    granted: Mapped[bool]
    # Where it was captured: "webchat_prechat", "email_optin", "whatsapp_optin", "agent", "api"...
    source: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RetentionPolicy(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """Delete closed conversations older than ``max_age_days`` in a region and channel.

    ``region``/``channel`` None match any; the most specific policy wins.
    """

    __tablename__ = "retention_policies"
    __table_args__ = (
        UniqueConstraint("workspace_id", "region", "channel", postgresql_nulls_not_distinct=True),
    )

    region: Mapped[str | None] = mapped_column(String(32), default=None)
    channel: Mapped[str | None] = mapped_column(String(16), default=None)
    max_age_days: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(default=True)


class PurgedConversation(WorkspaceScoped, Base):
    """A conversation whose content retention deleted; the shell stays for analytics."""

    __tablename__ = "purged_conversations"

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("retention_policies.id", ondelete="SET NULL"), default=None
    )
    purged_at: Mapped[datetime] = mapped_column(server_default=func.now())

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, WorkspaceScoped

# pending -> (in flight under a row lock) -> delivered | retrying -> ... | failed
DELIVERY_STATES = ("pending", "retrying", "delivered", "failed")


class Delivery(IdMixin, WorkspaceScoped, Base):
    """The transactional outbox: one row per thing that must leave Meridian.

    Inserted in the same transaction as the message (or event) it carries, so a
    committed reply is a reply that will be delivered. Workers claim rows with
    ``FOR UPDATE SKIP LOCKED``; the idempotency key travels with every attempt so
    the receiver can drop a duplicate after a crash between send and commit.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "next_attempt_at", postgresql_where="state IN ('pending','retrying')"),
    )

    # "channel_message" (send a message through its inbox's channel) or "webhook".
    kind: Mapped[str] = mapped_column(String(32))
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), default=None, index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    external_id: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class DeliveryAttempt(IdMixin, Base):
    __tablename__ = "delivery_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    # "ok", "transient", "permanent"
    outcome: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class SendRateBucket(Base):
    """One send-rate bucket (an inbox, or one recipient of it) for ``deliveries/ratelimit.py``.

    ``tat`` is the GCRA "theoretical arrival time": the bucket is full again at ``tat`` and
    a send is allowed while ``now >= tat - (burst - 1) * interval``. Not tenant data: the key
    holds the inbox id and a keyed hash of the recipient, never the recipient itself.
    """

    __tablename__ = "send_rate_buckets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tat: Mapped[datetime]

"""Tables that hold personal data and message content.

Only ``meridian.vault`` reads or writes them. Today they sit in the home database;
with data residency each region's database holds its own copy of these tables.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base


class VaultContact(Base):
    __tablename__ = "vault_contacts"

    # No foreign keys: in a regional database the contact row is elsewhere.
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(Text, default=None)
    email: Mapped[str | None] = mapped_column(Text, default=None)
    phone: Mapped[str | None] = mapped_column(Text, default=None)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class VaultIdentity(Base):
    __tablename__ = "vault_identities"

    identity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    region: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)


class VaultMessage(Base):
    __tablename__ = "vault_messages"
    __table_args__ = (
        # Substring search that works for every script, CJK included.
        Index(
            "ix_vault_messages_body_trgm",
            "body",
            postgresql_using="gin",
            postgresql_ops={"body": "gin_trgm_ops"},
        ),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    region: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    # What was actually sent when it differs from what the agent wrote (translation).
    sent_body: Mapped[str | None] = mapped_column(Text, default=None)
    translation: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # Channel payload as received (vendor JSON, or the raw email as text).
    raw: Mapped[str | None] = mapped_column(Text, default=None)
    html: Mapped[str | None] = mapped_column(Text, default=None)

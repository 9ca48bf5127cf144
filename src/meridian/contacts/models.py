from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class Contact(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """Metadata only. Name, email, phone and other PII live in the vault (region-keyed)."""

    __tablename__ = "contacts"

    region: Mapped[str] = mapped_column(String(32), default="default")
    locale: Mapped[str | None] = mapped_column(String(35), default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    tier: Mapped[str | None] = mapped_column(String(32), default=None)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set when this contact was merged into another one; kept for unmerge.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )


class ContactIdentity(IdMixin, WorkspaceScoped, Base):
    """How a contact is known on one channel (email, E.164 phone, wa_id, chat id, ...).

    The raw identifier is PII and lives in the vault; this row holds a keyed hash so
    lookups work without reading the vault and without storing the value here.
    """

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "identifier_hash"),)

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    # "api", "email", "phone", "whatsapp", "telegram", "line", "messenger", "instagram", "webchat"
    kind: Mapped[str] = mapped_column(String(16))
    identifier_hash: Mapped[str] = mapped_column(String(64))
    verified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ContactMerge(IdMixin, WorkspaceScoped, Base):
    """A manual merge of ``other_contact_id`` into ``contact_id``, with exactly what moved.

    Messages, attachments and vault rows never move: they stay with the contact whose data
    key sealed them (``Message.contact_id``), which is why the merged contact survives as a
    row with ``merged_into_id`` set. Unmerge moves the listed rows back.
    """

    __tablename__ = "contact_merges"

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    other_contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    identity_ids: Mapped[list[str]] = mapped_column(default=list)
    conversation_ids: Mapped[list[str]] = mapped_column(default=list)
    # Contacts that had been merged into the other one, now pointing at the survivor.
    repointed_contact_ids: Mapped[list[str]] = mapped_column(default=list)
    merged_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    unmerged_at: Mapped[datetime | None] = mapped_column(default=None)
    unmerged_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )

"""Tables that hold personal data and message content.

Only ``meridian.vault`` reads or writes them. Content columns hold AES-GCM ciphertext
under the contact's data key (``vault_keys``); see ``vault/crypto.py``. With data
residency each region's database holds its own copy of these tables.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text, func
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base
from meridian.vault.bigrams import HAS_PAIR, INDEX_NAME


class VaultKey(Base):
    """A contact's data key, wrapped by its region's key. Erasure nulls ``wrapped_key``:
    the row stays as a tombstone so nothing new is ever written for that contact."""

    __tablename__ = "vault_keys"

    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    region: Mapped[str] = mapped_column(String(32))
    kek_id: Mapped[str | None] = mapped_column(String(64), default=None)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    shredded_at: Mapped[datetime | None] = mapped_column(default=None)


class VaultContact(Base):
    __tablename__ = "vault_contacts"

    # No foreign keys: in a regional database the contact row is elsewhere.
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    email: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    phone: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # JSON object, sealed as one value.
    extra: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class VaultIdentity(Base):
    __tablename__ = "vault_identities"

    identity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    region: Mapped[str] = mapped_column(String(32))
    value: Mapped[bytes] = mapped_column(LargeBinary)


class VaultMessage(Base):
    __tablename__ = "vault_messages"

    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    region: Mapped[str] = mapped_column(String(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # What was actually sent when it differs from what the agent wrote (translation).
    sent_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # JSON object, sealed as one value.
    translation: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Channel payload as received (vendor JSON, or the raw email as text).
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    html: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class VaultMessageSearch(Base):
    """Plain, normalized message text for substring search (ciphertext cannot be searched).

    The one place content is stored unencrypted: erasure deletes these rows in the same
    step as the key, but a backup taken before erasure still holds them (docs/privacy.md).
    """

    __tablename__ = "vault_message_search"
    __table_args__ = (
        # Substring search that works for every script, CJK included.
        Index(
            "ix_vault_message_search_text_trgm",
            "text",
            postgresql_using="gin",
            postgresql_ops={"text": "gin_trgm_ops"},
        ),
        # Two-character CJK words, which have no trigram (vault/bigrams.py; the function
        # comes from migration 0017_perf_search_bigrams, or create_vault_schema).
        Index(
            INDEX_NAME,
            sql_text("meridian_cjk_bigrams(text)"),
            postgresql_using="gin",
            postgresql_where=sql_text(HAS_PAIR),
        ),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    region: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)

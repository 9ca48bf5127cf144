"""The vault: the only code that reads or writes personal data and message content.

Every call names the data region. Today all regions resolve to the home database
session the caller already holds, so writes share the caller's transaction; when
regions get their own databases (data residency), only ``_region_session`` changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.vault.models import VaultContact, VaultIdentity, VaultMessage


@dataclass(frozen=True)
class ContactPII:
    name: str | None
    email: str | None
    phone: str | None
    extra: dict[str, Any]


@dataclass(frozen=True)
class MessageContent:
    body: str
    sent_body: str | None
    translation: dict[str, Any] | None
    html: str | None
    raw: str | None


EMPTY_CONTACT = ContactPII(None, None, None, {})
EMPTY_MESSAGE = MessageContent("", None, None, None, None)


def _region_session(session: AsyncSession, region: str) -> AsyncSession:
    return session


async def put_contact(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    contact_id: uuid.UUID,
    region: str,
    name: str | None,
    email: str | None,
    phone: str | None,
    extra: dict[str, Any] | None = None,
) -> None:
    db = _region_session(session, region)
    values = {"name": name, "email": email, "phone": phone, "extra": extra or {}}
    stmt = insert(VaultContact).values(
        contact_id=contact_id, workspace_id=workspace_id, region=region, **values
    )
    await db.execute(stmt.on_conflict_do_update(index_elements=["contact_id"], set_=values))


async def update_contact(
    session: AsyncSession, *, contact_id: uuid.UUID, region: str, changes: dict[str, object]
) -> None:
    if changes:
        db = _region_session(session, region)
        await db.execute(update(VaultContact).where(VaultContact.contact_id == contact_id).values(**changes))


async def get_contacts(
    session: AsyncSession, refs: Iterable[tuple[uuid.UUID, str]]
) -> dict[uuid.UUID, ContactPII]:
    """PII for (contact_id, region) pairs; contacts with nothing stored read as empty."""
    by_region: dict[str, list[uuid.UUID]] = {}
    for contact_id, region in refs:
        by_region.setdefault(region, []).append(contact_id)
    out: dict[uuid.UUID, ContactPII] = {}
    for region, ids in by_region.items():
        db = _region_session(session, region)
        rows = await db.execute(select(VaultContact).where(VaultContact.contact_id.in_(ids)))
        for row in rows.scalars():
            out[row.contact_id] = ContactPII(row.name, row.email, row.phone, dict(row.extra))
    return out


async def put_identity(
    session: AsyncSession, *, identity_id: uuid.UUID, contact_id: uuid.UUID, region: str, value: str
) -> None:
    db = _region_session(session, region)
    stmt = insert(VaultIdentity).values(
        identity_id=identity_id, contact_id=contact_id, region=region, value=value
    )
    await db.execute(
        stmt.on_conflict_do_update(
            index_elements=["identity_id"], set_={"value": value, "contact_id": contact_id}
        )
    )


async def get_identity_values(
    session: AsyncSession, *, identity_ids: Sequence[uuid.UUID], region: str
) -> dict[uuid.UUID, str]:
    if not identity_ids:
        return {}
    db = _region_session(session, region)
    rows = await db.execute(
        select(VaultIdentity.identity_id, VaultIdentity.value).where(
            VaultIdentity.identity_id.in_(identity_ids)
        )
    )
    return {identity_id: value for identity_id, value in rows}


async def put_message(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    message_id: uuid.UUID,
    conversation_id: uuid.UUID,
    contact_id: uuid.UUID,
    region: str,
    body: str,
    sent_body: str | None = None,
    html: str | None = None,
    raw: str | None = None,
    translation: dict[str, Any] | None = None,
) -> None:
    db = _region_session(session, region)
    db.add(
        VaultMessage(
            message_id=message_id,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            contact_id=contact_id,
            region=region,
            body=body,
            sent_body=sent_body,
            html=html,
            raw=raw,
            translation=translation,
        )
    )


async def set_message_translation(
    session: AsyncSession, *, message_id: uuid.UUID, region: str, translation: dict[str, Any] | None
) -> None:
    db = _region_session(session, region)
    await db.execute(
        update(VaultMessage).where(VaultMessage.message_id == message_id).values(translation=translation)
    )


async def get_messages(
    session: AsyncSession, refs: Iterable[tuple[uuid.UUID, str]]
) -> dict[uuid.UUID, MessageContent]:
    by_region: dict[str, list[uuid.UUID]] = {}
    for message_id, region in refs:
        by_region.setdefault(region, []).append(message_id)
    out: dict[uuid.UUID, MessageContent] = {}
    for region, ids in by_region.items():
        db = _region_session(session, region)
        rows = await db.execute(
            select(
                VaultMessage.message_id,
                VaultMessage.body,
                VaultMessage.sent_body,
                VaultMessage.translation,
                VaultMessage.html,
                VaultMessage.raw,
            ).where(VaultMessage.message_id.in_(ids))
        )
        for mid, body, sent_body, translation, html, raw in rows:
            out[mid] = MessageContent(body, sent_body, translation, html, raw)
    return out


async def search_conversations(
    session: AsyncSession, *, workspace_id: uuid.UUID, regions: Iterable[str], query: str, limit: int
) -> list[uuid.UUID]:
    """Conversations whose messages contain ``query`` (any script; trigram-indexed)."""
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found: list[uuid.UUID] = []
    for region in sorted(set(regions)):
        db = _region_session(session, region)
        rows = await db.execute(
            select(VaultMessage.conversation_id)
            .where(VaultMessage.workspace_id == workspace_id, VaultMessage.body.ilike(pattern))
            .group_by(VaultMessage.conversation_id)
            .limit(limit)
        )
        found.extend(rows.scalars())
    return found


async def erase_contact(session: AsyncSession, *, contact_id: uuid.UUID, region: str) -> None:
    db = _region_session(session, region)
    await db.execute(delete(VaultMessage).where(VaultMessage.contact_id == contact_id))
    await db.execute(delete(VaultIdentity).where(VaultIdentity.contact_id == contact_id))
    await db.execute(delete(VaultContact).where(VaultContact.contact_id == contact_id))

"""The vault: the only code that reads or writes personal data and message content.

Every call names the data region. A region without its own database
(``vault/regions.py``) uses the session the caller holds, so writes share the caller's
transaction. A region with its own database gets a session there for the one call,
committed when the call ends: the regional row is committed *before* the caller's
home transaction, so a failure in between leaves an orphaned, encrypted regional row
that nothing references, never a home row pointing at nothing.

Reads obey the calling agent's region grants (``vault/access.py``): content of a
region the agent has no grant for comes back withheld, and reads outside the agent's
home region are audited.

Content is sealed with the contact's data key (``keys.py``, ``crypto.py``) inside these
functions, so callers pass and receive plain values. A contact whose key was shredded
reads as empty and refuses new content (``ContactErased``).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.db.arrays import in_ids
from meridian.privacy.redaction import redact
from meridian.vault import access, bigrams, keys, regions, searchsql
from meridian.vault.crypto import Opener, aad_for, open_text, seal_json, seal_text
from meridian.vault.keys import ContactErased
from meridian.vault.models import VaultContact, VaultIdentity, VaultKey, VaultMessage, VaultMessageSearch
from meridian.vault.regions import regional as regional_databases

__all__ = [
    "EMPTY_CONTACT",
    "EMPTY_MESSAGE",
    "ContactErased",
    "ContactPII",
    "MessageContent",
]


@dataclass(frozen=True)
class ContactPII:
    name: str | None
    email: str | None
    phone: str | None
    extra: dict[str, Any]
    # Set when the reader has no grant for the contact's region; the fields are empty.
    withheld_region: str | None = None


@dataclass(frozen=True)
class MessageContent:
    body: str
    sent_body: str | None
    translation: dict[str, Any] | None
    html: str | None
    raw: str | None
    withheld_region: str | None = None


EMPTY_CONTACT = ContactPII(None, None, None, {})
EMPTY_MESSAGE = MessageContent("", None, None, None, None)
CONTACT_FIELDS = ("name", "email", "phone")
MESSAGE_TEXT_FIELDS = ("body", "sent_body", "html", "raw")


@asynccontextmanager
async def region_session(session: AsyncSession, region: str) -> AsyncIterator[AsyncSession]:
    """A session on ``region``'s database: the caller's, or a regional one committed on exit."""
    database = regions.database_for(region)
    if database is None:
        yield session
        return
    async with database.session() as db:
        yield db
        await db.commit()


def withheld_contact(region: str) -> ContactPII:
    return ContactPII(access.withheld_text(region), None, None, {}, withheld_region=region)


def withheld_message(region: str) -> MessageContent:
    return MessageContent(access.withheld_text(region), None, None, None, None, withheld_region=region)


def search_text(value: str) -> str:
    """How message text is stored and queried for search: NFKC, case-folded."""
    return unicodedata.normalize("NFKC", value).casefold()


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
    new: bool = False,
) -> None:
    """``new``: the contact row was made in this transaction, so it has no key yet."""
    async with region_session(session, region) as db:
        write_key = keys.create_key if new else keys.key_for_write
        key = await write_key(db, workspace_id=workspace_id, contact_id=contact_id, region=region)
        values = {
            field: seal_text(key, value, aad=aad_for(f"contact.{field}", contact_id))
            for field, value in (("name", name), ("email", email), ("phone", phone))
        }
        values["extra"] = seal_json(key, extra or {}, aad=aad_for("contact.extra", contact_id))
        stmt = insert(VaultContact).values(
            contact_id=contact_id, workspace_id=workspace_id, region=region, **values
        )
        await db.execute(stmt.on_conflict_do_update(index_elements=["contact_id"], set_=values))


async def update_contact(
    session: AsyncSession, *, contact_id: uuid.UUID, region: str, changes: dict[str, object]
) -> None:
    """Change some of name/email/phone (str or None) and ``extra`` (a dict)."""
    if not changes:
        return
    unknown = set(changes) - {*CONTACT_FIELDS, "extra"}
    if unknown:
        raise ValueError(f"not vault contact fields: {sorted(unknown)}")
    async with region_session(session, region) as db:
        key = await keys.key_for_write(db, workspace_id=None, contact_id=contact_id, region=region)
        sealed: dict[str, bytes | None] = {}
        for field, value in changes.items():
            aad = aad_for(f"contact.{field}", contact_id)
            if field == "extra":
                sealed[field] = seal_json(key, value or {}, aad=aad)
            else:
                sealed[field] = seal_text(key, None if value is None else str(value), aad=aad)
        await db.execute(update(VaultContact).where(VaultContact.contact_id == contact_id).values(**sealed))


async def get_contacts(
    session: AsyncSession, refs: Iterable[tuple[uuid.UUID, str]]
) -> dict[uuid.UUID, ContactPII]:
    """PII for (contact_id, region) pairs; contacts with nothing stored read as empty,
    contacts of a region the reader has no grant for read as withheld."""
    by_region: dict[str, list[uuid.UUID]] = {}
    for contact_id, region in refs:
        by_region.setdefault(region, []).append(contact_id)
    out: dict[uuid.UUID, ContactPII] = {}
    read: list[str] = []
    for region, ids in by_region.items():
        if not access.may_read(region):
            out.update((cid, withheld_contact(region)) for cid in ids)
            continue
        read.append(region)
        async with region_session(session, region) as db:
            # Plain columns with the key joined in: one round trip, no ORM objects.
            rows = await db.execute(
                select(
                    VaultContact.contact_id,
                    *keys.LIVE_KEY_COLUMNS,
                    VaultContact.name,
                    VaultContact.email,
                    VaultContact.phone,
                    VaultContact.extra,
                )
                .join(VaultKey, keys.live_key_of(VaultContact.contact_id))
                .where(in_ids(VaultContact.contact_id, ids))
            )
            for cid, key_region, kek_id, wrapped, *sealed in rows:
                opener = Opener(keys.unwrap(key_region, kek_id, wrapped))
                name, email, phone = (
                    None if blob is None else opener.text(blob, aad=aad_for(f"contact.{field}", cid))
                    for field, blob in zip(CONTACT_FIELDS, sealed[:3], strict=True)
                )
                extra = sealed[3]
                out[cid] = ContactPII(
                    name,
                    email,
                    phone,
                    dict(opener.json(extra, aad=aad_for("contact.extra", cid)) or {}) if extra else {},
                )
    await access.note_reads(
        session, regions=read, what="contacts", count=sum(len(by_region[r]) for r in read)
    )
    return out


async def put_identity(
    session: AsyncSession, *, identity_id: uuid.UUID, contact_id: uuid.UUID, region: str, value: str
) -> None:
    async with region_session(session, region) as db:
        key = keys.created_key(db, contact_id)
        if key is None:
            workspace_id = await db.scalar(
                select(VaultContact.workspace_id).where(VaultContact.contact_id == contact_id)
            )
            key = await keys.key_for_write(
                db, workspace_id=workspace_id, contact_id=contact_id, region=region
            )
        sealed = seal_text(key, value, aad=aad_for("identity", identity_id))
        stmt = insert(VaultIdentity).values(
            identity_id=identity_id, contact_id=contact_id, region=region, value=sealed
        )
        await db.execute(
            stmt.on_conflict_do_update(
                index_elements=["identity_id"], set_={"value": sealed, "contact_id": contact_id}
            )
        )


async def get_identity_values(
    session: AsyncSession, *, identity_ids: Sequence[uuid.UUID], region: str
) -> dict[uuid.UUID, str]:
    """Identifier values; none for a reader without a grant for ``region``."""
    if not identity_ids or not access.may_read(region):
        return {}
    async with region_session(session, region) as db:
        rows = list(
            await db.execute(
                select(VaultIdentity.identity_id, VaultIdentity.contact_id, VaultIdentity.value).where(
                    VaultIdentity.identity_id.in_(identity_ids)
                )
            )
        )
        live = await keys.keys_for_read(db, (contact_id for _, contact_id, _ in rows))
    out: dict[uuid.UUID, str] = {}
    for identity_id, contact_id, value in rows:
        if contact_id in live:
            text = open_text(live[contact_id], value, aad=aad_for("identity", identity_id))
            assert text is not None
            out[identity_id] = text
    return out


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
    async with region_session(session, region) as db:
        key = await keys.key_for_write(db, workspace_id=workspace_id, contact_id=contact_id, region=region)
        texts = {"body": body, "sent_body": sent_body, "html": html, "raw": raw}
        sealed = {f: seal_text(key, v, aad=aad_for(f"message.{f}", message_id)) for f, v in texts.items()}
        db.add(
            VaultMessage(
                message_id=message_id,
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                contact_id=contact_id,
                region=region,
                translation=seal_json(key, translation, aad=aad_for("message.translation", message_id)),
                **sealed,
            )
        )
        if body:
            db.add(
                VaultMessageSearch(
                    message_id=message_id,
                    workspace_id=workspace_id,
                    conversation_id=conversation_id,
                    contact_id=contact_id,
                    region=region,
                    # The one plain copy at rest: card numbers and IBANs are masked in
                    # it (ingest masks the sealed copies too; other writers may not).
                    text=search_text(redact(body).text),
                )
            )


async def set_message_translation(
    session: AsyncSession, *, message_id: uuid.UUID, region: str, translation: dict[str, Any] | None
) -> None:
    async with region_session(session, region) as db:
        contact_id = await db.scalar(
            select(VaultMessage.contact_id).where(VaultMessage.message_id == message_id)
        )
        if contact_id is None:
            return
        key = await keys.key_for_write(db, workspace_id=None, contact_id=contact_id, region=region)
        await db.execute(
            update(VaultMessage)
            .where(VaultMessage.message_id == message_id)
            .values(translation=seal_json(key, translation, aad=aad_for("message.translation", message_id)))
        )


async def get_messages(
    session: AsyncSession, refs: Iterable[tuple[uuid.UUID, str]], *, source: bool = True
) -> dict[uuid.UUID, MessageContent]:
    """Content of (message_id, region) pairs; erased contacts' messages are absent, and
    messages of a region the reader has no grant for read as withheld.

    ``source=False`` leaves out ``html`` and ``raw`` (the email's HTML, the vendor's
    payload as received), which can be large and which a thread view does not show."""
    by_region: dict[str, list[uuid.UUID]] = {}
    for message_id, region in refs:
        by_region.setdefault(region, []).append(message_id)
    out: dict[uuid.UUID, MessageContent] = {}
    read: list[str] = []
    sealed_columns = [VaultMessage.body, VaultMessage.sent_body, VaultMessage.translation]
    if source:
        sealed_columns += [VaultMessage.html, VaultMessage.raw]
    for region, ids in by_region.items():
        if not access.may_read(region):
            out.update((mid, withheld_message(region)) for mid in ids)
            continue
        read.append(region)
        async with region_session(session, region) as db:
            # Plain columns with the contact's key joined in, one array parameter: a
            # 200-message thread spent more CPU building ORM objects, rendering 200
            # placeholders and in a second round trip for the keys than decrypting.
            rows = (
                await db.execute(
                    select(
                        VaultMessage.message_id,
                        VaultMessage.contact_id,
                        *keys.LIVE_KEY_COLUMNS,
                        *sealed_columns,
                    )
                    .join(VaultKey, keys.live_key_of(VaultMessage.contact_id))
                    .where(in_ids(VaultMessage.message_id, ids))
                )
            ).all()
        openers: dict[uuid.UUID, Opener] = {}
        for mid, contact_id, key_region, kek_id, wrapped, body, sent_body, translation, *more in rows:
            opener = openers.get(contact_id)
            if opener is None:
                opener = openers[contact_id] = Opener(keys.unwrap(key_region, kek_id, wrapped))
            html, raw = more or (None, None)
            out[mid] = MessageContent(
                (opener.text(body, aad=aad_for("message.body", mid)) if body is not None else None) or "",
                opener.text(sent_body, aad=aad_for("message.sent_body", mid))
                if sent_body is not None
                else None,
                opener.json(translation, aad=aad_for("message.translation", mid))
                if translation is not None
                else None,
                opener.text(html, aad=aad_for("message.html", mid)) if html is not None else None,
                opener.text(raw, aad=aad_for("message.raw", mid)) if raw is not None else None,
            )
    await access.note_reads(
        session, regions=read, what="messages", count=sum(len(by_region[r]) for r in read)
    )
    return out


async def search_conversations(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    query: str,
    limit: int,
    regions: Iterable[str] | None = None,
) -> list[uuid.UUID]:
    """Conversations whose messages contain ``query`` (any script; trigram-indexed, and
    bigram-indexed for CJK text, ``vault/bigrams.py``).

    Searches ``regions`` (None: every region), minus those the reader has no grant for (a
    hit would disclose content): the home database once for all its regions, and each
    regional database that holds one of them."""
    needle = search_text(query)
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    # Two CJK characters have no trigram to look up; their pairs do (vault/bigrams.py).
    grams = bigrams.cjk_bigrams(needle) or None
    wanted = None if regions is None else set(regions)
    reader = access.current_reader()
    home_regions: list[str] | None = None
    if wanted is not None:
        home_regions = sorted(r for r in wanted if access.may_read(r))
    elif reader is not None and reader.regions is not None:
        home_regions = sorted({reader.home_region, *reader.regions})
    # (regional database or None for home, regions to keep there)
    targets: list[tuple[str | None, list[str] | None]] = [(None, home_regions)]
    for region in regional_databases():
        if (wanted is None or region in wanted) and access.may_read(region):
            targets.append((region, None))
    # Through the function, not a SELECT: the table's policy would switch its trigram and
    # bigram indexes off (vault/searchsql.py).
    found: list[uuid.UUID] = []
    for database_region, kept in targets:
        params = {
            "workspace_id": workspace_id,
            "pattern": pattern,
            "grams": grams,
            "regions": kept,
            "limit": limit,
        }
        if database_region is None:
            found.extend((await session.execute(sql_text(searchsql.SEARCH), params)).scalars())
            continue
        async with region_session(session, database_region) as db:
            found.extend((await db.execute(sql_text(searchsql.SEARCH), params)).scalars())
    return found


async def delete_messages(session: AsyncSession, *, message_ids: Sequence[uuid.UUID], region: str) -> None:
    """Delete some messages' content (retention); the contact's key and PII stay."""
    if not message_ids:
        return
    async with region_session(session, region) as db:
        await db.execute(delete(VaultMessageSearch).where(VaultMessageSearch.message_id.in_(message_ids)))
        await db.execute(delete(VaultMessage).where(VaultMessage.message_id.in_(message_ids)))


async def shred_contact(
    session: AsyncSession, *, workspace_id: uuid.UUID, contact_id: uuid.UUID, region: str
) -> None:
    """The instant part of erasure: destroy the data key and the plain search text.

    Everything else the vault holds for the contact is ciphertext nobody can open from
    here on; ``erase_contact`` removes it too.
    """
    async with region_session(session, region) as db:
        await keys.shred(db, workspace_id=workspace_id, contact_id=contact_id, region=region)
        await db.execute(delete(VaultMessageSearch).where(VaultMessageSearch.contact_id == contact_id))


async def erase_contact(session: AsyncSession, *, contact_id: uuid.UUID, region: str) -> None:
    """Shred the contact's key (if it has one) and delete every vault row of the contact."""
    async with region_session(session, region) as db:
        await _erase_rows(db, contact_id=contact_id)


async def _erase_rows(db: AsyncSession, *, contact_id: uuid.UUID) -> None:
    await keys.shred_existing(db, contact_id=contact_id)
    await db.execute(delete(VaultMessageSearch).where(VaultMessageSearch.contact_id == contact_id))
    await db.execute(delete(VaultMessage).where(VaultMessage.contact_id == contact_id))
    await db.execute(delete(VaultIdentity).where(VaultIdentity.contact_id == contact_id))
    await db.execute(delete(VaultContact).where(VaultContact.contact_id == contact_id))

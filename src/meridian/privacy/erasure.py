"""Erasing a contact (right to erasure, right to delete).

Two steps. ``request_erasure`` runs in the request: it destroys the contact's data key
(crypto-shredding: every ciphertext copy, backups included, is unreadable from that
commit on), deletes the plain search text and identity lookups, and marks the contact
erased. ``complete_erasure`` runs as a job: it deletes the now unreadable vault rows
and attachment files and scrubs the copies outside the vault (event and outbox
payloads, delivery errors, message metadata, subjects). Conversation and message rows
stay as content-free shells so analytics keep their counts.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.models import Attachment
from meridian.audit.service import record
from meridian.auth.service import Principal
from meridian.contacts.models import Contact, ContactIdentity
from meridian.contacts.service import get_contact
from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.deliveries.models import Delivery
from meridian.events.service import publish
from meridian.jobs.defer import defer_in_transaction
from meridian.messages.models import Message
from meridian.privacy.confirmation import CONFIRMATION, confirm_request
from meridian.privacy.deadlines import regime_for
from meridian.privacy.models import PrivacyRequest
from meridian.privacy.scrub import scrub_deliveries, scrub_events
from meridian.vault import service as vault
from meridian.vault.files import delete_attachment

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


async def _with_merged(session: AsyncSession, contact: Contact) -> list[Contact]:
    """The contact and the contacts merged into it: one person, several rows."""
    merged = await session.scalars(
        select(Contact).where(
            Contact.merged_into_id == contact.id, Contact.workspace_id == contact.workspace_id
        )
    )
    return [contact, *merged]


def _messages_of(person: Contact) -> Any:
    """The person's messages: sealed with their key, or in their conversations under another
    contact's key (a reply written while a conversation was merged elsewhere, then unmerged)."""
    return select(Message.id).where(
        or_(
            Message.contact_id == person.id,
            Message.conversation_id.in_(select(Conversation.id).where(Conversation.contact_id == person.id)),
        )
    )


async def latest_request(
    session: AsyncSession, *, workspace_id: uuid.UUID, contact_id: uuid.UUID, type: str
) -> PrivacyRequest | None:
    return await session.scalar(
        select(PrivacyRequest)
        .where(
            PrivacyRequest.workspace_id == workspace_id,
            PrivacyRequest.contact_id == contact_id,
            PrivacyRequest.type == type,
        )
        .order_by(PrivacyRequest.created_at.desc(), PrivacyRequest.id.desc())
        .limit(1)
    )


async def start_erasure(
    session: AsyncSession, *, contact: Contact, actor_id: uuid.UUID | None, source: str
) -> PrivacyRequest:
    """Shred the contact's key and queue the clean-up, in the caller's transaction."""
    now = utcnow()
    for person in await _with_merged(session, contact):
        await vault.shred_contact(
            session, workspace_id=person.workspace_id, contact_id=person.id, region=person.region
        )
        # Content in their conversations sealed under someone else's key goes now too.
        foreign = await session.scalars(
            select(Message.id).where(Message.id.in_(_messages_of(person)), Message.contact_id != person.id)
        )
        await vault.delete_messages(session, message_ids=list(foreign), region=person.region)
        person.erased_at = now
        person.attributes = {}
        # Keyed hashes of their addresses: someone writing from them again is a new contact.
        await session.execute(delete(ContactIdentity).where(ContactIdentity.contact_id == person.id))
        # Nothing more is sent to them: replies still in the outbox stop here.
        await session.execute(
            update(Delivery)
            .where(
                Delivery.message_id.in_(_messages_of(person)),
                Delivery.state.in_(("pending", "retrying")),
            )
            .values(state="failed", last_error="the contact was erased", finished_at=now)
        )
        await session.execute(
            update(Message)
            .where(Message.id.in_(_messages_of(person)), Message.delivery_status.in_(("queued", "retrying")))
            .values(delivery_status="failed")
        )
    regime = regime_for(country=contact.country, region=contact.region)
    request = PrivacyRequest(
        workspace_id=contact.workspace_id,
        contact_id=contact.id,
        type="erase",
        status="pending",
        regime=regime.name,
        due_at=regime.due(now),
        handled_by_id=actor_id,
        source=source,
        result={},
    )
    session.add(request)
    await session.flush()
    if source != "retention":
        # Someone asked: they get a confirmation in their language (no one asked a purge).
        await confirm_request(session, contact=contact, request=request, received_at=now)
    await record(
        session,
        workspace_id=contact.workspace_id,
        actor_id=actor_id,
        actor_kind="agent" if actor_id else "system",
        action="contact.erasure_requested",
        target=f"contact:{contact.id}",
        details={"request_id": str(request.id), "regime": regime.name, "source": source},
    )
    # Features holding derived data (indexes, analytics caches) subscribe to this.
    await publish(
        session,
        workspace_id=contact.workspace_id,
        type="contact.erased",
        payload={"contact_id": str(contact.id), "request_id": str(request.id)},
    )
    from meridian.privacy.tasks import erase_now  # the task module imports this one

    # Committed with the request; the periodic sweep catches anything this misses. No
    # queueing lock: a duplicate job finds nothing pending and returns at once.
    await defer_in_transaction(session, erase_now)
    return request


async def request_erasure(
    *, session: AsyncSession, principal: Principal, contact_id: uuid.UUID, source: str = "api"
) -> PrivacyRequest:
    """The API action; repeating it returns the request already made."""
    contact = await get_contact(session, workspace_id=principal.workspace_id, contact_id=contact_id)
    previous = await latest_request(
        session, workspace_id=principal.workspace_id, contact_id=contact.id, type="erase"
    )
    if contact.erased_at is not None and previous is not None:
        return previous
    request = await start_erasure(session, contact=contact, actor_id=principal.agent_id, source=source)
    await session.commit()
    return request


async def _erase_person(session: AsyncSession, person: Contact) -> Counter[str]:
    counts: Counter[str] = Counter()
    conversation_ids = list(
        await session.scalars(select(Conversation.id).where(Conversation.contact_id == person.id))
    )
    message_ids = list(await session.scalars(_messages_of(person)))
    attachments = list(
        await session.scalars(
            select(Attachment).where(
                or_(Attachment.contact_id == person.id, Attachment.message_id.in_(message_ids))
            )
        )
    )
    for attachment in attachments:
        # Ciphertext under a destroyed key already; deleting it frees the space and the doubt.
        await delete_attachment(attachment.storage_key)
    await session.execute(delete(Attachment).where(Attachment.id.in_([a.id for a in attachments])))
    await vault.erase_contact(session, contact_id=person.id, region=person.region)
    await session.execute(
        update(Message)
        .where(Message.id.in_(message_ids))
        .values(meta={}, external_id=None, delivery_error=None)
    )
    await session.execute(
        update(Conversation)
        .where(Conversation.contact_id == person.id)
        .values(subject=None, custom_attributes={})
    )
    counts["conversations"] += len(conversation_ids)
    counts["messages"] += len(message_ids)
    counts["attachments"] += len(attachments)
    counts["events_scrubbed"] += await scrub_events(
        session, workspace_id=person.workspace_id, contact_id=person.id, conversation_ids=conversation_ids
    )
    counts["deliveries_scrubbed"] += await scrub_deliveries(
        session,
        workspace_id=person.workspace_id,
        contact_id=person.id,
        message_ids=message_ids,
        conversation_ids=conversation_ids,
    )
    return counts


async def complete_erasure(session: AsyncSession, request: PrivacyRequest) -> None:
    """Delete and scrub everything left of the contact; the caller commits."""
    counts: Counter[str] = Counter()
    contact = await session.get(Contact, request.contact_id) if request.contact_id else None
    if contact is not None:
        for person in await _with_merged(session, contact):
            counts.update(await _erase_person(session, person))
    result: dict[str, Any] = dict(counts)
    request.status = "completed"
    request.completed_at = utcnow()
    kept = {CONFIRMATION: request.result[CONFIRMATION]} if CONFIRMATION in request.result else {}
    request.result = {**kept, **result}
    request.error = None
    await record(
        session,
        workspace_id=request.workspace_id,
        action="contact.erased",
        actor_kind="system",
        target=f"contact:{request.contact_id}",
        details={"request_id": str(request.id), **result},
    )


async def process_pending_erasures(db: Database, *, limit: int = 20) -> int:
    """Complete up to ``limit`` pending erasures, each in its own transaction."""
    done = 0
    tried: list[uuid.UUID] = []
    for _ in range(limit):
        async with db.session() as session:
            stmt = select(PrivacyRequest).where(
                PrivacyRequest.type == "erase", PrivacyRequest.status == "pending"
            )
            if tried:
                # A request that failed in this run waits for the next run.
                stmt = stmt.where(PrivacyRequest.id.not_in(tried))
            request = await session.scalar(
                stmt.order_by(PrivacyRequest.created_at).limit(1).with_for_update(skip_locked=True)
            )
            if request is None:
                return done
            request_id = request.id
            tried.append(request_id)
            try:
                await complete_erasure(session, request)
                await session.commit()
                done += 1
                continue
            except Exception as exc:
                log.exception("erasure failed", extra={"request_id": str(request_id)})
                await session.rollback()
                error = f"{type(exc).__name__}: {exc}"[:2000]
        async with db.session() as session:
            failed = await session.get(PrivacyRequest, request_id, with_for_update=True)
            assert failed is not None
            failed.attempts += 1
            failed.error = error
            if failed.attempts >= MAX_ATTEMPTS:
                # The key is already gone; what is left is ciphertext an operator must clear.
                failed.status = "failed"
            await session.commit()
    return done

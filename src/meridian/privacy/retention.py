"""Retention: deleting the content of closed conversations older than their policy.

A policy applies per data region and channel (None matches any; the most specific
enabled policy wins). A conversation is due when it is resolved and its last activity
is older than ``max_age_days``. Purging deletes its message content, attachments,
search text and the copies in event and outbox payloads; the conversation and message
rows stay as shells for analytics. When that leaves the contact with no conversation
that still has content, the contact is erased as well (its data key destroyed), so
their PII does not outlive their last conversation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.models import Attachment
from meridian.audit.service import record
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.privacy.erasure import start_erasure
from meridian.privacy.models import PurgedConversation, RetentionPolicy
from meridian.privacy.scrub import scrub_deliveries, scrub_events
from meridian.vault import service as vault
from meridian.vault.files import delete_attachment

BATCH = 200


@dataclass(frozen=True)
class Due:
    conversation: Conversation
    contact: Contact
    channel: str
    policy: RetentionPolicy
    closed_at: datetime
    erases_contact: bool


def policy_for(policies: list[RetentionPolicy], *, region: str, channel: str) -> RetentionPolicy | None:
    best: tuple[int, RetentionPolicy] | None = None
    for p in policies:
        if not p.enabled or p.region not in (None, region) or p.channel not in (None, channel):
            continue
        rank = (2 if p.region else 0) + (1 if p.channel else 0)
        if best is None or rank > best[0]:
            best = (rank, p)
    return best[1] if best else None


async def due_conversations(
    session: AsyncSession, *, workspace_id: uuid.UUID, now: datetime, limit: int = BATCH
) -> list[Due]:
    policies = list(
        await session.scalars(
            select(RetentionPolicy).where(
                RetentionPolicy.workspace_id == workspace_id, RetentionPolicy.enabled.is_(True)
            )
        )
    )
    if not policies:
        return []
    oldest_allowed = now - timedelta(days=min(p.max_age_days for p in policies))
    closed_at = func.coalesce(Conversation.resolved_at, Conversation.last_activity_at)
    rows = await session.execute(
        select(Conversation, Contact, Inbox.channel, closed_at)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .outerjoin(PurgedConversation, PurgedConversation.conversation_id == Conversation.id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.status == "resolved",
            Conversation.last_activity_at < oldest_allowed,
            PurgedConversation.conversation_id.is_(None),
        )
        .order_by(Conversation.last_activity_at)
        .limit(limit)
    )
    due: list[Due] = []
    for conversation, contact, channel, closed in rows:
        policy = policy_for(policies, region=contact.region, channel=channel)
        if policy is None or max(closed, conversation.last_activity_at) >= now - timedelta(
            days=policy.max_age_days
        ):
            continue
        due.append(Due(conversation, contact, channel, policy, closed, False))
    return await _mark_last_conversations(session, due)


async def _mark_last_conversations(session: AsyncSession, due: list[Due]) -> list[Due]:
    """Flag the items that purge a contact's last conversation with content left."""
    purging: dict[uuid.UUID, set[uuid.UUID]] = {}
    for item in due:
        purging.setdefault(item.contact.id, set()).add(item.conversation.id)
    remaining: dict[uuid.UUID, set[uuid.UUID]] = {}
    if purging:
        rows = await session.execute(
            select(Conversation.contact_id, Conversation.id)
            .outerjoin(PurgedConversation, PurgedConversation.conversation_id == Conversation.id)
            .where(Conversation.contact_id.in_(list(purging)), PurgedConversation.conversation_id.is_(None))
        )
        for contact_id, conversation_id in rows:
            remaining.setdefault(contact_id, set()).add(conversation_id)
    out: list[Due] = []
    last_seen: dict[uuid.UUID, uuid.UUID] = {}
    for item in due:
        last_seen[item.contact.id] = item.conversation.id
    for item in due:
        cid = item.contact.id
        erases = (
            item.contact.erased_at is None
            and remaining.get(cid, set()) <= purging[cid]
            and last_seen[cid] == item.conversation.id
        )
        out.append(Due(item.conversation, item.contact, item.channel, item.policy, item.closed_at, erases))
    return out


async def purge_conversation(session: AsyncSession, item: Due) -> None:
    """Delete one conversation's content; the caller commits."""
    conversation, contact = item.conversation, item.contact
    message_ids = list(
        await session.scalars(select(Message.id).where(Message.conversation_id == conversation.id))
    )
    attachments = list(
        await session.scalars(select(Attachment).where(Attachment.message_id.in_(message_ids)))
        if message_ids
        else []
    )
    for attachment in attachments:
        await delete_attachment(attachment.storage_key)
    if attachments:
        await session.execute(delete(Attachment).where(Attachment.id.in_([a.id for a in attachments])))
    await vault.delete_messages(session, message_ids=message_ids, region=contact.region)
    if message_ids:
        await session.execute(
            update(Message)
            .where(Message.id.in_(message_ids))
            .values(meta={}, external_id=None, delivery_error=None)
        )
    conversation.subject = None
    conversation.custom_attributes = {}
    await scrub_events(
        session, workspace_id=conversation.workspace_id, contact_id=None, conversation_ids=[conversation.id]
    )
    await scrub_deliveries(
        session,
        workspace_id=conversation.workspace_id,
        contact_id=None,
        message_ids=message_ids,
        conversation_ids=[conversation.id],
    )
    session.add(
        PurgedConversation(
            workspace_id=conversation.workspace_id, conversation_id=conversation.id, policy_id=item.policy.id
        )
    )
    if item.erases_contact:
        await start_erasure(session, contact=contact, actor_id=None, source="retention")


async def apply_retention(session: AsyncSession, *, workspace_id: uuid.UUID, dry_run: bool) -> list[Due]:
    due = await due_conversations(session, workspace_id=workspace_id, now=utcnow())
    if dry_run or not due:
        return due
    for item in due:
        await purge_conversation(session, item)
    await record(
        session,
        workspace_id=workspace_id,
        action="retention.purged",
        actor_kind="system",
        details={
            "conversations": len(due),
            "contacts_erased": sum(1 for d in due if d.erases_contact),
            "policies": sorted({str(d.policy.id) for d in due}),
        },
    )
    await session.commit()
    return due


async def apply_all(db: Database) -> int:
    """The periodic job's body: every workspace with an enabled policy, one batch each."""
    async with db.session() as session:
        workspace_ids = list(
            await session.scalars(
                select(RetentionPolicy.workspace_id).where(RetentionPolicy.enabled.is_(True)).distinct()
            )
        )
    total = 0
    for workspace_id in workspace_ids:
        async with db.session() as session:
            total += len(await apply_retention(session, workspace_id=workspace_id, dry_run=False))
    return total

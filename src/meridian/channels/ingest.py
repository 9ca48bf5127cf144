"""What every channel shares once a vendor's payload is parsed: find the contact and
conversation, store the message once, apply receipts, publish events.

Callers (webhook route, API incoming, IMAP poller, SMTP receiver) commit the
transaction before acknowledging the vendor, which is what makes "received" mean
"stored".
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.models import Attachment
from meridian.attachments.storage import digest
from meridian.channels.base import InboundMessage, StatusUpdate
from meridian.contacts.models import Contact
from meridian.contacts.service import find_by_identity, identity_kind_for_channel, resolve_contact
from meridian.conversations.locks import lock_contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope, next_number
from meridian.core.clock import utcnow
from meridian.core.ids import parse_id
from meridian.deliveries.outcome import regional_contact_region, withheld_error
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.languages.service import detect_for_message
from meridian.messages.models import Message
from meridian.messages.service import message_event_payload
from meridian.privacy.keywords import apply_consent_keyword
from meridian.privacy.policies import redaction_patterns
from meridian.privacy.redaction import InboundCopies, redact_inbound
from meridian.vault import service as vault
from meridian.vault.files import put_attachment

log = logging.getLogger(__name__)

# Channels whose sender id proves control of that email address or phone number.
VERIFIED_KINDS: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "sms": ("phone",),
    "whatsapp": ("whatsapp", "phone"),
}

STATUS_RANK = {"queued": 0, "retrying": 0, "sent": 1, "delivered": 2, "read": 3}


@dataclass(frozen=True)
class IngestResult:
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    created: bool


async def _existing(session: AsyncSession, inbox_id: uuid.UUID, external_id: str) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.inbox_id == inbox_id, Message.external_id == external_id)
    )


async def _threaded_conversation(
    session: AsyncSession, inbox: Inbox, contact: Contact, msg: InboundMessage
) -> Conversation | None:
    """Email replies find their conversation by the Message-IDs they reference, then
    by the conversation our own Message-ID names (``meta["conversation_id"]``), then
    by the subject tag (``meta["conversation_number"]``). Every path stays inside this
    inbox: mail cannot be steered into another inbox's (or workspace's) conversation."""
    if msg.thread_refs:
        conversation_id = await session.scalar(
            select(Message.conversation_id)
            .where(Message.inbox_id == inbox.id, Message.external_id.in_(list(msg.thread_refs)))
            .order_by(Message.created_at.desc())
            .limit(1)
        )
        if conversation_id is not None:
            return await session.get(Conversation, conversation_id)
    named = parse_id(str(msg.meta.get("conversation_id") or ""))
    if named is not None:
        conversation = await session.scalar(
            select(Conversation).where(Conversation.id == named, Conversation.inbox_id == inbox.id)
        )
        if conversation is not None:
            return conversation
    number = msg.meta.get("conversation_number")
    if isinstance(number, int):
        # A tag is guessable (numbers are sequential), so it also needs the same customer.
        return await session.scalar(
            select(Conversation).where(
                Conversation.workspace_id == inbox.workspace_id,
                Conversation.inbox_id == inbox.id,
                Conversation.number == number,
                Conversation.contact_id == contact.id,
            )
        )
    return None


async def _conversation_for(
    session: AsyncSession, inbox: Inbox, contact: Contact, msg: InboundMessage, at: datetime
) -> tuple[Conversation, bool]:
    conversation = await _threaded_conversation(session, inbox, contact, msg)
    if conversation is None:
        conversation = await session.scalar(
            select(Conversation)
            .where(
                Conversation.inbox_id == inbox.id,
                Conversation.contact_id == contact.id,
                Conversation.status != "resolved",
            )
            .order_by(Conversation.last_activity_at.desc())
            .limit(1)
        )
    if conversation is not None:
        return conversation, False
    conversation = Conversation(
        workspace_id=inbox.workspace_id,
        number=await next_number(session, inbox.workspace_id),
        inbox_id=inbox.id,
        contact_id=contact.id,
        status="open",
        priority="normal",
        team_id=inbox.team_id,
        language=contact.locale,
        tags=[],
        custom_attributes={},
        subject=msg.subject,
        last_activity_at=at,
    )
    session.add(conversation)
    await session.flush()
    return conversation, True


async def ingest_message(session: AsyncSession, *, inbox: Inbox, msg: InboundMessage) -> IngestResult:
    """Store one inbound message exactly once; the caller commits."""
    existing = await _existing(session, inbox.id, msg.external_id)
    if existing is not None:
        return IngestResult(existing.conversation_id, existing.id, created=False)
    kind = identity_kind_for_channel(inbox.channel)
    contact, _ = await resolve_contact(
        session,
        workspace_id=inbox.workspace_id,
        kind=kind,
        identifier=msg.contact.identifier,
        name=msg.contact.name,
        email=msg.contact.email,
        phone=msg.contact.phone,
        locale=msg.contact.locale,
        verified_kinds=VERIFIED_KINDS.get(inbox.channel, ()),
    )
    # Same customer, same inbox: one writer at a time decides "new or existing conversation".
    # Identity lock, contact, then conversation: the one lock order (conversations/locks.py).
    await lock_contact(session, contact.id)
    again = await _existing(session, inbox.id, msg.external_id)
    if again is not None:
        return IngestResult(again.conversation_id, again.id, created=False)
    now = utcnow()
    conversation, new_conversation = await _conversation_for(session, inbox, contact, msg, now)
    # Masked before anything is stored or published (docs/privacy.md, "PII redaction"):
    # agents, events and the vault never hold a full card number.
    copies = redact_inbound(
        body=msg.body,
        html=msg.html,
        raw=msg.raw,
        patterns=await redaction_patterns(session, workspace_id=inbox.workspace_id),
        mime=inbox.channel == "email",
        raw_base64=msg.meta.get("raw_encoding") == "base64",
    )
    detection = await detect_for_message(
        session, contact=contact, conversation=conversation, body=copies.body
    )
    reopened = conversation.status != "open"
    message = Message(
        workspace_id=inbox.workspace_id,
        conversation_id=conversation.id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        direction="incoming",
        author_kind="customer",
        content_type=msg.content_type,
        language=detection.language,
        language_confidence=detection.confidence,
        external_id=msg.external_id,
        delivery_status="received",
        meta=_message_meta(msg, copies),
        created_at=now,
        sent_at=msg.sent_at,
    )
    try:
        async with session.begin_nested():
            session.add(message)
            await session.flush()
    except IntegrityError:
        # Lost a race with a concurrent delivery of the same vendor id.
        winner = await _existing(session, inbox.id, msg.external_id)
        assert winner is not None
        return IngestResult(winner.conversation_id, winner.id, created=False)
    await vault.put_message(
        session,
        workspace_id=inbox.workspace_id,
        message_id=message.id,
        conversation_id=conversation.id,
        contact_id=contact.id,
        region=contact.region,
        body=copies.body,
        html=copies.html,
        raw=copies.raw,
    )
    await _store_attachments(session, message=message, contact=contact, msg=msg)
    # STOP / START on WhatsApp and SMS: the consent record commits with the message.
    await apply_consent_keyword(
        session,
        workspace_id=inbox.workspace_id,
        contact_id=contact.id,
        channel=inbox.channel,
        body=msg.body,
    )
    conversation.last_activity_at = now
    conversation.last_incoming_at = now
    if reopened:
        conversation.status = "open"
        conversation.resolved_at = None
        conversation.snoozed_until = None
    scope = event_scope(conversation)
    if new_conversation:
        await publish(
            session,
            workspace_id=inbox.workspace_id,
            type="conversation.created",
            payload={
                "conversation_id": str(conversation.id),
                "number": conversation.number,
                "inbox_id": str(inbox.id),
                "channel": inbox.channel,
            },
            **scope,
        )
    elif reopened:
        await publish(
            session,
            workspace_id=inbox.workspace_id,
            type="conversation.updated",
            payload={"conversation_id": str(conversation.id), "fields": ["status"], "status": "open"},
            **scope,
        )
    await publish(
        session,
        workspace_id=inbox.workspace_id,
        type="message.created",
        payload=message_event_payload(message, copies.body),
        **scope,
    )
    return IngestResult(conversation.id, message.id, created=True)


def _message_meta(msg: InboundMessage, copies: InboundCopies) -> dict[str, Any]:
    meta: dict[str, Any] = {"reply_context": dict(msg.meta)} if msg.meta else {}
    if copies.found:
        # What was masked, by kind (never the values), so the thread can say so.
        meta["redacted"] = sorted(set(copies.found))
    return meta


async def _store_attachments(
    session: AsyncSession, *, message: Message, contact: Contact, msg: InboundMessage
) -> None:
    for item in msg.attachments:
        if item.data is not None:
            # Sealed with the contact's data key: storage only ever holds ciphertext.
            key = await put_attachment(
                session,
                workspace_id=message.workspace_id,
                contact_id=contact.id,
                region=contact.region,
                data=item.data,
            )
            size, sha = len(item.data), digest(item.data)
        else:
            # Fetched later through the vendor's media API by a background job.
            key, size, sha = f"pending:{item.media_ref}", item.size or 0, ""
        session.add(
            Attachment(
                workspace_id=message.workspace_id,
                message_id=message.id,
                contact_id=contact.id,
                region=contact.region,
                filename=item.filename[:255],
                content_type=item.content_type[:127],
                size=size,
                sha256=sha,
                storage_key=key,
            )
        )


async def apply_status(session: AsyncSession, *, inbox: Inbox, status: StatusUpdate) -> int:
    """Apply a delivery/read receipt to our outgoing message(s); returns how many changed."""
    target = status.status
    if target not in ("sent", "delivered", "read", "failed"):
        return 0
    stmt = select(Message).where(Message.inbox_id == inbox.id, Message.direction == "outgoing")
    if status.external_id:
        stmt = stmt.where(Message.external_id == status.external_id)
    elif status.watermark is not None and status.recipient:
        who = await find_by_identity(
            session,
            workspace_id=inbox.workspace_id,
            kind=identity_kind_for_channel(inbox.channel),
            identifier=status.recipient,
        )
        if who is None:
            return 0
        stmt = stmt.where(Message.contact_id == who.id, Message.sent_at <= status.watermark)
    else:
        return 0
    changed = 0
    for message in await session.scalars(stmt.with_for_update()):
        current = message.delivery_status
        if target == "failed":
            if current == "read":
                continue
            message.delivery_status = "failed"
            message.delivery_error = status.error or "the channel reported the message as failed"
            # A vendor's failure reason may echo the message: not kept at home for a
            # contact whose data lives in another region (deliveries/outcome.py).
            region = await regional_contact_region(session, message.id)
            if region is not None:
                message.delivery_error = withheld_error(region=region, permanent=True)
        elif STATUS_RANK.get(target, 0) > STATUS_RANK.get(current, -1) or current == "failed":
            message.delivery_status = target
            at = status.at or utcnow()
            if target in ("delivered", "read"):
                message.delivered_at = message.delivered_at or at
            if target == "read":
                message.read_at = message.read_at or at
        else:
            continue
        changed += 1
        conversation = await session.get(Conversation, message.conversation_id)
        assert conversation is not None
        await publish(
            session,
            workspace_id=inbox.workspace_id,
            type="message.updated",
            payload={
                "message_id": str(message.id),
                "conversation_id": str(message.conversation_id),
                "delivery_status": message.delivery_status,
                "delivery_error": message.delivery_error,
            },
            **event_scope(conversation),
        )
    return changed


def should_auto_reply(message: Message) -> bool:
    """Whether automation (bots, auto-acknowledgements) may answer ``message`` on its
    own. Never for mail a robot sent (RFC 3834: an out-of-office answering our
    auto-reply is how two robots mail each other all night); the email channel flags
    those in the message's meta as ``auto_generated``."""
    if message.direction != "incoming":
        return False
    context = message.meta.get("reply_context") or {}
    return not context.get("auto_generated")


def raw_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

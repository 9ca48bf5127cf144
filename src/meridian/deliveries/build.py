"""Turning an outbox row into the channel-neutral ``OutboundMessage`` an adapter sends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.links import signed_url
from meridian.attachments.models import Attachment
from meridian.channels.base import DeliveryError, OutboundAttachment, OutboundMessage
from meridian.contacts.models import Contact, ContactIdentity
from meridian.contacts.service import identity_kind_for_channel
from meridian.conversations.models import Conversation
from meridian.deliveries.models import Delivery
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.privacy.consent import NEEDS_GRANT
from meridian.privacy.unsubscribe import unsubscribe_url
from meridian.vault import files
from meridian.vault import service as vault


async def _recipient(session: AsyncSession, contact: Contact, channel: str) -> str:
    kind = identity_kind_for_channel(channel)
    identity = await session.scalar(
        select(ContactIdentity)
        .where(ContactIdentity.contact_id == contact.id, ContactIdentity.kind == kind)
        .order_by(ContactIdentity.created_at.desc())
        .limit(1)
    )
    if identity is None:
        raise DeliveryError(f"the contact has no {kind} identity to send to", permanent=True)
    values = await vault.get_identity_values(session, identity_ids=[identity.id], region=contact.region)
    if identity.id not in values:
        raise DeliveryError("the contact's identity was erased", permanent=True)
    return values[identity.id]


async def _reply_context(
    session: AsyncSession, conversation: Conversation, message: Message, inbox: Inbox
) -> dict[str, Any]:
    """Channel context from the customer's latest message (reply tokens, email headers),
    and for marketing or proactive email the one-click unsubscribe link (RFC 8058)."""
    last = await session.scalar(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.direction == "incoming")
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    context: dict[str, Any] = dict(last.meta.get("reply_context", {})) if last else {}
    context.setdefault("subject", conversation.subject)
    purpose = message.meta.get("purpose")
    if inbox.channel == "email" and purpose in NEEDS_GRANT:
        context["list_unsubscribe"] = unsubscribe_url(
            workspace_id=conversation.workspace_id, contact_id=message.contact_id, purpose=str(purpose)
        )
    return context


async def _attachments(session: AsyncSession, message: Message) -> tuple[OutboundAttachment, ...]:
    """The message's files with both the bytes (email and Telegram upload them) and a
    signed link (WhatsApp, Messenger, Instagram, LINE and Twilio fetch it themselves)."""
    rows = await session.scalars(
        select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.id)
    )
    out = []
    for row in rows:
        data = await files.get_attachment(
            session, contact_id=row.contact_id, region=row.region, storage_key=row.storage_key
        )
        if data is None:
            raise DeliveryError(f"the file {row.filename} is no longer stored", permanent=True)
        out.append(OutboundAttachment(row.filename, row.content_type, signed_url(row.id), data))
    return tuple(out)


async def build_outbound(session: AsyncSession, *, delivery: Delivery, inbox: Inbox) -> OutboundMessage:
    if delivery.kind == "webhook":
        event = dict(delivery.payload.get("event", {}))
        return OutboundMessage(
            message_id="",
            conversation_id=str(event.get("data", {}).get("conversation_id", "")),
            conversation_number=0,
            idempotency_key=delivery.idempotency_key,
            recipient="",
            body="",
            event=event,
        )
    message = await session.get(Message, delivery.message_id)
    if message is None:
        raise DeliveryError("the message was deleted before it could be sent", permanent=True)
    conversation = await session.get(Conversation, message.conversation_id)
    contact = await session.get(Contact, message.contact_id)
    assert conversation is not None and contact is not None
    if contact.erased_at is not None:
        raise DeliveryError("the contact was erased", permanent=True)
    content = (await vault.get_messages(session, [(message.id, contact.region)])).get(
        message.id, vault.EMPTY_MESSAGE
    )
    text = content.sent_body or content.body
    recipient = await _recipient(session, contact, inbox.channel) if inbox.channel != "api" else ""
    attachments = await _attachments(session, message)
    event = {
        "type": "message.created",
        "timestamp": message.created_at.isoformat(),
        "data": {
            "id": str(message.id),
            "conversation_id": str(conversation.id),
            "conversation_number": conversation.number,
            "direction": message.direction,
            "body": text,
            "original_body": content.body if content.sent_body else None,
            "language": message.language,
            "author_agent_id": str(message.author_agent_id) if message.author_agent_id else None,
            "author_kind": message.author_kind,
            "contact_id": str(contact.id),
            "created_at": message.created_at.isoformat(),
            "attachments": [
                {
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": len(a.data or b""),
                    "url": a.url,
                }
                for a in attachments
            ],
        },
    }
    if inbox.channel == "api":
        identity = await session.scalar(
            select(ContactIdentity).where(
                ContactIdentity.contact_id == contact.id, ContactIdentity.kind == "api"
            )
        )
        if identity is not None:
            values = await vault.get_identity_values(
                session, identity_ids=[identity.id], region=contact.region
            )
            event["data"]["contact_identifier"] = values.get(identity.id)
    return OutboundMessage(
        message_id=str(message.id),
        conversation_id=str(conversation.id),
        conversation_number=conversation.number,
        idempotency_key=delivery.idempotency_key,
        recipient=recipient,
        body=text,
        attachments=attachments,
        reply_context=await _reply_context(session, conversation, message, inbox),
        template=message.meta.get("template"),
        event=event,
    )

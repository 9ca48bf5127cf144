"""Messages written by the system rather than typed by an agent: expected-reply-time
notices, handoff notes, automation replies, CSAT surveys. One action for all of them,
so they get the same rows, vault content, outbox and events as an agent's reply, and
the same rules about when a reply may go out at all."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.registry import get_adapter
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope
from meridian.core.clock import utcnow
from meridian.deliveries.service import enqueue_message_delivery
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.messages.service import message_event_payload
from meridian.vault import service as vault

Kind = Literal["reply", "note"]


def can_reply(inbox: Inbox, conversation: Conversation, contact: Contact) -> bool:
    """Whether a free-form reply may go out now (erased contacts and closed reply windows
    get none; an unanswerable automatic message is skipped, never an error)."""
    if contact.erased_at is not None:
        return False
    try:
        window = get_adapter(inbox.channel).reply_window
    except LookupError:
        return True
    if window is None:
        return True
    last = conversation.last_incoming_at
    return last is not None and utcnow() - last <= window


async def post_system_message(
    session: AsyncSession,
    *,
    conversation: Conversation,
    body: str,
    kind: Kind,
    author_kind: str = "system",
    author_agent_id: uuid.UUID | None = None,
    language: str | None = None,
    meta: dict[str, object] | None = None,
) -> Message | None:
    """Write a reply (through the outbox) or a private note, inside the caller's
    transaction. Returns None when a reply cannot be sent (see ``can_reply``)."""
    inbox = await session.get(Inbox, conversation.inbox_id)
    contact = await session.get(Contact, conversation.contact_id)
    assert inbox is not None and contact is not None
    if kind == "reply" and not can_reply(inbox, conversation, contact):
        return None
    now = utcnow()
    message = Message(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        direction="outgoing" if kind == "reply" else "note",
        author_agent_id=author_agent_id,
        author_kind=author_kind,
        content_type="text",
        language=language,
        delivery_status="queued" if kind == "reply" else "none",
        meta=dict(meta or {}),
        created_at=now,
    )
    session.add(message)
    await session.flush()
    await vault.put_message(
        session,
        workspace_id=conversation.workspace_id,
        message_id=message.id,
        conversation_id=conversation.id,
        contact_id=contact.id,
        region=contact.region,
        body=body,
    )
    if kind == "reply":
        await enqueue_message_delivery(session, message=message, inbox=inbox)
        # Only a person answering counts as the first response (SLA, reporting).
        if author_kind == "human" and conversation.first_response_at is None:
            conversation.first_response_at = now
    conversation.last_activity_at = now
    await publish(
        session,
        workspace_id=conversation.workspace_id,
        type="message.created",
        payload=message_event_payload(message, body),
        **event_scope(conversation),
    )
    return message

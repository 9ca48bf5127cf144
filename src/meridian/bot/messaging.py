"""The bot's named actions on a conversation: say something, hand over to a person.

Both run inside the caller's transaction (the bot job commits once per turn), write
message content through the vault, send replies through the outbox like any other
reply, and publish their events before that commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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

HANDOFF_TAG = "bot-handoff"


async def add_bot_message(
    session: AsyncSession,
    *,
    conversation: Conversation,
    inbox: Inbox,
    contact: Contact,
    body: str,
    language: str | None,
    meta: dict[str, Any],
    private: bool = False,
) -> Message:
    """A bot reply (sent through the conversation's channel) or a private note for agents."""
    now = utcnow()
    message = Message(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        direction="note" if private else "outgoing",
        author_agent_id=None,
        author_kind="bot",
        content_type="text",
        language=language,
        delivery_status="none" if private else "queued",
        meta={"bot": meta},
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
    if not private:
        await enqueue_message_delivery(session, message=message, inbox=inbox)
    conversation.last_activity_at = now
    await publish(
        session,
        workspace_id=conversation.workspace_id,
        type="message.created",
        payload=message_event_payload(message, body),
        **event_scope(conversation),
    )
    return message


async def mark_handed_off(
    session: AsyncSession, *, conversation: Conversation, reason: str, summary_message: Message
) -> None:
    """Tag the conversation and tell routing (and anyone listening) a person is needed now."""
    if HANDOFF_TAG not in conversation.tags:
        conversation.tags = sorted({*conversation.tags, HANDOFF_TAG})
    conversation.updated_at = utcnow()
    await publish(
        session,
        workspace_id=conversation.workspace_id,
        type="conversation.updated",
        payload={
            "conversation_id": str(conversation.id),
            "fields": ["tags"],
            "status": conversation.status,
            "priority": conversation.priority,
        },
        **event_scope(conversation),
    )
    await publish(
        session,
        workspace_id=conversation.workspace_id,
        type="bot.handoff",
        payload={
            "conversation_id": str(conversation.id),
            "reason": reason,
            "note_id": str(summary_message.id),
        },
        **event_scope(conversation),
    )


async def raise_priority(session: AsyncSession, *, conversation: Conversation, to: str = "high") -> bool:
    """Raise (never lower) the conversation's priority; True when it changed."""
    order = ("low", "normal", "high", "urgent")
    if order.index(conversation.priority) >= order.index(to):
        return False
    conversation.priority = to
    conversation.updated_at = utcnow()
    await publish(
        session,
        workspace_id=conversation.workspace_id,
        type="conversation.updated",
        payload={
            "conversation_id": str(conversation.id),
            "fields": ["priority"],
            "status": conversation.status,
            "priority": conversation.priority,
            "reason": "angry customer",
        },
        **event_scope(conversation),
    )
    return True

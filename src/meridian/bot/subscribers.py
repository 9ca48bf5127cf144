"""Reading every incoming message's mood and intent, and waking the bot when it is its turn."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.bot.messaging import raise_priority
from meridian.bot.policy import bot_should_answer
from meridian.bot.signals import classify
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.events.dispatch import subscriber
from meridian.events.models import DomainEvent
from meridian.inboxes.models import Inbox
from meridian.jobs.defer import defer_in_transaction
from meridian.messages.models import Message
from meridian.vault import service as vault


@subscriber("bot", "message.created")
async def on_message_created(session: AsyncSession, event: DomainEvent) -> None:
    if event.payload.get("direction") != "incoming":
        return
    message = await session.get(Message, uuid.UUID(event.payload["message_id"]))
    if message is None:
        return
    conversation = await session.get(Conversation, message.conversation_id)
    inbox = await session.get(Inbox, message.inbox_id)
    contact = await session.get(Contact, message.contact_id)
    if conversation is None or inbox is None or contact is None:
        return
    content = (await vault.get_messages(session, [(message.id, contact.region)])).get(message.id)
    signals = classify(content.body if content else "")
    message.meta = {**message.meta, "signals": signals.as_meta()}
    if signals.angry:
        # Upset customers go to a person first, whatever the bot mode.
        await raise_priority(session, conversation=conversation)
    if await bot_should_answer(session, inbox=inbox, conversation=conversation, at=utcnow()):
        from meridian.bot.tasks import respond_job

        # One turn at a time per conversation, in arrival order.
        await defer_in_transaction(
            session, respond_job, lock=f"bot-{conversation.id}", message_id=str(message.id)
        )

"""Customers' messages that nobody who may answer can read get translated in the background."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.contacts.models import Contact
from meridian.events.dispatch import subscriber
from meridian.events.models import DomainEvent
from meridian.messages.models import Message
from meridian.translation.incoming import current_translation, needs_translation, translate_from_memory
from meridian.translation.memory import forget_contact
from meridian.translation.service import load_translation
from meridian.translation.tasks import defer_translation


async def _translate(session: AsyncSession, message: Message) -> None:
    config = await load_translation(session, workspace_id=message.workspace_id)
    if config.provider is None:
        # Only the memory can answer, at once and without the network: no job needed.
        await translate_from_memory(session, message_id=message.id)
    else:
        # The provider is slow and may be down: a job, so receiving never waits for it.
        await defer_translation(session, message_id=message.id)


@subscriber("translation.incoming", "message.created")
async def translate_incoming_message(session: AsyncSession, event: DomainEvent) -> None:
    if event.payload.get("direction") != "incoming":
        return
    message = await session.get(Message, uuid.UUID(event.payload["message_id"]))
    if message is None or message.workspace_id != event.workspace_id:
        return
    if await needs_translation(session, message):
        await _translate(session, message)


# A newly assigned agent needs the recent history, not the whole of a long thread.
HISTORY_ON_ASSIGN = 20


@subscriber("translation.assigned", "conversation.assigned")
async def translate_for_new_assignee(session: AsyncSession, event: DomainEvent) -> None:
    """Someone who cannot read the customer took over: translate what they have not got yet."""
    if not event.payload.get("assignee_id"):
        return
    recent = await session.scalars(
        select(Message)
        .where(
            Message.workspace_id == event.workspace_id,
            Message.conversation_id == uuid.UUID(event.payload["conversation_id"]),
            Message.direction == "incoming",
        )
        .order_by(Message.created_at.desc())
        .limit(HISTORY_ON_ASSIGN)
    )
    for message in list(recent):
        if not await needs_translation(session, message):
            continue
        region = await session.scalar(select(Contact.region).where(Contact.id == message.contact_id))
        if await current_translation(session, message, region or "default") is None:
            await _translate(session, message)


@subscriber("translation.forget_contact", "contact.erased")
async def forget_erased_contact(session: AsyncSession, event: DomainEvent) -> None:
    """Segments hold the customer's sentences: they go with the rest of the contact's data."""
    contact_id = uuid.UUID(event.payload["contact_id"])
    # Erasure covers the contacts merged into this one too (privacy/erasure.py).
    merged = await session.scalars(
        select(Contact.id).where(
            Contact.merged_into_id == contact_id, Contact.workspace_id == event.workspace_id
        )
    )
    for person in (contact_id, *merged):
        await forget_contact(session, contact_id=person)

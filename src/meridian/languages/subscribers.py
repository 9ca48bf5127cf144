"""An agent's correction of a contact's locale reaches the contact's open conversations."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope
from meridian.events.dispatch import subscriber
from meridian.events.models import DomainEvent
from meridian.events.service import publish


@subscriber("languages.contact-locale", "contact.updated")
async def follow_contact_locale(session: AsyncSession, event: DomainEvent) -> None:
    if "locale" not in event.payload.get("fields", ()):
        return
    contact = await session.get(Contact, uuid.UUID(event.payload["contact_id"]))
    if contact is None or contact.workspace_id != event.workspace_id or contact.locale is None:
        return
    # Only conversations still being worked on: a resolved one keeps the language it had.
    conversations = await session.scalars(
        select(Conversation).where(
            Conversation.workspace_id == event.workspace_id,
            Conversation.contact_id == contact.id,
            Conversation.status != "resolved",
            Conversation.language.is_distinct_from(contact.locale),
        )
    )
    for conversation in conversations:
        conversation.language = contact.locale
        await publish(
            session,
            workspace_id=event.workspace_id,
            type="conversation.updated",
            payload={
                "conversation_id": str(conversation.id),
                "fields": ["language"],
                "language": contact.locale,
            },
            **event_scope(conversation),
        )

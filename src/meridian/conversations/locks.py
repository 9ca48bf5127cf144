"""The one order in which Meridian locks a customer's rows.

Every transaction takes these locks in this order, so no two can wait on each other
in a circle (PostgreSQL's ``DeadlockDetected``):

1. the identity's advisory lock (``contacts.service.resolve_contact``; only ingest and
   the web chat pre-chat take it, as their first lock);
2. the contact's row;
3. the conversation's row;
4. rows that belong to the conversation (its SLA clock, bot session, CSAT survey).

Ingest follows it by nature: it must know the contact before it can find the
conversation. Code that starts from a conversation (the subscribers, the routing
action, the bot's turn) calls ``lock_conversation``, which locks the contact first.
Before it did, under kill -9 drills the dispatcher held a conversation ``FOR UPDATE``
while ingest held that customer's contact and waited for the conversation; the
subscriber's next row naming the contact (a note, a reply: its foreign-key check
needs a share lock on the contact) then waited for ingest.

The contact is locked ``FOR NO KEY UPDATE``, the strength an ``UPDATE`` takes: it
serializes with ingest and merges, yet never holds back an insert that only refers to
the contact (foreign-key checks take ``KEY SHARE``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation


async def lock_contact(session: AsyncSession, contact_id: uuid.UUID) -> None:
    await session.execute(select(Contact.id).where(Contact.id == contact_id).with_for_update(key_share=True))


async def lock_conversation(session: AsyncSession, conversation_id: uuid.UUID) -> Conversation | None:
    """The conversation, row-locked ``FOR UPDATE`` after its contact; None if it is gone."""
    locked: set[uuid.UUID] = set()
    while True:
        contact_id = await session.scalar(
            select(Conversation.contact_id).where(Conversation.id == conversation_id)
        )
        if contact_id is None:
            return None
        if contact_id in locked:
            break
        # A merge moves conversations to another contact while it holds both contacts;
        # once ours is locked no merge can move it, so read again until they agree.
        await lock_contact(session, contact_id)
        locked.add(contact_id)
    return await session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )

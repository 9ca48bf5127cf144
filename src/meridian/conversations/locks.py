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

from sqlalchemy import event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation

_LOCKED = "meridian.locked_conversations"


@event.listens_for(Session, "after_transaction_end")
def _forget_locks_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the transaction itself, not a savepoint released
        session.info.pop(_LOCKED, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_locks(session: Session, previous_transaction: SessionTransaction) -> None:
    # A rollback to a savepoint may release the locks taken since it.
    session.info.pop(_LOCKED, None)


async def lock_contact(session: AsyncSession, contact_id: uuid.UUID, *, skip_locked: bool = False) -> bool:
    """Lock the contact's row; False only with ``skip_locked`` when another holds it."""
    got = await session.scalar(
        select(Contact.id)
        .where(Contact.id == contact_id)
        .with_for_update(key_share=True, skip_locked=skip_locked)
    )
    return got is not None or not skip_locked


async def lock_conversation(
    session: AsyncSession, conversation_id: uuid.UUID, *, skip_locked: bool = False
) -> Conversation | None:
    """The conversation, row-locked ``FOR UPDATE`` after its contact; None if it is gone,
    or, with ``skip_locked``, if another transaction holds either row right now.

    ``skip_locked`` is for work that holds other locks and can come back later (draining
    a queue while the agents it assigned stay locked): it never waits, so it can never
    close a circle of waits with a transaction that holds this customer and wants one of
    those agents.

    Once locked, the rows stay locked until the transaction ends, and nobody else can
    change them meanwhile: the next call in the same transaction (the dispatcher runs
    automations, routing and SLA on the same conversation, event after event) takes the
    row from the session instead of four more round trips.
    """
    locked_here: dict[uuid.UUID, Conversation] = session.info.setdefault(_LOCKED, {})
    held = locked_here.get(conversation_id)
    if held is not None and inspect(held).persistent:
        expired = inspect(held).expired_attributes
        if expired:
            # A flush leaves server-set columns (``updated_at``) to be read back.
            await session.refresh(held, attribute_names=list(expired))
        return held
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
        if not await lock_contact(session, contact_id, skip_locked=skip_locked):
            return None
        locked.add(contact_id)
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    if conversation is not None:
        locked_here[conversation_id] = conversation
    return conversation

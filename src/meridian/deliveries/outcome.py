"""Recording what happened to a delivery on the message the agent sees."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope
from meridian.core.clock import utcnow
from meridian.deliveries.models import Delivery
from meridian.events.service import publish
from meridian.messages.models import Message
from meridian.vault import regions


async def regional_contact_region(session: AsyncSession, message_id: uuid.UUID | None) -> str | None:
    """The data region of the message's contact when that region has its own database."""
    if message_id is None:
        return None
    region = await session.scalar(
        select(Contact.region).join(Message, Message.contact_id == Contact.id).where(Message.id == message_id)
    )
    return region if region is not None and regions.database_for(region) is not None else None


def withheld_error(*, region: str, permanent: bool, http_status: int | None = None) -> str:
    """What the home database keeps of a failed send to a contact whose data lives elsewhere.

    Vendors echo what they were sent (the customer's address, the reply's text) in their
    error bodies, and errors are stored at home (deliveries, delivery_attempts, messages,
    events). For a regional contact only the classification the relay acted on is kept:
    built from Meridian's words and numbers alone, it cannot hold content."""
    status = f" (HTTP {http_status})" if http_status else ""
    kind = "Permanent" if permanent else "Temporary"
    return (
        f"{kind} delivery error{status}. The channel's explanation is not kept: "
        f"this contact's data lives in region {region}."
    )


async def _publish_status(session: AsyncSession, message: Message) -> None:
    conversation = await session.get(Conversation, message.conversation_id)
    assert conversation is not None
    await publish(
        session,
        workspace_id=message.workspace_id,
        type="message.updated",
        payload={
            "message_id": str(message.id),
            "conversation_id": str(message.conversation_id),
            "delivery_status": message.delivery_status,
            "delivery_error": message.delivery_error,
        },
        **event_scope(conversation),
    )


async def record_success(session: AsyncSession, *, delivery: Delivery, external_id: str | None) -> None:
    now = utcnow()
    delivery.state = "delivered"
    delivery.finished_at = now
    delivery.external_id = external_id
    delivery.last_error = None
    if delivery.message_id is None:
        return
    message = await session.get(Message, delivery.message_id, with_for_update=True)
    if message is None:
        return
    message.attempts = delivery.attempts
    message.external_id = message.external_id or external_id
    message.delivery_error = None
    # A receipt may have beaten us here (vendors answer fast); never move status back.
    if message.delivery_status in ("queued", "retrying", "failed"):
        message.delivery_status = "sent"
    message.sent_at = message.sent_at or now
    await _publish_status(session, message)


async def record_failure(
    session: AsyncSession, *, delivery: Delivery, error: str, retry_at: datetime | None
) -> None:
    delivery.last_error = error[:2000]
    if retry_at is None:
        delivery.state = "failed"
        delivery.finished_at = utcnow()
    else:
        delivery.state = "retrying"
        delivery.next_attempt_at = retry_at
    if delivery.message_id is None:
        return
    message = await session.get(Message, delivery.message_id, with_for_update=True)
    if message is None:
        return
    message.attempts = delivery.attempts
    message.delivery_status = "failed" if retry_at is None else "retrying"
    message.delivery_error = error[:2000]
    await _publish_status(session, message)

"""Putting work in the outbox. The relay (``relay.py``) takes it out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.deliveries.models import Delivery
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message

NOTIFY_CHANNEL = "meridian_outbox"


async def _announce(session: AsyncSession) -> None:
    # Held by PostgreSQL until COMMIT, so the relay wakes only for committed rows.
    await session.execute(text("SELECT pg_notify(:c, '')"), {"c": NOTIFY_CHANNEL})


async def enqueue_message_delivery(session: AsyncSession, *, message: Message, inbox: Inbox) -> Delivery:
    delivery = Delivery(
        workspace_id=message.workspace_id,
        kind="channel_message",
        inbox_id=inbox.id,
        message_id=message.id,
        idempotency_key=f"msg_{message.id}",
        payload={},
        state="pending",
    )
    session.add(delivery)
    await session.flush()
    await _announce(session)
    return delivery


async def enqueue_webhook(
    session: AsyncSession, *, workspace_id: Any, inbox: Inbox, idempotency_key: str, event: dict[str, Any]
) -> Delivery:
    """An event (not a message) POSTed to an api inbox's webhook_url."""
    delivery = Delivery(
        workspace_id=workspace_id,
        kind="webhook",
        inbox_id=inbox.id,
        idempotency_key=idempotency_key,
        payload={"event": event},
        state="pending",
    )
    session.add(delivery)
    await session.flush()
    await _announce(session)
    return delivery

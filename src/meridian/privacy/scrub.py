"""Removing a contact's content from the copies outside the vault: event payloads,
outbox payloads and delivery errors, message metadata, conversation subjects.

These copies exist for live views, retries and threading; once the content is erased
they have no purpose, so they are scrubbed rather than kept as ciphertext.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.deliveries.models import Delivery, DeliveryAttempt
from meridian.events.models import DomainEvent

# Keys under which events and webhook payloads carry what a person wrote or who they are.
CONTENT_KEYS = frozenset(
    {
        "body",
        "original_body",
        "sent_body",
        "text",
        "html",
        "raw",
        "translation",
        "snippet",
        "preview",
        "caption",
        "subject",
        "filename",
        "name",
        "email",
        "phone",
        "identifier",
        "contact_identifier",
        # Vendors echo what they were sent in their error messages.
        "delivery_error",
        "error",
        "last_error",
    }
)


def scrub(value: Any) -> Any:
    """A copy of ``value`` with every content key's value replaced by None, at any depth."""
    if isinstance(value, dict):
        return {k: None if k in CONTENT_KEYS else scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


async def scrub_events(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    contact_id: uuid.UUID | None,
    conversation_ids: Sequence[uuid.UUID],
) -> int:
    conditions = []
    if contact_id is not None:
        conditions.append(DomainEvent.payload["contact_id"].astext == str(contact_id))
    if conversation_ids:
        conditions.append(DomainEvent.conversation_id.in_(conversation_ids))
    if not conditions:
        return 0
    changed = 0
    for event in await session.scalars(
        select(DomainEvent).where(DomainEvent.workspace_id == workspace_id, or_(*conditions))
    ):
        cleaned = scrub(event.payload)
        if cleaned != event.payload:
            event.payload = cleaned
            changed += 1
    return changed


async def scrub_deliveries(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    contact_id: uuid.UUID | None,
    message_ids: Sequence[uuid.UUID],
    conversation_ids: Sequence[uuid.UUID],
) -> int:
    data = Delivery.payload["event"]["data"]
    conditions = []
    if contact_id is not None:
        conditions.append(data["contact_id"].astext == str(contact_id))
    if message_ids:
        conditions.append(Delivery.message_id.in_(message_ids))
    if conversation_ids:
        conditions.append(data["conversation_id"].astext.in_([str(c) for c in conversation_ids]))
    if not conditions:
        return 0
    deliveries = list(
        await session.scalars(select(Delivery).where(Delivery.workspace_id == workspace_id, or_(*conditions)))
    )
    for delivery in deliveries:
        delivery.payload = scrub(delivery.payload)
        # Vendors echo what they were sent in their error bodies.
        delivery.last_error = None
    if deliveries:
        await session.execute(
            update(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_([d.id for d in deliveries]))
            .values(error=None)
        )
    return len(deliveries)

"""Publishing domain events: inside the action's transaction, announced on commit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Text, cast, func, insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.events.models import DomainEvent

NOTIFY_CHANNEL = "meridian_events"


async def publish(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    type: str,
    payload: dict[str, Any],
    conversation_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
) -> DomainEvent:
    """Record ``type`` for the caller's transaction.

    PostgreSQL holds a NOTIFY issued inside a transaction until COMMIT and drops it on
    ROLLBACK, so subscribers in every process hear of the event only after the change
    is durable: the "publish after commit" rule, enforced by the database.
    """
    await session.flush()
    # One statement: the row and its notification (a separate ``pg_notify`` was a second
    # round trip for each of the two or three events of every inbound message).
    notify = func.pg_notify(
        NOTIFY_CHANNEL,
        cast(func.json_build_object("id", DomainEvent.id, "ws", DomainEvent.workspace_id), Text),
    )
    values: dict[str, Any] = {
        "workspace_id": workspace_id,
        "type": type,
        "payload": payload,
        "conversation_id": conversation_id,
        "team_id": team_id,
        "assignee_id": assignee_id,
    }
    row = (
        await session.execute(
            insert(DomainEvent).values(**values).returning(DomainEvent.id, DomainEvent.created_at, notify)
        )
    ).one()
    return DomainEvent(id=row[0], created_at=row[1], **values)


def event_envelope(event: DomainEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "type": event.type,
        "workspace_id": str(event.workspace_id),
        "conversation_id": str(event.conversation_id) if event.conversation_id else None,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }

"""Publishing domain events: inside the action's transaction, announced on commit."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text
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
    event = DomainEvent(
        workspace_id=workspace_id,
        type=type,
        payload=payload,
        conversation_id=conversation_id,
        team_id=team_id,
        assignee_id=assignee_id,
    )
    session.add(event)
    await session.flush()
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": NOTIFY_CHANNEL, "payload": json.dumps({"id": event.id, "ws": str(workspace_id)})},
    )
    return event


def event_envelope(event: DomainEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "type": event.type,
        "workspace_id": str(event.workspace_id),
        "conversation_id": str(event.conversation_id) if event.conversation_id else None,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }

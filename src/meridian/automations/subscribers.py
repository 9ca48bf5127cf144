"""Rules run on the events they name.

Registered before routing and SLA (subscribers run in registration order, and
feature modules load alphabetically), so a rule that tags ``skill:billing`` or
assigns on ``message.created`` acts before routing picks an owner.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.automations.conditions import build_context
from meridian.automations.schemas import EVENTS
from meridian.automations.service import run_rules
from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.events.dispatch import subscriber
from meridian.events.models import DomainEvent


def _wanted(event: DomainEvent) -> bool:
    payload = event.payload
    if payload.get("source") == "automation":
        return False  # never react to a rule's own changes
    if event.type == "message.created":
        return payload.get("direction") == "incoming"  # "message received"
    if event.type == "conversation.updated":
        return "status" in payload.get("fields", [])  # "status changed"
    return True


@subscriber("automations", *EVENTS)
async def on_event(session: AsyncSession, event: DomainEvent) -> None:
    if event.conversation_id is None or not _wanted(event):
        return
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.id == event.conversation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if conversation is None:
        return
    message_id = event.payload.get("message_id") if event.type == "message.created" else None
    ctx = await build_context(
        session,
        conversation,
        event=event.type,
        payload=dict(event.payload),
        at=utcnow(),
        message_id=uuid.UUID(message_id) if isinstance(message_id, str) else None,
        event_id=event.id,
    )
    await run_rules(session, ctx=ctx)

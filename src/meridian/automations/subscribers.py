"""Rules run on the events they name.

Registered before routing and SLA (subscribers run in registration order, and
feature modules load alphabetically), so a rule that tags ``skill:billing`` or
assigns on ``message.created`` acts before routing picks an owner.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.automations.conditions import build_context
from meridian.automations.schemas import DOMAIN_EVENTS
from meridian.automations.service import has_rules, run_rules
from meridian.automations.timing import note_status_change
from meridian.conversations.locks import lock_conversation
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


def _status_change(event: DomainEvent) -> str | None:
    """The new status when this event is one, whoever made it (rules included)."""
    payload = event.payload
    if event.type != "conversation.updated" or "status" not in payload.get("fields", []):
        return None
    status = payload.get("status")
    return status if isinstance(status, str) else None


@subscriber("automations", *DOMAIN_EVENTS)
async def on_event(session: AsyncSession, event: DomainEvent) -> None:
    status = _status_change(event)
    if event.conversation_id is None or (status is None and not _wanted(event)):
        return
    if status is None and not await has_rules(session, workspace_id=event.workspace_id, event=event.type):
        # Most workspaces have no rule for most events: no lock, no context (which reads
        # and decrypts the customer's message) when nothing could run.
        return
    # Contact, then conversation: the one lock order (conversations/locks.py).
    conversation = await lock_conversation(session, event.conversation_id)
    if conversation is None:
        return
    if status is not None:
        # Status changes carry no time of their own; the dispatcher runs them within
        # moments (as the SLA clocks assume too). "time_since" rules count from it.
        await note_status_change(session, conversation=conversation, status=status, at=utcnow())
        if not _wanted(event):
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

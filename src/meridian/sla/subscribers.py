"""The SLA clock follows the conversation: messages, status, priority, owning team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.conversations.locks import lock_conversation
from meridian.core.clock import utcnow
from meridian.events.dispatch import subscriber
from meridian.events.models import DomainEvent
from meridian.sla.tracker import Tracker, policy_for


def _message_time(payload: dict[str, object], fallback: datetime) -> datetime:
    value = payload.get("created_at")
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        return parsed if parsed.tzinfo is not None else fallback
    return fallback


@subscriber("sla", "message.created", "conversation.updated", "conversation.assigned")
async def on_event(session: AsyncSession, event: DomainEvent) -> None:
    if event.conversation_id is None:
        return
    # Contact, then conversation: the one lock order (conversations/locks.py).
    conversation = await lock_conversation(session, event.conversation_id)
    if conversation is None:
        return
    # Status changes carry no time of their own; the dispatcher runs them within moments.
    at = utcnow()
    payload = event.payload
    incoming = event.type == "message.created" and payload.get("direction") == "incoming"
    tracker = await Tracker.load(session, conversation)
    if tracker is None:
        if not incoming:
            return
        policy = await policy_for(session, conversation)
        if policy is None:
            return
        tracker = await Tracker.begin(session, conversation, policy, _message_time(payload, at))
    else:
        when = _message_time(payload, at) if event.type == "message.created" else at
        # Anything that fell due before this change counts first (the periodic check
        # may not have run yet).
        await tracker.check(when)
        await tracker.follow_team(at)
        if incoming:
            await tracker.customer_wrote(_message_time(payload, at))
        elif (
            event.type == "message.created"
            and payload.get("direction") == "outgoing"
            and payload.get("author_kind") == "human"
        ):
            await tracker.agent_replied(_message_time(payload, at))
        elif event.type == "conversation.updated":
            fields = payload.get("fields", [])
            if "priority" in fields and (policy := await policy_for(session, conversation)) is not None:
                await tracker.switch_policy(policy, at)
            if "status" in fields and isinstance(status := payload.get("status"), str):
                await tracker.status_changed(status, at)
    tracker.settle(conversation.status, at)
    await tracker.check(at)
    tracker.save()

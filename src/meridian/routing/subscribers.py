"""Routing reacts to what happens: new customer messages, reopened or resolved
conversations, agents coming and going."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.core.clock import utcnow
from meridian.events.dispatch import subscriber
from meridian.events.models import DomainEvent
from meridian.messages.models import Message
from meridian.routing import presence
from meridian.routing.service import drain_queue, reroute_agent, route_conversation

# Conversation states that free a slot of the agent who owned it.
RELEASING = ("resolved", "pending", "snoozed")
# Agent fields whose change can open room for queued work.
CAPACITY_FIELDS = {
    "availability",
    "max_concurrent",
    "channel_capacity",
    "team_ids",
    "languages",
    "skills",
}


@subscriber("routing", "message.created", "conversation.updated", "agent.updated")
async def on_event(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    if event.type == "message.created":
        await _on_message(session, event)
    elif event.type == "conversation.updated":
        if payload.get("source") == "routing" or "status" not in payload.get("fields", []):
            return
        if payload.get("status") == "open" and event.conversation_id is not None:
            await route_conversation(
                session=session, conversation_id=event.conversation_id, trigger="reopened"
            )
        elif payload.get("status") in RELEASING:
            await drain_queue(session=session, workspace_id=event.workspace_id)
    elif event.type == "agent.updated":
        await _on_agent(session, event)


async def _on_message(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    if payload.get("direction") == "incoming" and event.conversation_id is not None:
        # The message's detected language is fresher than the conversation's.
        language = payload.get("language")
        await route_conversation(
            session=session,
            conversation_id=event.conversation_id,
            trigger="message",
            language=language if isinstance(language, str) else None,
        )
        return
    message = await session.get(Message, uuid.UUID(payload["message_id"]))
    if message is not None and message.author_agent_id is not None and message.author_kind == "human":
        await presence.touch(session, agent_id=message.author_agent_id, at=message.created_at)


async def _on_agent(session: AsyncSession, event: DomainEvent) -> None:
    fields = set(event.payload.get("fields", []))
    if not fields & CAPACITY_FIELDS:
        return
    agent = await session.get(Agent, uuid.UUID(event.payload["agent_id"]))
    if agent is None:
        return
    if "availability" in fields and agent.availability != "online":
        await reroute_agent(session=session, agent_id=agent.id, trigger=f"agent {agent.availability}")
        return
    if "availability" in fields and event.payload.get("reason") != "inactive":
        # Going online is activity; auto-away starts counting from here.
        await presence.touch(session, agent_id=agent.id, at=utcnow())
    await drain_queue(session=session, workspace_id=event.workspace_id)

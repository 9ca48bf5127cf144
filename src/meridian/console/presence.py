"""Collision notice: which colleagues have a conversation open, and who is typing in it.

Each open conversation page pings every ~10 s (and on typing). Rows live in an UNLOGGED
table so every web process sees the same truth; a ``presence.changed`` event goes out over
the usual SSE stream only when someone arrives, starts or stops typing, or leaves, not on
every ping. Anyone not seen for ``STALE`` is gone, even without a goodbye.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.auth.service import Principal
from meridian.console.models import Presence
from meridian.conversations.service import event_scope, get_visible
from meridian.core.clock import utcnow
from meridian.events.service import publish

STATES = ("viewing", "typing", "left")
STALE = timedelta(seconds=30)
TYPING_FOR = timedelta(seconds=8)


@dataclass(frozen=True)
class Colleague:
    agent_id: uuid.UUID
    name: str
    typing: bool


async def ping(
    session: AsyncSession, *, principal: Principal, conversation_id: uuid.UUID, state: str
) -> bool:
    """Record that the agent is viewing/typing in (or has left) the conversation; True if it changed."""
    if state not in STATES:
        raise ValueError(state)
    conversation = await get_visible(session, principal=principal, conversation_id=conversation_id)
    now = utcnow()
    row = await session.get(Presence, (conversation_id, principal.agent_id), with_for_update=True)
    was_here = row is not None and row.seen_at > now - STALE
    was_typing = (
        was_here and row is not None and row.typing_at is not None and row.typing_at > now - TYPING_FOR
    )
    if state == "left":
        if row is not None:
            await session.execute(
                delete(Presence).where(
                    Presence.conversation_id == conversation_id, Presence.agent_id == principal.agent_id
                )
            )
        changed = was_here
    else:
        if row is None:
            row = Presence(
                workspace_id=principal.workspace_id,
                conversation_id=conversation_id,
                agent_id=principal.agent_id,
                state=state,
                seen_at=now,
            )
            session.add(row)
        row.seen_at = now
        row.state = state
        if state == "typing":
            row.typing_at = now
        changed = not was_here or (state == "typing") != was_typing
    if changed:
        await publish(
            session,
            workspace_id=conversation.workspace_id,
            type="presence.changed",
            payload={
                "conversation_id": str(conversation_id),
                "agent_id": str(principal.agent_id),
                "state": state,
            },
            **event_scope(conversation),
        )
    await session.commit()
    return changed


async def colleagues_in(
    session: AsyncSession, *, principal: Principal, conversation_id: uuid.UUID
) -> list[Colleague]:
    """Other agents on this conversation right now (the caller must be allowed to see it)."""
    await get_visible(session, principal=principal, conversation_id=conversation_id)
    now = utcnow()
    rows = await session.execute(
        select(Presence.agent_id, Agent.name, Presence.typing_at)
        .join(Agent, Agent.id == Presence.agent_id)
        .where(
            Presence.conversation_id == conversation_id,
            Presence.workspace_id == principal.workspace_id,
            Presence.agent_id != principal.agent_id,
            Presence.seen_at > now - STALE,
        )
        .order_by(Agent.name)
    )
    return [
        Colleague(agent_id, name, typing_at is not None and typing_at > now - TYPING_FOR)
        for agent_id, name, typing_at in rows
    ]

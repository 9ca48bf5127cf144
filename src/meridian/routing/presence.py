"""Agent presence for routing: activity we observe, and auto-away after inactivity."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.events.service import publish

AUTO_AWAY_AFTER = timedelta(minutes=15)
# Request activity is written at most this often per agent: a console polls every few
# seconds, and a row update per request would cost more than presence is worth.
SEEN_EVERY = timedelta(minutes=1)
# Per process: when this process last wrote each agent's mark (bounded by the agent count).
_written: dict[uuid.UUID, datetime] = {}


async def touch(session: AsyncSession, *, agent_id: uuid.UUID, at: datetime) -> None:
    """Note that the agent was active at ``at`` (never moving the mark backwards)."""
    await session.execute(
        update(Agent)
        .where(Agent.id == agent_id, or_(Agent.last_seen_at.is_(None), Agent.last_seen_at < at))
        .values(last_seen_at=at)
    )


async def seen(session: AsyncSession, *, agent_id: uuid.UUID, at: datetime) -> bool:
    """An authenticated request: move ``last_seen_at`` to ``at`` if the mark is a minute old.

    Throttled twice: in this process without a query, and in SQL across processes (the
    ``WHERE`` leaves a fresher mark alone). Returns whether a row was written; the
    caller commits.
    """
    last = _written.get(agent_id)
    if last is not None and timedelta(0) <= at - last < SEEN_EVERY:
        return False
    written = await session.scalar(
        update(Agent)
        .where(
            Agent.id == agent_id,
            or_(Agent.last_seen_at.is_(None), Agent.last_seen_at <= at - SEEN_EVERY),
        )
        .values(last_seen_at=at)
        .returning(Agent.last_seen_at)
    )
    if written is None:
        # Another process wrote it lately: remember its mark, so we wait out the same minute.
        written = await session.scalar(select(Agent.last_seen_at).where(Agent.id == agent_id))
    if written is not None:
        _written[agent_id] = written
    return written == at


async def auto_away(session: AsyncSession, *, at: datetime) -> int:
    """Set online agents with no activity for ``AUTO_AWAY_AFTER`` to away.

    Agents never seen active (``last_seen_at`` unset) are left alone: without a mark
    there is no inactivity to measure, and marking them away would empty a team
    whose agents were put online by an admin or a seed.
    """
    idle = list(
        await session.scalars(
            select(Agent)
            .where(
                Agent.availability == "online",
                Agent.deactivated_at.is_(None),
                Agent.last_seen_at.is_not(None),
                Agent.last_seen_at < at - AUTO_AWAY_AFTER,
            )
            .order_by(Agent.id)
            .with_for_update(skip_locked=True)
        )
    )
    for agent in idle:
        agent.availability = "away"
        await publish(
            session,
            workspace_id=agent.workspace_id,
            type="agent.updated",
            payload={
                "agent_id": str(agent.id),
                "fields": ["availability"],
                "availability": "away",
                "reason": "inactive",
            },
        )
    return len(idle)

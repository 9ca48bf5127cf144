"""Agent presence for routing: activity we observe, and auto-away after inactivity."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.events.service import publish

AUTO_AWAY_AFTER = timedelta(minutes=15)


async def touch(session: AsyncSession, *, agent_id: uuid.UUID, at: datetime) -> None:
    """Note that the agent was active at ``at`` (never moving the mark backwards)."""
    await session.execute(
        update(Agent)
        .where(Agent.id == agent_id, or_(Agent.last_seen_at.is_(None), Agent.last_seen_at < at))
        .values(last_seen_at=at)
    )


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

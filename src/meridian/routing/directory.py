"""Reading what the routing engine needs: teams with calendars, agents with their loads."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent, AgentTeam
from meridian.calendars import BusinessCalendar
from meridian.conversations.models import Conversation
from meridian.inboxes.models import Inbox
from meridian.routing.engine import AgentView, TeamView
from meridian.routing.models import RoutingAgentState
from meridian.teams.models import Team


def calendar_of(team: Team) -> BusinessCalendar:
    return BusinessCalendar(team.timezone, team.business_hours, team.holidays)


def team_view(team: Team) -> TeamView:
    return TeamView(team.id, team.name, tuple(team.languages), calendar_of(team))


async def teams_of(session: AsyncSession, workspace_id: uuid.UUID) -> list[TeamView]:
    rows = await session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id))
    return [team_view(t) for t in rows]


async def memberships(
    session: AsyncSession, agent_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    out: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    ids = list(agent_ids)
    if ids:
        rows = await session.execute(
            select(AgentTeam.agent_id, AgentTeam.team_id).where(AgentTeam.agent_id.in_(ids))
        )
        for agent_id, team_id in rows:
            out[agent_id].add(team_id)
    return out


async def open_loads(session: AsyncSession, agent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Open conversations each agent owns: what ``max_concurrent`` limits."""
    if not agent_ids:
        return {}
    rows = await session.execute(
        select(Conversation.assignee_id, func.count())
        .where(Conversation.assignee_id.in_(agent_ids), Conversation.status == "open")
        .group_by(Conversation.assignee_id)
    )
    return {agent_id: int(n) for agent_id, n in rows if agent_id is not None}


async def channel_loads(
    session: AsyncSession, agent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """Open conversations each agent owns, per channel (for per-channel capacity)."""
    out: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    if agent_ids:
        rows = await session.execute(
            select(Conversation.assignee_id, Inbox.channel, func.count())
            .join(Inbox, Inbox.id == Conversation.inbox_id)
            .where(Conversation.assignee_id.in_(agent_ids), Conversation.status == "open")
            .group_by(Conversation.assignee_id, Inbox.channel)
        )
        for agent_id, channel, n in rows:
            if agent_id is not None:
                out[agent_id][channel] = int(n)
    return out


async def agents_of(session: AsyncSession, workspace_id: uuid.UUID) -> list[AgentView]:
    """Every active agent who belongs to a team, with fresh loads.

    The rows of the agents who could receive work now (online, with capacity) are
    locked ``FOR UPDATE`` in id order before their loads are counted: two decisions
    racing for the last free slot of an agent run one after the other, the second
    seeing the first one's assignment, and the fixed order keeps two deciders from
    deadlocking on each other.
    """
    agents = list(
        await session.scalars(
            select(Agent)
            .where(Agent.workspace_id == workspace_id, Agent.deactivated_at.is_(None))
            .order_by(Agent.id)
        )
    )
    teams = await memberships(session, [a.id for a in agents])
    agents = [a for a in agents if teams.get(a.id)]
    candidates = [a.id for a in agents if a.availability == "online" and a.max_concurrent > 0]
    if candidates:
        locked = await session.scalars(
            select(Agent)
            .where(Agent.id.in_(candidates))
            .order_by(Agent.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        fresh = {a.id: a for a in locked}
        agents = [fresh.get(a.id, a) for a in agents]
    loads = await open_loads(session, candidates)
    # Only agents with a per-channel limit need their loads split by channel.
    by_channel = await channel_loads(session, [a.id for a in agents if a.id in loads and a.channel_capacity])
    idle = dict(
        (
            await session.execute(
                select(RoutingAgentState.agent_id, RoutingAgentState.last_assigned_at).where(
                    RoutingAgentState.agent_id.in_([a.id for a in agents])
                )
            )
        ).all()
    )
    return [
        AgentView(
            id=a.id,
            name=a.name,
            languages=tuple(a.languages),
            proficiency=dict(a.language_proficiency or {}),
            channel_capacity=dict(a.channel_capacity or {}),
            channel_loads=by_channel.get(a.id, {}),
            skills=frozenset(a.skills),
            team_ids=frozenset(teams[a.id]),
            max_concurrent=a.max_concurrent,
            availability=a.availability,
            load=loads.get(a.id, 0),
            last_assigned_at=idle.get(a.id),
        )
        for a in agents
    ]

"""Reading what the routing engine needs: teams with calendars, agents with their loads."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
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


async def agents_of(session: AsyncSession, workspace_id: uuid.UUID, *, lock: bool = False) -> list[AgentView]:
    """Every active agent who belongs to a team, with their loads, read without locks.

    A plain read is only a proposal: ``route_conversation`` locks the one agent it
    chooses (``lock_agent``) and checks again before it assigns. With ``lock`` (its
    last resort after losing the race too often) the agents who could receive work now
    (online, with capacity) are locked first, in id order so two such deciders never
    wait on each other in a circle, and their loads are counted after the lock.
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
    if lock:
        candidates = [a.id for a in agents if a.availability == "online" and a.max_concurrent > 0]
        if candidates:
            locked = await session.scalars(_locking(select(Agent).where(Agent.id.in_(candidates))))
            fresh = {a.id: a for a in locked}
            agents = [fresh.get(a.id, a) for a in agents]
    candidates = [a.id for a in agents if a.availability == "online" and a.max_concurrent > 0]
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
        _view(
            a,
            team_ids=frozenset(teams[a.id]),
            load=loads.get(a.id, 0),
            by_channel=by_channel.get(a.id, {}),
            last_assigned_at=idle.get(a.id),
        )
        for a in agents
    ]


async def lock_agent(session: AsyncSession, seen: AgentView) -> AgentView | None:
    """``seen`` as it is now, its row locked until the transaction ends; None when the
    agent was deactivated meanwhile.

    Why this cannot oversubscribe an agent: every routing assignment to an agent is
    made while holding this lock, from the recount below until the transaction
    commits. We run at READ COMMITTED, where each statement sees what was committed
    before it started; the recount is a statement of its own issued after the lock was
    granted, so it sees the assignment of whoever held the lock before us (they
    committed or rolled back to let go of it), and nobody can add another before we
    commit. Hence a recount that leaves room leaves room for us.

    ``FOR NO KEY UPDATE``, the strength an ``UPDATE`` takes: two deciders still exclude
    each other, yet the foreign-key checks of rows that merely name the agent (their
    messages, a conversation assigned by hand) take ``KEY SHARE`` and pass, where
    ``FOR UPDATE`` would hold them until our transaction ends.

    Team memberships and ``last_assigned_at`` stay as read: they only rank agents,
    and the lock does not order their changes anyway.
    """
    agent = await session.scalar(
        _locking(select(Agent).where(Agent.id == seen.id, Agent.deactivated_at.is_(None)))
    )
    if agent is None:
        return None
    load = (await open_loads(session, [agent.id])).get(agent.id, 0)
    by_channel = (
        (await channel_loads(session, [agent.id])).get(agent.id, {}) if agent.channel_capacity else {}
    )
    return _view(
        agent,
        team_ids=seen.team_ids,
        load=load,
        by_channel=by_channel,
        last_assigned_at=seen.last_assigned_at,
    )


def _locking(stmt: Select[Agent]) -> Select[Agent]:
    # populate_existing: the session may hold the row from an earlier, unlocked read,
    # and the locked read must replace it, not be ignored in its favour.
    return stmt.order_by(Agent.id).with_for_update(key_share=True).execution_options(populate_existing=True)


def _view(
    agent: Agent,
    *,
    team_ids: frozenset[uuid.UUID],
    load: int,
    by_channel: dict[str, int],
    last_assigned_at: datetime | None,
) -> AgentView:
    return AgentView(
        id=agent.id,
        name=agent.name,
        languages=tuple(agent.languages),
        proficiency=dict(agent.language_proficiency or {}),
        channel_capacity=dict(agent.channel_capacity or {}),
        channel_loads=by_channel,
        skills=frozenset(agent.skills),
        team_ids=team_ids,
        max_concurrent=agent.max_concurrent,
        availability=agent.availability,
        load=load,
        last_assigned_at=last_assigned_at,
    )

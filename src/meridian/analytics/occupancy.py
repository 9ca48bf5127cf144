"""Agent utilization and occupancy against capacity, from periodic samples.

Agent updates do not record availability as intervals, so a job samples every agent
each minute (``tasks.sample_occupancy``) and adds the time since the workspace's
previous sample to per-(agent, UTC day) counters in ``report_agent_days``:

- ``online_s``: seconds the agent was online;
- ``busy_s``: of those, seconds with at least one open conversation assigned;
- ``load_s``: open assigned conversations times seconds (conversation-seconds);
- ``capacity_s``: the agent's ``max_concurrent`` times seconds online.

Utilization is ``busy_s / online_s``; occupancy against capacity is
``load_s / capacity_s``. A step is attributed to the UTC day of the sample ending it.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent, AgentTeam
from meridian.analytics.labels import key_text, labels
from meridian.analytics.measures import Sums, measures
from meridian.analytics.models import ReportAgentDay, ReportOccupancyClock
from meridian.analytics.query import Filters
from meridian.analytics.sources import ReportQuery
from meridian.inboxes.models import Inbox

# Samplers closer together than this count nothing (the later one leaves the clock
# alone): several workers running the same minute's job add that minute once.
MIN_STEP = timedelta(seconds=30)
# Time since the previous sample beyond this is not counted: a stopped worker or a
# missed hour must not credit agents with time nobody saw.
MAX_STEP = timedelta(minutes=2)
OCCUPANCY_FIELDS = ("online_s", "busy_s", "load_s", "capacity_s")

# One statement: every online agent's open assigned conversations, added to the day.
_SAMPLE = text(
    """
    INSERT INTO report_agent_days
        (workspace_id, agent_id, day, online_s, busy_s, load_s, capacity_s)
    SELECT a.workspace_id, a.id, CAST(:day AS date), :step,
           CASE WHEN coalesce(o.n, 0) > 0 THEN :step ELSE 0 END,
           :step * coalesce(o.n, 0),
           :step * greatest(a.max_concurrent, 0)
    FROM agents a
    LEFT JOIN (
        SELECT assignee_id, count(*) AS n FROM conversations
        WHERE workspace_id = :ws AND status = 'open' AND assignee_id IS NOT NULL
        GROUP BY assignee_id
    ) o ON o.assignee_id = a.id
    WHERE a.workspace_id = :ws AND a.availability = 'online' AND a.deactivated_at IS NULL
    ON CONFLICT (workspace_id, agent_id, day) DO UPDATE SET
        online_s = report_agent_days.online_s + EXCLUDED.online_s,
        busy_s = report_agent_days.busy_s + EXCLUDED.busy_s,
        load_s = report_agent_days.load_s + EXCLUDED.load_s,
        capacity_s = report_agent_days.capacity_s + EXCLUDED.capacity_s
    """
)


async def sample(session: AsyncSession, *, workspace_id: uuid.UUID, at: datetime) -> int:
    """Add the seconds since the workspace's previous sample; returns the step counted.

    The clock row is locked for the transaction, so concurrent samplers queue and the
    later one sees the earlier one's time (a step under ``MIN_STEP``: nothing counted).
    The first sample only starts the clock. The caller commits.
    """
    started = await session.scalar(
        insert(ReportOccupancyClock)
        .values(workspace_id=workspace_id, sampled_at=at)
        .on_conflict_do_nothing()
        .returning(ReportOccupancyClock.workspace_id)
    )
    if started is not None:
        return 0
    previous = await session.scalar(
        select(ReportOccupancyClock.sampled_at)
        .where(ReportOccupancyClock.workspace_id == workspace_id)
        .with_for_update()
    )
    assert previous is not None
    elapsed = at - previous
    if elapsed < MIN_STEP:
        return 0
    step = int(min(elapsed, MAX_STEP).total_seconds())
    await session.execute(
        text("UPDATE report_occupancy_clock SET sampled_at = :at WHERE workspace_id = :ws"),
        {"at": at, "ws": workspace_id},
    )
    await session.execute(_SAMPLE, {"ws": workspace_id, "day": at.date(), "step": step})
    return step


async def workspaces(session: AsyncSession) -> list[uuid.UUID]:
    """Workspaces with an agent to sample: at least one online, active agent.

    A sample of any other workspace would count nothing, so idle tenants cost this one
    query rather than a transaction each per minute (``stop_idle_clocks`` below keeps
    the idle spell itself from being counted).
    """
    return list(
        await session.scalars(
            text(
                "SELECT DISTINCT workspace_id FROM agents"
                " WHERE availability = 'online' AND deactivated_at IS NULL ORDER BY workspace_id"
            )
        )
    )


async def stop_idle_clocks(session: AsyncSession) -> None:
    """Forget the clock of every workspace nobody is online in.

    Such a workspace is not sampled, so its clock would stand still and the first sample
    after the idle spell would credit the agent who just came online with the whole
    ``MAX_STEP``. Without a clock that sample only starts it again: at most a minute is
    missed, never invented. Only workspaces that just went idle have a row to delete,
    so an idle tenant costs nothing here after its first minute. The caller commits.
    """
    await session.execute(
        text(
            "DELETE FROM report_occupancy_clock c WHERE NOT EXISTS ("
            " SELECT 1 FROM agents a WHERE a.workspace_id = c.workspace_id"
            " AND a.availability = 'online' AND a.deactivated_at IS NULL)"
        )
    )


def ratios(sums: dict[str, int]) -> dict[str, Any]:
    """The two measures and their raw seconds (None where the denominator is zero)."""
    online, capacity = sums.get("online_s", 0), sums.get("capacity_s", 0)
    return {
        **{name: sums.get(name, 0) for name in OCCUPANCY_FIELDS},
        "utilization": round(sums.get("busy_s", 0) / online, 4) if online else None,
        "occupancy": round(sums.get("load_s", 0) / capacity, 4) if capacity else None,
    }


async def agent_days(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    start: date,
    end: date,
    filters: Filters,
    group_by: str | None,
) -> dict[Hashable, dict[str, int]]:
    """Summed seconds per agent, per team (an agent counts in each of their teams), or
    in total (key None). Only the team, agent and region filters apply, and a role's
    limits: agents are not tied to inboxes, so an inbox limit keeps the agents of the
    teams those inboxes route to (none for an inbox without a team)."""
    d = ReportAgentDay
    key: Any = None
    sums = [func.coalesce(func.sum(getattr(d, name)), 0).label(name) for name in OCCUPANCY_FIELDS]
    stmt = select(*sums).where(d.workspace_id == workspace_id, d.day >= start, d.day < end)
    if filters.agent_id is not None:
        stmt = stmt.where(d.agent_id == filters.agent_id)
    if filters.region is not None:
        stmt = stmt.where(
            d.agent_id.in_(
                select(Agent.id).where(Agent.workspace_id == workspace_id, Agent.region == filters.region)
            )
        )
    teams = filters.within_team_ids
    if filters.within_inbox_ids is not None:
        # Without this, a reader limited to some inboxes saw every agent's time.
        rows = await session.scalars(
            select(Inbox.team_id).where(
                Inbox.workspace_id == workspace_id,
                Inbox.id.in_(filters.within_inbox_ids),
                Inbox.team_id.is_not(None),
            )
        )
        routed = frozenset(team for team in rows if team is not None)
        teams = routed if teams is None else teams & routed
    if filters.team_id is not None:
        teams = frozenset({filters.team_id}) if teams is None else teams & {filters.team_id}
    if teams is not None:
        # A subquery, not a join: an agent in two of the teams counts once in a total.
        stmt = stmt.where(d.agent_id.in_(select(AgentTeam.agent_id).where(AgentTeam.team_id.in_(teams))))
    if group_by == "team":
        stmt = stmt.join(AgentTeam, AgentTeam.agent_id == d.agent_id)
        if teams is not None:
            stmt = stmt.where(AgentTeam.team_id.in_(teams))
        key = AgentTeam.team_id
    elif group_by == "agent":
        key = d.agent_id
    if key is not None:
        stmt = stmt.add_columns(key.label("key")).group_by(key)
    out: dict[Hashable, dict[str, int]] = {}
    for row in await session.execute(stmt):
        m = row._mapping
        out[m["key"] if key is not None else None] = {name: int(m[name]) for name in OCCUPANCY_FIELDS}
    return out


async def attach_agent_time(
    session: AsyncSession, *, q: ReportQuery, items: list[dict[str, Any]]
) -> dict[str, Any]:
    """Add agent time to an overview's group items; returns the totals' agent time.

    By agent or team, each item gets its group's figures, and a group with agent time
    but no conversations is added with zero conversation measures. Under any other
    grouping the items get zeros (agent time has no channel, language or tag); without
    a grouping, the one item is the total. Only the team, agent and region filters apply.
    """
    by = q.group_by if q.group_by in ("agent", "team") else None

    async def days(group_by: str | None) -> dict[Hashable, dict[str, int]]:
        return await agent_days(
            session,
            workspace_id=q.workspace_id,
            start=q.days.start,
            end=q.days.end,
            filters=q.filters,
            group_by=group_by,
        )

    found = await days(by)
    if by is None:
        whole = ratios(found.get(None, {}))
        for item in items:
            item.update(ratios({}) if q.group_by else whole)
        return whole
    by_key = {key_text(key): sums for key, sums in found.items()}
    known = {item["key"] for item in items}
    missing = [key for key in found if key_text(key) not in known]
    names = await labels(session, q.workspace_id, by, missing)
    for key in missing:
        items.append(
            {"key": key_text(key), "label": names.get(key, key_text(key)), **measures(Sums(), q.basis)}
        )
    for item in items:
        item.update(ratios(by_key.get(item["key"], {})))
    if by == "agent":
        # Each agent's seconds are theirs alone, so the total is the sum of the groups.
        totals = {name: sum(sums[name] for sums in found.values()) for name in OCCUPANCY_FIELDS}
    else:
        # An agent in two teams counts in each team but once in the total: read it again.
        totals = (await days(None)).get(None, {})
    return ratios(totals)

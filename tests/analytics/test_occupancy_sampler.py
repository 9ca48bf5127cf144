"""Agent time: only workspaces with someone online are sampled, and the overview's agent
time by team, by agent, under other groupings and in total (from hand-written days)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.analytics.models import ReportAgentDay, ReportOccupancyClock
from meridian.analytics.occupancy import MAX_STEP, agent_days, sample, stop_idle_clocks, workspaces
from meridian.analytics.query import Filters
from meridian.analytics.tasks import sample_all
from meridian.db.engine import Database
from tests.analytics.helpers import drain, incoming
from tests.factories import Factory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class CountingDatabase:
    """The real database, counting the sessions (transactions) the sampler opens."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.opened = 0

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        self.opened += 1
        async with self.db.session() as session:
            yield session


async def _availability(db: Database, availability: str, *agent_ids: uuid.UUID) -> None:
    async with db.session() as session:
        await session.execute(
            text("UPDATE agents SET availability = :a WHERE id = ANY(:ids)"),
            {"a": availability, "ids": list(agent_ids)},
        )
        await session.commit()


async def _clock(db: Database, workspace_id: uuid.UUID) -> datetime | None:
    async with db.session() as session:
        return await session.scalar(
            select(ReportOccupancyClock.sampled_at).where(ReportOccupancyClock.workspace_id == workspace_id)
        )


async def test_idle_workspaces_are_not_sampled(db: Database) -> None:
    factory = Factory(db)
    busy, idle = await factory.tenant("Sampled"), await factory.tenant("Idle")
    on = (await factory.agent(busy, name="On")).id
    away = (await factory.agent(idle, name="Away")).id
    gone = (await factory.agent(idle, name="Gone")).id
    await _availability(db, "online", on, gone)
    # Online but deactivated: the sample statement skips them, so the list must too.
    async with db.session() as session:
        await session.execute(text("UPDATE agents SET deactivated_at = now() WHERE id = :id"), {"id": gone})
        await session.commit()
    del away  # offline, the default

    async with db.session() as session:
        listed = await workspaces(session)
    assert busy.workspace_id in listed and idle.workspace_id not in listed
    assert len(listed) == len(set(listed))

    counting = CountingDatabase(db)
    await sample_all(counting)  # type: ignore[arg-type]
    # One session for the list, one per listed workspace: none for the idle one.
    assert counting.opened == 1 + len(listed)
    assert await _clock(db, busy.workspace_id) is not None
    assert await _clock(db, idle.workspace_id) is None


async def test_a_workspace_back_from_idle_counts_none_of_the_idle_spell(db: Database) -> None:
    factory = Factory(db)
    tenant = await factory.tenant("Back")
    ws = tenant.workspace_id
    ana = (await factory.agent(tenant, name="Ana")).id
    await _availability(db, "online", ana)

    async def step(at: datetime) -> int:
        async with db.session() as session:
            counted = await sample(session, workspace_id=ws, at=at)
            await session.commit()
        return counted

    assert await step(T0) == 0
    assert await step(T0 + timedelta(minutes=1)) == 60
    # Everyone leaves: the sampler stops listing the workspace and forgets its clock.
    await _availability(db, "offline", ana)
    async with db.session() as session:
        assert ws not in await workspaces(session)
        await stop_idle_clocks(session)
        await session.commit()
    assert await _clock(db, ws) is None
    # Five hours later Ana is back: the first sample only starts the clock again, so
    # neither the idle hours nor MAX_STEP of them are credited to her.
    await _availability(db, "online", ana)
    async with db.session() as session:
        assert ws in await workspaces(session)
        await stop_idle_clocks(session)
        await session.commit()
    assert await step(T0 + timedelta(hours=5)) == 0
    assert await step(T0 + timedelta(hours=5, minutes=1)) == 60
    async with db.session() as session:
        day = await session.scalar(select(ReportAgentDay).where(ReportAgentDay.agent_id == ana))
    assert day is not None and day.online_s == 60 + 60
    assert MAX_STEP.total_seconds() == 120  # what the old standing clock would have added


async def test_agent_time_by_team_agent_other_and_none(
    module_client: httpx.AsyncClient, db: Database
) -> None:
    factory = Factory(db)
    tenant = await factory.tenant("Agent time")
    h, ws = tenant.headers, tenant.workspace_id
    ana = (await factory.agent(tenant, name="Ana")).id
    bo = (await factory.agent(tenant, name="Bo")).id
    cy = (await factory.agent(tenant, name="Cy")).id
    today = datetime.now(UTC).date()
    red, blue = await factory.team(tenant, name="Red"), await factory.team(tenant, name="Blue")
    # (online, busy, load, capacity) seconds today; Ana is in both teams, Cy in none.
    seconds = {ana: (100, 50, 100, 400), bo: (200, 0, 0, 400), cy: (50, 50, 50, 50)}
    async with db.session() as session:
        for agent, (online, busy, load, capacity) in seconds.items():
            session.add(
                ReportAgentDay(
                    workspace_id=ws,
                    agent_id=agent,
                    day=today,
                    online_s=online,
                    busy_s=busy,
                    load_s=load,
                    capacity_s=capacity,
                )
            )
        await session.execute(
            text("INSERT INTO agent_teams (agent_id, team_id) VALUES (:a, :r), (:a, :b), (:bo, :b)"),
            {"a": ana, "bo": bo, "r": red, "b": blue},
        )
        await session.commit()
    # One conversation today: groups under other groupings exist (and get no agent time).
    inbox, _ = await factory.inbox(tenant, name="Agent time")
    await incoming(module_client, h, inbox, "hello", identifier="agent-time", locale="en")
    await drain(db)

    async def overview(**params: str) -> dict[str, object]:
        days = {"since": today.isoformat(), "until": (today + timedelta(days=1)).isoformat()}
        response = await module_client.get("/api/v1/analytics/overview", headers=h, params={**days, **params})
        assert response.status_code == 200, response.text
        report: dict[str, object] = response.json()
        return report

    def figures(row: object) -> tuple[object, ...]:
        assert isinstance(row, dict)
        return tuple(
            row[k] for k in ("online_s", "busy_s", "load_s", "capacity_s", "utilization", "occupancy")
        )

    everyone = (350, 100, 150, 850, round(100 / 350, 4), round(150 / 850, 4))
    nothing = (0, 0, 0, 0, None, None)

    by_team = await overview(group_by="team")
    groups = {g["key"]: g for g in by_team["groups"]}  # type: ignore[attr-defined]
    # The unassigned conversation's group (no team) has no agent time.
    assert set(groups) == {str(red), str(blue), None} and figures(groups[None]) == nothing
    assert groups[str(red)]["label"] == "Red" and groups[str(red)]["conversations"] == 0
    assert figures(groups[str(red)]) == (100, 50, 100, 400, 0.5, 0.25)
    assert figures(groups[str(blue)]) == (300, 50, 100, 800, round(50 / 300, 4), 0.125)
    # Ana counts in both teams but once in the total, and Cy (no team) counts too.
    assert figures(by_team["totals"]) == everyone

    by_agent = await overview(group_by="agent")
    groups = {g["key"]: g for g in by_agent["groups"]}  # type: ignore[attr-defined]
    assert set(groups) == {str(ana), str(bo), str(cy), None} and figures(groups[None]) == nothing
    assert groups[str(cy)]["label"] == "Cy"
    assert figures(groups[str(bo)]) == (200, 0, 0, 400, 0.0, 0.0)
    assert figures(by_agent["totals"]) == everyone

    blue_only = await overview(group_by="agent", team_id=str(blue))
    assert {g["key"] for g in blue_only["groups"]} == {str(ana), str(bo)}  # type: ignore[attr-defined]
    assert figures(blue_only["totals"]) == (300, 50, 100, 800, round(50 / 300, 4), 0.125)

    for grouped in (await overview(group_by="channel"), await overview()):
        assert figures(grouped["totals"]) == everyone
        assert grouped["groups"]
        for group in grouped["groups"]:  # type: ignore[attr-defined]
            assert figures(group) == (everyone if grouped["group_by"] is None else nothing)


async def test_an_inbox_limit_keeps_the_agent_time_of_its_teams_only(db: Database) -> None:
    """Agents are not tied to inboxes: a reader limited to some inboxes sees the agent
    time of the teams those inboxes route to, not everyone's (it did before)."""
    factory = Factory(db)
    tenant = await factory.tenant("Inbox limit")
    ws = tenant.workspace_id
    ana = (await factory.agent(tenant, name="Ana")).id
    bo = (await factory.agent(tenant, name="Bo")).id
    red, blue = await factory.team(tenant, name="Red"), await factory.team(tenant, name="Blue")
    red_inbox, _ = await factory.inbox(tenant, name="Red desk", team_id=red)
    loose_inbox, _ = await factory.inbox(tenant, name="No team")
    today = datetime.now(UTC).date()
    async with db.session() as session:
        for agent, seconds in ((ana, 100), (bo, 200)):
            session.add(
                ReportAgentDay(
                    workspace_id=ws,
                    agent_id=agent,
                    day=today,
                    online_s=seconds,
                    busy_s=0,
                    load_s=0,
                    capacity_s=0,
                )
            )
        await session.execute(
            text("INSERT INTO agent_teams (agent_id, team_id) VALUES (:a, :r), (:b, :bl)"),
            {"a": ana, "b": bo, "r": red, "bl": blue},
        )
        await session.commit()

    async def online(
        within_inbox_ids: frozenset[uuid.UUID] | None = None,
        within_team_ids: frozenset[uuid.UUID] | None = None,
    ) -> dict[object, int]:
        async with db.session() as session:
            found = await agent_days(
                session,
                workspace_id=ws,
                start=today,
                end=today + timedelta(days=1),
                filters=Filters(within_inbox_ids=within_inbox_ids, within_team_ids=within_team_ids),
                group_by="agent",
            )
        return {key: sums["online_s"] for key, sums in found.items()}

    assert await online() == {ana: 100, bo: 200}
    assert await online(within_inbox_ids=frozenset({red_inbox})) == {ana: 100}
    assert await online(within_inbox_ids=frozenset({loose_inbox})) == {}
    # With a team limit too, both apply.
    assert await online(within_inbox_ids=frozenset({red_inbox}), within_team_ids=frozenset({blue})) == {}

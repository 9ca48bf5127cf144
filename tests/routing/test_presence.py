"""Presence from real activity: requests mark agents seen (throttled), auto-away counts from it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import time_machine
from sqlalchemy import select

from meridian.agents.models import Agent
from meridian.db.engine import Database
from meridian.routing import presence
from tests.factories import Factory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _mark(db: Database, agent_id: uuid.UUID) -> tuple[datetime | None, str]:
    async with db.session() as session:
        row = (
            await session.execute(select(Agent.last_seen_at, Agent.availability).where(Agent.id == agent_id))
        ).one()
    return row[0], row[1]


async def test_requests_mark_the_agent_seen_at_most_once_a_minute(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, availability="online")
    other = await factory.agent(tenant, availability="online")
    assert (await _mark(db, agent.id))[0] is None

    with time_machine.travel(T0, tick=False):
        assert (await client.get("/api/v1/me", headers=agent.headers)).status_code == 200
    assert (await _mark(db, agent.id))[0] == T0

    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        await client.get("/api/v1/me", headers=agent.headers)
        # Another process (no local memory of the write) is held back by the SQL condition.
        presence._written.pop(agent.id, None)
        await client.get("/api/v1/conversations", headers=agent.headers)
    assert (await _mark(db, agent.id))[0] == T0

    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        await client.get("/api/v1/conversations", headers=agent.headers)
    assert (await _mark(db, agent.id))[0] == T0 + timedelta(seconds=61)
    # Only the caller is marked.
    assert (await _mark(db, other.id))[0] is None

    # Sixteen minutes of silence: auto-away; the other agent, never seen, stays online.
    async with db.session() as session:
        await presence.auto_away(session, at=T0 + timedelta(seconds=61) + timedelta(minutes=16))
        await session.commit()
    assert (await _mark(db, agent.id))[1] == "away"
    assert (await _mark(db, other.id))[1] == "online"


async def test_a_busy_agent_does_not_go_away(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, availability="online")
    for minute in range(0, 20, 2):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            await client.get("/api/v1/conversations", headers=agent.headers)
    async with db.session() as session:
        await presence.auto_away(session, at=T0 + timedelta(minutes=20))
        await session.commit()
    assert await _mark(db, agent.id) == (T0 + timedelta(minutes=18), "online")

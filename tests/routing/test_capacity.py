"""Load balancing under concurrent arrivals, and queues that drain as capacity frees up."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import httpx
from sqlalchemy import func, select

from meridian.conversations.models import Conversation
from meridian.db.engine import Database
from meridian.events.models import DomainEvent
from meridian.routing.service import route_conversation
from tests.factories import Factory
from tests.routing import support


async def _owners(db: Database, workspace_id: uuid.UUID) -> Counter[uuid.UUID | None]:
    async with db.session() as session:
        rows = await session.scalars(
            select(Conversation.assignee_id).where(
                Conversation.workspace_id == workspace_id, Conversation.status == "open"
            )
        )
        return Counter(rows)


async def test_simultaneous_arrivals_never_overfill_an_agent_or_assign_twice(db: Database) -> None:
    ws = await support.workspace(db)
    team = (await support.make_teams(db, ws, ["Berlin"]))["Berlin"]
    async with db.session() as session:
        from meridian.teams.models import Team

        berlin = await session.get(Team, team)
        assert berlin is not None
        berlin.business_hours = None  # open around the clock: only capacity limits here
        await session.commit()
    agents = [
        await support.make_agent(db, ws, name, teams=[team], languages=["de"], max_concurrent=2)
        for name in ("A", "B", "C")
    ]
    inbox = await support.api_inbox(db, ws, team_id=team)
    arrivals = [await support.incoming(db, inbox, identifier=f"c{i}", language="de") for i in range(10)]

    async def route(conversation_id: uuid.UUID) -> None:
        async with db.session() as session:
            await route_conversation(session=session, conversation_id=conversation_id, trigger="test")
            await session.commit()

    # Every conversation routed twice at once, all twenty decisions racing.
    await asyncio.gather(*(route(a.conversation_id) for a in arrivals * 2))

    owners = await _owners(db, ws)
    assert {agent: owners[agent] for agent in agents} == {agent: 2 for agent in agents}
    assert owners[None] == 4
    async with db.session() as session:
        assigned = await session.execute(
            select(DomainEvent.conversation_id, func.count())
            .where(DomainEvent.workspace_id == ws, DomainEvent.type == "conversation.assigned")
            .group_by(DomainEvent.conversation_id)
        )
        per_conversation = dict(assigned.all())
    assert len(per_conversation) == 6 and set(per_conversation.values()) == {1}


async def test_queue_drains_when_capacity_frees_and_when_an_agent_comes_online(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    team = (await support.make_teams(db, ws, ["Mexico City"]))["Mexico City"]
    async with db.session() as session:
        from meridian.teams.models import Team

        row = await session.get(Team, team)
        assert row is not None
        row.business_hours = None
        await session.commit()
    diego = await support.make_agent(db, ws, "Diego", teams=[team], languages=["es"], max_concurrent=1)
    inbox = await support.api_inbox(db, ws, team_id=team)
    first = await support.incoming(db, inbox, identifier="first", language="es")
    second = await support.incoming(db, inbox, identifier="second", language="es")
    # The VIP arrives last: its tier, not its age, puts it first in the queue.
    vip = await support.incoming(db, inbox, identifier="vip", language="es", contact={"tier": "vip"})
    await support.settle(db)
    assert (await support.conversation(db, first.conversation_id)).assignee_id == diego
    waiting = await support.conversation(db, second.conversation_id)
    assert waiting.assignee_id is None and "everyone at capacity" in (waiting.routing or {})["reason"]

    resolved = await client.patch(
        f"/api/v1/conversations/{first.conversation_id}", headers=tenant.headers, json={"status": "resolved"}
    )
    assert resolved.status_code == 200
    await support.settle(db)
    assert (await support.conversation(db, vip.conversation_id)).assignee_id == diego
    assert (await support.conversation(db, second.conversation_id)).assignee_id is None

    sofia = await support.make_agent(db, ws, "Sofia", teams=[team], languages=["es"], availability="offline")
    online = await client.patch(
        f"/api/v1/agents/{sofia}", headers=tenant.headers, json={"availability": "online"}
    )
    assert online.status_code == 200, online.text
    await support.settle(db)
    assert (await support.conversation(db, second.conversation_id)).assignee_id == sofia
    assert await support.failures(db, ws) == []


async def test_agent_going_offline_hands_work_on(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    team = (await support.make_teams(db, ws, ["Berlin"]))["Berlin"]
    async with db.session() as session:
        from meridian.teams.models import Team

        row = await session.get(Team, team)
        assert row is not None
        row.business_hours = None
        await session.commit()
    lena = await support.make_agent(db, ws, "Lena", teams=[team], languages=["de"], max_concurrent=3)
    inbox = await support.api_inbox(db, ws, team_id=team)
    conversations = [await support.incoming(db, inbox, identifier=f"k{i}", language="de") for i in range(2)]
    await support.settle(db)
    assert (await _owners(db, ws))[lena] == 2
    jonas = await support.make_agent(db, ws, "Jonas", teams=[team], languages=["de"], max_concurrent=1)
    gone = await client.patch(
        f"/api/v1/agents/{lena}", headers=tenant.headers, json={"availability": "offline"}
    )
    assert gone.status_code == 200
    await support.settle(db)
    owners = await _owners(db, ws)
    # Jonas takes one (his capacity); the other waits in the team's queue, unowned.
    assert owners[jonas] == 1 and owners[None] == 1 and owners[lena] == 0
    reasons = {(await support.conversation(db, c.conversation_id)).routing["trigger"] for c in conversations}  # type: ignore[index]
    assert reasons == {"agent offline"}

"""The periodic routing pass: handoffs when a team closes, queues assigned when a team
opens, and auto-away."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import time_machine
from sqlalchemy import select, update

from meridian.agents.models import Agent
from meridian.conversations.models import Conversation
from meridian.db.engine import Database
from meridian.events.models import DomainEvent
from meridian.routing.tasks import routing_pass
from meridian.sla.models import SlaPolicy
from tests.factories import Factory
from tests.routing import support
from tests.support.outbox import drain
from tests.support.vendor_server import ScriptedResponse, vendor_server

BERLIN_OPEN = datetime(2027, 6, 14, 14, 0, tzinfo=UTC)  # 16:00 Berlin, 08:00 Mexico City
BERLIN_CLOSED = datetime(2027, 6, 14, 16, 5, tzinfo=UTC)  # 18:05 Berlin, 10:05 Mexico City


async def test_closing_team_hands_urgent_work_to_the_next_open_team(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    teams = await support.make_teams(db, ws, ["Berlin", "Mexico City"])
    lena = await support.make_agent(db, ws, "Lena", teams=[teams["Berlin"]], languages=["de", "en"])
    emma = await support.make_agent(db, ws, "Emma", teams=[teams["Mexico City"]], languages=["en"])
    inbox = await support.api_inbox(db, ws)
    async with db.session() as session:
        # VIPs get a one-hour first response in calendar time.
        session.add(
            SlaPolicy(
                workspace_id=ws,
                name="VIP",
                first_response_minutes=60,
                business_hours=False,
                conditions={"tier": ["vip"]},
            )
        )
        await session.commit()
    with time_machine.travel(BERLIN_OPEN, tick=False):
        urgent = await support.incoming(db, inbox, identifier="u", language="en")
        vip = await support.incoming(db, inbox, identifier="v", language="en", contact={"tier": "vip"})
        calm = await support.incoming(db, inbox, identifier="c", language="en")
        await support.settle(db)
        await client.patch(
            f"/api/v1/conversations/{urgent.conversation_id}",
            headers=tenant.headers,
            json={"priority": "urgent"},
        )
        await support.settle(db)
    for arrival in (urgent, vip, calm):
        assert (await support.conversation(db, arrival.conversation_id)).assignee_id == lena

    with time_machine.travel(BERLIN_CLOSED, tick=False):
        counts = await routing_pass(db)
        await support.settle(db)
    assert counts["handed_off"] == 2
    for arrival in (urgent, vip):  # urgent; SLA due (15:00 UTC) before Berlin reopens
        moved = await support.conversation(db, arrival.conversation_id)
        assert (moved.assignee_id, moved.team_id) == (emma, teams["Mexico City"])
        assert (moved.routing or {})["trigger"] == "handoff"
        notes = [b for m, b in await support.thread(db, moved.id) if m.direction == "note"]
        assert len(notes) == 1 and notes[0].startswith(
            "Handed over from Berlin (closed) to Mexico City (open)."
        )
    stays = await support.conversation(db, calm.conversation_id)
    assert (stays.assignee_id, stays.team_id) == (lena, teams["Berlin"])

    with time_machine.travel(BERLIN_CLOSED + timedelta(minutes=1), tick=False):
        assert (await routing_pass(db))["handed_off"] == 0  # nothing moves twice
    assert await support.failures(db, ws) == []


async def test_waiting_conversation_is_assigned_when_its_team_opens(db: Database, factory: Factory) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    teams = await support.make_teams(db, ws, ["Mexico City"])
    diego = await support.make_agent(db, ws, "Diego", teams=[teams["Mexico City"]], languages=["es"])
    with vendor_server() as shop:
        shop.respond("/hook", lambda request: ScriptedResponse(200, {}))
        inbox, _ = await factory.inbox(tenant, config={"webhook_url": shop.url + "/hook"})
        await _wait_for_opening(db, inbox, diego)
        # The notice went out through the outbox like any reply.
        await drain(db)
        (delivered,) = shop.requests_to("/hook")
        assert delivered.json()["data"]["body"].endswith("(tu hora local).")


async def _wait_for_opening(db: Database, inbox: uuid.UUID, diego: uuid.UUID) -> None:
    night = datetime(2027, 6, 14, 3, 0, tzinfo=UTC)  # Sunday 21:00 in Mexico City
    with time_machine.travel(night, tick=False):
        waiting = await support.incoming(db, inbox, identifier="m", language="es", contact={"country": "MX"})
        await support.settle(db)
        assert (await routing_pass(db))["assigned"] == 0
    queued = await support.conversation(db, waiting.conversation_id)
    assert queued.assignee_id is None and (queued.routing or {})["wait_until"] == "2027-06-14T15:00:00+00:00"
    notices = [b for m, b in await support.thread(db, waiting.conversation_id) if m.author_kind == "system"]
    assert notices == [
        "Gracias por tu mensaje. Nuestro equipo está fuera de horario en este momento. "
        "Te responderemos a más tardar el lunes a las 9:00 (tu hora local)."
    ]
    with time_machine.travel(datetime(2027, 6, 14, 15, 0, tzinfo=UTC), tick=False):
        assert (await routing_pass(db))["assigned"] >= 1
    assert (await support.conversation(db, waiting.conversation_id)).assignee_id == diego


async def test_inactive_agents_go_away_and_their_work_moves(db: Database) -> None:
    ws = await support.workspace(db)
    team = (await support.make_teams(db, ws, ["Berlin"]))["Berlin"]
    now = datetime(2027, 6, 14, 10, 0, tzinfo=UTC)  # Berlin open
    idle = await support.make_agent(db, ws, "Idle", teams=[team], languages=["de"])
    fresh = await support.make_agent(db, ws, "Fresh", teams=[team], languages=["de"])
    unknown = await support.make_agent(db, ws, "Unknown", teams=[team], languages=["de"])
    inbox = await support.api_inbox(db, ws)
    with time_machine.travel(now, tick=False):
        arrival = await support.incoming(db, inbox, identifier="x", language="de")
        async with db.session() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == arrival.conversation_id)
                .values(assignee_id=idle)
            )
            await session.execute(
                update(Agent).where(Agent.id == idle).values(last_seen_at=now - timedelta(minutes=20))
            )
            await session.execute(
                update(Agent).where(Agent.id == fresh).values(last_seen_at=now - timedelta(minutes=5))
            )
            await session.commit()
        await support.settle(db)
        counts = await routing_pass(db)
        await support.settle(db)
    assert counts["away"] == 1
    async with db.session() as session:
        availability = dict(
            (
                await session.execute(select(Agent.id, Agent.availability).where(Agent.workspace_id == ws))
            ).all()
        )
        reasons = list(
            await session.scalars(
                select(DomainEvent.payload["reason"].astext).where(
                    DomainEvent.workspace_id == ws, DomainEvent.type == "agent.updated"
                )
            )
        )
    assert availability == {idle: "away", fresh: "online", unknown: "online"}
    assert reasons == ["inactive"]
    moved = await support.conversation(db, arrival.conversation_id)
    assert moved.assignee_id in (fresh, unknown) and (moved.routing or {})["trigger"] == "agent away"

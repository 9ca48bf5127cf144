"""SLA clocks on real conversations: due times through the API, pauses, attainment,
and a breach that escalates through an automation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import time_machine
from sqlalchemy import select

from meridian.db.engine import Database
from meridian.events.models import DomainEvent
from meridian.sla.models import SlaEvent
from meridian.sla.tasks import check_due
from tests.factories import Factory
from tests.routing import support


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


async def _attainment(db: Database, conversation_id: uuid.UUID) -> list[tuple[str, str]]:
    async with db.session() as session:
        rows = await session.execute(
            select(SlaEvent.metric, SlaEvent.outcome)
            .where(SlaEvent.conversation_id == conversation_id)
            .order_by(SlaEvent.started_at, SlaEvent.metric)
        )
        return [(m, o) for m, o in rows]


async def test_business_hours_due_times_pauses_and_attainment(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    teams = await support.make_teams(db, ws, ["Berlin"])
    await support.make_agent(db, ws, "Lena", teams=[teams["Berlin"]], languages=["de", "en"])
    inbox = await support.api_inbox(db, ws, team_id=teams["Berlin"])
    created = await client.post(
        "/api/v1/sla-policies",
        headers=tenant.headers,
        json={
            "name": "Standard",
            "first_response_minutes": 240,
            "next_response_minutes": 120,
            "resolution_minutes": 1440,
            "business_hours": True,
        },
    )
    assert created.status_code == 201, created.text
    policy_id = created.json()["id"]

    async def sla(conversation_id: uuid.UUID) -> dict[str, object]:
        response = await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
        return dict(response.json()["sla"])

    # Thursday 2027-03-25 16:00 CET. First response, 4 business hours: Thu 16-18 (2h),
    # Good Friday, the weekend with the DST switch, Easter Monday, Tue 30 09:00-11:00
    # CEST -> 09:00 UTC. Resolution, 24 business hours: Thu 2h, Tue 9h, Wed 9h, Thu
    # Apr 1 09:00-13:00 CEST (4h) -> 11:00 UTC.
    with time_machine.travel(utc(2027, 3, 25, 15, 0), tick=False):
        first = await support.incoming(db, inbox, identifier="jonas", language="de")
        await support.settle(db)
    state = await sla(first.conversation_id)
    assert state["policy_id"] == policy_id
    assert state["first_response_due_at"] == "2027-03-30T09:00:00+00:00"
    assert state["resolution_due_at"] == "2027-04-01T11:00:00+00:00"
    assert state["next_response_due_at"] is None and state["status"] == "active"

    # Answered Tuesday 10:30 CEST, in time.
    with time_machine.travel(utc(2027, 3, 30, 8, 30), tick=False):
        reply = await client.post(
            f"/api/v1/conversations/{first.conversation_id}/messages",
            headers=tenant.headers,
            json={"body": "Die Rechnung ist unterwegs."},
        )
        assert reply.status_code == 201, reply.text
        await support.settle(db)
    state = await sla(first.conversation_id)
    assert state["first_response_due_at"] is None
    assert await _attainment(db, first.conversation_id) == [("first_response", "met")]

    # The customer writes again at 11:00 CEST: next response due 13:00 CEST (11:00 UTC).
    with time_machine.travel(utc(2027, 3, 30, 9, 0), tick=False):
        await support.incoming(
            db, inbox, identifier="jonas", language="de", body="Danke, wann kommt sie genau?"
        )
        await support.settle(db)
    assert (await sla(first.conversation_id))["next_response_due_at"] == "2027-03-30T11:00:00+00:00"

    # Pending for an hour (11:30-12:30 CEST): both running clocks stop, then move 1h on.
    with time_machine.travel(utc(2027, 3, 30, 9, 30), tick=False):
        await client.patch(
            f"/api/v1/conversations/{first.conversation_id}",
            headers=tenant.headers,
            json={"status": "pending"},
        )
        await support.settle(db)
    paused = await sla(first.conversation_id)
    assert paused["status"] == "paused" and paused["next_response_due_at"] is None
    with time_machine.travel(utc(2027, 3, 30, 10, 30), tick=False):
        await client.patch(
            f"/api/v1/conversations/{first.conversation_id}", headers=tenant.headers, json={"status": "open"}
        )
        await support.settle(db)
    resumed = await sla(first.conversation_id)
    assert resumed["next_response_due_at"] == "2027-03-30T12:00:00+00:00"
    assert resumed["resolution_due_at"] == "2027-04-01T12:00:00+00:00"
    assert resumed["status"] == "active"

    # Resolved Wednesday: resolution met.
    with time_machine.travel(utc(2027, 3, 31, 8, 0), tick=False):
        await client.patch(
            f"/api/v1/conversations/{first.conversation_id}",
            headers=tenant.headers,
            json={"status": "resolved"},
        )
        await support.settle(db)
    outcomes = dict(await _attainment(db, first.conversation_id))
    assert outcomes["resolution"] == "met"
    assert await support.failures(db, ws) == []


async def test_breach_escalates_through_an_automation(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    teams = await support.make_teams(db, ws, ["Mexico City"])
    diego = await support.make_agent(db, ws, "Diego", teams=[teams["Mexico City"]], languages=["es"])
    inbox = await support.api_inbox(db, ws, team_id=teams["Mexico City"])
    await support.give_load(db, ws, inbox, diego, 0)
    sofia = await support.make_agent(
        db, ws, "Sofia", teams=[teams["Mexico City"]], languages=["es"], skills=["senior"]
    )
    await support.give_load(db, ws, inbox, sofia, 2)
    policy = await client.post(
        "/api/v1/sla-policies",
        headers=tenant.headers,
        json={
            "name": "Chat",
            "first_response_minutes": 30,
            "business_hours": False,
            "conditions": {"channel": "api"},
        },
    )
    assert policy.status_code == 201, policy.text
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={
            "name": "Escalate late first responses",
            "event": "sla.breached",
            "conditions": {"sla_metric": ["first_response"]},
            "actions": [
                {"type": "raise_priority"},
                {"type": "reassign"},
                {"type": "add_tag", "tag": "escalated"},
                {"type": "notify", "message": "First response breached"},
            ],
        },
    )
    assert rule.status_code == 201, rule.text
    start = utc(2027, 6, 14, 16, 0)  # Monday 10:00 in Mexico City
    with time_machine.travel(start, tick=False):
        arrived = await support.incoming(db, inbox, identifier="mariana", language="es")
        await support.settle(db)
    conv = await support.conversation(db, arrived.conversation_id)
    assert conv.assignee_id == diego and conv.priority == "normal"
    assert conv.sla is not None and conv.sla["first_response_due_at"] == "2027-06-14T16:30:00+00:00"

    with time_machine.travel(start + timedelta(minutes=24), tick=False):  # 80% of 30 min
        assert await check_due(db) >= 1
        await support.settle(db)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert await check_due(db) >= 1
        await support.settle(db)
        assert await check_due(db) == 0  # nothing further until the next deadline
    conv = await support.conversation(db, arrived.conversation_id)
    assert conv.priority == "high"
    assert conv.assignee_id == sofia, conv.routing
    assert "escalated" in conv.tags
    assert conv.sla is not None and conv.sla["status"] == "breached"
    assert await _attainment(db, arrived.conversation_id) == [("first_response", "breached")]
    async with db.session() as session:
        types = list(
            await session.scalars(
                select(DomainEvent.type)
                .where(DomainEvent.conversation_id == arrived.conversation_id)
                .order_by(DomainEvent.id)
            )
        )
    assert types.count("sla.warning") == 1 and types.count("sla.breached") == 1
    assert "automation.notification" in types
    assert await support.failures(db, ws) == []

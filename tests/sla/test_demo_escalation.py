"""The demo's SLA policies and breach escalation, on a workspace shaped like the demo's."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import time_machine
from sqlalchemy import select

from meridian.db.engine import Database
from meridian.demo.escalation import seed_demo_sla
from meridian.events.models import DomainEvent
from meridian.sla.tasks import check_due
from tests.factories import Factory
from tests.routing import support


async def test_demo_policy_counts_business_hours_and_a_breach_escalates(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    supervisor = await factory.agent(tenant, role="supervisor", name="James")
    teams = await support.make_teams(db, ws, ["Berlin"])
    lena = await support.make_agent(db, ws, "Lena", teams=[teams["Berlin"]], languages=["de", "en"])
    inbox = await support.api_inbox(db, ws, team_id=teams["Berlin"])
    async with db.session() as session:
        assert await seed_demo_sla(session, workspace_id=ws, supervisor_ids=[supervisor.id])
        await session.commit()
        assert not await seed_demo_sla(session, workspace_id=ws, supervisor_ids=[supervisor.id])
    policies = (await client.get("/api/v1/sla-policies", headers=tenant.headers)).json()["items"]
    assert sorted(p["name"] for p in policies) == ["Standard (business hours)", "Urgent (business hours)"]

    # Friday 17:00 in Berlin. Two business hours: Friday 17-18, then Monday 09-10 CEST.
    with time_machine.travel(datetime(2027, 6, 18, 15, 0, tzinfo=UTC), tick=False):
        arrived = await support.incoming(db, inbox, identifier="jonas", language="de")
        await support.settle(db)
    conv = await support.conversation(db, arrived.conversation_id)
    assert conv.assignee_id == lena and conv.priority == "normal"
    assert conv.sla is not None and conv.sla["first_response_due_at"] == "2027-06-21T08:00:00+00:00"

    # Nobody answers: the weekend does not count, Monday 09:36 warns, 10:00 breaches.
    # (check_due sees every workspace's clocks; other tests' clocks may be due then, so
    # look at this conversation's own events rather than the count.)
    with time_machine.travel(datetime(2027, 6, 20, 12, 0, tzinfo=UTC), tick=False):
        await check_due(db)
        await support.settle(db)
    async with db.session() as session:
        sla_events = list(
            await session.scalars(
                select(DomainEvent.type).where(
                    DomainEvent.conversation_id == arrived.conversation_id,
                    DomainEvent.type.in_(["sla.warning", "sla.breached"]),
                )
            )
        )
    assert sla_events == []
    for at in (datetime(2027, 6, 21, 7, 40, tzinfo=UTC), datetime(2027, 6, 21, 8, 1, tzinfo=UTC)):
        with time_machine.travel(at, tick=False):
            assert await check_due(db) >= 1
            await support.settle(db)
    conv = await support.conversation(db, arrived.conversation_id)
    assert conv.priority == "high"
    assert "sla-breached" in conv.tags
    async with db.session() as session:
        notes = list(
            await session.scalars(
                select(DomainEvent.payload).where(
                    DomainEvent.conversation_id == arrived.conversation_id,
                    DomainEvent.type == "automation.notification",
                )
            )
        )
    assert [n["agent_ids"] for n in notes] == [[str(supervisor.id)]]
    assert await support.failures(db, ws) == []

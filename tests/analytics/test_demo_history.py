"""The demo's history gives the dashboard believable figures for every measure."""

from __future__ import annotations

import httpx

from meridian.agents.models import AgentTeam
from meridian.analytics.demo import OPEN_HANDFUL, seed_demo_history
from meridian.db.engine import Database
from meridian.demo.seed import DEMO_WORKSPACE
from tests.factories import Factory


async def test_demo_history_fills_every_measure(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant(DEMO_WORKSPACE + " (test)")
    for name, zone, region in (
        ("Berlin", "Europe/Berlin", "eu"),
        ("Shanghai", "Asia/Shanghai", "cn"),
        ("Mexico City", "America/Mexico_City", "latam"),
    ):
        hours = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
        team_id = await factory.team(tenant, name=name, timezone=zone, business_hours=hours, region=region)
        agent = await factory.agent(tenant, name=f"{name} agent")
        async with db.session() as session:
            session.add(AgentTeam(agent_id=agent.id, team_id=team_id))
            await session.commit()
    await factory.inbox(tenant)
    # Two weeks rather than the demo's six keep the test quick; the shape is the same.
    added = await seed_demo_history(db, tenant.workspace_id, days=14)
    assert 100 < added < 300
    assert await seed_demo_history(db, tenant.workspace_id) == 0, "seeded once"
    # The history leaves a believable handful open, each with an owner, so the demo's own
    # conversations lead the inbox views (Unassigned above all) instead of hundreds of old ones.
    still_open = (
        await client.get("/api/v1/conversations?status=open&limit=100", headers=tenant.headers)
    ).json()["items"]
    assert 1 <= len(still_open) <= OPEN_HANDFUL
    assert all(c["assignee_id"] for c in still_open)
    for status in ("pending", "snoozed"):
        listed = await client.get(f"/api/v1/conversations?status={status}", headers=tenant.headers)
        assert listed.json()["items"] == []
    report = (await client.get("/api/v1/analytics/overview?group_by=region", headers=tenant.headers)).json()
    totals = report["totals"]
    for name in (
        "conversations",
        "resolved",
        "backlog",
        "first_response_p50_s",
        "resolution_p50_s",
        "csat_avg",
        "reopen_rate",
        "fcr_rate",
        "bot_deflection_rate",
        "handoffs",
        "next_response_p50_s",
        "utilization",
        "occupancy",
        "sla_met",
        "sla_breached",
    ):
        assert totals[name], name
    # Most first answers come within the demo's hour, not all: a believable attainment.
    assert 0.5 < totals["sla_attainment"] < 1
    assert {g["key"] for g in report["groups"]} == {"eu", "cn", "latam"}
    assert 0 < totals["utilization"] <= 1 and 0 < totals["occupancy"] <= 1
    heat = (await client.get("/api/v1/analytics/heatmap", headers=tenant.headers)).json()
    # Customers write in their own daytime: far more at 14:00 local than at 04:00.
    by_hour = [sum(row[h] for row in heat["matrix"]) for h in range(24)]
    assert by_hour[14] > 5 * max(by_hour[4], 1)

"""Agent utilization and occupancy: sampling and a hand count."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, text

from meridian.analytics.models import ReportAgentDay
from meridian.analytics.occupancy import sample
from meridian.db.engine import Database
from tests.analytics.helpers import incoming, patch
from tests.factories import Factory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _sample(db: Database, workspace_id: object, at: datetime) -> int:
    async with db.session() as session:
        step = await sample(session, workspace_id=workspace_id, at=at)  # type: ignore[arg-type]
        await session.commit()
    return step


async def _online(db: Database, *agent_ids: object) -> None:
    async with db.session() as session:
        await session.execute(
            text("UPDATE agents SET availability = 'online' WHERE id = ANY(:ids)"), {"ids": list(agent_ids)}
        )
        await session.commit()


async def test_hand_count_and_single_counting(module_client: httpx.AsyncClient, db: Database) -> None:
    factory = Factory(db)
    tenant = await factory.tenant("Occupancy")
    h = tenant.headers
    ana = (await factory.agent(tenant, name="Ana", max_concurrent=4)).id
    bo = (await factory.agent(tenant, name="Bo", max_concurrent=2)).id
    inbox, _ = await factory.inbox(tenant, name="Occ")
    for n in range(2):
        cid = (await incoming(module_client, h, inbox, "hello", identifier=f"occ{n}", locale="en"))[
            "conversation_id"
        ]
        await patch(module_client, h, cid, assignee_id=str(ana))
    await _online(db, ana, bo)

    ws = tenant.workspace_id
    assert await _sample(db, ws, T0) == 0  # the first sample only starts the clock
    # Two samplers of the same minute, at once: the minute counts once.
    minute = T0 + timedelta(minutes=1)
    steps = await asyncio.gather(_sample(db, ws, minute), _sample(db, ws, minute))
    assert sorted(steps) == [0, 60]
    assert await _sample(db, ws, T0 + timedelta(minutes=1, seconds=20)) == 0  # too close: not counted
    assert await _sample(db, ws, T0 + timedelta(minutes=2, seconds=30)) == 90
    # A stopped sampler: three hours later only MAX_STEP (two minutes) is counted.
    assert await _sample(db, ws, T0 + timedelta(hours=3)) == 120

    async with db.session() as session:
        rows = {
            r.agent_id: r
            for r in await session.scalars(select(ReportAgentDay).where(ReportAgentDay.workspace_id == ws))
        }
    counted = 60 + 90 + 120
    assert rows[ana].online_s == rows[bo].online_s == counted
    assert (rows[ana].busy_s, rows[ana].load_s, rows[ana].capacity_s) == (counted, 2 * counted, 4 * counted)
    assert (rows[bo].busy_s, rows[bo].load_s, rows[bo].capacity_s) == (0, 0, 2 * counted)

    response = await module_client.get(
        "/api/v1/analytics/overview",
        headers=h,
        params={"since": "2026-03-02T00:00:00Z", "until": "2026-03-03T00:00:00Z", "group_by": "agent"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    t = report["totals"]
    assert t["online_s"] == 2 * counted and t["busy_s"] == counted
    assert t["utilization"] == 0.5
    # 2 conversations carried against 4 + 2 slots.
    assert t["occupancy"] == round(2 * counted / (6 * counted), 4)
    by_agent = {g["key"]: g for g in report["groups"]}
    assert by_agent[str(ana)]["occupancy"] == 0.5 and by_agent[str(ana)]["utilization"] == 1.0
    assert by_agent[str(bo)]["occupancy"] == 0.0 and by_agent[str(bo)]["label"] == "Bo"

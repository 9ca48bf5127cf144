"""The console's conversation view shows why it was routed and the next SLA deadline."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from meridian.db.engine import Database
from meridian.teams.models import Team
from tests.console.helpers import sign_in
from tests.factories import Factory
from tests.routing import support


async def test_conversation_page_shows_routing_reason_and_sla_due(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    ws = tenant.workspace_id
    team = (await support.make_teams(db, ws, ["Mexico City"]))["Mexico City"]
    async with db.session() as session:
        await session.execute(update(Team).where(Team.id == team).values(business_hours=None))
        await session.commit()
    supervisor = await factory.agent(
        tenant,
        role="supervisor",
        locale="es",
        timezone="America/Mexico_City",
        languages=["es"],
        team_ids=[team],
    )
    await client.patch(
        f"/api/v1/agents/{supervisor.id}", headers=tenant.headers, json={"availability": "online"}
    )
    created = await client.post(
        "/api/v1/sla-policies",
        headers=tenant.headers,
        json={"name": "Chat", "first_response_minutes": 60, "business_hours": False},
    )
    assert created.status_code == 201
    inbox = await support.api_inbox(db, ws, team_id=team)
    arrived = await support.incoming(db, inbox, identifier="lucia", language="es")
    await support.settle(db)
    conv = await support.conversation(db, arrived.conversation_id)
    assert conv.assignee_id == supervisor.id

    await sign_in(client, supervisor.email)
    page = await client.get(f"/conversations/{arrived.conversation_id}")
    assert page.status_code == 200
    assert "Asignación: es speaker, team Mexico City open, load 0/10" in page.text
    assert 'data-sla-status="active"' in page.text and "SLA: En plazo" in page.text
    assert f'<time datetime="{conv.sla["first_response_due_at"]}">vence ' in page.text  # type: ignore[index]

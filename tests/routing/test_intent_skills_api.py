"""The workspace's intent -> skills map that routing reads: set, shown, validated."""

from __future__ import annotations

import httpx

from tests.factories import Factory


async def test_intent_skills_are_set_replaced_and_validated(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, name="Lena")
    assert (await client.get("/api/v1/workspace", headers=tenant.headers)).json()["intent_skills"] == {}
    saved = await client.patch(
        "/api/v1/workspace",
        headers=tenant.headers,
        json={"intent_skills": {"order_status": ["orders", "orders", "senior"]}},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["intent_skills"] == {"order_status": ["orders", "senior"]}
    for bad in ({"Order Status": ["orders"]}, {"order_status": "orders"}, {"order_status": [""]}):
        refused = await client.patch("/api/v1/workspace", headers=tenant.headers, json={"intent_skills": bad})
        assert refused.status_code == 422, (bad, refused.text)
    denied = await client.patch("/api/v1/workspace", headers=agent.headers, json={"intent_skills": {}})
    assert denied.status_code == 403
    shown = await client.get("/api/v1/workspace", headers=agent.headers)
    assert shown.json()["intent_skills"] == {"order_status": ["orders", "senior"]}
    cleared = await client.patch("/api/v1/workspace", headers=tenant.headers, json={"intent_skills": {}})
    assert cleared.json()["intent_skills"] == {}

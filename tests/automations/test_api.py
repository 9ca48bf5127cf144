"""The SLA policy, automation and macro endpoints: CRUD, validation, roles, tenancy."""

from __future__ import annotations

import uuid

import httpx

from tests.factories import Factory
from tests.routing import support

POLICY = {"name": "Gold", "priority": "high", "first_response_minutes": 30, "conditions": {"tier": "gold"}}
RULE = {"name": "Tag VIPs", "event": "conversation.created", "actions": [{"type": "add_tag", "tag": "vip"}]}
MACRO = {"name": "Close", "actions": [{"type": "set_status", "status": "resolved"}]}


async def test_sla_policy_crud_and_validation(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    created = await client.post("/api/v1/sla-policies", headers=tenant.headers, json=POLICY)
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["conditions"] == {"tier": ["gold"]} and policy["business_hours"] is True
    url = f"/api/v1/sla-policies/{policy['id']}"
    assert (await client.get(url, headers=agent.headers)).json()["name"] == "Gold"
    patched = await client.patch(
        url, headers=tenant.headers, json={"priority": None, "resolution_minutes": 480}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["priority"] is None and patched.json()["resolution_minutes"] == 480
    assert (await client.patch(url, headers=agent.headers, json={"name": "x"})).status_code == 403
    assert (await client.post("/api/v1/sla-policies", headers=agent.headers, json=POLICY)).status_code == 403
    bad = [
        ({"name": "No target"}, ""),
        ({**POLICY, "first_response_minutes": 0}, "/first_response_minutes"),
        ({**POLICY, "priority": "whenever"}, "/priority"),
        ({**POLICY, "conditions": {"planet": "mars"}}, "/conditions/planet"),
        ({**POLICY, "conditions": {"channel": ["fax"]}}, "/conditions/channel/0"),
        ({**POLICY, "escalate": True}, "/escalate"),
    ]
    for body, pointer in bad:
        response = await client.post("/api/v1/sla-policies", headers=tenant.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["pointer"].startswith(pointer), response.json()
    emptied = await client.patch(
        url, headers=tenant.headers, json={"first_response_minutes": None, "resolution_minutes": None}
    )
    assert emptied.status_code == 422
    assert (await client.delete(url, headers=tenant.headers)).status_code == 204
    assert (await client.get(url, headers=tenant.headers)).status_code == 404


async def test_automation_crud(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    created = await client.post("/api/v1/automations", headers=tenant.headers, json=RULE)
    assert created.status_code == 201, created.text
    url = f"/api/v1/automations/{created.json()['id']}"
    patched = await client.patch(
        url, headers=tenant.headers, json={"enabled": False, "conditions": {"channel": "email"}}
    )
    assert patched.json()["enabled"] is False and patched.json()["conditions"] == {"channel": ["email"]}
    assert (await client.get("/api/v1/automations", headers=agent.headers)).status_code == 403
    listed = await client.get("/api/v1/automations", headers=tenant.headers)
    assert [r["name"] for r in listed.json()["items"]] == ["Tag VIPs"]
    assert (await client.delete(url, headers=tenant.headers)).status_code == 204
    assert (await client.get(url, headers=tenant.headers)).status_code == 404


async def test_other_workspaces_get_404_and_empty_lists(client: httpx.AsyncClient, factory: Factory) -> None:
    owner = await factory.tenant("Owner")
    intruder = await factory.tenant("Intruder")
    ids = {
        "policy": (await client.post("/api/v1/sla-policies", headers=owner.headers, json=POLICY)).json()[
            "id"
        ],
        "rule": (await client.post("/api/v1/automations", headers=owner.headers, json=RULE)).json()["id"],
        "macro": (await client.post("/api/v1/macros", headers=owner.headers, json=MACRO)).json()["id"],
    }
    owner_inbox = await support.api_inbox(factory.db, owner.workspace_id)
    intruder_inbox = await support.api_inbox(factory.db, intruder.workspace_id)
    theirs = (await support.incoming(factory.db, owner_inbox, identifier="o", language="en")).conversation_id
    mine = (await support.incoming(factory.db, intruder_inbox, identifier="i", language="en")).conversation_id
    my_rule = (await client.post("/api/v1/automations", headers=intruder.headers, json=RULE)).json()["id"]
    my_macro = (await client.post("/api/v1/macros", headers=intruder.headers, json=MACRO)).json()["id"]
    attempts = [
        ("GET", f"/api/v1/sla-policies/{ids['policy']}", None),
        ("PATCH", f"/api/v1/sla-policies/{ids['policy']}", {"name": "pwned"}),
        ("DELETE", f"/api/v1/sla-policies/{ids['policy']}", None),
        ("GET", f"/api/v1/automations/{ids['rule']}", None),
        ("PATCH", f"/api/v1/automations/{ids['rule']}", {"name": "pwned"}),
        ("DELETE", f"/api/v1/automations/{ids['rule']}", None),
        ("POST", f"/api/v1/automations/{ids['rule']}/dry-run", {"conversation_id": str(mine)}),
        ("POST", f"/api/v1/automations/{my_rule}/dry-run", {"conversation_id": str(theirs)}),
        ("GET", f"/api/v1/macros/{ids['macro']}", None),
        ("PATCH", f"/api/v1/macros/{ids['macro']}", {"name": "pwned"}),
        ("DELETE", f"/api/v1/macros/{ids['macro']}", None),
        ("POST", f"/api/v1/conversations/{mine}/macros/{ids['macro']}", None),
        ("POST", f"/api/v1/conversations/{theirs}/macros/{my_macro}", None),
        ("GET", f"/api/v1/sla-policies/{uuid.uuid4()}", None),
        ("GET", "/api/v1/automations/not-an-id", None),
    ]
    for method, url, body in attempts:
        response = await client.request(method, url, json=body, headers=intruder.headers)
        assert response.status_code == 404, (method, url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    # The rule reaching across workspaces would have tagged the owner's conversation.
    assert (await support.conversation(factory.db, theirs)).status == "open"
    for path, own in (("sla-policies", set()), ("automations", {my_rule}), ("macros", {my_macro})):
        listed = {
            i["id"] for i in (await client.get(f"/api/v1/{path}", headers=intruder.headers)).json()["items"]
        }
        assert listed == own
    for path, key in (("sla-policies", "policy"), ("automations", "rule"), ("macros", "macro")):
        kept = await client.get(f"/api/v1/{path}/{ids[key]}", headers=owner.headers)
        assert kept.status_code == 200 and kept.json()["name"] != "pwned"

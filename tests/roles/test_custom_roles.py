"""Custom roles: catalog permissions replace the built-in agent set, and team/inbox
limits narrow which conversations exist for the agent."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

import httpx
import pytest

from meridian.auth.deps import require_permission
from tests.factories import Factory, Tenant


async def _incoming(client: httpx.AsyncClient, tenant: Tenant, inbox_id: uuid.UUID, who: str) -> str:
    response = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={
            "contact": {"identifier": who, "name": who.title(), "email": f"{who}@example.eu"},
            "body": "Hallo",
        },
    )
    assert response.status_code in (200, 201, 202), response.text
    return str(response.json()["conversation_id"])


async def _create_role(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/roles", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _give(client: httpx.AsyncClient, tenant: Tenant, agent_id: uuid.UUID, role_id: str | None) -> None:
    response = await client.put(
        f"/api/v1/agents/{agent_id}/role", headers=tenant.headers, json={"role_id": role_id}
    )
    assert response.status_code == 200, response.text


async def _audit_actions(client: httpx.AsyncClient, tenant: Tenant) -> list[str]:
    response = await client.get("/api/v1/audit", headers=tenant.headers, params={"limit": 500})
    assert response.status_code == 200, response.text
    return [e["action"] for e in response.json()["items"]]


async def test_privacy_officer_exports_and_erases_but_cannot_edit_kb(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = await _incoming(client, tenant, inbox_id, "greta")
    contact_id = (
        await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
    ).json()["contact"]["id"]
    role = await _create_role(
        client,
        tenant,
        name="EU privacy officer",
        description="Handles data subject requests",
        permissions=["contacts.export", "contacts.erase"],
    )
    assert role["permissions"] == ["contacts.erase", "contacts.export"] and role["agent_count"] == 0
    officer = await factory.agent(tenant)
    plain = await factory.agent(tenant)
    await _give(client, tenant, officer.id, role["id"])
    me = (await client.get(f"/api/v1/agents/{officer.id}", headers=tenant.headers)).json()
    assert me["role"] == "agent" and me["role_id"] == role["id"]

    # Without the role, an agent may neither export nor erase (the built-in set is unchanged).
    assert (
        await client.get(f"/api/v1/contacts/{contact_id}/export", headers=plain.headers)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=plain.headers)
    ).status_code == 403

    export = await client.get(f"/api/v1/contacts/{contact_id}/export", headers=officer.headers)
    assert export.status_code == 200, export.text
    assert zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    requests = await client.get("/api/v1/privacy-requests", headers=officer.headers)
    assert requests.status_code == 200 and requests.json()["items"][0]["type"] == "export"

    # A role replaces the agent set: no KB editing, no replies, no audit log.
    draft = await client.post("/api/v1/kb/articles", headers=officer.headers, json={"title": "Returns"})
    assert draft.status_code == 403 and "kb.edit" in draft.json()["detail"]
    assert (
        await client.post("/api/v1/kb/articles", headers=plain.headers, json={"title": "Returns"})
    ).status_code == 201
    reply = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", headers=officer.headers, json={"body": "hi"}
    )
    assert reply.status_code == 403
    assert (await client.get("/api/v1/audit", headers=officer.headers)).status_code == 403

    erase = await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=officer.headers)
    assert erase.status_code == 202, erase.text

    actions = await _audit_actions(client, tenant)
    assert "role.created" in actions and "agent.role_changed" in actions

    # Taking the role away restores the built-in agent set at the next request.
    await _give(client, tenant, officer.id, None)
    assert (await client.get("/api/v1/privacy-requests", headers=officer.headers)).status_code == 403
    assert (
        await client.post("/api/v1/kb/articles", headers=officer.headers, json={"title": "FAQ"})
    ).status_code == 201


async def test_inbox_limited_agent_cannot_list_or_read_another_inbox(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_a, _ = await factory.inbox(tenant, name="EU desk")
    inbox_b, _ = await factory.inbox(tenant, name="US desk")
    conv_a = await _incoming(client, tenant, inbox_a, "anna")
    conv_b = await _incoming(client, tenant, inbox_b, "bob")
    role = await _create_role(
        client,
        tenant,
        name="EU desk",
        permissions=["conversations.view_all", "conversations.reply", "conversations.assign"],
        inbox_ids=[str(inbox_a)],
    )
    limited = await factory.agent(tenant)
    plain = await factory.agent(tenant)
    await _give(client, tenant, limited.id, role["id"])

    # Both are in the unowned queue: a plain agent sees them, so the limit is what hides B.
    seen_plain = {
        c["id"] for c in (await client.get("/api/v1/conversations", headers=plain.headers)).json()["items"]
    }
    assert {conv_a, conv_b} <= seen_plain
    listed = await client.get("/api/v1/conversations", headers=limited.headers, params={"status": "open"})
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [conv_a]
    by_inbox = await client.get(
        "/api/v1/conversations", headers=limited.headers, params={"inbox_id": str(inbox_b)}
    )
    assert by_inbox.json()["items"] == []

    assert (await client.get(f"/api/v1/conversations/{conv_a}", headers=limited.headers)).status_code == 200
    # Outside the limit the conversation does not exist for them: 404, not 403.
    for response in (
        await client.get(f"/api/v1/conversations/{conv_b}", headers=limited.headers),
        await client.get(f"/api/v1/conversations/{conv_b}/messages", headers=limited.headers),
        await client.post(
            f"/api/v1/conversations/{conv_b}/messages", headers=limited.headers, json={"body": "x"}
        ),
        await client.patch(
            f"/api/v1/conversations/{conv_b}", headers=limited.headers, json={"status": "resolved"}
        ),
    ):
        assert response.status_code == 404, response.text
    reply = await client.post(
        f"/api/v1/conversations/{conv_a}/messages", headers=limited.headers, json={"body": "Hej"}
    )
    assert reply.status_code == 201, reply.text
    # The conversation in B was not changed by the refused PATCH.
    assert (await client.get(f"/api/v1/conversations/{conv_b}", headers=tenant.headers)).json()[
        "status"
    ] == "open"


async def test_role_rules_and_lifecycle(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    other = await factory.tenant(name="Other")
    foreign_team = await factory.team(other)
    team = await factory.team(tenant, name="Billing")
    supervisor = await factory.agent(tenant, role="supervisor")
    agent = await factory.agent(tenant)

    bad = [
        ({"name": "X", "permissions": ["contacts.nuke"]}, 422),
        ({"name": "X", "team_ids": [str(foreign_team)]}, 422),
        ({"name": "Admin", "permissions": []}, 422),
        ({"name": "X", "permissions": [], "surprise": 1}, 422),
    ]
    for body, status in bad:
        response = await client.post("/api/v1/roles", headers=tenant.headers, json=body)
        assert response.status_code == status, (body, response.text)
    assert (
        await client.post("/api/v1/roles", headers=supervisor.headers, json={"name": "X"})
    ).status_code == 403
    assert (await client.get("/api/v1/roles", headers=tenant.headers)).json()["items"] == []

    role = await _create_role(
        client, tenant, name="Billing desk", permissions=["kb.edit"], team_ids=[str(team)]
    )
    assert role["team_ids"] == [str(team)] and role["inbox_ids"] is None
    dup = await client.post("/api/v1/roles", headers=tenant.headers, json={"name": "Billing desk"})
    assert dup.status_code == 409
    listing = (await client.get("/api/v1/roles", headers=tenant.headers)).json()
    assert {b["name"] for b in listing["builtin"]} == {"admin", "supervisor", "agent"}
    assert "contacts.erase" in {p["name"] for p in listing["catalog"]}
    # Roles are per workspace.
    assert (await client.get(f"/api/v1/roles/{role['id']}", headers=other.headers)).status_code == 404

    # Custom roles are for the base role "agent": a supervisor keeps built-in powers.
    refused = await client.put(
        f"/api/v1/agents/{supervisor.id}/role", headers=tenant.headers, json={"role_id": role["id"]}
    )
    assert refused.status_code == 409
    await _give(client, tenant, agent.id, role["id"])
    assert (await client.delete(f"/api/v1/roles/{role['id']}", headers=tenant.headers)).status_code == 409

    patched = await client.patch(
        f"/api/v1/roles/{role['id']}",
        headers=tenant.headers,
        json={"team_ids": None, "permissions": ["kb.publish"]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["team_ids"] is None and patched.json()["agent_count"] == 1

    await _give(client, tenant, agent.id, None)
    assert (await client.delete(f"/api/v1/roles/{role['id']}", headers=tenant.headers)).status_code == 204
    actions = await _audit_actions(client, tenant)
    for action in ("role.created", "role.updated", "role.deleted", "agent.role_changed"):
        assert action in actions


async def test_built_in_roles_keep_their_powers(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    supervisor = await factory.agent(tenant, role="supervisor")
    agent = await factory.agent(tenant)
    assert (await client.get("/api/v1/analytics/overview", headers=supervisor.headers)).status_code == 200
    assert (await client.get("/api/v1/analytics/overview", headers=agent.headers)).status_code == 403
    assert (await client.get("/api/v1/audit", headers=supervisor.headers)).status_code == 403
    assert (await client.get("/api/v1/audit", headers=tenant.headers)).status_code == 200
    assert (await client.get("/api/v1/privacy-requests", headers=supervisor.headers)).status_code == 200
    assert (
        await client.patch("/api/v1/workspace", headers=supervisor.headers, json={"name": "N"})
    ).status_code == 403


def test_unknown_permission_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown permission"):
        require_permission("contacts.nuke")

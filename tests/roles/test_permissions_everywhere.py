"""Every route that used to check the built-in role now checks a catalog permission:
a custom role holding it may, one without it gets 403, and the built-in roles keep
exactly the powers they had."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from meridian.auth.permissions import BUILTIN, PERMISSIONS
from meridian.console.admin_roles import GROUP_LABELS
from tests.factories import AgentHandle, Factory, Tenant

# permission -> (method, path, body, success status, other permissions that also open it)
CASES: dict[str, tuple[str, str, dict[str, Any] | None, int, frozenset[str]]] = {
    "canned.manage": (
        "POST",
        "/api/v1/canned-responses",
        {"shortcut": "thanks", "variants": {"en": "Thank you!"}},
        201,
        frozenset(),
    ),
    "automations.manage": ("GET", "/api/v1/automations", None, 200, frozenset()),
    "kb.manage": ("POST", "/api/v1/kb/categories", {"name": "Shipping"}, 201, frozenset()),
    "translation.glossary": (
        "POST",
        "/api/v1/glossary",
        {"term": "Meridian", "do_not_translate": True},
        201,
        frozenset(),
    ),
    "privacy.view": ("GET", "/api/v1/retention-policies", None, 200, frozenset({"privacy.manage"})),
    "privacy.manage": ("PUT", "/api/v1/settings/redaction", {"patterns": ["ORD-\\d+"]}, 200, frozenset()),
    "roles.manage": ("GET", "/api/v1/roles", None, 200, frozenset()),
    "settings.manage": ("PUT", "/api/v1/kb/site", {}, 200, frozenset()),
}


async def _with_permissions(
    client: httpx.AsyncClient, factory: Factory, tenant: Tenant, permissions: set[str]
) -> AgentHandle:
    role = await client.post(
        "/api/v1/roles",
        headers=tenant.headers,
        json={"name": f"Role {uuid.uuid4().hex[:8]}", "permissions": sorted(permissions)},
    )
    assert role.status_code == 201, role.text
    agent = await factory.agent(tenant)
    given = await client.put(
        f"/api/v1/agents/{agent.id}/role", headers=tenant.headers, json={"role_id": role.json()["id"]}
    )
    assert given.status_code == 200, given.text
    return agent


@pytest.mark.parametrize("permission", sorted(CASES))
async def test_a_custom_role_with_the_permission_may_and_without_it_gets_403(
    client: httpx.AsyncClient, factory: Factory, permission: str
) -> None:
    method, path, body, ok, also = CASES[permission]
    tenant = await factory.tenant()
    holder = await _with_permissions(client, factory, tenant, {permission})
    # Everything else in the catalog, so no other permission is quietly enough.
    lacking = await _with_permissions(client, factory, tenant, set(PERMISSIONS) - {permission} - also)
    denied = await client.request(method, path, headers=lacking.headers, json=body)
    assert denied.status_code == 403, (permission, denied.text)
    allowed = await client.request(method, path, headers=holder.headers, json=body)
    assert allowed.status_code == ok, (permission, allowed.text)


async def test_contacts_manage_deletes_and_the_plain_agent_set_does_not(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    made = await client.post("/api/v1/contacts", headers=tenant.headers, json={"name": "Ines"})
    assert made.status_code == 201, made.text
    contact = made.json()["id"]
    lacking = await _with_permissions(client, factory, tenant, set(PERMISSIONS) - {"contacts.manage"})
    assert (await client.delete(f"/api/v1/contacts/{contact}", headers=lacking.headers)).status_code == 403
    assert (await client.get(f"/api/v1/contacts/{contact}", headers=tenant.headers)).status_code == 200
    holder = await _with_permissions(client, factory, tenant, {"contacts.manage"})
    assert (await client.delete(f"/api/v1/contacts/{contact}", headers=holder.headers)).status_code == 204


def test_built_in_roles_are_the_powers_they_had() -> None:
    # The routes once guarded by "admin or supervisor" now need these; the admin-only
    # ones need permissions no supervisor holds.
    assert BUILTIN["supervisor"] == {
        "conversations.view_all",
        "conversations.reply",
        "conversations.assign",
        "contacts.merge",
        "contacts.manage",
        "contacts.export",
        "contacts.erase",
        "kb.edit",
        "kb.publish",
        "kb.manage",
        "canned.manage",
        "automations.manage",
        "translation.glossary",
        "analytics.view",
        "privacy.view",
        "agents.edit",
    }
    assert BUILTIN["agent"] == {"conversations.reply", "conversations.assign", "contacts.merge", "kb.edit"}
    assert BUILTIN["admin"] == set(PERMISSIONS)


async def test_built_in_supervisor_and_agent_see_no_change(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    supervisor = await factory.agent(tenant, role="supervisor")
    agent = await factory.agent(tenant)
    body = {"shortcut": "hello", "variants": {"en": "Hello"}}
    assert (
        await client.post("/api/v1/canned-responses", headers=agent.headers, json=body)
    ).status_code == 403
    assert (
        await client.post("/api/v1/canned-responses", headers=supervisor.headers, json=body)
    ).status_code == 201
    assert (await client.get("/api/v1/retention-policies", headers=supervisor.headers)).status_code == 200
    for method, path, payload in (
        ("PUT", "/api/v1/settings/redaction", {"patterns": []}),
        ("PUT", "/api/v1/kb/site", {}),
        ("GET", "/api/v1/roles", None),
        ("POST", "/api/v1/retention-policies", {}),
    ):
        response = await client.request(method, path, headers=supervisor.headers, json=payload)
        assert response.status_code == 403, (path, response.text)
    # A supervisor still edits other agents' teams and capacity, not their access.
    capacity = await client.patch(
        f"/api/v1/agents/{agent.id}", headers=supervisor.headers, json={"max_concurrent": 3}
    )
    assert capacity.status_code == 200, capacity.text
    email = await client.patch(
        f"/api/v1/agents/{agent.id}", headers=supervisor.headers, json={"email": "taken@example.com"}
    )
    assert email.status_code == 403


async def test_roles_manage_never_grants_beyond_its_holder(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    team = await factory.team(tenant)
    manager = await _with_permissions(client, factory, tenant, {"roles.manage", "canned.manage"})
    beyond = await client.post(
        "/api/v1/roles",
        headers=manager.headers,
        json={"name": "Analyst", "permissions": ["canned.manage", "analytics.view"]},
    )
    assert beyond.status_code == 403, beyond.text
    within = await client.post(
        "/api/v1/roles", headers=manager.headers, json={"name": "Writer", "permissions": ["canned.manage"]}
    )
    assert within.status_code == 201, within.text
    # Nor by editing a role afterwards, nor by giving one to an agent.
    widen = await client.patch(
        f"/api/v1/roles/{within.json()['id']}", headers=manager.headers, json={"permissions": ["audit.view"]}
    )
    assert widen.status_code == 403
    target = await factory.agent(tenant)
    # The target holds the built-in agent set (replying...), which the manager lacks.
    assert (
        await client.put(
            f"/api/v1/agents/{target.id}/role", headers=manager.headers, json={"role_id": within.json()["id"]}
        )
    ).status_code == 403
    stored = (await client.get(f"/api/v1/roles/{within.json()['id']}", headers=tenant.headers)).json()
    assert stored["permissions"] == ["canned.manage"]
    # A team-limited manager's roles carry its limit.
    limited = await client.post(
        "/api/v1/roles",
        headers=tenant.headers,
        json={"name": "Limited manager", "permissions": ["roles.manage"], "team_ids": [str(team)]},
    )
    boss = await factory.agent(tenant)
    await client.put(
        f"/api/v1/agents/{boss.id}/role", headers=tenant.headers, json={"role_id": limited.json()["id"]}
    )
    unlimited = await client.post(
        "/api/v1/roles", headers=boss.headers, json={"name": "Free", "permissions": ["roles.manage"]}
    )
    assert unlimited.status_code == 403
    scoped = await client.post(
        "/api/v1/roles",
        headers=boss.headers,
        json={"name": "Scoped", "permissions": ["roles.manage"], "team_ids": [str(team)]},
    )
    assert scoped.status_code == 201, scoped.text


async def test_agents_access_cannot_reach_someone_more_powerful(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    hr = await _with_permissions(client, factory, tenant, {"agents.access", "agents.edit"})
    peer = await factory.agent(tenant)
    admin = await factory.agent(tenant, role="admin")
    # The plain agent set is beyond this role too (no replying), so neither is reachable...
    assert (
        await client.patch(
            f"/api/v1/agents/{admin.id}", headers=hr.headers, json={"password": "stolen-pass-1"}
        )
    ).status_code == 403
    assert (
        await client.patch(f"/api/v1/agents/{peer.id}", headers=hr.headers, json={"role": "admin"})
    ).status_code == 403
    # ...while the edits agents.edit covers still work.
    ok = await client.patch(f"/api/v1/agents/{peer.id}", headers=hr.headers, json={"skills": ["billing"]})
    assert ok.status_code == 200, ok.text
    # With every permission but no limit (an admin in all but name), access edits work.
    full = await _with_permissions(client, factory, tenant, set(PERMISSIONS))
    moved = await client.patch(
        f"/api/v1/agents/{peer.id}", headers=full.headers, json={"password": "a-new-password-1"}
    )
    assert moved.status_code == 200, moved.text


def test_the_console_names_every_permission_group() -> None:
    # The descriptions themselves are translated from PERMISSIONS (tests/auth/test_permission_catalog.py).
    assert {name.split(".", 1)[0] for name in PERMISSIONS} == set(GROUP_LABELS)

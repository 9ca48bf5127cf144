"""The Roles screen, a custom role on the agent page, and a console that shows each
admin screen to whoever holds its permission (and only those in the menus)."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy import func, select

from meridian.roles.models import Role
from tests.console.helpers import incoming, sign_in
from tests.console.test_admin_pages import _as_admin
from tests.factories import Factory


async def test_admin_creates_assigns_and_deletes_a_role_in_the_console(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    team = await factory.team(tenant, name="Berlin")
    writer = await factory.agent(tenant, name="Wanda")
    csrf = await _as_admin(client, factory, tenant)
    listing = await client.get("/admin/roles")
    assert listing.status_code == 200 and 'href="/admin/roles"' in listing.text
    form = await client.get("/admin/roles/new")
    assert 'value="canned.manage"' in form.text and "Create and edit canned responses" in form.text
    # A rejected value keeps the form and changes nothing.
    bad = await client.post(
        "/admin/roles/new", data={"csrf_token": csrf, "name": "Writers", "permissions": ["contacts.nuke"]}
    )
    assert bad.status_code == 422 and "contacts.nuke" in bad.text
    created = await client.post(
        "/admin/roles/new",
        data={
            "csrf_token": csrf,
            "name": "Writers",
            "description": "Canned responses only",
            "permissions": ["canned.manage", "console.admin"],
            "team_ids": [str(team)],
        },
    )
    assert created.status_code == 303, created.text
    role_id = re.search(r"/admin/roles/([0-9a-f-]{36})", created.headers["location"])
    assert role_id is not None
    async with factory.db.session() as session:
        role = await session.get(Role, uuid.UUID(role_id.group(1)))
        assert role is not None
        assert (role.permissions, role.team_ids, role.inbox_ids) == (
            ["canned.manage", "console.admin"],
            [str(team)],
            None,
        )
    agent_page = await client.get(f"/admin/agents/{writer.id}")
    assert 'name="role_id"' in agent_page.text and "Writers" in agent_page.text
    given = await client.post(
        f"/admin/agents/{writer.id}/role", data={"csrf_token": csrf, "role_id": role_id.group(1)}
    )
    assert given.status_code == 303, given.text
    assert ">1</td>" in (await client.get("/admin/roles")).text

    # Held by an agent: the delete is refused and says why; unticked: nothing happens.
    held = await client.post(
        f"/admin/roles/{role_id.group(1)}/delete", data={"csrf_token": csrf, "confirm": "1"}
    )
    assert held.status_code == 409 and "Agents still hold this role (1)" in held.text
    unticked = await client.post(f"/admin/roles/{role_id.group(1)}/delete", data={"csrf_token": csrf})
    assert unticked.status_code == 422

    # The agent sees the one screen the role opens, in the top bar and the menu.
    client.cookies.clear()
    await sign_in(client, writer.email)
    home = await client.get("/")
    assert 'href="/admin/canned"' in home.text and 'href="/admin/privacy"' not in home.text
    canned = await client.get("/admin/canned")
    assert canned.status_code == 200
    menu = canned.text.split('class="admin-nav"')[1].split("</nav>")[0]
    assert 'href="/admin/canned"' in menu and 'href="/admin/teams"' not in menu
    for forbidden in ("/admin/teams", "/admin/roles", "/admin/workspace", "/admin/agents", "/admin/audit"):
        assert (await client.get(forbidden)).status_code == 403, forbidden

    csrf = await _as_admin(client, factory, tenant)
    back = await client.post(f"/admin/agents/{writer.id}/role", data={"csrf_token": csrf, "role_id": ""})
    assert back.status_code == 303
    gone = await client.post(
        f"/admin/roles/{role_id.group(1)}/delete", data={"csrf_token": csrf, "confirm": "1"}
    )
    assert gone.status_code == 303
    async with factory.db.session() as session:
        assert await session.get(Role, uuid.UUID(role_id.group(1))) is None


async def test_supervisors_and_agents_get_no_roles_screen(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    for role in ("agent", "supervisor"):
        person = await factory.agent(tenant, role=role)
        client.cookies.clear()
        csrf = await sign_in(client, person.email)
        assert (await client.get("/admin/roles")).status_code == 403
        assert (await client.get("/admin")).status_code == 403
        posted = await client.post(
            "/admin/roles/new", data={"csrf_token": csrf, "name": "Mine", "permissions": ["roles.manage"]}
        )
        assert posted.status_code == 403
        home = await client.get("/")
        assert 'href="/admin/' not in home.text
        # Supervisors keep the analytics link they had; agents never had it.
        assert ('href="/analytics"' in home.text) is (role == "supervisor")
    async with factory.db.session() as session:
        count = select(func.count()).select_from(Role).where(Role.workspace_id == tenant.workspace_id)
        assert await session.scalar(count) == 0


async def test_a_privacy_officer_role_gets_the_privacy_screens_it_holds(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    made = await client.post("/api/v1/contacts", headers=tenant.headers, json={"name": "Zoë"})
    assert made.status_code == 201, made.text
    contact = made.json()["id"]
    role = await client.post(
        "/api/v1/roles",
        headers=tenant.headers,
        json={"name": "Exports", "permissions": ["console.admin", "contacts.export"]},
    )
    officer = await factory.agent(tenant)
    given = await client.put(
        f"/api/v1/agents/{officer.id}/role", headers=tenant.headers, json={"role_id": role.json()["id"]}
    )
    assert given.status_code == 200, given.text
    client.cookies.clear()
    csrf = await sign_in(client, officer.email)
    home = await client.get("/")
    # Privacy screens, no settings screen: the top bar says so.
    assert 'href="/admin/privacy"' in home.text and "Settings" not in home.text
    register = await client.get("/admin/privacy")
    assert register.status_code == 200
    assert (
        'href="/admin/privacy/retention"' not in register.text and 'href="/admin/audit"' not in register.text
    )
    page = await client.get(f"/admin/privacy/contacts/{contact}")
    assert page.status_code == 200
    assert f"/admin/privacy/contacts/{contact}/export" in page.text
    assert f"/admin/privacy/contacts/{contact}/erase" not in page.text
    erase = await client.post(
        f"/admin/privacy/contacts/{contact}/erase", data={"csrf_token": csrf, "confirm": "Zoë"}
    )
    assert erase.status_code == 403
    for path in ("/admin/privacy/retention", "/admin/audit", "/admin/regions", "/admin/workspace"):
        assert (await client.get(path)).status_code == 403, path
    export = await client.post(f"/admin/privacy/contacts/{contact}/export", data={"csrf_token": csrf})
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/zip")
    after = (await client.get(f"/api/v1/contacts/{contact}", headers=tenant.headers)).json()
    assert after["erased"] is False


async def test_the_console_refuses_what_a_custom_role_lacks(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    conversation = (await incoming(client, tenant.headers, inbox_id, "Hola"))["conversation_id"]
    role = await client.post(
        "/api/v1/roles",
        headers=tenant.headers,
        json={"name": "Read only", "permissions": ["conversations.view_all"]},
    )
    reader = await factory.agent(tenant)
    await client.put(
        f"/api/v1/agents/{reader.id}/role", headers=tenant.headers, json={"role_id": role.json()["id"]}
    )
    client.cookies.clear()
    csrf = await sign_in(client, reader.email)
    assert (await client.get(f"/conversations/{conversation}")).status_code == 200
    posts = {
        f"/conversations/{conversation}/messages": {"body": "Hi", "kind": "reply"},
        f"/conversations/{conversation}/status": {"status": "resolved"},
        f"/conversations/{conversation}/priority": {"priority": "high"},
        "/kb/new": {"title": "Mine", "body": "Text", "locale": "en"},
    }
    for path, data in posts.items():
        response = await client.post(path, data={"csrf_token": csrf, **data})
        assert response.status_code == 403, path
    after = (await client.get(f"/api/v1/conversations/{conversation}", headers=tenant.headers)).json()
    assert after["status"] != "resolved" and after["priority"] != "high"
    messages = (
        await client.get(f"/api/v1/conversations/{conversation}/messages", headers=tenant.headers)
    ).json()["items"]
    assert [m["body"] for m in messages if m.get("direction") == "outbound"] == []

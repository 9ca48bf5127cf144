"""The console over HTTP: sign-in, permissions, CSRF, and the reply path."""

from __future__ import annotations

import re

import httpx

from meridian.auth.service import SESSION_COOKIE
from tests.console.helpers import csrf_from, incoming, sign_in
from tests.factories import Factory


async def test_anonymous_visitors_are_sent_to_login(client: httpx.AsyncClient) -> None:
    client.cookies.clear()
    page = await client.get("/profile?x=1")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fprofile%3Fx%3D1"
    # htmx asks for fragments; it must navigate the page rather than swap the form in.
    fragment = await client.get("/inbox/list", headers={"HX-Request": "true"})
    assert fragment.status_code == 401
    assert fragment.headers["hx-redirect"].startswith("/login")


async def test_sign_in_with_bad_password_shows_the_form_again(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    form = await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": agent.email, "password": "wrong-password", "csrf_token": csrf_from(form.text)},
    )
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert SESSION_COOKIE not in client.cookies


async def test_sign_in_needs_the_form_token(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    await client.get("/login")
    response = await client.post(
        "/login", data={"email": agent.email, "password": "password123", "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


async def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, name="Ana")
    form = await client.get("/login?next=/profile")
    response = await client.post(
        "/login",
        data={
            "email": agent.email.upper(),
            "password": "password123",
            "csrf_token": csrf_from(form.text),
            "next": "/profile",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/profile"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = await client.get("/")
    assert page.status_code == 200 and "Ana" in page.text
    stale = dict(client.cookies)
    signed_out = await client.post("/logout", data={"csrf_token": csrf_from(page.text)})
    assert signed_out.status_code == 303
    client.cookies.update(stale)  # a copied cookie must not outlive sign-out
    assert (await client.get("/")).status_code == 303


async def test_next_never_leaves_the_site(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    form = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "email": agent.email,
            "password": "password123",
            "csrf_token": csrf_from(form.text),
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/"


async def test_inbox_lists_new_conversations_with_counts(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    await incoming(client, tenant.headers, inbox_id, "¿Dónde está mi pedido?", name="Lucía Pérez")
    agent = await factory.agent(tenant)
    await sign_in(client, agent.email)
    page = await client.get("/?view=unassigned")
    assert page.status_code == 200
    assert "Lucía Pérez" in page.text
    assert re.search(r'data-view-count="unassigned">1<', page.text)
    assert re.search(r'data-view-count="mine">0<', page.text)
    assert 'sse-connect="/api/v1/events"' in page.text
    fragment = await client.get("/inbox/list?view=unassigned&status=open")
    assert fragment.status_code == 200 and "<html" not in fragment.text and "Lucía Pérez" in fragment.text
    resolved = await client.get("/?view=unassigned&status=resolved")
    assert "Lucía Pérez" not in resolved.text


async def test_reply_needs_csrf_and_creates_an_outgoing_message(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    created = await incoming(client, tenant.headers, inbox_id, "Hola")
    conversation_id = created["conversation_id"]
    agent = await factory.agent(tenant, name="Ana")
    csrf = await sign_in(client, agent.email)
    url = f"/conversations/{conversation_id}/messages"

    refused = await client.post(url, data={"body": "Hola, te ayudo", "kind": "reply"})
    assert refused.status_code == 403

    fragment = await client.post(
        url,
        data={"body": "Hola, te ayudo", "kind": "reply"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert 'id="thread"' in fragment.text and "Hola, te ayudo" in fragment.text
    assert 'data-delivery-status="queued"' in fragment.text

    note = await client.post(url, data={"body": "VIP customer", "kind": "note", "csrf_token": csrf})
    assert note.status_code == 303

    messages = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    ).json()["items"]
    assert [(m["direction"], m["body"], m["author_agent_id"]) for m in messages] == [
        ("incoming", "Hola", None),
        ("outgoing", "Hola, te ayudo", str(agent.id)),
        ("note", "VIP customer", str(agent.id)),
    ]
    page = await client.get(f"/conversations/{conversation_id}")
    assert 'class="message message-note"' in page.text and "Ana" in page.text


async def test_actions_assign_status_and_priority(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = (await incoming(client, tenant.headers, inbox_id, "Hi"))["conversation_id"]
    agent = await factory.agent(tenant)
    csrf = await sign_in(client, agent.email)
    base = f"/conversations/{conversation_id}"
    assert (await client.post(f"{base}/assign", data={"to": "me", "csrf_token": csrf})).status_code == 303
    assert (
        await client.post(f"{base}/status", data={"status": "pending", "csrf_token": csrf})
    ).status_code == 303
    assert (
        await client.post(f"{base}/priority", data={"priority": "urgent", "csrf_token": csrf})
    ).status_code == 303
    bad = await client.post(f"{base}/priority", data={"priority": "whenever", "csrf_token": csrf})
    assert bad.status_code == 422
    api = (await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)).json()
    assert (api["assignee_id"], api["status"], api["priority"]) == (str(agent.id), "pending", "urgent")
    mine = await client.get("/?view=mine&status=pending")
    assert conversation_id in mine.text
    assert (await client.post(f"{base}/assign", data={"to": "none", "csrf_token": csrf})).status_code == 303
    api = (await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)).json()
    assert api["assignee_id"] is None


async def test_other_workspaces_conversations_are_not_found(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    other = await factory.tenant("Other")
    other_inbox, _ = await factory.inbox(other)
    foreign = (await incoming(client, other.headers, other_inbox, "secret"))["conversation_id"]
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    csrf = await sign_in(client, agent.email)
    page = await client.get(f"/conversations/{foreign}")
    assert page.status_code == 404 and "secret" not in page.text
    assert (await client.get(f"/conversations/{foreign}/thread")).status_code == 404
    assert (await client.get("/conversations/not-an-id")).status_code == 404
    reply = await client.post(f"/conversations/{foreign}/messages", data={"body": "x", "csrf_token": csrf})
    assert reply.status_code == 404
    status = await client.post(
        f"/conversations/{foreign}/status", data={"status": "resolved", "csrf_token": csrf}
    )
    assert status.status_code == 404


async def test_agents_cannot_open_admin_pages_or_the_all_view(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    supervisor = await factory.agent(tenant, role="supervisor")
    await sign_in(client, agent.email)
    assert (await client.get("/admin/agents")).status_code == 403
    assert (await client.get("/?view=all")).status_code == 403
    assert 'href="/admin/agents"' not in (await client.get("/")).text
    client.cookies.clear()
    await sign_in(client, supervisor.email)
    assert (await client.get("/?view=all")).status_code == 200
    assert (await client.get("/admin/agents")).status_code == 403


async def test_admin_sees_the_agents_page(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    await factory.agent(tenant, name="Kenji", email="kenji-console@example.com")
    async with factory.db.session() as session:
        from meridian.agents.models import Agent

        admin = await session.get(Agent, tenant.admin_id)
        assert admin is not None
        email = admin.email
    await sign_in(client, email, password="correct horse 1")
    page = await client.get("/admin/agents")
    assert page.status_code == 200 and "kenji-console@example.com" in page.text


async def test_profile_switches_language_timezone_and_direction(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    csrf = await sign_in(client, agent.email)
    saved = await client.post(
        "/profile",
        data={"locale": "ar", "timezone": "Asia/Riyadh", "languages": "ar, en", "csrf_token": csrf},
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "تم حفظ تغييراتك." in page.text
    assert '<option value="Asia/Riyadh" selected>' in page.text
    await client.post(
        "/profile",
        data={"locale": "zh_Hant", "timezone": "Asia/Taipei", "languages": "zh-Hant", "csrf_token": csrf},
    )
    page = await client.get("/")
    assert '<html lang="zh-Hant" dir="ltr">' in page.text and "收件匣" in page.text
    me = (await client.get("/api/v1/agents/" + str(agent.id), headers=tenant.headers)).json()
    assert (me["locale"], me["timezone"], me["languages"]) == ("zh-Hant", "Asia/Taipei", ["zh-Hant"])
    bad = await client.post("/profile", data={"locale": "de", "timezone": "Mars/Olympus", "csrf_token": csrf})
    assert bad.status_code == 422

"""Working together in the console: collision notice, @mentions with notifications, suggested articles."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy import func, select

from meridian.console.notifications import mentioned
from meridian.events.models import DomainEvent
from meridian.kb.index import reindex_stale
from tests.console.helpers import csrf_from, incoming, sign_in
from tests.factories import Factory


async def _presence_events(factory: Factory, conversation_id: str) -> int:
    async with factory.db.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(DomainEvent)
            .where(
                DomainEvent.type == "presence.changed",
                DomainEvent.payload["conversation_id"].astext == conversation_id,
            )
        )
    return int(count or 0)


async def test_collision_notice_shows_who_views_and_types(
    app: object, client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = (await incoming(client, tenant.headers, inbox_id, "Hola"))["conversation_id"]
    ana = await factory.agent(tenant, name="Ana")
    bo = await factory.agent(tenant, name="Bo")
    url = f"/conversations/{conversation_id}/presence"

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    ana_client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    async with ana_client:
        ana_csrf = await sign_in(ana_client, ana.email)
        assert (await ana_client.post(url, data={"state": "viewing"})).status_code == 403  # CSRF
        assert (
            await ana_client.post(url, data={"state": "viewing", "csrf_token": ana_csrf})
        ).status_code == 204
        assert (
            await ana_client.post(url, data={"state": "viewing", "csrf_token": ana_csrf})
        ).status_code == 204
        # Only arrivals, typing and departures are events; a repeated ping is not.
        assert await _presence_events(factory, conversation_id) == 1
        assert (
            await ana_client.post(url, data={"state": "dancing", "csrf_token": ana_csrf})
        ).status_code == 422

        client.cookies.clear()
        await sign_in(client, bo.email)
        page = await client.get(f"/conversations/{conversation_id}")
        assert 'id="presence"' in page.text and 'aria-live="polite"' in page.text
        seen = await client.get(url)
        assert "Ana is viewing this conversation" in seen.text
        assert "Bo is" not in seen.text  # not yourself

        assert (
            await ana_client.post(url, data={"state": "typing", "csrf_token": ana_csrf})
        ).status_code == 204
        assert "Ana is typing…" in (await client.get(url)).text
        assert await _presence_events(factory, conversation_id) == 2

        assert (await ana_client.post(url, data={"state": "left", "csrf_token": ana_csrf})).status_code == 204
        assert "Ana" not in (await client.get(url)).text
        assert await _presence_events(factory, conversation_id) == 3

    other = await factory.tenant("Other")
    stranger = await factory.agent(other)
    client.cookies.clear()
    csrf = await sign_in(client, stranger.email)
    assert (await client.get(url)).status_code == 404
    assert (await client.post(url, data={"state": "viewing", "csrf_token": csrf})).status_code == 404


def test_mentions_match_whole_names() -> None:
    bo, bo_lopez, ana = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    agents = [(bo, "Bo"), (bo_lopez, "Bo López"), (ana, "Ana")]
    assert mentioned("@bo lópez can you check?", agents) == {bo_lopez}
    assert mentioned("@Bo López and @Bo", agents) == {bo, bo_lopez}
    assert mentioned("thanks @Bo!", agents) == {bo}
    assert mentioned("mail bob@Ana.example", agents) == set()
    assert mentioned("@Anastasia", agents) == set()


async def test_mention_in_a_note_notifies_the_colleague(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = (await incoming(client, tenant.headers, inbox_id, "Hola"))["conversation_id"]
    ana = await factory.agent(tenant, name="Ana")
    bo = await factory.agent(tenant, name="Bo López")
    csrf = await sign_in(client, ana.email)
    picker = await client.get(f"/conversations/{conversation_id}/mentions?q=bo")
    assert 'data-insert="@Bo López "' in picker.text and "@Ana" not in picker.text
    url = f"/conversations/{conversation_id}/messages"
    await client.post(url, data={"body": "@Bo López hola", "kind": "reply", "csrf_token": csrf})
    note = await client.post(
        url, data={"body": "@Bo López can you check the refund?", "kind": "note", "csrf_token": csrf}
    )
    assert note.status_code == 303

    client.cookies.clear()
    bo_csrf = await sign_in(client, bo.email)
    badge = await client.get("/notifications/badge")
    assert 'data-unread="1"' in badge.text  # the reply named Bo too, but only notes notify
    listing = await client.get("/notifications")
    assert "Ana mentioned you in conversation #" in listing.text
    assert f'href="/conversations/{conversation_id}#message-' in listing.text
    page = await client.get("/")
    assert 'hx-trigger="sse:notification.created"' in page.text
    assert (await client.post("/notifications/read", data={"csrf_token": bo_csrf})).status_code == 303
    assert 'data-unread="0"' in (await client.get("/notifications/badge")).text

    client.cookies.clear()
    await sign_in(client, ana.email)
    assert 'data-unread="0"' in (await client.get("/notifications/badge")).text
    assert "mentioned you" not in (await client.get("/notifications")).text
    async with factory.db.session() as session:
        events = await session.scalars(select(DomainEvent).where(DomainEvent.type == "notification.created"))
        scoped = [(e.assignee_id, e.payload["agent_id"]) for e in events]
    assert scoped == [(bo.id, str(bo.id))]


async def test_suggested_articles_for_the_last_incoming_message(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    created = await client.post(
        "/api/v1/kb/articles",
        headers=tenant.headers,
        json={
            "title": "Refund policy",
            "body": "Refunds reach your card within five working days after we receive the parcel.",
            "slug": "refund-policy",
            "locale": "en",
            "status": "published",
        },
    )
    assert created.status_code == 201, created.text
    await reindex_stale(factory.db, workspace_id=tenant.workspace_id)
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = (await incoming(client, tenant.headers, inbox_id, "When will my refund arrive?"))[
        "conversation_id"
    ]
    agent = await factory.agent(tenant)
    await sign_in(client, agent.email)
    page = await client.get(f"/conversations/{conversation_id}")
    assert f'hx-get="/conversations/{conversation_id}/suggestions"' in page.text
    fragment = await client.get(f"/conversations/{conversation_id}/suggestions")
    assert fragment.status_code == 200 and "Refund policy" in fragment.text
    link = re.search(r'data-insert="([^"]+/articles/refund-policy)"', fragment.text)
    assert link, fragment.text
    # A suggested reply: the matching passage with the article's link, ready to edit.
    reply = re.search(r'class="[^"]*insert-reply" data-insert="([^"]+)"', fragment.text)
    assert reply, fragment.text
    assert reply.group(1).startswith("Refunds reach your card") and reply.group(1).endswith(link.group(1))
    assert csrf_from(page.text)

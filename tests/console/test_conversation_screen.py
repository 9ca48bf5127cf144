"""The conversation screen: canned picker, reply window, attachments, contact panel, merge."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select

from meridian.attachments.models import Attachment
from meridian.console.contact_panel import contact_zone
from meridian.console.conversation_routes import reply_window
from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.messages.models import Message
from tests.console.helpers import sign_in
from tests.factories import Factory, Tenant


async def _customer(
    client: httpx.AsyncClient, tenant: Tenant, inbox_id: uuid.UUID, identifier: str, **contact: object
) -> str:
    response = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": identifier, **contact}, "body": "Hola, ¿y mi reembolso?"},
    )
    assert response.status_code == 202, response.text
    conversation_id: str = response.json()["conversation_id"]
    return conversation_id


async def test_canned_picker_renders_the_customers_variant(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    created = await client.post(
        "/api/v1/canned-responses",
        headers=tenant.headers,
        json={
            "shortcut": "refund",
            "title": "Refund policy",
            "variants": {
                "en": "Hi {{ contact.first_name }}, refunds take 5 days.",
                "es": "Hola {{ contact.first_name }}, el reembolso tarda 5 días.",
            },
        },
    )
    assert created.status_code == 201, created.text
    await client.post(
        "/api/v1/canned-responses",
        headers=tenant.headers,
        json={"shortcut": "hello", "variants": {"en": "Hello <b>{{ agent.name }}</b>"}},
    )
    conversation_id = await _customer(client, tenant, inbox_id, "lucia-1", name="Lucía Pérez", locale="es")
    agent = await factory.agent(tenant, name="Ana")
    await sign_in(client, agent.email)
    page = await client.get(f"/conversations/{conversation_id}")
    assert f'data-canned-url="/conversations/{conversation_id}/canned"' in page.text

    picker = await client.get(f"/conversations/{conversation_id}/canned?q=ref")
    assert picker.status_code == 200 and "<html" not in picker.text
    assert 'data-body="Hola Lucía, el reembolso tarda 5 días."' in picker.text
    assert "/hello" not in picker.text
    # Bodies are escaped into the attribute; the browser inserts them as text.
    everything = await client.get(f"/conversations/{conversation_id}/canned?q=")
    assert "/refund" in everything.text and "&lt;b&gt;Ana&lt;/b&gt;" in everything.text
    nothing = await client.get(f"/conversations/{conversation_id}/canned?q=zzz")
    assert "No canned response matches /zzz" in nothing.text

    other = await factory.tenant("Other")
    stranger = await factory.agent(other)
    client.cookies.clear()
    await sign_in(client, stranger.email)
    assert (await client.get(f"/conversations/{conversation_id}/canned?q=ref")).status_code == 404


def test_reply_window_before_sending() -> None:
    now = utcnow()
    assert reply_window("api", now) is None  # no window on the API channel
    open_ = reply_window("whatsapp", now - timedelta(hours=2))
    assert open_ is not None and open_["open"] and open_["hours"] == 24
    closed = reply_window("whatsapp", now - timedelta(hours=25))
    assert closed is not None and not closed["open"]
    never = reply_window("whatsapp", None)
    assert never is not None and not never["open"]


async def test_closed_window_warns_in_the_composer(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = await _customer(client, tenant, inbox_id, "wa-1")
    agent = await factory.agent(tenant)
    await sign_in(client, agent.email)
    assert 'data-window="closed"' not in (await client.get(f"/conversations/{conversation_id}")).text
    # The same conversation on a WhatsApp inbox, with the customer silent for two days.
    async with factory.db.session() as session:
        from meridian.inboxes.models import Inbox

        inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        inbox.channel = "whatsapp"
        row = await session.get(Conversation, uuid.UUID(conversation_id))
        assert row is not None
        row.last_incoming_at = utcnow() - timedelta(days=2)
        await session.commit()
    page = await client.get(f"/conversations/{conversation_id}")
    assert 'data-window="closed"' in page.text and "more than 24 hours old" in page.text


async def test_attachments_show_previews_and_download_links(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = await _customer(client, tenant, inbox_id, "att-1")
    async with factory.db.session() as session:
        message = await session.scalar(
            select(Message).where(Message.conversation_id == uuid.UUID(conversation_id))
        )
        assert message is not None
        for name, kind, size in (
            ("photo.png", "image/png", 2048),
            ("x.svg", "image/svg+xml", 10),
            ("terms.pdf", "application/pdf", 1_500_000),
        ):
            session.add(
                Attachment(
                    workspace_id=tenant.workspace_id,
                    message_id=message.id,
                    contact_id=message.contact_id,
                    filename=name,
                    content_type=kind,
                    size=size,
                    sha256="0" * 64,
                    storage_key="pending:test",
                )
            )
        await session.commit()
        ids = {a.filename: a.id for a in await session.scalars(select(Attachment))}
    agent = await factory.agent(tenant)
    await sign_in(client, agent.email)
    thread = (await client.get(f"/conversations/{conversation_id}/thread")).text
    assert f'<img src="/api/v1/attachments/{ids["photo.png"]}" alt="photo.png"' in thread
    # SVG can carry script: a download link, never an inline preview.
    assert f'src="/api/v1/attachments/{ids["x.svg"]}"' not in thread
    assert f'href="/api/v1/attachments/{ids["x.svg"]}" download="x.svg"' in thread
    assert f'href="/api/v1/attachments/{ids["terms.pdf"]}" download="terms.pdf"' in thread
    assert "1.5 MB" in thread


def test_contact_zone_from_timezone_or_single_zone_country() -> None:
    assert (zone := contact_zone("America/Mexico_City", "MX")) and zone.key == "America/Mexico_City"
    assert (zone := contact_zone(None, "JP")) and zone.key == "Asia/Tokyo"
    assert contact_zone(None, "US") is None  # several zones: no guess
    assert contact_zone("Mars/Olympus", None) is None


async def test_contact_panel_and_merge(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    first = await _customer(client, tenant, inbox_id, "lucia-main", name="Lucía Pérez", locale="es")
    contact_id = (await client.get(f"/api/v1/conversations/{first}", headers=tenant.headers)).json()[
        "contact"
    ]["id"]
    patched = await client.patch(
        f"/api/v1/contacts/{contact_id}",
        headers=tenant.headers,
        json={"country": "JP", "attributes": {"plan": "gold"}},
    )
    assert patched.status_code == 200, patched.text
    duplicate = await _customer(client, tenant, inbox_id, "lucia-other", name="Lucia P")
    agent = await factory.agent(tenant)
    csrf = await sign_in(client, agent.email)
    page = await client.get(f"/conversations/{first}")
    panel = page.text[page.text.index('class="contact-panel"') :]
    assert "Japan" in panel and 'data-contact-zone="Asia/Tokyo"' in panel
    assert "lucia-main" in panel and "plan" in panel and "gold" in panel
    assert f'href="/conversations/{duplicate}"' not in panel

    unknown = await client.post(
        f"/conversations/{first}/merge-contact",
        data={"kind": "api", "identifier": "nobody", "csrf_token": csrf},
    )
    assert unknown.status_code == 303 and "merge_unknown" in unknown.headers["location"]
    merged = await client.post(
        f"/conversations/{first}/merge-contact",
        data={"kind": "api", "identifier": "lucia-other", "csrf_token": csrf},
    )
    assert merged.status_code == 303 and "notice=merged" in merged.headers["location"]
    panel = (await client.get(f"/conversations/{first}")).text
    assert f'href="/conversations/{duplicate}"' in panel and "lucia-other" in panel
    moved = (await client.get(f"/api/v1/conversations/{duplicate}", headers=tenant.headers)).json()
    assert moved["contact"]["id"] == contact_id
    assert re.search(r"The contacts were merged\.", (await client.get(merged.headers["location"])).text)

"""The API channel end to end: incoming -> conversation -> reply -> signed webhook."""

from __future__ import annotations

import asyncio
import json

import httpx
from standardwebhooks.webhooks import Webhook

from meridian.db.engine import Database
from meridian.deliveries.relay import OutboxRelay
from tests.factories import Factory
from tests.support.vendor_server import ScriptedResponse, vendor_server


async def test_incoming_creates_conversation_and_is_idempotent(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    payload = {
        "contact": {"identifier": "cust-42", "name": "Ana López", "locale": "es"},
        "body": "¿Dónde está mi pedido 1234?",
        "external_id": "ext-1",
    }
    first = await client.post(f"/api/v1/inboxes/{inbox_id}/incoming", json=payload, headers=tenant.headers)
    assert first.status_code == 202, first.text
    again = await client.post(f"/api/v1/inboxes/{inbox_id}/incoming", json=payload, headers=tenant.headers)
    assert again.status_code == 202
    assert again.json()["message_id"] == first.json()["message_id"]
    conversation_id = first.json()["conversation_id"]

    messages = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    ).json()
    assert [m["body"] for m in messages["items"]] == ["¿Dónde está mi pedido 1234?"]
    assert messages["items"][0]["direction"] == "incoming"

    conv = (await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)).json()
    assert conv["contact"]["name"] == "Ana López"
    assert conv["status"] == "open" and conv["number"] == 1

    # A second message from the same customer joins the open conversation.
    payload2 = {**payload, "external_id": "ext-2", "body": "Hola?"}
    second = await client.post(f"/api/v1/inboxes/{inbox_id}/incoming", json=payload2, headers=tenant.headers)
    assert second.json()["conversation_id"] == conversation_id


async def test_concurrent_duplicates_store_one_message(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    payload = {"contact": {"identifier": "racer"}, "body": "hello", "external_id": "same-id"}
    results = await asyncio.gather(
        *[
            client.post(f"/api/v1/inboxes/{inbox_id}/incoming", json=payload, headers=tenant.headers)
            for _ in range(8)
        ]
    )
    assert {r.status_code for r in results} == {202}
    assert len({r.json()["message_id"] for r in results}) == 1
    listing = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    assert len(listing["items"]) == 1


async def test_reply_is_delivered_as_signed_standard_webhook_after_failures(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    with vendor_server() as receiver:
        receiver.script("/hook", ScriptedResponse(500, {"error": "down"}), ScriptedResponse(503, {}))
        receiver.respond("/hook", lambda req: ScriptedResponse(200, {"ok": True}))
        created = await client.post(
            "/api/v1/inboxes",
            headers=tenant.headers,
            json={"name": "Shop API", "channel": "api", "config": {"webhook_url": receiver.url + "/hook"}},
        )
        assert created.status_code == 201, created.text
        inbox = created.json()
        secret = inbox["generated_secrets"]["webhook_secret"]
        assert secret.startswith("whsec_")
        # Write-only: never shown again.
        shown = (await client.get(f"/api/v1/inboxes/{inbox['id']}", headers=tenant.headers)).json()
        assert "webhook_secret" not in json.dumps(shown["config"]) and shown["secrets_set"] == [
            "webhook_secret"
        ]

        incoming = await client.post(
            f"/api/v1/inboxes/{inbox['id']}/incoming",
            headers=tenant.headers,
            json={"contact": {"identifier": "c1"}, "body": "Hi"},
        )
        conversation_id = incoming.json()["conversation_id"]
        reply = await client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            headers=tenant.headers,
            json={"body": "Hello! How can we help?"},
        )
        assert reply.status_code == 201, reply.text
        assert reply.json()["delivery_status"] == "queued"

        relay = OutboxRelay(db, concurrency=1)
        try:
            for _ in range(3):
                # Make the retry due now instead of waiting out the backoff.
                async with db.session() as session:
                    from sqlalchemy import text

                    # Only this test's delivery is due: earlier tests may have left
                    # retries queued that must not be claimed in its place.
                    await session.execute(
                        text(
                            "UPDATE deliveries SET next_attempt_at = CASE WHEN workspace_id = :ws "
                            "THEN now() ELSE now() + interval '1 day' END "
                            "WHERE state IN ('pending','retrying')"
                        ),
                        {"ws": tenant.workspace_id},
                    )
                    await session.commit()
                await relay.run_once()
        finally:
            await relay.stop()
        hooks = receiver.requests_to("/hook")
        assert len(hooks) == 3
        assert len({h.headers["webhook-id"] for h in hooks}) == 1, "retries reuse one idempotency key"
        last = hooks[-1]
        event = Webhook(secret).verify(
            last.body, {k: last.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
        )
        assert event["type"] == "message.created"
        assert event["data"]["body"] == "Hello! How can we help?"
        assert event["data"]["conversation_id"] == conversation_id
        assert event["data"]["contact_identifier"] == "c1"

        messages = (
            await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
        ).json()["items"]
        outgoing = [m for m in messages if m["direction"] == "outgoing"][0]
        assert outgoing["delivery_status"] == "sent"

        # Once delivered, nothing is sent again.
        relay = OutboxRelay(db, concurrency=1)
        try:
            assert await relay.run_once() == 0
        finally:
            await relay.stop()
        assert len(receiver.requests_to("/hook")) == 3


async def test_private_note_is_not_delivered(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    incoming = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": "c2"}, "body": "Hi"},
    )
    cid = incoming.json()["conversation_id"]
    note = await client.post(
        f"/api/v1/conversations/{cid}/messages",
        headers=tenant.headers,
        json={"body": "customer is a VIP", "private": True},
    )
    assert note.status_code == 201
    assert note.json()["direction"] == "note" and note.json()["delivery_status"] == "none"
    from sqlalchemy import func, select

    from meridian.db.engine import get_database
    from meridian.deliveries.models import Delivery

    async with get_database().session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.workspace_id == tenant.workspace_id)
        )
    assert count == 0

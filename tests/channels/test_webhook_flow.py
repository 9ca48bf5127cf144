"""Every vendor channel through the real webhook route and outbox: a signed sample
creates one conversation, a redelivery nothing, a forgery is refused, a reply reaches
the vendor stand-in in the vendor's shape, and a receipt updates the status."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from sqlalchemy import text

from meridian.db.engine import Database
from meridian.deliveries.relay import OutboxRelay
from tests.channels.samples import load_sample
from tests.factories import Factory
from tests.support.vendor_server import ScriptedResponse, vendor_server

APP_SECRET = "meta-app-secret-for-tests"


def meta_sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


async def _drain(db: Database) -> None:
    relay = OutboxRelay(db, concurrency=1)
    try:
        async with db.session() as session:
            await session.execute(
                text("UPDATE deliveries SET next_attempt_at = now() WHERE state IN ('pending','retrying')")
            )
            await session.commit()
        while await relay.run_once():
            pass
    finally:
        await relay.stop()


async def test_whatsapp_round_trip(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    with vendor_server() as meta:
        inbox = (
            await client.post(
                "/api/v1/inboxes",
                headers=tenant.headers,
                json={
                    "name": "WhatsApp LATAM",
                    "channel": "whatsapp",
                    "config": {
                        "phone_number_id": "106540352242922",
                        "access_token": "EAAG-test",
                        "app_secret": APP_SECRET,
                        "verify_token": "verify-me",
                        "api_base_url": meta.url,
                    },
                },
            )
        ).json()
        assert inbox["callback_url"].endswith(f"/webhooks/whatsapp/{inbox['id']}")
        assert "access_token" not in inbox["config"] and "app_secret" not in inbox["config"]
        hook = f"/webhooks/whatsapp/{inbox['id']}"

        verify = await client.get(
            hook,
            params={"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "verify-me"},
        )
        assert verify.status_code == 200 and verify.text == "1158201444"
        assert (
            await client.get(
                hook, params={"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "wrong"}
            )
        ).status_code == 403

        body = load_sample("whatsapp_inbound_text.json")
        forged = await client.post(
            hook,
            content=body,
            headers={"X-Hub-Signature-256": "sha256=" + "0" * 64, "content-type": "application/json"},
        )
        assert forged.status_code in (401, 403)
        assert (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"] == []

        for _ in range(2):  # Meta retries: the second delivery must change nothing
            ok = await client.post(
                hook,
                content=body,
                headers={"X-Hub-Signature-256": meta_sign(body), "content-type": "application/json"},
            )
            assert ok.status_code == 200, ok.text
        conversations = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
        assert len(conversations) == 1
        conv = conversations[0]
        assert conv["contact"]["name"] == "Sheena Nelson" and conv["contact"]["phone"] == "+16505551234"
        msgs = (
            await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers)
        ).json()
        assert [m["body"] for m in msgs["items"]] == ["Does it come in another color?"]

        meta.script(
            "/106540352242922/messages",
            ScriptedResponse(
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": "16505551234", "wa_id": "16505551234"}],
                    "messages": [{"id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="}],
                },
            ),
        )
        reply = await client.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            headers=tenant.headers,
            json={"body": "Yes, in blue and green!"},
        )
        assert reply.status_code == 201, reply.text
        await _drain(db)
        sent = meta.requests_to("/106540352242922/messages")
        assert len(sent) == 1
        assert sent[0].headers["authorization"] == "Bearer EAAG-test"
        assert sent[0].json() == {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "text",
            "text": {"body": "Yes, in blue and green!"},
        }

        status = load_sample("whatsapp_status_sent.json")
        receipt = json.loads(status)
        receipt["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] = "delivered"
        delivered = json.dumps(receipt).encode()
        assert (
            await client.post(
                hook,
                content=delivered,
                headers={"X-Hub-Signature-256": meta_sign(delivered), "content-type": "application/json"},
            )
        ).status_code == 200
        msgs = (
            await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers)
        ).json()
        outgoing = [m for m in msgs["items"] if m["direction"] == "outgoing"][0]
        assert outgoing["delivery_status"] == "delivered"


async def test_unknown_inbox_and_channel_are_404(client: httpx.AsyncClient) -> None:
    assert (
        await client.post("/webhooks/whatsapp/00000000-0000-0000-0000-000000000000", content=b"{}")
    ).status_code == 404
    assert (await client.post("/webhooks/fax/123", content=b"{}")).status_code == 404

"""Issue 5's "done when", end to end through WhatsApp, the dispatcher, the job queue and the outbox.

A Spanish WhatsApp message reaches an English-only agent translated; the agent's English
answer arrives in Spanish with the glossary's brand name untouched; the agent's correction
of a translation is reused the next time the same sentence appears; and with no provider
everything still works, showing originals.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
from typing import Any

import httpx
from sqlalchemy import text

from meridian.db.engine import Database
from meridian.deliveries.relay import OutboxRelay
from tests.channels.samples import load_sample
from tests.factories import Factory
from tests.multilingual.support import (
    DEEPL_PATH,
    PhraseBook,
    configure_deepl,
    dispatch_all,
    messages,
    run_translation_jobs,
)
from tests.support.vendor_server import ScriptedResponse, VendorServer, vendor_server
from tests.translation.support import Vendor

APP_SECRET = "whatsapp-app-secret-for-ml-tests"
PHONE_ID = "106540352242922"
SEND_PATH = f"/{PHONE_ID}/messages"

QUESTION = "¿Cuándo llega mi pedido de Meridian Shop? Lo pagué el lunes."
# What a careless provider would do to the brand name if it were not protected.
PHRASES = {
    "EN-US": {
        QUESTION: "When does my Meridian Store order arrive? I paid for it on Monday.",
        '¿Cuándo llega mi pedido de <x id="0">Meridian Shop</x>? Lo pagué el lunes.': (
            'When does my <x id="0">Meridian Shop</x> order arrive? I paid on Monday.'
        ),
    },
    "ES": {
        'Your <x id="0">Meridian Shop</x> order ships today.': 'Tu pedido de <x id="0">Tienda Meridiana</x> sale hoy.',
    },
}


def _signed_message(body: str, message_id: str) -> tuple[bytes, dict[str, str]]:
    payload: dict[str, Any] = copy.deepcopy(json.loads(load_sample("whatsapp_inbound_text.json")))
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["text"]["body"] = body
    message["id"] = message_id
    raw = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Hub-Signature-256": signature, "content-type": "application/json"}


async def _whatsapp_inbox(client: httpx.AsyncClient, headers: dict[str, str], meta: VendorServer) -> str:
    response = await client.post(
        "/api/v1/inboxes",
        headers=headers,
        json={
            "name": "WhatsApp Spain",
            "channel": "whatsapp",
            "config": {
                "phone_number_id": PHONE_ID,
                "access_token": "EAAG-ml-test",
                "app_secret": APP_SECRET,
                "verify_token": "verify",
                "api_base_url": meta.url,
            },
        },
    )
    assert response.status_code == 201, response.text
    inbox_id: str = response.json()["id"]
    return inbox_id


async def _deliver(db: Database) -> None:
    relay = OutboxRelay(db, concurrency=1)
    try:
        async with db.session() as session:
            await session.execute(
                text("UPDATE deliveries SET next_attempt_at = now() WHERE state IN ('pending', 'retrying')")
            )
            await session.commit()
        while await relay.run_once():
            pass
    finally:
        await relay.stop()


async def test_spanish_customer_english_agent_round_trip(
    client: httpx.AsyncClient, factory: Factory, db: Database, vendor: Vendor
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, name="Sam", languages=["en"])
    book = PhraseBook(PHRASES)
    vendor.respond(DEEPL_PATH, book)
    await configure_deepl(client, tenant.headers, vendor)
    brand = await client.post(
        "/api/v1/glossary", headers=tenant.headers, json={"term": "Meridian Shop", "do_not_translate": True}
    )
    assert brand.status_code == 201

    with vendor_server() as meta:
        sends = itertools.count()
        meta.respond(
            SEND_PATH,
            lambda _: ScriptedResponse(
                200, {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.out{next(sends)}"}]}
            ),
        )
        inbox_id = await _whatsapp_inbox(client, tenant.headers, meta)
        raw, headers = _signed_message(QUESTION, "wamid.first")
        assert (
            await client.post(f"/webhooks/whatsapp/{inbox_id}", content=raw, headers=headers)
        ).status_code == 200
        [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
        assign = await client.patch(
            f"/api/v1/conversations/{conversation['id']}",
            headers=tenant.headers,
            json={"assignee_id": str(agent.id)},
        )
        assert assign.status_code == 200

        # 1. The customer's Spanish reaches the English-only agent translated, brand intact.
        await dispatch_all(db)
        await run_translation_jobs(db)
        [incoming] = await messages(client, agent.headers, conversation["id"])
        assert incoming["body"] == QUESTION and incoming["language"] == "es"
        assert incoming["translation"]["language"] == "en"
        assert incoming["translation"]["body"] == "When does my Meridian Shop order arrive? I paid on Monday."

        # 2. The agent's English answer goes out in Spanish, the brand name untouched.
        reply = await client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            headers=agent.headers,
            json={"body": "Your Meridian Shop order ships today.", "translate": True},
        )
        assert reply.status_code == 201, reply.text
        await _deliver(db)
        [sent] = meta.requests_to(SEND_PATH)
        assert sent.json()["text"]["body"] == "Tu pedido de Meridian Shop sale hoy."
        assert sent.json()["to"] == "16505551234"
        thread = await messages(client, agent.headers, conversation["id"])
        assert thread[-1]["body"] == "Your Meridian Shop order ships today."
        assert thread[-1]["sent_body"] == "Tu pedido de Meridian Shop sale hoy."

        # 3. The agent corrects the translation; the same sentence later reuses the correction.
        better = "When will my Meridian Shop order arrive? I paid for it on Monday."
        corrected = await client.put(
            f"/api/v1/messages/{incoming['id']}/translation", headers=agent.headers, json={"body": better}
        )
        assert corrected.status_code == 200, corrected.text
        calls = len(vendor.requests_to(DEEPL_PATH))
        raw, headers = _signed_message(QUESTION, "wamid.second")
        assert (
            await client.post(f"/webhooks/whatsapp/{inbox_id}", content=raw, headers=headers)
        ).status_code == 200
        await dispatch_all(db)
        await run_translation_jobs(db)
        latest = (await messages(client, agent.headers, conversation["id"]))[-1]
        assert latest["body"] == QUESTION
        assert latest["translation"]["body"] == better and latest["translation"]["provider"] == "human"
        assert len(vendor.requests_to(DEEPL_PATH)) == calls

        # 4. Translation switched off: messages arrive and replies go out, originals shown.
        off = await client.put(
            "/api/v1/settings/translation",
            headers=tenant.headers,
            json={"provider": "none", "agent_language": "en"},
        )
        assert off.status_code == 200
        raw, headers = _signed_message(
            "Otra pregunta: ¿puedo cambiar la dirección de entrega?", "wamid.third"
        )
        assert (
            await client.post(f"/webhooks/whatsapp/{inbox_id}", content=raw, headers=headers)
        ).status_code == 200
        await dispatch_all(db)
        await run_translation_jobs(db)
        latest = (await messages(client, agent.headers, conversation["id"]))[-1]
        assert latest["body"].startswith("Otra pregunta") and latest["translation"] is None
        plain = await client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            headers=agent.headers,
            json={"body": "Sí, claro."},
        )
        assert plain.status_code == 201
        await _deliver(db)
        assert meta.requests_to(SEND_PATH)[-1].json()["text"]["body"] == "Sí, claro."
        assert len(vendor.requests_to(DEEPL_PATH)) == calls

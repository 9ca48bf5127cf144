"""Agents' replies go out in the customer's language (and variant), reviewed when they like."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from meridian.db.engine import Database
from tests.factories import Factory, Tenant
from tests.multilingual.support import DEEPL_PATH, PhraseBook, configure_deepl, incoming, messages
from tests.support.vendor_server import ScriptedResponse
from tests.translation.support import Vendor

REPLY = "Your refund was approved today."


async def _conversation(
    client: httpx.AsyncClient, factory: Factory, locale: str | None, body: str
) -> tuple[Tenant, str]:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    sent = await incoming(client, tenant.headers, inbox_id, body, locale=locale)
    return tenant, sent["conversation_id"]


VARIANTS = [
    ("pt-BR", "Olá, quando chega o meu reembolso?", "PT-BR"),
    ("pt-PT", "Olá, quando chega o meu reembolso?", "PT-PT"),
    ("zh-Hant", "請問我的退款什麼時候到帳？", "ZH-HANT"),
    ("zh-Hans", "请问我的退款什么时候到账？", "ZH-HANS"),
    ("es-MX", "Hola, ¿cuándo llega mi reembolso?", "ES"),
]


async def test_translated_reply_targets_the_customers_variant(
    client: httpx.AsyncClient, factory: Factory, vendor: Vendor
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    vendor.respond(DEEPL_PATH, PhraseBook())
    await configure_deepl(client, tenant.headers, vendor)
    for index, (locale, customer_text, deepl_target) in enumerate(VARIANTS):
        sent = await incoming(
            client, tenant.headers, inbox_id, customer_text, identifier=f"c-{locale}", locale=locale
        )
        reply = await client.post(
            f"/api/v1/conversations/{sent['conversation_id']}/messages",
            headers=tenant.headers,
            json={"body": REPLY, "translate": True},
        )
        assert reply.status_code == 201, reply.text
        out = reply.json()
        assert (out["body"], out["sent_body"], out["language"]) == (
            REPLY,
            f"[{deepl_target}] {REPLY}",
            locale,
        )
        request = vendor.requests_to(DEEPL_PATH)[index]
        assert request.json()["target_lang"] == deepl_target and request.json()["source_lang"] == "EN"


async def test_preview_edit_send_and_the_edit_is_reused(
    client: httpx.AsyncClient, factory: Factory, db: Database, vendor: Vendor
) -> None:
    tenant, conversation_id = await _conversation(client, factory, "es", "Hola, ¿cuándo llega mi reembolso?")
    headers = tenant.headers
    vendor.respond(DEEPL_PATH, PhraseBook({"ES": {REPLY: "Su reembolso fue aprobado hoy."}}))
    await configure_deepl(client, headers, vendor)

    preview = await client.post(
        f"/api/v1/conversations/{conversation_id}/translation-preview", headers=headers, json={"body": REPLY}
    )
    assert preview.status_code == 200, preview.text
    assert preview.json() == {
        "body": "Su reembolso fue aprobado hoy.",
        "language": "es",
        "source_language": "en",
        "provider": "deepl",
        "origin": "machine",
    }
    edited = "Tu reembolso fue aprobado hoy."
    sent = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        headers=headers,
        json={"body": REPLY, "sent_body": edited},
    )
    assert sent.status_code == 201, sent.text
    assert (sent.json()["body"], sent.json()["sent_body"], sent.json()["language"]) == (REPLY, edited, "es")
    # What the customer receives is the edit: the outbox builds from sent_body.
    async with db.session() as session:
        outgoing = await session.scalar(
            text("SELECT count(*) FROM deliveries WHERE message_id = :id"), {"id": sent.json()["id"]}
        )
    assert outgoing == 1

    again = await client.post(
        f"/api/v1/conversations/{conversation_id}/translation-preview", headers=headers, json={"body": REPLY}
    )
    assert again.json()["body"] == edited
    assert (again.json()["origin"], again.json()["provider"]) == ("memory", "human")
    assert len(vendor.requests_to(DEEPL_PATH)) == 1

    # Sending a preview unchanged is not a correction and stores nothing as human.
    vendor_before = len(vendor.requests_to(DEEPL_PATH))
    other = "We will email you the receipt."
    preview = await client.post(
        f"/api/v1/conversations/{conversation_id}/translation-preview", headers=headers, json={"body": other}
    )
    await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        headers=headers,
        json={"body": other, "sent_body": preview.json()["body"]},
    )
    async with db.session() as session:
        humans = await session.scalar(
            text("SELECT count(*) FROM translation_segments WHERE workspace_id = :ws AND origin = 'human'"),
            {"ws": tenant.workspace_id},
        )
    assert humans == 1 and len(vendor.requests_to(DEEPL_PATH)) == vendor_before + 1


async def test_without_a_provider_translate_is_refused_and_plain_replies_work(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, conversation_id = await _conversation(client, factory, "es", "Hola, ¿cuándo llega mi reembolso?")
    headers = tenant.headers
    refused = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        headers=headers,
        json={"body": REPLY, "translate": True},
    )
    assert refused.status_code == 422
    assert "no translation provider" in refused.json()["detail"]
    preview = await client.post(
        f"/api/v1/conversations/{conversation_id}/translation-preview", headers=headers, json={"body": REPLY}
    )
    assert preview.status_code == 422
    plain = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", headers=headers, json={"body": REPLY}
    )
    assert plain.status_code == 201 and plain.json()["sent_body"] is None
    assert [m["body"] for m in await messages(client, headers, conversation_id)][-1] == REPLY


async def test_refusals_that_protect_the_customer(
    client: httpx.AsyncClient, factory: Factory, vendor: Vendor
) -> None:
    tenant, conversation_id = await _conversation(client, factory, None, "ok")
    headers = tenant.headers
    vendor.script(DEEPL_PATH, ScriptedResponse(503, {"message": "Service unavailable"}))
    vendor.respond(DEEPL_PATH, PhraseBook())
    await configure_deepl(client, headers, vendor)
    url = f"/api/v1/conversations/{conversation_id}/messages"
    unknown = await client.post(url, headers=headers, json={"body": REPLY, "translate": True})
    assert unknown.status_code == 422 and "language is not known" in unknown.json()["detail"]
    note = await client.post(url, headers=headers, json={"body": REPLY, "private": True, "translate": True})
    assert note.status_code == 422

    contact = (await client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)).json()[
        "contact"
    ]
    await client.patch(f"/api/v1/contacts/{contact['id']}", headers=headers, json={"locale": "de"})
    down = await client.post(url, headers=headers, json={"body": REPLY, "translate": True})
    assert down.status_code == 424 and "Send without translation" in down.json()["detail"]
    # Nothing half-sent: only the customer's message is in the thread.
    assert [m["direction"] for m in await messages(client, headers, conversation_id)] == ["incoming"]
    ok = await client.post(url, headers=headers, json={"body": REPLY, "translate": True})
    assert ok.status_code == 201 and ok.json()["sent_body"] == f"[DE] {REPLY}"


async def test_preview_is_tenant_checked(client: httpx.AsyncClient, factory: Factory) -> None:
    _, conversation_id = await _conversation(client, factory, "es", "Hola")
    intruder = await factory.tenant("Intruder")
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/translation-preview",
        headers=intruder.headers,
        json={"body": "x"},
    )
    assert response.status_code == 404

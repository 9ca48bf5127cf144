"""WhatsApp message templates: synced from the Graph API, offered and sent outside the 24 h window."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

import httpx
from sqlalchemy import text

from meridian.db.engine import Database
from tests.channels.samples import load_sample
from tests.factories import Factory, Tenant
from tests.support.outbox import drain
from tests.support.vendor_server import RecordedRequest, ScriptedResponse, VendorServer, vendor_server

APP_SECRET = "meta-app-secret-templates"
PHONE_ID = "106540352242922"
WABA_ID = "102290129340398"

# Graph API "GET /{waba_id}/message_templates", as documented, split over two pages.
PAGE_1: list[dict[str, Any]] = [
    {
        "name": "order_update",
        "language": "pt_BR",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "594425479261596",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Pedido"},
            {"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} foi enviado."},
        ],
    },
    {
        "name": "order_update",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "594425479261597",
        "components": [{"type": "BODY", "text": "Hi {{1}}, order {{2}} has shipped."}],
    },
]
PAGE_2: list[dict[str, Any]] = [
    {
        "name": "spring_sale",
        "language": "pt_BR",
        "status": "REJECTED",
        "category": "MARKETING",
        "id": "594425479261598",
        "components": [{"type": "BODY", "text": "Promoção!"}],
    },
    {"language": "en_US", "status": "APPROVED"},  # no name: not a template we can send
]


def _serve_templates(meta: VendorServer, pages: list[list[dict[str, Any]]]) -> None:
    path = f"/{WABA_ID}/message_templates"

    def answer(request: RecordedRequest) -> ScriptedResponse:
        index = int(request.query.get("after", ["0"])[0])
        body: dict[str, Any] = {"data": pages[index], "paging": {"cursors": {"before": "b", "after": "a"}}}
        if index + 1 < len(pages):
            body["paging"]["next"] = f"{meta.url}{path}?limit=100&after={index + 1}"
        return ScriptedResponse(200, body)

    meta.respond(path, answer)


async def _whatsapp_inbox(client: httpx.AsyncClient, tenant: Tenant, meta: VendorServer, **extra: str) -> str:
    created = await client.post(
        "/api/v1/inboxes",
        headers=tenant.headers,
        json={
            "name": "WhatsApp Brasil",
            "channel": "whatsapp",
            "config": {
                "phone_number_id": PHONE_ID,
                "access_token": "EAAG-templates",
                "app_secret": APP_SECRET,
                "verify_token": "verify-me",
                "api_base_url": meta.url,
                **extra,
            },
        },
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _customer_writes(client: httpx.AsyncClient, tenant: Tenant, inbox_id: str) -> str:
    body = load_sample("whatsapp_inbound_text.json")
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    ok = await client.post(
        f"/webhooks/whatsapp/{inbox_id}",
        content=body,
        headers={"X-Hub-Signature-256": signature, "content-type": "application/json"},
    )
    assert ok.status_code == 200, ok.text
    [conv] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
    return str(conv["id"])


async def test_sync_then_send_a_template_outside_the_window(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    with vendor_server() as meta:
        inbox_id = await _whatsapp_inbox(client, tenant, meta, waba_id=WABA_ID)
        _serve_templates(meta, [PAGE_1, PAGE_2])
        synced = await client.post(f"/api/v1/inboxes/{inbox_id}/templates/sync", headers=tenant.headers)
        assert synced.status_code == 200, synced.text
        result = synced.json()
        assert (result["added"], result["updated"], result["removed"]) == (3, 0, 0)
        calls = meta.requests_to(f"/{WABA_ID}/message_templates")
        assert len(calls) == 2 and all(c.headers["authorization"] == "Bearer EAAG-templates" for c in calls)
        listed = await client.get(
            f"/api/v1/inboxes/{inbox_id}/templates", headers=tenant.headers, params={"language": "pt-BR"}
        )
        by_name = {t["name"]: t for t in listed.json()["items"]}
        assert set(by_name) == {"order_update", "spring_sale"}
        assert by_name["order_update"]["variables"] == 2 and by_name["spring_sale"]["status"] == "rejected"

        conv_id = await _customer_writes(client, tenant, inbox_id)
        async with db.session() as session:
            # Two days pass without a word from the customer, whose phone is set to Portuguese.
            await session.execute(
                text("UPDATE conversations SET last_incoming_at = now() - interval '2 days' WHERE id = :c"),
                {"c": uuid.UUID(conv_id)},
            )
            await session.execute(
                text(
                    "UPDATE contacts SET locale = 'pt-BR' WHERE id = "
                    "(SELECT contact_id FROM conversations WHERE id = :c)"
                ),
                {"c": uuid.UUID(conv_id)},
            )
            await session.commit()

        refused = await client.post(
            f"/api/v1/conversations/{conv_id}/messages", headers=tenant.headers, json={"body": "Oi!"}
        )
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert "24 hours" in problem["detail"]
        assert problem["templates"] == [
            {
                "name": "order_update",
                "language": "pt_BR",
                "body": "Olá {{1}}, seu pedido {{2}} foi enviado.",
                "variables": 2,
            }
        ], "only approved templates in the customer's language are offered"

        wrong = await client.post(
            f"/api/v1/conversations/{conv_id}/messages",
            headers=tenant.headers,
            json={"template": {"name": "order_update", "language": "pt_BR", "variables": ["Ana"]}},
        )
        assert wrong.status_code == 422 and "2 variables" in wrong.json()["detail"]
        rejected = await client.post(
            f"/api/v1/conversations/{conv_id}/messages",
            headers=tenant.headers,
            json={"template": {"name": "spring_sale", "language": "pt_BR"}},
        )
        assert rejected.status_code == 422

        meta.script(f"/{PHONE_ID}/messages", ScriptedResponse(200, {"messages": [{"id": "wamid.TEMPLATE1"}]}))
        sent = await client.post(
            f"/api/v1/conversations/{conv_id}/messages",
            headers=tenant.headers,
            json={"template": {"name": "order_update", "language": "pt-BR", "variables": ["Ana", "#4471"]}},
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["body"] == "Olá Ana, seu pedido #4471 foi enviado."
        await drain(db)
        [request] = meta.requests_to(f"/{PHONE_ID}/messages")
        assert request.json() == {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "template",
            "template": {
                "name": "order_update",
                "language": {"code": "pt_BR"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#4471"}],
                    }
                ],
            },
        }
        messages = (
            await client.get(f"/api/v1/conversations/{conv_id}/messages", headers=tenant.headers)
        ).json()["items"]
        assert messages[-1]["delivery_status"] == "sent"

        # Meta dropped the English variant: a second sync removes it and keeps the rest.
        _serve_templates(meta, [[PAGE_1[0]], PAGE_2])
        again = (
            await client.post(f"/api/v1/inboxes/{inbox_id}/templates/sync", headers=tenant.headers)
        ).json()
        assert (again["added"], again["updated"], again["removed"]) == (0, 2, 1)
        assert {(t["name"], t["language"]) for t in again["items"]} == {
            ("order_update", "pt_BR"),
            ("spring_sale", "pt_BR"),
        }


async def test_templates_by_hand_roles_and_bad_input(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant, stranger = await factory.tenant(), await factory.tenant("Other")
    agent = await factory.agent(tenant)
    with vendor_server() as meta:
        inbox_id = await _whatsapp_inbox(client, tenant, meta)
        url = f"/api/v1/inboxes/{inbox_id}/templates"
        template = {"name": "hello", "language": "es", "body": "Hola {{1}}", "category": "UTILITY"}
        assert (await client.post(url, headers=agent.headers, json=template)).status_code == 403
        created = await client.post(url, headers=tenant.headers, json=template)
        assert created.status_code == 201, created.text
        assert (created.json()["variables"], created.json()["category"]) == (1, "utility")
        assert [t["name"] for t in (await client.get(url, headers=agent.headers)).json()["items"]] == [
            "hello"
        ]
        for bad in ({**template, "name": "Has Spaces"}, {**template, "body": ""}, {**template, "x": 1}):
            assert (await client.post(url, headers=tenant.headers, json=bad)).status_code == 422
        assert (await client.get(url, headers=stranger.headers)).status_code == 404
        assert (await client.post(url, headers=stranger.headers, json=template)).status_code == 404
        no_waba = await client.post(f"{url}/sync", headers=tenant.headers)
        assert no_waba.status_code == 422 and "waba_id" in no_waba.json()["detail"]
        assert meta.requests == [], "nothing was asked of Meta"
        api = await client.post(
            "/api/v1/inboxes", headers=tenant.headers, json={"name": "API", "channel": "api", "config": {}}
        )
        assert (
            await client.get(f"/api/v1/inboxes/{api.json()['id']}/templates", headers=tenant.headers)
        ).status_code == 409


async def test_sync_reports_a_meta_outage(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    with vendor_server() as meta:
        inbox_id = await _whatsapp_inbox(client, tenant, meta, waba_id=WABA_ID)
        meta.script(
            f"/{WABA_ID}/message_templates",
            ScriptedResponse(500, {"error": {"message": "An unknown error occurred", "code": 1}}),
        )
        failed = await client.post(f"/api/v1/inboxes/{inbox_id}/templates/sync", headers=tenant.headers)
        assert failed.status_code == 502
        assert (await client.get(f"/api/v1/inboxes/{inbox_id}/templates", headers=tenant.headers)).json()[
            "items"
        ] == []


def test_the_demo_templates_are_sendable() -> None:
    from meridian.channels.whatsapp.templates import parse_remote, render
    from meridian.demo.seed import DEMO_TEMPLATES

    parsed = [parse_remote(item) for item in DEMO_TEMPLATES]
    assert all(p is not None and p["status"] == "approved" for p in parsed)
    order = next(p for p in parsed if p and p["name"] == "order_update" and p["language"] == "es")
    assert order["variables"] == 2
    assert render(order["body"], ["Ana", "#7"]).startswith("Hola Ana, tu pedido #7 ya fue enviado.")

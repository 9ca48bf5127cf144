"""The WhatsApp template picker partial: lists approved templates in the customer's
language and sends one through the outbox."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import httpx
from sqlalchemy import text

from meridian.console.render import environment
from meridian.db.engine import Database
from tests.channels.samples import load_sample
from tests.console.helpers import sign_in
from tests.factories import Factory
from tests.support.outbox import drain
from tests.support.vendor_server import ScriptedResponse, vendor_server

SECRET = "picker-app-secret"
PHONE_ID = "106540352242922"


async def test_picker_lists_and_sends_a_template(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, name="Ana")
    with vendor_server() as meta:
        inbox = await client.post(
            "/api/v1/inboxes",
            headers=tenant.headers,
            json={
                "name": "WhatsApp",
                "channel": "whatsapp",
                "config": {
                    "phone_number_id": PHONE_ID,
                    "access_token": "EAAG-picker",
                    "app_secret": SECRET,
                    "verify_token": "v",
                    "api_base_url": meta.url,
                },
            },
        )
        inbox_id = inbox.json()["id"]
        for language, body in (("es", "Hola {{1}}, tu pedido salió."), ("ja", "{{1}}様、発送しました。")):
            saved = await client.post(
                f"/api/v1/inboxes/{inbox_id}/templates",
                headers=tenant.headers,
                json={"name": "shipped", "language": language, "body": body},
            )
            assert saved.status_code == 201, saved.text
        payload = load_sample("whatsapp_inbound_text.json")
        signature = "sha256=" + hmac.new(SECRET.encode(), payload, hashlib.sha256).hexdigest()
        await client.post(
            f"/webhooks/whatsapp/{inbox_id}",
            content=payload,
            headers={"X-Hub-Signature-256": signature, "content-type": "application/json"},
        )
        [conv] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
        async with db.session() as session:
            await session.execute(
                text("UPDATE contacts SET locale = 'es-MX' WHERE id = :c"),
                {"c": uuid.UUID(conv["contact"]["id"])},
            )
            await session.commit()

        csrf = await sign_in(client, agent.email)
        picker = await client.get(f"/conversations/{conv['id']}/whatsapp-templates")
        assert picker.status_code == 200
        assert "Hola {{1}}, tu pedido salió." in picker.text and "発送" not in picker.text
        assert 'name="var"' in picker.text and 'value="shipped|es"' in picker.text

        meta.script(f"/{PHONE_ID}/messages", ScriptedResponse(200, {"messages": [{"id": "wamid.PICK"}]}))
        sent = await client.post(
            f"/conversations/{conv['id']}/whatsapp-templates",
            data={"csrf_token": csrf, "template": "shipped|es", "var": "Lucía"},
        )
        assert sent.status_code == 303, sent.text
        await drain(db)
        [request] = meta.requests_to(f"/{PHONE_ID}/messages")
        assert request.json()["template"] == {
            "name": "shipped",
            "language": {"code": "es"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Lucía"}]}],
        }
        bad = await client.post(
            f"/conversations/{conv['id']}/whatsapp-templates",
            data={"csrf_token": csrf, "template": "shipped|es"},
        )
        assert bad.status_code == 422 and "1 variables" in bad.text
        assert len(meta.requests_to(f"/{PHONE_ID}/messages")) == 1
        missing = await client.get(f"/conversations/{uuid.uuid4()}/whatsapp-templates")
        assert missing.status_code == 404


def test_the_partial_loads_itself_when_included() -> None:
    html = environment("en").get_template("_whatsapp_templates.html").render(c={"id": "abc"})
    assert 'hx-get="/conversations/abc/whatsapp-templates"' in html

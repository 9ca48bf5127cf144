"""Consent is enforced where Meridian reaches out: a WhatsApp marketing template needs it."""

from __future__ import annotations

import httpx

from tests.channels.test_whatsapp_templates import _customer_writes, _whatsapp_inbox
from tests.factories import Factory
from tests.support.vendor_server import vendor_server


async def test_marketing_template_needs_marketing_consent(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    with vendor_server() as meta:
        inbox_id = await _whatsapp_inbox(client, tenant, meta)
        url = f"/api/v1/inboxes/{inbox_id}/templates"
        for name, category in (("spring_sale", "MARKETING"), ("order_ready", "UTILITY")):
            made = await client.post(
                url,
                headers=tenant.headers,
                json={"name": name, "language": "en", "body": "Hi {{1}}", "category": category},
            )
            assert made.status_code == 201, made.text
        conversation_id = await _customer_writes(client, tenant, inbox_id)
        conversation = (
            await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
        ).json()
        contact_id = conversation["contact"]["id"]
        send = f"/api/v1/conversations/{conversation_id}/messages"

        def template(name: str) -> dict[str, object]:
            return {"template": {"name": name, "language": "en", "variables": ["Ana"]}}

        refused = await client.post(send, headers=tenant.headers, json=template("spring_sale"))
        assert refused.status_code == 409 and refused.json()["title"] == "Consent required"
        before = (await client.get(f"{send}", headers=tenant.headers)).json()["items"]
        assert [m["direction"] for m in before] == ["incoming"], "nothing was written or queued"
        # A utility template (an order update) is support, not marketing.
        assert (
            await client.post(send, headers=tenant.headers, json=template("order_ready"))
        ).status_code == 201

        granted = await client.post(
            f"/api/v1/contacts/{contact_id}/consents",
            headers=tenant.headers,
            json={"purpose": "marketing", "channel": "whatsapp", "granted": True, "source": "whatsapp_optin"},
        )
        assert granted.status_code == 201, granted.text
        assert (
            await client.post(send, headers=tenant.headers, json=template("spring_sale"))
        ).status_code == 201
        # Withdrawn again: refused again.
        await client.post(
            f"/api/v1/contacts/{contact_id}/consents",
            headers=tenant.headers,
            json={"purpose": "marketing", "channel": "whatsapp", "granted": False, "source": "agent"},
        )
        again = await client.post(send, headers=tenant.headers, json=template("spring_sale"))
        assert again.status_code == 409

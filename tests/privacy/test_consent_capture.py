"""Consent captured outside the web chat: WhatsApp and SMS keywords, and the one-click
email unsubscribe (RFC 8058) that marketing and proactive email carries."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select

from meridian.channels.base import InboundContact, InboundMessage
from meridian.channels.email.service import receive_email
from meridian.channels.email.smtp_send import build_message
from meridian.channels.ingest import ingest_message
from meridian.channels.sms.adapter import TwilioSmsChannel
from meridian.db.engine import Database
from meridian.deliveries.build import build_outbound
from meridian.deliveries.models import Delivery
from meridian.inboxes.models import Inbox
from meridian.privacy.keywords import DEFAULTS, ConsentKeywords
from meridian.privacy.models import Consent
from tests.channels.samples import load_sample
from tests.channels.test_sms import fixture_form, form_request
from tests.email.support import create_email_inbox, customer_mail, unique_address
from tests.factories import Factory, Tenant
from tests.support.whatsapp import create_whatsapp_inbox, post_signed_webhook

APP_SECRET = "meta-app-secret-consent"


def test_keywords_match_the_whole_message_only() -> None:
    assert DEFAULTS.match("STOP") is False
    assert DEFAULTS.match("  stop! ") is False
    assert DEFAULTS.match("Baja.") is False
    # Accents do not matter: phones without them still opt out.
    assert DEFAULTS.match("arrêt") is False and DEFAULTS.match("ARRET") is False
    assert DEFAULTS.match("Darme  de baja") is False
    assert DEFAULTS.match("Start") is True and DEFAULTS.match("unstop") is True
    assert DEFAULTS.match("please stop the order") is None
    assert DEFAULTS.match("yes") is None and DEFAULTS.match("") is None
    custom = ConsentKeywords(opt_out=("ALTO",), opt_in=("VOLVER",))
    assert custom.match("alto") is False and custom.match("stop") is None and custom.match("Volver") is True


async def _consents(client: httpx.AsyncClient, tenant: Tenant, contact_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/contacts/{contact_id}/consents", headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _state(consents: dict[str, Any], channel: str) -> dict[str, tuple[bool, str]]:
    return {c["purpose"]: (c["granted"], c["source"]) for c in consents["items"] if c["channel"] == channel}


async def test_whatsapp_keywords_withdraw_and_grant_consent(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    inbox = await create_whatsapp_inbox(client, tenant.headers, app_secret=APP_SECRET)
    payload = json.loads(load_sample("whatsapp_inbound_text.json"))
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["text"]["body"] = "BAJA"
    body = json.dumps(payload).encode()
    ok = await post_signed_webhook(client, inbox["id"], body, app_secret=APP_SECRET)
    assert ok.status_code == 200, ok.text
    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
    contact_id = conversation["contact"]["id"]
    state = _state(await _consents(client, tenant, contact_id), "whatsapp")
    assert state == {"marketing": (False, "whatsapp_keyword"), "proactive": (False, "whatsapp_keyword")}
    # The keyword is still a message agents see.
    messages = (
        await client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=tenant.headers)
    ).json()["items"]
    assert [m["body"] for m in messages] == ["BAJA"]

    # The workspace's own lists: validated, admins only, audited.
    url = "/api/v1/settings/consent-keywords"
    assert (await client.get(url, headers=tenant.headers)).json()["opt_out"][0] == "STOP"
    denied = await client.put(url, headers=agent.headers, json={"opt_out": ["ALTO"], "opt_in": ["VOLVER"]})
    assert denied.status_code == 403
    clash = await client.put(url, headers=tenant.headers, json={"opt_out": ["Alto"], "opt_in": ["alto!"]})
    assert clash.status_code == 422, clash.text
    empty = await client.put(url, headers=tenant.headers, json={"opt_out": ["  "], "opt_in": []})
    assert empty.status_code == 422 and empty.json()["errors"][0]["pointer"] == "/opt_out/0"
    assert (await client.get(url, headers=tenant.headers)).json()["opt_in"][0] == "START"
    saved = await client.put(url, headers=tenant.headers, json={"opt_out": ["ALTO"], "opt_in": ["VOLVER"]})
    assert saved.status_code == 200 and saved.json() == {"opt_out": ["ALTO"], "opt_in": ["VOLVER"]}
    audit = (await client.get("/api/v1/audit", headers=tenant.headers)).json()["items"]
    assert audit[0]["action"] == "settings.consent_keywords_changed"

    async with db.session() as session:
        row = await session.get(Inbox, uuid.UUID(inbox["id"]))
        assert row is not None
        for index, said in enumerate(["START", "Volver."]):
            await ingest_message(
                session,
                inbox=row,
                msg=InboundMessage(
                    external_id=f"wamid.consent-{index}",
                    contact=InboundContact(identifier="16505551234", phone="+16505551234"),
                    body=said,
                ),
            )
            await session.commit()
            if said == "START":
                # Not a keyword of this workspace any more: nothing recorded.
                state = _state(await _consents(client, tenant, contact_id), "whatsapp")
                assert state["marketing"] == (False, "whatsapp_keyword")
    state = _state(await _consents(client, tenant, contact_id), "whatsapp")
    assert state == {"marketing": (True, "whatsapp_keyword"), "proactive": (True, "whatsapp_keyword")}
    history = (await _consents(client, tenant, contact_id))["history"]
    assert len(history) == 4


async def test_sms_stop_withdraws_consent_and_blocks_marketing(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(
        tenant,
        "sms",
        config={
            "account_sid": "AC" + "0" * 32,
            "auth_token": "twilio-auth-token",
            "from_number": "+14155550100",
        },
    )
    form = fixture_form("inbound_sms.json")
    async with db.session() as session:
        inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        [greeting] = TwilioSmsChannel().parse({}, form_request(form)).messages
        first = await ingest_message(session, inbox=inbox, msg=greeting)
        await session.commit()
    conversation = (
        await client.get(f"/api/v1/conversations/{first.conversation_id}", headers=tenant.headers)
    ).json()
    contact_id = conversation["contact"]["id"]
    # A normal text records nothing; marketing needs a grant.
    assert (await _consents(client, tenant, contact_id))["history"] == []
    granted = await client.post(
        f"/api/v1/contacts/{contact_id}/consents",
        headers=tenant.headers,
        json={"purpose": "marketing", "channel": "sms", "granted": True, "source": "agent"},
    )
    assert granted.status_code == 201
    offer = {"body": "20% off this week", "purpose": "marketing"}
    path = f"/api/v1/conversations/{first.conversation_id}/messages"
    assert (await client.post(path, headers=tenant.headers, json=offer)).status_code == 201

    async with db.session() as session:
        inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        [stop] = (
            TwilioSmsChannel()
            .parse({}, form_request({**form, "Body": "Stop", "MessageSid": "SM" + "5" * 32}))
            .messages
        )
        await ingest_message(session, inbox=inbox, msg=stop)
        await session.commit()
    state = _state(await _consents(client, tenant, contact_id), "sms")
    assert state == {"marketing": (False, "sms_keyword"), "proactive": (False, "sms_keyword")}
    refused = await client.post(path, headers=tenant.headers, json=offer)
    assert refused.status_code == 409 and refused.json()["title"] == "Consent required"
    # Support replies still go out, and a note cannot claim a purpose.
    assert (await client.post(path, headers=tenant.headers, json={"body": "Done."})).status_code == 201
    note = await client.post(
        path, headers=tenant.headers, json={"body": "x", "private": True, "purpose": "marketing"}
    )
    assert note.status_code == 422


async def _outbound_headers(db: Database, message_id: str) -> dict[str, str]:
    async with db.session() as session:
        delivery = await session.scalar(select(Delivery).where(Delivery.message_id == uuid.UUID(message_id)))
        assert delivery is not None
        inbox = await session.get(Inbox, delivery.inbox_id)
        assert inbox is not None
        outbound = await build_outbound(session, delivery=delivery, inbox=inbox)
    mail = build_message(outbound, from_address="support@acme.example")
    return {k: str(v) for k, v in mail.items()}


async def test_marketing_email_carries_one_click_unsubscribe(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    address = unique_address()
    inbox = await create_email_inbox(client, tenant, from_address=address)
    async with db.session() as session:
        row = await session.get(Inbox, uuid.UUID(inbox["id"]))
        assert row is not None
        received = await receive_email(session, inbox=row, raw=customer_mail(to=address))
        await session.commit()
    conversation = (
        await client.get(f"/api/v1/conversations/{received.conversation_id}", headers=tenant.headers)
    ).json()
    contact_id = conversation["contact"]["id"]
    path = f"/api/v1/conversations/{received.conversation_id}/messages"
    offer = {"body": "Our spring catalogue is out.", "purpose": "marketing"}
    refused = await client.post(path, headers=tenant.headers, json=offer)
    assert refused.status_code == 409
    await client.post(
        f"/api/v1/contacts/{contact_id}/consents",
        headers=tenant.headers,
        json={"purpose": "marketing", "channel": "email", "granted": True, "source": "email_optin"},
    )
    support = await client.post(path, headers=tenant.headers, json={"body": "It ships tomorrow."})
    assert "List-Unsubscribe" not in await _outbound_headers(db, support.json()["id"])
    sent = await client.post(path, headers=tenant.headers, json=offer)
    assert sent.status_code == 201, sent.text
    headers = await _outbound_headers(db, sent.json()["id"])
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = headers["List-Unsubscribe"]
    assert link.startswith("<http") and link.endswith(">")
    target = urlsplit(link[1:-1]).path
    assert target.startswith("/unsubscribe/")

    async def revocations() -> int:
        async with db.session() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(Consent)
                    .where(Consent.contact_id == uuid.UUID(contact_id), Consent.granted.is_(False))
                )
                or 0
            )

    # A scanner following the link changes nothing.
    page = await client.get(target)
    assert page.status_code == 200 and "<form method=post" in page.text
    assert await revocations() == 0
    # A tampered token is refused and changes nothing.
    forged = await client.post(target[:-3] + "abc", data={"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 404 and await revocations() == 0
    done = await client.post(target, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Unsubscribed" in done.text
    state = _state(await _consents(client, tenant, contact_id), "email")
    assert state == {"marketing": (False, "email_unsubscribe")}
    again = await client.post(target, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and await revocations() == 1
    assert (await client.post(path, headers=tenant.headers, json=offer)).status_code == 409

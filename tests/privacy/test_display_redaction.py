"""The display copy is masked before storage: inbound on every channel (body, HTML, the
vendor's raw payload, the event) and card numbers in agents' replies."""

from __future__ import annotations

import base64
import json
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import select, text

from meridian.channels.base import InboundContact, InboundMessage
from meridian.channels.email.service import receive_email
from meridian.channels.ingest import ingest_message
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.privacy.redaction import redact_inbound
from meridian.vault import service as vault
from tests.channels.samples import load_sample
from tests.email.support import create_email_inbox, unique_address
from tests.factories import Factory, Tenant
from tests.support.whatsapp import create_whatsapp_inbox, post_signed_webhook

CARD = "4111 1111 1111 1111"
SHOWN = "•••• •••• •••• 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
APP_SECRET = "meta-app-secret-redaction"


async def _messages(client: httpx.AsyncClient, tenant: Tenant, conversation_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _sealed(db: Database, message_id: uuid.UUID) -> vault.MessageContent:
    async with db.session() as session:
        return (await vault.get_messages(session, [(message_id, "default")]))[message_id]


async def _event_payloads(db: Database, workspace_id: uuid.UUID) -> str:
    async with db.session() as session:
        rows = await session.scalars(
            text("SELECT payload::text FROM domain_events WHERE workspace_id = :w"), {"w": workspace_id}
        )
        return "\n".join(rows)


async def test_api_channel_message_is_stored_and_shown_masked(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    await client.put(
        "/api/v1/settings/redaction", headers=tenant.headers, json={"patterns": [r"\bCLIENT-\d+\b"]}
    )
    body = f"Refund card {CARD} to IBAN {IBAN}, I am CLIENT-4411, order 4111 1111 1111 1112"
    sent = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": "masked-1"}, "body": body},
    )
    assert sent.status_code in (200, 201, 202), sent.text
    [item] = await _messages(client, tenant, sent.json()["conversation_id"])
    assert item["body"] == (
        f"Refund card {SHOWN} to IBAN DE•• •••• •••• •••• ••30 00, I am [redacted], order 4111 1111 1111 1112"
    )
    sealed = await _sealed(db, uuid.UUID(item["id"]))
    assert sealed.body == item["body"]
    events = await _event_payloads(db, tenant.workspace_id)
    assert "1111 1111 1111" not in events and "CLIENT-4411" not in events and "0532 0130" not in events
    async with db.session() as session:
        message = await session.get(Message, uuid.UUID(item["id"]))
        assert message is not None
        assert message.meta["redacted"] == ["card", "iban", "pattern"]


async def test_whatsapp_webhook_masks_body_and_raw_payload(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox = await create_whatsapp_inbox(client, tenant.headers, app_secret=APP_SECRET)
    payload = json.loads(load_sample("whatsapp_inbound_text.json"))
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = f"my card: {CARD}"
    body = json.dumps(payload).encode()
    ok = await post_signed_webhook(client, inbox["id"], body, app_secret=APP_SECRET)
    assert ok.status_code == 200, ok.text
    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
    [item] = await _messages(client, tenant, conversation["id"])
    assert item["body"] == f"my card: {SHOWN}"
    sealed = await _sealed(db, uuid.UUID(item["id"]))
    assert sealed.raw is not None
    raw = json.loads(sealed.raw)
    # The vendor payload keeps its shape; the number in it is masked with ASCII.
    assert raw["text"]["body"] == "my card: **** **** **** 1111" and raw["from"] == "16505551234"


def _mail(to: str, body: str, *, cte: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Ana <ana@example.org>"
    mail["To"] = to
    mail["Subject"] = "Payment"
    mail["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
    mail.set_content(body, cte=cte)
    mail.add_alternative(f"<p>{body}</p>", subtype="html", cte=cte)
    return bytes(mail)


async def test_email_masks_body_html_and_raw_or_drops_an_encoded_raw(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    address = unique_address()
    inbox = await create_email_inbox(client, tenant, from_address=address)
    plain = _mail(address, f"Please charge {CARD} today.", cte="7bit")
    encoded = _mail(address, f"Charge {CARD} again, señor.", cte="base64")
    assert CARD.encode() not in encoded  # only the decoded part shows it
    received = []
    async with db.session() as session:
        row = await session.get(Inbox, uuid.UUID(inbox["id"]))
        assert row is not None
        for raw in (plain, encoded):
            received.append(await receive_email(session, inbox=row, raw=raw))
            await session.commit()
    plain_id, encoded_id = received[0].message_id, received[1].message_id
    assert plain_id is not None and encoded_id is not None
    kept = await _sealed(db, plain_id)
    assert kept.body == f"Please charge {SHOWN} today."
    assert kept.html is not None and SHOWN in kept.html and CARD not in kept.html
    assert kept.raw is not None and "**** **** **** 1111" in kept.raw and CARD not in kept.raw
    dropped = await _sealed(db, encoded_id)
    assert dropped.body == f"Charge {SHOWN} again, señor." and dropped.raw is None
    async with db.session() as session:
        meta = await session.scalar(select(Message.meta).where(Message.id == encoded_id))
        assert meta is not None and "raw_dropped" in meta["redacted"]


def test_phone_numbers_that_pass_luhn_are_not_cards() -> None:
    # Both pass the Luhn check; neither is a payment card.
    said = "call me on +4915112345678 or 004915112345678, card 4930 1234 5678 6"
    out = redact_inbound(body=said, html=None, raw=None, patterns=[], mime=False, raw_base64=False)
    assert out.body == "call me on +4915112345678 or 004915112345678, card •••• •••• •678 6"


def test_redact_inbound_checks_a_base64_kept_raw() -> None:
    mail = _mail("a@example.org", f"card {CARD}", cte="base64")
    out = redact_inbound(
        body=f"card {CARD}",
        html=None,
        raw=base64.b64encode(mail).decode(),
        patterns=[],
        mime=True,
        raw_base64=True,
    )
    assert out.raw is None and out.found == ("card", "raw_dropped")
    clean = _mail("a@example.org", "order 4111 1111 1111 1112", cte="base64")
    kept = redact_inbound(
        body="", html=None, raw=base64.b64encode(clean).decode(), patterns=[], mime=True, raw_base64=True
    )
    assert kept.raw == base64.b64encode(clean).decode() and kept.found == ()


async def test_agent_replies_mask_card_numbers_but_not_the_business_iban(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    async with db.session() as session:
        inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        result = await ingest_message(
            session,
            inbox=inbox,
            msg=InboundMessage(external_id="r-1", contact=InboundContact(identifier="rep-1"), body="refund?"),
        )
        await session.commit()
    reply = await client.post(
        f"/api/v1/conversations/{result.conversation_id}/messages",
        headers=tenant.headers,
        json={"body": f"Refunded to {CARD}. For the balance, pay to IBAN {IBAN}."},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["body"] == f"Refunded to {SHOWN}. For the balance, pay to IBAN {IBAN}."
    sealed = await _sealed(db, uuid.UUID(reply.json()["id"]))
    assert sealed.body == reply.json()["body"]
    assert "1111 1111 1111" not in await _event_payloads(db, tenant.workspace_id)

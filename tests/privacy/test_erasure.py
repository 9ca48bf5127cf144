"""Erasure: the contact's strings are gone from a pg_dump of the database afterwards."""

from __future__ import annotations

import json
import secrets
import uuid

import httpx
from sqlalchemy import select, text

from meridian.attachments.models import Attachment
from meridian.attachments.storage import get_storage
from meridian.channels.base import InboundAttachment, InboundContact, InboundMessage
from meridian.channels.ingest import ingest_message
from meridian.db.engine import Database
from meridian.deliveries.models import Delivery
from meridian.deliveries.relay import OutboxRelay
from meridian.inboxes.models import Inbox
from meridian.privacy.erasure import process_pending_erasures
from tests.factories import Factory, Tenant
from tests.privacy.support import pg_dump
from tests.support.vendor_server import ScriptedResponse, vendor_server


def _strings(tok: str) -> dict[str, str]:
    digits = str(int(tok, 16) % 10**8).zfill(8)
    return {
        "name": f"Zoë Ångström-Kowalczyk {tok}",
        "email": f"zoe.{tok}@example.org",
        "phone": f"+4915{digits}",
        "identifier": f"cust-{tok}",
        "latin": f"Where is my parcel {tok}? Ich warte seit Tagen.",
        "cyrillic": f"Мой заказ {tok} ещё не пришёл",
        "cjk": f"我的订单{tok}在哪里？",
        "arabic": f"طلبي رقم {tok} متأخر جدا",
        "devanagari": f"मेरा ऑर्डर {tok} कहाँ है",
        "reply": f"Sorry Zoë, parcel {tok} left our warehouse today.",
        "note": f"VIP customer {tok}, refund if late",
        "attachment": f"receipt for order {tok}",
    }


async def _customer_writes(
    client: httpx.AsyncClient, tenant: Tenant, inbox_id: uuid.UUID, s: dict[str, str]
) -> str:
    conversation_id = ""
    for key in ("latin", "cyrillic", "cjk", "arabic", "devanagari"):
        response = await client.post(
            f"/api/v1/inboxes/{inbox_id}/incoming",
            headers=tenant.headers,
            json={
                "contact": {
                    "identifier": s["identifier"],
                    "name": s["name"],
                    "email": s["email"],
                    "phone": s["phone"],
                },
                "body": s[key],
                "external_id": f"ext-{key}-{secrets.token_hex(4)}",
            },
        )
        assert response.status_code == 202, response.text
        conversation_id = response.json()["conversation_id"]
    return conversation_id


def _present(dump: str, s: dict[str, str]) -> list[str]:
    found = []
    for key, value in s.items():
        if value in dump or value.casefold() in dump:
            found.append(key)
    return found


async def test_erasure_leaves_no_trace_in_a_database_dump(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    tok = secrets.token_hex(6)
    s = _strings(tok)
    with vendor_server() as receiver:
        # The webhook receiver fails and echoes what it got: the error lands in delivery_attempts.
        receiver.respond("/hook", lambda req: ScriptedResponse(500, {"echo": req.body.decode()}))
        created = await client.post(
            "/api/v1/inboxes",
            headers=tenant.headers,
            json={"name": "Shop", "channel": "api", "config": {"webhook_url": receiver.url + "/hook"}},
        )
        inbox_id = uuid.UUID(created.json()["id"])
        conversation_id = await _customer_writes(client, tenant, inbox_id, s)
        contact_id = (
            await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
        ).json()["contact"]["id"]
        await client.patch(f"/api/v1/contacts/{contact_id}", headers=tenant.headers, json={"country": "DE"})
        for body, private in ((s["reply"], False), (s["note"], True)):
            reply = await client.post(
                f"/api/v1/conversations/{conversation_id}/messages",
                headers=tenant.headers,
                json={"body": body, "private": private},
            )
            assert reply.status_code == 201, reply.text
        async with db.session() as session:
            inbox = await session.get(Inbox, inbox_id)
            assert inbox is not None
            await ingest_message(
                session,
                inbox=inbox,
                msg=InboundMessage(
                    external_id=f"ext-file-{tok}",
                    contact=InboundContact(identifier=s["identifier"]),
                    body="see attached",
                    raw=json.dumps({"text": s["attachment"]}),
                    attachments=(
                        InboundAttachment("receipt.txt", "text/plain", data=s["attachment"].encode()),
                    ),
                ),
            )
            await session.commit()
            storage_key = await session.scalar(
                select(Attachment.storage_key).where(Attachment.contact_id == uuid.UUID(contact_id))
            )
        assert storage_key is not None
        on_disk = await get_storage().get(storage_key)
        assert s["attachment"].encode() not in on_disk, "attachments are stored encrypted"
        async with db.session() as session:
            delivery_id = await session.scalar(
                select(Delivery.id).where(Delivery.workspace_id == tenant.workspace_id)
            )
        assert delivery_id is not None
        relay = OutboxRelay(db, concurrency=1)
        try:
            # This delivery, not whatever another test left due.
            await relay.deliver(delivery_id)
        finally:
            await relay.stop()
        assert receiver.requests_to("/hook"), "the reply was attempted"

    before = await pg_dump(db)
    # PII is ciphertext at rest; message text is in the search index and event payloads.
    assert not {"name", "email", "phone", "identifier"} & set(_present(before, s))
    assert "cjk" in _present(before, s)

    erase = await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=tenant.headers)
    assert erase.status_code == 202, erase.text
    request = erase.json()
    assert request["type"] == "erase" and request["status"] == "pending" and request["regime"] == "gdpr"
    contact = (await client.get(f"/api/v1/contacts/{contact_id}", headers=tenant.headers)).json()
    assert contact["erased"] is True and contact["name"] is None and contact["identities"] == []
    shell = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    ).json()["items"]
    assert shell and all(m["body"] == "" for m in shell), "content is unreadable at once"

    assert await process_pending_erasures(db) >= 1
    after = await pg_dump(db)
    assert _present(after, s) == []
    assert tok not in after
    assert not (get_storage().root / storage_key).exists()  # type: ignore[attr-defined]

    # The shells stay for analytics: same conversation, same number of messages.
    conversation = await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
    assert conversation.status_code == 200 and conversation.json()["contact"]["erased"] is True
    messages = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    ).json()["items"]
    assert len(messages) == 8 and {m["body"] for m in messages} == {""}
    done = (await client.get(f"/api/v1/privacy-requests/{request['id']}", headers=tenant.headers)).json()
    assert done["status"] == "completed" and done["result"]["messages"] == 8
    again = await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=tenant.headers)
    assert again.status_code == 202 and again.json()["id"] == request["id"]


async def test_erasure_spares_other_contacts_and_new_messages_start_fresh(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    ids = {}
    for who in ("erased", "kept"):
        r = await client.post(
            f"/api/v1/inboxes/{inbox_id}/incoming",
            headers=tenant.headers,
            json={"contact": {"identifier": f"{who}-1", "name": f"Name {who}"}, "body": f"text from {who}"},
        )
        ids[who] = r.json()["conversation_id"]
    contact_id = (await client.get(f"/api/v1/conversations/{ids['erased']}", headers=tenant.headers)).json()[
        "contact"
    ]["id"]
    assert (
        await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=tenant.headers)
    ).status_code == 202
    await process_pending_erasures(db)

    kept = (await client.get(f"/api/v1/conversations/{ids['kept']}/messages", headers=tenant.headers)).json()
    assert kept["items"][0]["body"] == "text from kept"
    found = (await client.get("/api/v1/conversations?q=from", headers=tenant.headers)).json()["items"]
    assert [c["id"] for c in found] == [ids["kept"]], "search no longer finds the erased text"
    # Writing again from the same address is a new person to us.
    again = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": "erased-1"}, "body": "hello again"},
    )
    assert again.json()["conversation_id"] != ids["erased"]
    async with db.session() as session:
        events = await session.scalar(
            text(
                "SELECT count(*) FROM domain_events WHERE workspace_id = :w "
                "AND conversation_id = :c AND payload->>'body' IS NOT NULL"
            ),
            {"w": tenant.workspace_id, "c": uuid.UUID(ids["erased"])},
        )
    assert events == 0


async def test_erase_is_for_supervisors_and_scoped_to_the_workspace(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    agent = await factory.agent(tenant)
    created = await client.post("/api/v1/contacts", headers=tenant.headers, json={"name": "Ana"})
    contact_id = created.json()["id"]
    assert (
        await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=agent.headers)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=other.headers)
    ).status_code == 404
    assert (await client.post("/api/v1/contacts/not-an-id/erase", headers=tenant.headers)).status_code == 404
    assert (await client.get(f"/api/v1/contacts/{contact_id}", headers=tenant.headers)).json()[
        "erased"
    ] is False

"""Mail arriving in an email inbox: one conversation per thread, bounces mark our
reply failed, robots are flagged, threading never crosses inboxes, nothing is lost,
and the SMTP receiver routes by envelope recipient."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select, text, update

from meridian.channels.email.service import Received, receive_email, smtp_receiver
from meridian.channels.ingest import should_auto_reply
from meridian.conversations.models import Conversation
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.vault import service as vault
from tests.email.conftest import FIXTURES
from tests.email.support import (
    bounce_for,
    create_email_inbox,
    customer_mail,
    message_rows,
    unique_address,
)
from tests.factories import Factory, Tenant


async def deliver(db: Database, inbox_id: str, raw: bytes) -> Received:
    async with db.session() as session:
        inbox = await session.get(Inbox, uuid.UUID(inbox_id))
        assert inbox is not None
        received = await receive_email(session, inbox=inbox, raw=raw)
        await session.commit()
    return received


async def conversations(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/conversations", headers=tenant.headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_email_inbox_settings(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(
        client,
        tenant,
        imap_host="imap.acme.example",
        imap_port=993,
        smtp_host="smtp.acme.example",
        smtp_port=587,
        username="support",
        password="app-password",
        security="starttls",
    )
    assert "password" not in inbox["config"] and inbox["secrets_set"] == ["password"]
    assert inbox["config"]["security"] == "starttls" and inbox.get("callback_url") is None
    bad = [
        {"smtp_host": "smtp.acme.example"},  # no from_address
        {"from_address": "not-an-address"},
        {"from_address": unique_address(), "imap_host": "imap.acme.example"},  # no login
        {"from_address": unique_address(), "security": "tls"},
        {"from_address": unique_address(), "api_base_url": "http://x"},
    ]
    for config in bad:
        response = await client.post(
            "/api/v1/inboxes",
            headers=tenant.headers,
            json={"name": "bad", "channel": "email", "config": config},
        )
        assert response.status_code == 422, (config, response.text)


async def test_mail_opens_one_conversation_once(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant)
    raw = customer_mail(to=inbox["config"]["from_address"], message_id="<order-4711@example.org>")
    first, again = await deliver(db, inbox["id"], raw), await deliver(db, inbox["id"], raw)
    assert first.outcome == "created" and again.outcome == "duplicate"
    assert again.message_id == first.message_id
    [conv] = await conversations(client, tenant)
    assert conv["contact"]["email"] == "alice@example.org" and conv["contact"]["name"] == "Alice Martin"
    [row] = await message_rows(db, inbox["id"])
    context = row.meta["reply_context"]
    assert row.external_id == "order-4711@example.org"
    assert context["message_id"] == "order-4711@example.org" and context["subject"] == "Where is my order?"
    assert context["references"] == ["order-4711@example.org"]
    assert should_auto_reply(row)
    async with db.session() as session:
        content = (await vault.get_messages(session, [(row.id, "default")]))[row.id]
    assert content.body == "Hello, my order 4711 has not arrived yet."
    assert content.raw is not None and content.raw.encode() == raw


async def _sent_reply(client: httpx.AsyncClient, tenant: Tenant, db: Database, conv_id: str) -> str:
    """A reply as the relay leaves it once SMTP accepted it: sent, with our Message-ID."""
    reply = await client.post(
        f"/api/v1/conversations/{conv_id}/messages", headers=tenant.headers, json={"body": "We are on it."}
    )
    assert reply.status_code == 201, reply.text
    our_id = f"conv-{conv_id}.{reply.json()['id']}@acme.example"
    async with db.session() as session:
        await session.execute(
            update(Message)
            .where(Message.id == uuid.UUID(reply.json()["id"]))
            .values(external_id=our_id, delivery_status="sent")
        )
        await session.commit()
    return our_id


async def test_bounce_marks_our_reply_failed_and_opens_nothing(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant)
    address = inbox["config"]["from_address"]
    await deliver(db, inbox["id"], customer_mail(to=address))
    [conv] = await conversations(client, tenant)
    our_id = await _sent_reply(client, tenant, db, conv["id"])

    delayed = await deliver(db, inbox["id"], bounce_for(our_id, to=address, status="4.4.1", action="delayed"))
    assert delayed.outcome == "report"
    outgoing = [m for m in await message_rows(db, inbox["id"]) if m.direction == "outgoing"]
    assert outgoing[0].delivery_status == "sent"

    bounced = await deliver(db, inbox["id"], bounce_for(our_id, to=address))
    assert bounced.outcome == "bounce"
    rows = await message_rows(db, inbox["id"])
    [outgoing_row] = [m for m in rows if m.direction == "outgoing"]
    assert outgoing_row.delivery_status == "failed"
    assert outgoing_row.delivery_error is not None and "User unknown" in outgoing_row.delivery_error
    assert len(rows) == 2, "a bounce is never stored as a customer message"
    assert len(await conversations(client, tenant)) == 1


async def test_robot_mail_is_stored_but_never_auto_answered(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant)
    result = await deliver(db, inbox["id"], (FIXTURES / "auto_reply.eml").read_bytes())
    assert result.outcome == "created"
    [row] = await message_rows(db, inbox["id"])
    assert row.meta["reply_context"]["auto_generated"] == "Auto-Submitted: auto-replied"
    assert not should_auto_reply(row)


async def test_threading_by_tag_and_by_our_message_id_stays_inside_the_inbox(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    first = await create_email_inbox(client, tenant, from_address=unique_address("help"))
    other = await create_email_inbox(client, tenant, from_address=unique_address("sales"))
    address = first["config"]["from_address"]
    await deliver(db, first["id"], customer_mail(to=address))
    [conv] = await conversations(client, tenant)
    resolved = await client.patch(
        f"/api/v1/conversations/{conv['id']}", headers=tenant.headers, json={"status": "resolved"}
    )
    assert resolved.status_code == 200
    tag = f"[#{conv['number']}]"

    # The customer writes again with only the tag: back into the same conversation.
    await deliver(db, first["id"], customer_mail(to=address, subject=f"Re: Where is my order? {tag}"))
    # Someone else cannot use a (guessable) tag to join it.
    await deliver(db, first["id"], customer_mail(to=address, sender="eve@example.net", subject=f"Hi {tag}"))
    # A colleague answering our mail (our Message-ID names the conversation) joins it.
    domain = address.rpartition("@")[2]
    ours = f"<conv-{conv['id']}.{uuid.uuid4()}@{domain}>"
    await deliver(db, first["id"], customer_mail(to=address, sender="bob@example.org", in_reply_to=ours))
    # The same reference in mail to another inbox does not reach into this one.
    await deliver(db, other["id"], customer_mail(to=other["config"]["from_address"], in_reply_to=ours))
    await deliver(db, other["id"], customer_mail(to=other["config"]["from_address"], subject=f"Re: {tag}"))

    async with db.session() as session:
        counts = dict(
            (
                await session.execute(
                    select(Message.conversation_id, func.count())
                    .where(Message.inbox_id.in_([uuid.UUID(first["id"]), uuid.UUID(other["id"])]))
                    .group_by(Message.conversation_id)
                )
            ).all()
        )
        original = await session.get(Conversation, uuid.UUID(conv["id"]))
    assert original is not None and original.status == "open"
    assert counts[uuid.UUID(conv["id"])] == 3  # first mail, the tagged one, the colleague's
    assert sorted(counts.values()) == [1, 2, 3]  # eve's alone; the other inbox's two together


async def test_mail_the_database_refuses_is_kept_raw_and_flagged(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant)
    marker = f"poison-{uuid.uuid4().hex[:8]}"
    # Something about this mail makes the database refuse it as parsed.
    async with db.session() as session:
        await session.execute(
            text(
                "CREATE OR REPLACE FUNCTION test_refuse_subject() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF NEW.subject LIKE '%{marker}%' THEN RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$"
            )
        )
        await session.execute(
            text(
                "CREATE TRIGGER test_refuse_subject BEFORE INSERT ON conversations "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_subject()"
            )
        )
        await session.commit()
    raw = customer_mail(
        to=inbox["config"]["from_address"], subject=f"Order {marker}", message_id="<p1@x.org>"
    )
    try:
        result = await deliver(db, inbox["id"], raw)
    finally:
        async with db.session() as session:
            await session.execute(text("DROP TRIGGER test_refuse_subject ON conversations"))
            await session.commit()
    assert result.outcome == "created"
    [row] = await message_rows(db, inbox["id"])
    assert row.external_id == "p1@x.org"
    meta = row.meta["reply_context"]
    assert meta["malformed"] is True and meta["unreadable"] is True and meta["raw_encoding"] == "base64"
    async with db.session() as session:
        content = (await vault.get_messages(session, [(row.id, "default")]))[row.id]
    import base64

    assert content.raw is not None and base64.b64decode(content.raw) == raw


def _smtp(port: int, raw: bytes, rcpts: list[str]) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo("mx.example.org")
        smtp.mail("alice@example.org")
        for rcpt in rcpts:
            code, reply = smtp.rcpt(rcpt)
            if code != 250:
                return code, reply
        return smtp.data(raw)


async def test_smtp_receiver_routes_by_envelope_recipient(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    owner, intruder = await factory.tenant("Owner"), await factory.tenant("Intruder")
    inbox = await create_email_inbox(client, owner)
    address = inbox["config"]["from_address"]
    # A later inbox elsewhere claiming the same address never receives its mail.
    await create_email_inbox(client, intruder, from_address=address)
    raw = customer_mail(to=address)
    receiver = smtp_receiver(db, "127.0.0.1", 0)
    await receiver.start()
    try:
        unknown = await asyncio.to_thread(_smtp, receiver.port, raw, [unique_address("nobody")])
        assert unknown[0] == 550
        code, reply = await asyncio.to_thread(_smtp, receiver.port, raw, [f"<{address.upper()}>"])
        assert code == 250, reply
    finally:
        await receiver.stop()
    # 250 came after the commit: the conversation is there the moment the sender hears it.
    assert len(await conversations(client, owner)) == 1
    assert await conversations(client, intruder) == []

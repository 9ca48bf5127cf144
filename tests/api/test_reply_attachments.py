"""Files on replies and notes: sent through the API, checked before anything is stored,
delivered through each channel's own attachment support (bytes where the vendor takes an
upload, a signed link where it fetches one), and served at that link to the vendor only."""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from meridian.attachments.models import Attachment
from meridian.db.engine import Database
from meridian.deliveries.models import Delivery
from tests.channels.samples import load_sample
from tests.factories import Factory, Tenant
from tests.support.outbox import drain
from tests.support.vendor_server import ScriptedResponse, vendor_server
from tests.support.whatsapp import create_whatsapp_inbox, post_signed_webhook

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
PDF = b"%PDF-1.4\n% a small invoice\n%%EOF\n"
APP_SECRET = "reply-attachments-app-secret"
PHONE_ID = "106540352242922"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def file(name: str, data: bytes, content_type: str = "") -> dict[str, str]:
    return {"filename": name, "content_type": content_type, "data": b64(data)}


async def api_conversation(client: httpx.AsyncClient, tenant: Tenant, **config: Any) -> str:
    inbox = await client.post(
        "/api/v1/inboxes", headers=tenant.headers, json={"name": "API", "channel": "api", "config": config}
    )
    assert inbox.status_code == 201, inbox.text
    created = await client.post(
        f"/api/v1/inboxes/{inbox.json()['id']}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": f"c-{uuid.uuid4().hex[:8]}", "name": "Ana"}, "body": "Hola"},
    )
    assert created.status_code == 202, created.text
    conversation_id: str = created.json()["conversation_id"]
    return conversation_id


async def stored(db: Database, conversation_id: str) -> tuple[int, int]:
    """(attachment rows, delivery rows) of the conversation's messages."""
    from meridian.messages.models import Message

    async with db.session() as session:
        files = await session.scalar(
            select(func.count())
            .select_from(Attachment)
            .join(Message, Message.id == Attachment.message_id)
            .where(Message.conversation_id == uuid.UUID(conversation_id))
        )
        deliveries = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .join(Message, Message.id == Delivery.message_id)
            .where(Message.conversation_id == uuid.UUID(conversation_id))
        )
    return int(files or 0), int(deliveries or 0)


async def fetch_link(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """GET a signed link as a vendor would: no token, no cookie."""
    parts = urlsplit(url)
    assert parts.netloc == "testserver", url  # built on MERIDIAN_PUBLIC_URL
    client.cookies.clear()
    return await client.get(parts.path)


async def test_reply_with_files_is_stored_and_shown(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    conversation_id = await api_conversation(client, tenant)
    url = f"/api/v1/conversations/{conversation_id}/messages"
    reply = await client.post(
        url,
        headers=tenant.headers,
        json={
            "body": "Here is your invoice",
            "attachments": [file("factura.pdf", PDF, "application/pdf"), file("../../etc/photo.png", PNG)],
        },
    )
    assert reply.status_code == 201, reply.text
    out = reply.json()
    assert [(a["filename"], a["content_type"], a["size"]) for a in out["attachments"]] == [
        ("factura.pdf", "application/pdf", len(PDF)),
        # A path is cut to its name; the type is guessed from it when none is given.
        ("photo.png", "image/png", len(PNG)),
    ]
    listed = (await client.get(url, headers=tenant.headers)).json()["items"]
    assert [len(m["attachments"]) for m in listed] == [0, 2]
    pdf = await client.get(out["attachments"][0]["url"], headers=tenant.headers)
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-disposition"].startswith("attachment;")

    # A note may carry files too; it never goes out.
    note = await client.post(
        url,
        headers=tenant.headers,
        json={"private": True, "attachments": [file("screenshot.png", PNG, "image/png")]},
    )
    assert note.status_code == 201, note.text
    assert note.json()["direction"] == "note" and note.json()["content_type"] == "image"
    assert await stored(db, conversation_id) == (3, 1)

    # Someone from another workspace cannot read them.
    other = await factory.tenant("Other")
    assert (await client.get(out["attachments"][0]["url"], headers=other.headers)).status_code == 404


@pytest.mark.parametrize(
    ("attachments", "status", "says"),
    [
        ([file("big.pdf", b"%PDF" + b"0" * 5_000_000, "application/pdf")], 413, "larger than 5 MB"),
        ([file("page.html", b"<script>alert(1)</script>", "text/html")], 415, "text/html cannot be sent"),
        ([file("tool.exe", b"MZ\x90\x00")], 415, "cannot be sent"),
        ([file("fake.png", b"<svg onload=alert(1)>", "image/png")], 415, "is not the image/png file"),
        ([file("empty.txt", b"", "text/plain")], 422, "empty"),
        ([file(f"{n}.txt", b"x", "text/plain") for n in range(6)], 422, "at most 5 files"),
        ([{"filename": "bad.txt", "data": "not base64!"}], 422, None),
        ([{"filename": "", "data": b64(b"x")}], 422, None),
        ([{"filename": "x.txt", "data": b64(b"x"), "extra": 1}], 422, None),
    ],
)
async def test_bad_files_are_refused_and_change_nothing(
    client: httpx.AsyncClient,
    factory: Factory,
    db: Database,
    attachments: list[dict[str, Any]],
    status: int,
    says: str | None,
) -> None:
    tenant = await factory.tenant()
    conversation_id = await api_conversation(client, tenant)
    url = f"/api/v1/conversations/{conversation_id}/messages"
    refused = await client.post(
        url, headers=tenant.headers, json={"body": "see attached", "attachments": attachments}
    )
    assert refused.status_code == status, refused.text
    problem = refused.json()
    assert problem["status"] == status and refused.headers["content-type"] == "application/problem+json"
    if says:
        assert says in problem["detail"]
    assert [m["direction"] for m in (await client.get(url, headers=tenant.headers)).json()["items"]] == [
        "incoming"
    ]
    assert await stored(db, conversation_id) == (0, 0)


async def test_files_alone_are_a_message_but_nothing_is_not(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    conversation_id = await api_conversation(client, tenant)
    url = f"/api/v1/conversations/{conversation_id}/messages"
    empty = await client.post(url, headers=tenant.headers, json={"body": "", "attachments": []})
    assert empty.status_code == 422
    alone = await client.post(url, headers=tenant.headers, json={"attachments": [file("a.png", PNG)]})
    assert alone.status_code == 201 and alone.json()["content_type"] == "image"
    template = await client.post(
        url,
        headers=tenant.headers,
        json={"template": {"name": "hello", "language": "en"}, "attachments": [file("a.png", PNG)]},
    )
    assert template.status_code == 422


async def test_api_channel_webhook_carries_signed_links(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    with vendor_server() as receiver:
        receiver.respond("/hook", lambda _: ScriptedResponse(200, {}))
        conversation_id = await api_conversation(
            client, tenant, webhook_url=f"{receiver.url}/hook", webhook_secret="whsec_" + b64(b"k" * 24)
        )
        reply = await client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            headers=tenant.headers,
            json={"body": "Your label", "attachments": [file("label.pdf", PDF, "application/pdf")]},
        )
        assert reply.status_code == 201, reply.text
        await drain(db)
        [sent] = receiver.requests_to("/hook")
    [link] = sent.json()["data"]["attachments"]
    assert link["filename"] == "label.pdf" and link["size"] == len(PDF)
    fetched = await fetch_link(client, link["url"])
    assert fetched.status_code == 200 and fetched.content == PDF
    assert fetched.headers["x-content-type-options"] == "nosniff"


async def test_whatsapp_reply_sends_media_links_the_vendor_can_fetch(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    with vendor_server() as meta:
        inbox = await create_whatsapp_inbox(
            client,
            tenant.headers,
            app_secret=APP_SECRET,
            api_base_url=meta.url,
            access_token="EAAG-files",
            phone_number_id=PHONE_ID,
        )
        body = load_sample("whatsapp_inbound_text.json")
        hook = await post_signed_webhook(client, inbox["id"], body, app_secret=APP_SECRET)
        assert hook.status_code == 200
        [conv] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
        meta.respond(
            f"/{PHONE_ID}/messages", lambda _: ScriptedResponse(200, {"messages": [{"id": "wamid.F"}]})
        )
        reply = await client.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            headers=tenant.headers,
            json={
                "body": "The blue one:",
                "attachments": [
                    file("blue.png", PNG, "image/png"),
                    file("specs.pdf", PDF, "application/pdf"),
                ],
            },
        )
        assert reply.status_code == 201, reply.text
        await drain(db)
        sent = [r.json() for r in meta.requests_to(f"/{PHONE_ID}/messages")]
    # The caption rides on the image; the PDF goes as a document with its name.
    assert [s["type"] for s in sent] == ["image", "document"]
    assert sent[0]["image"]["caption"] == "The blue one:"
    assert sent[1]["document"]["filename"] == "specs.pdf"
    png = await fetch_link(client, sent[0]["image"]["link"])
    assert png.status_code == 200 and png.content == PNG and png.headers["content-type"] == "image/png"
    assert (await fetch_link(client, sent[1]["document"]["link"])).content == PDF
    messages = (
        await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers)
    ).json()
    assert messages["items"][-1]["delivery_status"] == "sent"


async def test_telegram_reply_uploads_the_bytes(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    token, secret = "424242:FILES-token", "files_secret-token"
    with vendor_server() as telegram:
        inbox = (
            await client.post(
                "/api/v1/inboxes",
                headers=tenant.headers,
                json={
                    "name": "Telegram",
                    "channel": "telegram",
                    "config": {"bot_token": token, "secret_token": secret, "api_base_url": telegram.url},
                },
            )
        ).json()
        hook = await client.post(
            f"/webhooks/telegram/{inbox['id']}",
            content=load_sample("telegram_update_message.json"),
            headers={"X-Telegram-Bot-Api-Secret-Token": secret, "content-type": "application/json"},
        )
        assert hook.status_code == 200
        [conv] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
        ok = ScriptedResponse(200, {"ok": True, "result": {"message_id": 7, "date": 1}})
        telegram.respond(f"/bot{token}/sendDocument", lambda _: ok)
        reply = await client.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            headers=tenant.headers,
            json={"attachments": [file("manual.pdf", PDF, "application/pdf")]},
        )
        assert reply.status_code == 201, reply.text
        await drain(db)
        [sent] = telegram.requests_to(f"/bot{token}/sendDocument")
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert b'filename="manual.pdf"' in sent.body and PDF in sent.body


async def test_media_links_are_unforgeable(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    from meridian.attachments.links import signed_url

    tenant = await factory.tenant()
    conversation_id = await api_conversation(client, tenant)
    note = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        headers=tenant.headers,
        json={"private": True, "body": "internal", "attachments": [file("n.png", PNG)]},
    )
    [attachment] = note.json()["attachments"]
    # A link is only made for what we send: a note's file is not served even when signed.
    assert (await fetch_link(client, signed_url(uuid.UUID(attachment["id"])))).status_code == 404
    assert (await client.get("/media/not-a-token")).status_code == 404
    good = signed_url(uuid.uuid4())
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    assert (await fetch_link(client, tampered)).status_code == 404


async def test_email_reply_attaches_the_files(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    from meridian.channels.email.parse import parse_email
    from meridian.channels.email.service import receive_email
    from meridian.inboxes.models import Inbox
    from tests.email.smtp_server import RecordingHandler, smtp_server
    from tests.email.support import create_email_inbox, customer_mail

    tenant = await factory.tenant()
    handler = RecordingHandler()
    async with smtp_server(handler) as smtp_port:
        inbox = await create_email_inbox(
            client, tenant, smtp_host="127.0.0.1", smtp_port=smtp_port, security="none"
        )
        async with db.session() as session:
            row = await session.get(Inbox, uuid.UUID(inbox["id"]))
            assert row is not None
            await receive_email(session, inbox=row, raw=customer_mail(to=inbox["config"]["from_address"]))
            await session.commit()
        [conv] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
        reply = await client.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            headers=tenant.headers,
            json={"body": "Your invoice is attached.", "attachments": [file("factura été.pdf", PDF)]},
        )
        assert reply.status_code == 201, reply.text
        await drain(db)
        [sent] = handler.received
    mail = parse_email(sent.raw)
    [attached] = mail.attachments
    assert (attached.filename, attached.content_type, attached.data) == (
        "factura été.pdf",
        "application/pdf",
        PDF,
    )
    # The bytes travel in the mail itself, so no link is added to the text.
    assert "/media/" not in mail.text

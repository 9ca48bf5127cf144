"""Inbound media: announced files are fetched through the vendor after the webhook is
acknowledged, stored, and served only to people who may see the conversation, with
headers that keep a hostile file from running in the agent's browser."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest
from procrastinate.jobs import Job
from sqlalchemy import select, text, update

from meridian.attachments.models import Attachment
from meridian.attachments.service import fetch_attachment
from meridian.attachments.tasks import MAX_ATTEMPTS, VendorRetry
from meridian.channels.base import DeliveryError
from meridian.channels.email.service import receive_email
from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.events.dispatch import dispatch_batch, load_subscribers
from meridian.events.models import DomainEvent
from meridian.inboxes.models import Inbox
from tests.channels.samples import load_fixture
from tests.email.support import create_email_inbox
from tests.factories import Factory, Tenant
from tests.support.vendor_server import ScriptedResponse, VendorServer, vendor_server
from tests.support.whatsapp import create_whatsapp_inbox, post_signed_webhook

APP_SECRET = "attachments-app-secret"
PHONE_ID = "106540352242922"
MEDIA_ID = "2754859441498128"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"


async def whatsapp_image(client: httpx.AsyncClient, tenant: Tenant, meta: VendorServer) -> dict[str, Any]:
    """A signed WhatsApp image webhook into a new inbox; returns the stored message."""
    inbox = await create_whatsapp_inbox(
        client,
        tenant.headers,
        app_secret=APP_SECRET,
        api_base_url=meta.url,
        access_token="EAAG-media",
        phone_number_id=PHONE_ID,
    )
    body = load_fixture("whatsapp", "image.json")
    hook = await post_signed_webhook(client, inbox["id"], body, app_secret=APP_SECRET)
    assert hook.status_code == 200, hook.text
    [conv] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
    messages = await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers)
    [message] = messages.json()["items"]
    result: dict[str, Any] = message
    return result


def script_media(meta: VendorServer, *first: ScriptedResponse) -> None:
    meta.script(f"/{MEDIA_ID}", *first)
    meta.respond(
        f"/{MEDIA_ID}",
        lambda _: ScriptedResponse(
            200, {"url": f"{meta.url}/whatsapp-cdn/{MEDIA_ID}", "mime_type": "image/jpeg", "id": MEDIA_ID}
        ),
    )
    meta.respond(
        f"/whatsapp-cdn/{MEDIA_ID}",
        lambda _: ScriptedResponse(200, JPEG, headers={"content-type": "image/jpeg"}),
    )


async def test_announced_media_is_fetched_after_the_ack_and_served(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    async with db.session() as session:  # dispatch only this test's events below
        await session.execute(
            update(DomainEvent).where(DomainEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow())
        )
        await session.commit()
    with vendor_server() as meta:
        script_media(meta)
        message = await whatsapp_image(client, tenant, meta)
        [attachment] = message["attachments"]
        url = attachment["url"]
        waiting = await client.get(url, headers=tenant.headers)
        assert waiting.status_code == 409 and waiting.headers["retry-after"] == "5"

        # message.created -> the subscriber defers the download job in its own transaction.
        load_subscribers()
        await dispatch_batch(db)
        async with db.session() as session:
            jobs = (
                await session.execute(
                    text(
                        "SELECT lock, status FROM procrastinate_jobs WHERE task_name = "
                        "'meridian.fetch_attachment' AND args->>'attachment_id' = :id"
                    ),
                    {"id": attachment["id"]},
                )
            ).all()
        assert [tuple(job) for job in jobs] == [(f"attachment:{attachment['id']}", "todo")]

        async with httpx.AsyncClient(timeout=5) as http:
            outcome = await fetch_attachment(
                db, attachment_id=uuid.UUID(attachment["id"]), http=http, last_attempt=False
            )
            again = await fetch_attachment(
                db, attachment_id=uuid.UUID(attachment["id"]), http=http, last_attempt=False
            )
        assert (outcome, again) == ("stored", "skipped")
        [info] = meta.requests_to(f"/{MEDIA_ID}")
        assert info.headers["authorization"] == "Bearer EAAG-media"
        assert (
            meta.requests_to(f"/whatsapp-cdn/{MEDIA_ID}")[0].headers["authorization"] == "Bearer EAAG-media"
        )

    served = await client.get(url, headers=tenant.headers)
    assert served.status_code == 200 and served.content == JPEG
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["content-disposition"].startswith("inline;")
    assert served.headers["x-content-type-options"] == "nosniff"
    async with db.session() as session:
        row = await session.get(Attachment, uuid.UUID(attachment["id"]))
    assert row is not None and row.size == len(JPEG) and row.sha256 == hashlib.sha256(JPEG).hexdigest()

    intruder = await factory.tenant("Intruder")
    assert (await client.get(url, headers=intruder.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401
    assert (await client.get("/api/v1/attachments/not-an-id", headers=tenant.headers)).status_code == 404


async def test_vendor_trouble_retries_then_gives_up_visibly(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    with vendor_server() as meta:
        script_media(meta, ScriptedResponse(503, {"error": {"message": "busy", "code": 2}}))
        message = await whatsapp_image(client, tenant, meta)
        attachment_id = uuid.UUID(message["attachments"][0]["id"])
        async with httpx.AsyncClient(timeout=5) as http:
            with pytest.raises(DeliveryError) as transient:
                await fetch_attachment(db, attachment_id=attachment_id, http=http, last_attempt=False)
            assert not transient.value.permanent
            assert (
                await client.get(message["attachments"][0]["url"], headers=tenant.headers)
            ).status_code == 409
            # The vendor deleted the media meanwhile: nothing more to try.
            meta.script(f"/{MEDIA_ID}", ScriptedResponse(404, {"error": {"message": "gone", "code": 100}}))
            assert (
                await fetch_attachment(db, attachment_id=attachment_id, http=http, last_attempt=False)
                == "failed"
            )
    gone = await client.get(message["attachments"][0]["url"], headers=tenant.headers)
    assert gone.status_code == 410


def test_retry_strategy_follows_the_vendor() -> None:
    strategy = VendorRetry()

    def job(attempts: int) -> Job:
        return Job(id=1, queue="media", lock=None, queueing_lock=None, task_name="t", attempts=attempts)

    assert (
        strategy.get_retry_decision(exception=DeliveryError("bad token", permanent=True), job=job(0)) is None
    )
    slow = strategy.get_retry_decision(exception=DeliveryError("429", retry_after=120), job=job(0))
    assert slow is not None and slow.retry_at is not None
    assert (slow.retry_at - utcnow()).total_seconds() >= 119
    assert strategy.get_retry_decision(exception=DeliveryError("503"), job=job(1)) is not None
    assert strategy.get_retry_decision(exception=DeliveryError("503"), job=job(MAX_ATTEMPTS - 1)) is None


async def test_email_attachments_are_served_as_downloads_unless_safe_images(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant)
    boundary = "MIXED-1"
    raw = (
        f"From: Alice <alice@example.org>\r\nTo: {inbox['config']['from_address']}\r\n"
        f"Subject: Files\r\nMessage-ID: <files-{uuid.uuid4().hex}@example.org>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        f"--{boundary}\r\nContent-Type: text/html\r\n"
        f'Content-Disposition: attachment; filename="invoice \u00e9t\u00e9.html"\r\n\r\n'
        f"<script>alert(document.cookie)</script>\r\n"
        f"--{boundary}\r\nContent-Type: image/svg+xml\r\n"
        f'Content-Disposition: attachment; filename="logo.svg"\r\n\r\n'
        f"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    async with db.session() as session:
        stored = await session.get(Inbox, uuid.UUID(inbox["id"]))
        assert stored is not None
        await receive_email(session, inbox=stored, raw=raw)
        await session.commit()
        rows = list(
            await session.scalars(select(Attachment).where(Attachment.workspace_id == tenant.workspace_id))
        )
    assert sorted(r.filename for r in rows) == ["invoice été.html", "logo.svg"]
    for row in rows:
        served = await client.get(f"/api/v1/attachments/{row.id}", headers=tenant.headers)
        assert served.status_code == 200
        disposition = served.headers["content-disposition"]
        assert disposition.startswith("attachment;"), disposition
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]
    html = next(r for r in rows if r.filename.endswith(".html"))
    served = await client.get(f"/api/v1/attachments/{html.id}", headers=tenant.headers)
    assert "filename*=UTF-8''invoice%20%C3%A9t%C3%A9.html" in served.headers["content-disposition"]
    assert b"<script>" in served.content  # byte for byte, just never rendered

    # An agent outside the conversation's team cannot read it either.
    team = await factory.team(tenant, name="Elsewhere")
    outsider = await factory.agent(tenant, team_ids=[team])
    other_team = await factory.team(tenant, name="Support")
    async with db.session() as session:
        await session.execute(
            text("UPDATE conversations SET team_id = :t WHERE inbox_id = :i"),
            {"t": other_team, "i": stored.id},
        )
        await session.commit()
    assert (await client.get(f"/api/v1/attachments/{html.id}", headers=outsider.headers)).status_code == 404

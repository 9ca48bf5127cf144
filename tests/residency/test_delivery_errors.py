"""Vendor error bodies of a regional contact's sends are not kept in the home database."""

from __future__ import annotations

import secrets
import uuid

import httpx
from sqlalchemy import select, text

from meridian.channels.base import StatusUpdate
from meridian.channels.ingest import apply_status
from meridian.db.engine import Database
from meridian.deliveries.models import Delivery, DeliveryAttempt
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.privacy.erasure import process_pending_erasures
from tests.factories import Factory
from tests.privacy.support import pg_dump
from tests.residency.conftest import Regional
from tests.support.outbox import drain
from tests.support.vendor_server import RecordedRequest, ScriptedResponse, vendor_server


def _echo(request: RecordedRequest) -> ScriptedResponse:
    # A receiver that refuses the message and quotes it back, as vendors do.
    return ScriptedResponse(400, {"error": f"rejected: {request.body.decode()}"})


async def _errors(db: Database, message_id: str) -> tuple[str | None, str | None, list[str | None]]:
    async with db.session() as session:
        message = await session.get(Message, uuid.UUID(message_id))
        assert message is not None
        delivery = await session.scalar(select(Delivery).where(Delivery.message_id == message.id))
        assert delivery is not None
        attempts = list(
            await session.scalars(
                select(DeliveryAttempt.error).where(DeliveryAttempt.delivery_id == delivery.id)
            )
        )
        return message.delivery_error, delivery.last_error, attempts


async def test_a_regional_contacts_vendor_error_stays_out_of_the_home_database(
    client: httpx.AsyncClient, factory: Factory, db: Database, regional: Regional
) -> None:
    tenant = await factory.tenant()
    tok = secrets.token_hex(6)
    with vendor_server() as receiver:
        receiver.respond("/hook", _echo)
        created = await client.post(
            "/api/v1/inboxes",
            headers=tenant.headers,
            json={"name": "Shop API", "channel": "api", "config": {"webhook_url": receiver.url + "/hook"}},
        )
        assert created.status_code == 201, created.text
        inbox_id = created.json()["id"]
        replies: dict[str, tuple[str, str]] = {}
        # Placed by their email domains: .fr in the EU database, .com at home.
        for who, email in (("eu", f"anne.{tok}@example.fr"), ("home", f"bob.{tok}@example.com")):
            incoming = await client.post(
                f"/api/v1/inboxes/{inbox_id}/incoming",
                headers=tenant.headers,
                json={"contact": {"identifier": f"{who}-{tok}", "email": email}, "body": "Bonjour"},
            )
            assert incoming.status_code == 202, incoming.text
            conversation_id = incoming.json()["conversation_id"]
            reply = await client.post(
                f"/api/v1/conversations/{conversation_id}/messages",
                headers=tenant.headers,
                json={"body": f"Votre colis {tok}-{who} est parti"},
            )
            assert reply.status_code == 201, reply.text
            async with db.session() as session:
                contact_id = await session.scalar(
                    select(Message.contact_id).where(Message.id == uuid.UUID(reply.json()["id"]))
                )
            replies[who] = (reply.json()["id"], str(contact_id))
        await drain(db)
        assert len(receiver.requests_to("/hook")) == 2

    async with db.session() as session:
        assert await session.scalar(select(Inbox.id).where(Inbox.id == uuid.UUID(inbox_id))) is not None
        regions = dict(
            (
                await session.execute(
                    text("SELECT id::text, region FROM contacts WHERE id IN (:a, :b)"),
                    {"a": replies["eu"][1], "b": replies["home"][1]},
                )
            ).all()
        )
    assert regions == {replies["eu"][1]: "eu", replies["home"][1]: "default"}

    # At home the vendor's quote is kept, as before (the test can tell the two apart).
    message_error, last_error, attempts = await _errors(db, replies["home"][0])
    assert message_error and f"{tok}-home" in message_error
    assert last_error == message_error and attempts == [message_error]

    # The EU contact's send keeps only what the relay acted on.
    withheld = (
        "Permanent delivery error (HTTP 400). The channel's explanation is not kept: "
        "this contact's data lives in region eu."
    )
    assert await _errors(db, replies["eu"][0]) == (withheld, withheld, [withheld])
    dump = await pg_dump(db)
    assert f"{tok}-home" in dump and f"{tok}-eu" not in dump
    events = await _event_text(db, tenant.workspace_id)
    assert f"{tok}-eu" not in events and withheld in events

    # A vendor's failure receipt for a sent message is withheld the same way.
    async with db.session() as session:
        message = await session.get(Message, uuid.UUID(replies["eu"][0]))
        assert message is not None
        message.external_id = f"ext-{tok}"
        inbox = await session.get(Inbox, uuid.UUID(inbox_id))
        assert inbox is not None
        changed = await apply_status(
            session,
            inbox=inbox,
            status=StatusUpdate(status="failed", external_id=f"ext-{tok}", error=f"undeliverable: {tok}-eu"),
        )
        await session.commit()
    assert changed == 1
    assert (await _errors(db, replies["eu"][0]))[0] == (
        "Permanent delivery error. The channel's explanation is not kept: this contact's data lives in region eu."
    )
    assert f"{tok}-eu" not in await pg_dump(db)

    # Erasure clears what was kept.
    erased = await client.post(f"/api/v1/contacts/{replies['eu'][1]}/erase", headers=tenant.headers)
    assert erased.status_code == 202, erased.text
    assert await process_pending_erasures(db) >= 1
    assert await _errors(db, replies["eu"][0]) == (None, None, [None])


async def _event_text(db: Database, workspace_id: uuid.UUID) -> str:
    async with db.session() as session:
        rows = await session.scalars(
            text("SELECT payload::text FROM domain_events WHERE workspace_id = :ws"), {"ws": workspace_id}
        )
        return "\n".join(rows)

"""IMAP polling of an email inbox against a real Dovecot: the cursor moves with the
stored mail, failures are recorded and back off, settings changes poll at once, and
the minute job queues one poll per mailbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import text, update

from meridian.channels.email.polling import poll_inbox
from meridian.channels.email.tasks import poll_email_inboxes, poll_lock
from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.events.dispatch import dispatch_batch, load_subscribers
from meridian.events.models import DomainEvent
from meridian.jobs.app import open_job_app
from tests.email.dovecot import Dovecot, free_port
from tests.email.support import create_email_inbox, customer_mail, load_inbox, message_rows
from tests.factories import Factory


def imap_settings(mailbox: Dovecot, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "imap_host": mailbox.host,
        "imap_port": mailbox.imap_port,
        "imap_folder": mailbox.folder,
        "username": mailbox.user,
        "password": mailbox.password,
        "security": "none",
    }
    settings.update(overrides)
    return settings


async def queued_polls(db: Database, inbox_id: str) -> list[dict[str, Any]]:
    async with db.session() as session:
        rows = await session.execute(
            text(
                "SELECT lock, queueing_lock, status FROM procrastinate_jobs "
                "WHERE task_name = 'meridian.email.poll_inbox' AND args->>'inbox_id' = :id"
            ),
            {"id": inbox_id},
        )
        return [dict(row._mapping) for row in rows]


async def test_poll_stores_new_mail_and_moves_the_cursor_with_it(
    client: httpx.AsyncClient, factory: Factory, db: Database, mailbox: Dovecot
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant, **imap_settings(mailbox))
    address = inbox["config"]["from_address"]
    first = customer_mail(to=address, message_id="<m1@example.org>")
    mailbox.append(first, customer_mail(to=address, sender="bob@example.org", message_id="<m2@example.org>"))

    result = await poll_inbox(db, inbox_id=uuid.UUID(inbox["id"]))
    assert (result.fetched, result.created, result.error) == (2, 2, None)
    stored = await load_inbox(db, inbox["id"])
    assert stored.state["imap_cursor"]["last_uid"] == 2

    # The same mail again (a resync, a second copy) plus one new message.
    mailbox.append(first, customer_mail(to=address, message_id="<m3@example.org>"))
    result = await poll_inbox(db, inbox_id=uuid.UUID(inbox["id"]))
    assert (result.fetched, result.created) == (2, 1)
    assert [m.external_id for m in await message_rows(db, inbox["id"])] == [
        "m1@example.org",
        "m2@example.org",
        "m3@example.org",
    ]
    assert (await poll_inbox(db, inbox_id=uuid.UUID(inbox["id"]))).fetched == 0

    shown = (await client.get(f"/api/v1/inboxes/{inbox['id']}", headers=tenant.headers)).json()
    assert shown["status"]["last_error"] is None and shown["status"]["consecutive_failures"] == 0
    assert "imap_cursor" not in shown["status"] and mailbox.password not in str(shown)


async def test_failures_are_shown_and_back_off_until_the_settings_change(
    client: httpx.AsyncClient, factory: Factory, db: Database, mailbox: Dovecot
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant, **imap_settings(mailbox, imap_port=free_port()))
    inbox_id = uuid.UUID(inbox["id"])
    mailbox.append(customer_mail(to=inbox["config"]["from_address"]))

    failed = await poll_inbox(db, inbox_id=inbox_id)
    assert failed.polled and failed.error is not None and "unreachable" in failed.error
    status = (await client.get(f"/api/v1/inboxes/{inbox['id']}", headers=tenant.headers)).json()["status"]
    assert status["consecutive_failures"] == 1 and "unreachable" in status["last_error"]
    assert datetime.fromisoformat(status["next_poll_at"]) > utcnow()
    # Backing off: the next minute's job does not hammer the server.
    assert not (await poll_inbox(db, inbox_id=inbox_id)).polled

    # Fixing the settings queues a poll at once and lifts the backoff.
    async with db.session() as session:  # only this test's events
        await session.execute(
            update(DomainEvent).where(DomainEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow())
        )
        await session.commit()
    fixed = await client.patch(
        f"/api/v1/inboxes/{inbox['id']}",
        headers=tenant.headers,
        json={"config": {"imap_port": mailbox.imap_port}},
    )
    assert fixed.status_code == 200, fixed.text
    load_subscribers()
    await dispatch_batch(db)
    lock = poll_lock(inbox_id)
    assert await queued_polls(db, inbox["id"]) == [{"lock": lock, "queueing_lock": lock, "status": "todo"}]
    polled = await poll_inbox(db, inbox_id=inbox_id)
    assert (polled.created, polled.error) == (1, None)
    status = (await client.get(f"/api/v1/inboxes/{inbox['id']}", headers=tenant.headers)).json()["status"]
    assert status["consecutive_failures"] == 0 and status["last_error"] is None


async def test_minute_job_queues_one_poll_per_mailbox(
    client: httpx.AsyncClient, factory: Factory, db: Database, mailbox: Dovecot
) -> None:
    tenant = await factory.tenant()
    polled = await create_email_inbox(client, tenant, **imap_settings(mailbox))
    forwarded_only = await create_email_inbox(client, tenant)
    async with open_job_app(db.psycopg_conninfo()):
        await poll_email_inboxes(timestamp=0)
        # Asked again before a worker ran it: still one waiting poll for the mailbox.
        await poll_email_inboxes(timestamp=60)
    lock = poll_lock(polled["id"])
    assert await queued_polls(db, polled["id"]) == [{"lock": lock, "queueing_lock": lock, "status": "todo"}]
    assert await queued_polls(db, forwarded_only["id"]) == []


async def test_a_message_that_cannot_be_stored_never_blocks_the_mailbox(
    client: httpx.AsyncClient, factory: Factory, db: Database, mailbox: Dovecot
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant, **imap_settings(mailbox))
    address = inbox["config"]["from_address"]
    poison = f"poison-{uuid.uuid4().hex[:8]}@example.org"
    async with db.session() as session:  # the database refuses this one message, however stored
        await session.execute(
            text(
                "CREATE OR REPLACE FUNCTION test_refuse_message() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF NEW.external_id = '{poison}' THEN RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$"
            )
        )
        await session.execute(
            text(
                "CREATE TRIGGER test_refuse_message BEFORE INSERT ON messages "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_message()"
            )
        )
        await session.commit()
    mailbox.append(customer_mail(to=address, message_id=f"<{poison}>"), customer_mail(to=address))
    try:
        result = await poll_inbox(db, inbox_id=uuid.UUID(inbox["id"]))
    finally:
        async with db.session() as session:
            await session.execute(text("DROP TRIGGER test_refuse_message ON messages"))
            await session.commit()
    assert (result.created, result.skipped_uids, result.error) == (1, [1], None)
    stored = await load_inbox(db, inbox["id"])
    assert stored.state["imap_cursor"]["last_uid"] == 2
    assert stored.state["status"]["skipped_uids"] == [1]

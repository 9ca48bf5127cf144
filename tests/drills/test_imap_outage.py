"""Drill 4: the IMAP server is unreachable for an hour while mail keeps arriving in
the mailbox; once it is back the inbox backfills everything, in the mailbox's order,
with no duplicates.

The hour is simulated: ``time_machine`` moves the clock one minute per step and each
step does what the minute job does (``poll_inbox``, which honours the inbox's backoff);
Dovecot is really stopped, and mail is written into its Maildir meanwhile, as an MDA
would."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import time_machine
from sqlalchemy import text

from meridian.channels.email.polling import poll_inbox
from meridian.db.engine import Database
from tests.drills.support import REPORT, scaled
from tests.email.dovecot import DOVECOT, running_dovecot
from tests.email.support import create_email_inbox, customer_mail
from tests.factories import Factory

pytestmark = pytest.mark.drill

MINUTE = timedelta(minutes=1)
OUTAGE_MINUTES = 60


async def test_imap_outage_then_backfill_in_order(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    if not DOVECOT.exists():
        pytest.skip("Dovecot is not installed (apt-get install -y dovecot-imapd)")
    per_minute = scaled(3, 1)
    tenant = await factory.tenant()
    root = Path(tempfile.mkdtemp(prefix="meridian-drill-dovecot-"))
    sent: list[str] = []
    polls = {"up": 0, "tried while down": 0, "skipped (backoff)": 0, "after": 0}
    try:
        with running_dovecot(root) as mail, time_machine.travel(datetime.now(UTC), tick=True) as clock:
            inbox = await create_email_inbox(
                client,
                tenant,
                imap_host=mail.host,
                imap_port=mail.imap_port,
                imap_folder=mail.folder,
                username=mail.user,
                password=mail.password,
            )
            inbox_id = uuid.UUID(inbox["id"])
            address = inbox["config"]["from_address"]

            def mail_for(n: int) -> bytes:
                message_id = f"<drill-{n}-{uuid.uuid4().hex[:6]}@example.org>"
                sent.append(message_id)
                return customer_mail(
                    to=address,
                    sender=f"Customer {n % 7} <c{n % 7}@example.org>",
                    subject=f"Question {n}",
                    message_id=message_id,
                )

            for _ in range(5):  # five quiet minutes with the server up
                mail.append(*(mail_for(len(sent)) for _ in range(per_minute)))
                assert (await poll_inbox(db, inbox_id=inbox_id)).error is None
                polls["up"] += 1
                clock.shift(MINUTE)

            mail.stop()
            for _ in range(OUTAGE_MINUTES):
                for _ in range(per_minute):
                    mail.deliver_to_maildir(mail_for(len(sent)))
                result = await poll_inbox(db, inbox_id=inbox_id)
                if result.polled:
                    assert result.error is not None and result.created == 0
                    polls["tried while down"] += 1
                else:
                    polls["skipped (backoff)"] += 1
                clock.shift(MINUTE)
            status = (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=tenant.headers)).json()[
                "status"
            ]
            assert status["consecutive_failures"] == polls["tried while down"] and status["last_error"]

            mail.start()
            mail.append(*(mail_for(len(sent)) for _ in range(per_minute)))
            backfilled_after = 0
            for minute in range(1, 120):
                result = await poll_inbox(db, inbox_id=inbox_id)
                if result.polled:
                    polls["after"] += 1
                    assert result.error is None, result.error
                    backfilled_after = minute
                    break
                clock.shift(MINUTE)
            assert (await poll_inbox(db, inbox_id=inbox_id)).created == 0, "a second poll found nothing new"
            with mail.client() as imap:
                imap.select_folder(mail.folder, readonly=True)
                uids = sorted(imap.search(["ALL"]))
                fetched = imap.fetch(uids, [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            mailbox_order = [
                fetched[uid][b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]
                .decode()
                .split(":", 1)[1]
                .strip()
                .strip("<>")
                for uid in uids
            ]
            status = (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=tenant.headers)).json()[
                "status"
            ]
    finally:
        shutil.rmtree(root, ignore_errors=True)

    async with db.session() as session:
        stored = [
            str(r[0])
            for r in await session.execute(
                text(
                    "SELECT external_id FROM messages WHERE inbox_id = :i AND direction = 'incoming' ORDER BY id"
                ),
                {"i": inbox_id},
            )
        ]
    assert sorted(mailbox_order) == sorted(m.strip("<>") for m in sent)
    assert len(stored) == len(set(stored)), "a message was stored twice"
    assert stored == mailbox_order, "stored in the mailbox's UID order, every one of them"
    assert status["consecutive_failures"] == 0 and status["last_error"] is None
    REPORT.add(
        "imap outage",
        f"Dovecot stopped for {OUTAGE_MINUTES} simulated minutes while {OUTAGE_MINUTES * per_minute} mails "
        f"arrived in its Maildir: {polls['tried while down']} polls tried and failed (backoff skipped "
        f"{polls['skipped (backoff)']} minutes), the first poll {backfilled_after} min after it returned "
        f"backfilled everything; {len(stored)} of {len(sent)} mails stored once each, in UID order",
    )

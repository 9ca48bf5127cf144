"""The email channel end to end: mail delivered into a real Dovecot is polled into a
conversation, the agent's reply reaches a real SMTP server threaded, the customer's
answer to it lands in the same conversation, and a bounce marks the reply failed."""

from __future__ import annotations

import uuid

import httpx

from meridian.channels.email.parse import parse_email
from meridian.channels.email.polling import poll_inbox
from meridian.db.engine import Database
from tests.email.dovecot import Dovecot
from tests.email.smtp_server import RecordingHandler, smtp_server
from tests.email.support import bounce_for, create_email_inbox, customer_mail
from tests.factories import Factory
from tests.support.outbox import drain


async def test_email_round_trip(
    client: httpx.AsyncClient, factory: Factory, db: Database, mailbox: Dovecot
) -> None:
    tenant = await factory.tenant()
    # One login for both sides of the mailbox, as with most providers.
    handler = RecordingHandler(credentials=(mailbox.user, mailbox.password))
    async with smtp_server(handler) as smtp_port:
        inbox = await create_email_inbox(
            client,
            tenant,
            imap_host=mailbox.host,
            imap_port=mailbox.imap_port,
            imap_folder=mailbox.folder,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            username=mailbox.user,
            password=mailbox.password,
            security="none",
        )
        inbox_id = uuid.UUID(inbox["id"])
        address = inbox["config"]["from_address"]
        domain = address.rpartition("@")[2]

        # 1. The customer writes; an MDA drops the mail into the mailbox.
        mailbox.deliver_to_maildir(
            customer_mail(to=address, subject="Where is my order?", message_id="<q1@example.org>")
        )
        assert (await poll_inbox(db, inbox_id=inbox_id)).created == 1
        [conv] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
        assert conv["channel"] == "email" and conv["subject"] == "Where is my order?"

        # 2. The agent answers; the relay sends it by SMTP, threaded.
        reply = await client.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            headers=tenant.headers,
            json={"body": "It left our warehouse today."},
        )
        assert reply.status_code == 201, reply.text
        await drain(db)
        [sent] = handler.received
        mail = parse_email(sent.raw)
        our_id = f"conv-{conv['id']}.{reply.json()['id']}@{domain}"
        assert sent.rcpt_tos == ["alice@example.org"] and sent.mail_from == address
        assert sent.authenticated_as == mailbox.user
        assert mail.message_id == our_id
        assert mail.in_reply_to == ["q1@example.org"] and mail.references == ["q1@example.org"]
        assert mail.subject == f"Re: Where is my order? [#{conv['number']}]"
        assert mail.text.strip() == "It left our warehouse today."
        messages = (
            await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers)
        ).json()["items"]
        outgoing = messages[-1]
        assert outgoing["delivery_status"] == "sent" and outgoing["external_id"] == our_id

        # 3. The customer answers from a client that rewrote the subject: the
        #    In-Reply-To naming our Message-ID is enough.
        mailbox.append(
            customer_mail(
                to=address,
                subject="package",
                body="Thanks! Will it come on Friday?\n\n> It left our warehouse today.",
                message_id="<q2@example.org>",
                in_reply_to=f"<{our_id}>",
                references=["<q1@example.org>", f"<{our_id}>"],
            )
        )
        assert (await poll_inbox(db, inbox_id=inbox_id)).created == 1
        listed = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
        assert [c["id"] for c in listed] == [conv["id"]]
        messages = (
            await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers)
        ).json()["items"]
        assert messages[-1]["body"] == "Thanks! Will it come on Friday?"

        # 4. The second reply carries the whole chain, our long ids included.
        second = await client.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            headers=tenant.headers,
            json={"body": "Yes, Friday."},
        )
        await drain(db)
        assert len(handler.received) == 2
        threaded = parse_email(handler.received[1].raw)
        assert threaded.in_reply_to == ["q2@example.org"]
        assert threaded.references == ["q1@example.org", our_id, "q2@example.org"]

        # 5. That one bounces: the report marks it failed and opens nothing.
        second_id = f"conv-{conv['id']}.{second.json()['id']}@{domain}"
        mailbox.append(bounce_for(second_id, to=address))
        assert (await poll_inbox(db, inbox_id=inbox_id)).created == 0
    listed = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"]
    assert len(listed) == 1
    messages = (
        await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=tenant.headers)
    ).json()["items"]
    assert [(m["direction"], m["delivery_status"]) for m in messages] == [
        ("incoming", "received"),
        ("outgoing", "sent"),
        ("incoming", "received"),
        ("outgoing", "failed"),
    ]
    assert "User unknown" in messages[-1]["delivery_error"]

"""Email inboxes through the real API, and customer mail written the way clients write it."""

from __future__ import annotations

import uuid
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import httpx

from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from tests.factories import Tenant


def unique_address(local: str = "support") -> str:
    # Inboxes are found by address across workspaces: each test needs its own.
    return f"{local}-{uuid.uuid4().hex[:8]}@acme.example"


async def create_email_inbox(client: httpx.AsyncClient, tenant: Tenant, **config: Any) -> dict[str, Any]:
    config.setdefault("from_address", unique_address())
    config.setdefault("security", "none")
    response = await client.post(
        "/api/v1/inboxes",
        headers=tenant.headers,
        json={"name": "Support mail", "channel": "email", "config": config},
    )
    assert response.status_code == 201, response.text
    inbox: dict[str, Any] = response.json()
    return inbox


async def load_inbox(db: Database, inbox_id: str) -> Inbox:
    async with db.session() as session:
        inbox = await session.get(Inbox, uuid.UUID(inbox_id))
        assert inbox is not None
        session.expunge(inbox)
        return inbox


async def message_rows(db: Database, inbox_id: str) -> list[Message]:
    from sqlalchemy import select

    async with db.session() as session:
        rows = list(
            await session.scalars(
                select(Message).where(Message.inbox_id == uuid.UUID(inbox_id)).order_by(Message.created_at)
            )
        )
        session.expunge_all()
        return rows


def customer_mail(
    *,
    to: str,
    sender: str = "Alice Martin <alice@example.org>",
    subject: str = "Where is my order?",
    body: str = "Hello, my order 4711 has not arrived yet.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    # Long ids on one line, as mail clients write them (998 is RFC 5322's line limit).
    mail = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = message_id or make_msgid(domain="example.org")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    return mail.as_bytes()


def bounce_for(message_id: str, *, to: str, status: str = "5.1.1", action: str = "failed") -> bytes:
    """An RFC 3464 report as Postfix writes it, about our message ``message_id``."""
    boundary = "B0UNCE-" + uuid.uuid4().hex[:8]
    return (
        f"From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
        f"To: {to}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.example.org>\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"I'm sorry to have to inform you that your message could not be delivered.\r\n"
        f"\r\n--{boundary}\r\n"
        f"Content-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; alice@example.org\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <alice@example.org>: Recipient address rejected: "
        f"User unknown\r\n"
        f"\r\n--{boundary}\r\n"
        f"Content-Type: text/rfc822-headers\r\n\r\n"
        f"From: {to}\r\nTo: alice@example.org\r\nMessage-ID: <{message_id}>\r\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()

"""The LMTP receiver (``MERIDIAN_LMTP_PORT``): one reply per recipient after DATA."""

from __future__ import annotations

import asyncio
import smtplib

import httpx

from meridian.channels.email.service import smtp_receiver
from meridian.channels.email.smtp_receive import make_smtp_server
from meridian.db.engine import Database
from tests.email.support import create_email_inbox, customer_mail, unique_address
from tests.factories import Factory


def lmtp_send(port: int, raw: bytes, rcpts: list[str]) -> list[tuple[int, bytes]]:
    """Speak LMTP step by step: the RCPT replies of refused recipients, then one DATA
    reply per accepted recipient, in order."""
    with smtplib.LMTP("127.0.0.1", port, timeout=5) as client:
        code, reply = client.ehlo("client.test")  # LHLO
        assert code == 250, reply
        code, reply = client.mail("customer@example.com")
        assert code == 250, reply
        replies: list[tuple[int, bytes]] = []
        accepted = 0
        for rcpt in rcpts:
            code, reply = client.rcpt(rcpt)
            if code == 250:
                accepted += 1
            else:
                replies.append((code, reply))
        if not accepted:
            return replies
        replies.append(client.data(raw))
        replies.extend(client.getreply() for _ in range(accepted - 1))
        return replies


class Store:
    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.delivered: list[list[str]] = []

    async def deliver(self, recipients: list[str], raw: bytes) -> None:
        if self.failing in recipients:
            raise RuntimeError("database unavailable")
        self.delivered.append(recipients)


async def test_each_recipient_gets_its_own_reply() -> None:
    store = Store(failing="sales@acme.example")
    raw = customer_mail(to="support@acme.example")
    async with make_smtp_server("127.0.0.1", 0, store.deliver, lmtp=True) as server:
        replies = await asyncio.to_thread(
            lmtp_send, server.port, raw, ["support@acme.example", "sales@acme.example", "help@acme.example"]
        )
    assert [code for code, _ in replies] == [250, 451, 250]
    assert b"support@acme.example" in replies[0][1] and b"sales@acme.example" in replies[1][1]
    # Stored one by one: the MTA retries only the one that failed.
    assert store.delivered == [["support@acme.example"], ["help@acme.example"]]


async def test_lmtp_is_not_smtp() -> None:
    store = Store(failing="-")
    async with make_smtp_server("127.0.0.1", 0, store.deliver, lmtp=True) as server:

        def helo(port: int) -> int:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                return client.helo("client.test")[0]

        assert await asyncio.to_thread(helo, server.port) == 500


async def test_lmtp_delivers_into_each_inbox(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    support = await create_email_inbox(client, tenant)
    sales = await create_email_inbox(client, tenant)
    addresses = [support["config"]["from_address"], sales["config"]["from_address"]]
    raw = customer_mail(to=", ".join(addresses), subject="Two teams, one question")
    receiver = smtp_receiver(db, "127.0.0.1", 0, lmtp=True)
    await receiver.start()
    try:
        replies = await asyncio.to_thread(
            lmtp_send, receiver.port, raw, [*addresses, unique_address("nobody")]
        )
    finally:
        await receiver.stop()
    # The unknown address is refused at RCPT (550); each inbox's copy is stored (250).
    assert [code for code, _ in replies] == [550, 250, 250]
    for inbox in (support, sales):
        listed = await client.get(
            "/api/v1/conversations", headers=tenant.headers, params={"inbox_id": inbox["id"]}
        )
        assert [c["subject"] for c in listed.json()["items"]] == ["Two teams, one question"]

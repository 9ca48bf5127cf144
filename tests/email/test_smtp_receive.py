from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Callable

import pytest

from meridian.channels.email.parse import parse_email
from meridian.channels.email.smtp_receive import make_smtp_server

Eml = Callable[[str], bytes]


class Store:
    """Stands in for the database commit: records what was delivered, or fails."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.delivered: list[tuple[list[str], bytes]] = []
        self.attempts = 0

    async def deliver(self, recipients: list[str], raw: bytes) -> None:
        self.attempts += 1
        await asyncio.sleep(0.05)  # a commit takes time; 250 must wait for it
        if self.fail:
            raise RuntimeError("database unavailable")
        self.delivered.append((recipients, raw))


def send(port: int, raw: bytes, rcpts: list[str]) -> tuple[int, bytes]:
    """Speak SMTP step by step so the reply to DATA itself is visible."""
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.ehlo("client.test")
        code, reply = client.mail("customer@example.com")
        assert code == 250, reply
        for rcpt in rcpts:
            code, reply = client.rcpt(rcpt)
            if code != 250:
                return code, reply
        return client.data(raw)


async def test_250_only_after_deliver_stored_it(eml: Eml) -> None:
    store = Store()
    raw = eml("gb2312")
    async with make_smtp_server("127.0.0.1", 0, store.deliver) as server:
        code, reply = await asyncio.to_thread(
            send, server.port, raw, ["support@acme.example", "sales@acme.example"]
        )
        assert code == 250, reply
        assert store.delivered, "250 was sent before deliver finished"
    ((recipients, delivered),) = store.delivered
    assert recipients == ["support@acme.example", "sales@acme.example"]
    assert parse_email(delivered).subject == "订单还没有发货"
    # 8-bit bytes arrive untouched (no decoding inside the SMTP server).
    assert parse_email(delivered).text == parse_email(raw).text


async def test_451_when_deliver_fails_so_the_sender_retries(eml: Eml) -> None:
    store = Store(fail=True)
    async with make_smtp_server("127.0.0.1", 0, store.deliver) as server:
        code, reply = await asyncio.to_thread(send, server.port, eml("koi8r"), ["support@acme.example"])
    assert code == 451
    assert reply.startswith(b"4.3.0")
    assert store.attempts == 1
    assert store.delivered == []


async def test_552_when_too_large() -> None:
    store = Store()
    big = b"From: a@example.com\r\nSubject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 40
    async with make_smtp_server("127.0.0.1", 0, store.deliver, max_size=20_000) as server:
        code, _ = await asyncio.to_thread(send, server.port, big, ["support@acme.example"])
        assert code == 552

        # A client that honours the advertised SIZE is refused before sending the data.
        def sendmail() -> None:
            with smtplib.SMTP("127.0.0.1", server.port, timeout=5) as client:
                client.sendmail("a@example.com", ["support@acme.example"], big)

        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            await asyncio.to_thread(sendmail)
        assert refused.value.smtp_code == 552
    assert store.attempts == 0


async def test_unknown_recipients_are_refused_at_rcpt() -> None:
    store = Store()

    async def ours(address: str) -> bool:
        return address.lower() == "support@acme.example"

    async with make_smtp_server("127.0.0.1", 0, store.deliver, accept_recipient=ours) as server:
        code, _ = await asyncio.to_thread(
            send, server.port, b"Subject: x\r\n\r\nhi\r\n", ["nobody@acme.example"]
        )
        assert code == 550
        code, _ = await asyncio.to_thread(
            send, server.port, b"Subject: x\r\n\r\nhi\r\n", ["Support@acme.example"]
        )
        assert code == 250
    assert [r for r, _ in store.delivered] == [["Support@acme.example"]]


async def test_port_is_known_only_while_running() -> None:
    server = make_smtp_server("127.0.0.1", 0, Store().deliver)
    with pytest.raises(RuntimeError):
        _ = server.port
    await server.start()
    assert server.port > 0
    await server.stop()
    with pytest.raises(RuntimeError):
        _ = server.port

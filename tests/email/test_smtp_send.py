from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime

import pytest

from meridian.channels.base import DeliveryError, OutboundAttachment, OutboundMessage
from meridian.channels.email.config import EmailConfig, Security
from meridian.channels.email.parse import parse_email
from meridian.channels.email.smtp_send import send_email
from tests.email.certs import SelfSignedCert
from tests.email.dovecot import free_port
from tests.email.smtp_server import RecordingHandler, smtp_server

CONV = "01943a2b-7c4d-7e1f-8a9b-0c1d2e3f4a5b"
MSG = "01943a2b-9999-7e1f-8a9b-0c1d2e3f4a5b"


def outbound(**overrides: object) -> OutboundMessage:
    values: dict[str, object] = {
        "message_id": MSG,
        "conversation_id": CONV,
        "conversation_number": 1234,
        "idempotency_key": "k1",
        "recipient": "max.mustermann@example.de",
        "body": "Guten Tag Herr Müller,\n\nIhr Netzteil ist unterwegs.\n\nSabine",
        "reply_context": {
            "message_id": "AM0PR07MB1234@eurprd07.prod.outlook.com",
            "references": ["root@acme.example", "AM0PR07MB1234@eurprd07.prod.outlook.com"],
            "subject": "AW: [#1234] Ihre Bestellung",
        },
    }
    values.update(overrides)
    return OutboundMessage(**values)  # type: ignore[arg-type]


def config(port: int, security: Security = "none", **extra: str) -> EmailConfig:
    return EmailConfig(
        smtp_host="127.0.0.1",
        smtp_port=port,
        security=security,
        from_address="support@acme.example",
        **extra,
    )


async def test_sends_a_threaded_utf8_reply_with_html_and_attachment() -> None:
    handler = RecordingHandler()
    async with smtp_server(handler) as port:
        message = outbound(
            attachments=(
                OutboundAttachment("Lieferschein März.pdf", "application/pdf", "https://x/1", b"%PDF-1.4 x"),
                OutboundAttachment("gross.zip", "application/zip", "https://files.example/2"),
            )
        )
        result = await send_email(
            config(port),
            message,
            from_name="Sabine Schröder (ACME)",
            html="<p>Guten Tag Herr Müller,</p>",
        )
    (received,) = handler.received
    assert received.rcpt_tos == ["max.mustermann@example.de"]
    assert received.mail_from == "support@acme.example"
    assert result.external_id == f"conv-{CONV}.{MSG}@acme.example"
    assert result.meta["smtp_response"] == "2.0.0 Ok: queued as TEST1"
    raw_headers = received.raw.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()  # non-ASCII only as RFC 2047 encoded words
    mail = received.message
    assert mail["Message-ID"] == f"<conv-{CONV}.{MSG}@acme.example>"
    assert mail["In-Reply-To"] == "<AM0PR07MB1234@eurprd07.prod.outlook.com>"
    assert mail["References"] == ("<root@acme.example> <AM0PR07MB1234@eurprd07.prod.outlook.com>")
    assert mail["Subject"] == "Re: Ihre Bestellung [#1234]"
    assert mail["From"].addresses[0].display_name == "Sabine Schröder (ACME)"
    assert mail["Auto-Submitted"] is None
    assert parsedate_to_datetime(mail["Date"]).tzinfo is not None
    # Our own parser reads back exactly what we meant to send.
    parsed = parse_email(received.raw)
    assert parsed.text == (
        "Guten Tag Herr Müller,\n\nIhr Netzteil ist unterwegs.\n\nSabine\n\n"
        "gross.zip: https://files.example/2"
    )
    assert parsed.html == "<p>Guten Tag Herr Müller,</p>\n"
    (attachment,) = parsed.attachments
    assert (attachment.filename, attachment.data) == ("Lieferschein März.pdf", b"%PDF-1.4 x")


async def test_long_message_ids_stay_readable_in_the_thread_headers() -> None:
    """Our ids are ~90 characters: longer than a header line. They must be folded
    between ids, never RFC 2047-encoded, or the customer's reply loses its thread."""
    ours = f"conv-{CONV}.{MSG}@support.acme.example"
    customer = "CAF=" + "x" * 60 + "@mail.gmail.com"
    context = {
        "message_id": customer,
        "references": [ours, customer, "caf\u00e9@8bit.example"],
        "subject": "Hi",
    }
    handler = RecordingHandler()
    async with smtp_server(handler) as port:
        await send_email(config(port), outbound(reply_context=context))
    (received,) = handler.received
    headers = received.raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?" not in headers
    assert all(len(line) <= 998 for line in headers.split(b"\r\n"))
    parsed = parse_email(received.raw)
    assert parsed.in_reply_to == [customer]
    assert parsed.references == [ours, customer]  # the 8-bit id cannot be sent without SMTPUTF8


async def test_auto_reply_is_marked_and_new_conversation_has_no_thread_headers() -> None:
    handler = RecordingHandler()
    async with smtp_server(handler) as port:
        await send_email(config(port), outbound(reply_context={"auto": True}))
    mail = handler.received[0].message
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] is None and mail["References"] is None
    assert mail["Subject"] == "Re: [#1234]"


@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_tls_and_login(cert: SelfSignedCert, security: Security) -> None:
    handler = RecordingHandler(credentials=("support@acme.example", "app-password"))
    async with smtp_server(handler, tls=security, server_context=cert.server_context()) as port:
        await send_email(
            config(port, security, username="support@acme.example", password="app-password"),
            outbound(),
            tls_context=cert.client_context(),
        )
    assert handler.received[0].authenticated_as == "support@acme.example"


async def test_untrusted_certificate_is_permanent(cert: SelfSignedCert) -> None:
    handler = RecordingHandler()
    async with smtp_server(handler, tls="ssl", server_context=cert.server_context()) as port:
        with pytest.raises(DeliveryError) as caught:
            await send_email(config(port, "ssl"), outbound())
    assert caught.value.permanent
    assert handler.received == []


async def test_starttls_not_offered_is_permanent() -> None:
    handler = RecordingHandler()
    async with smtp_server(handler) as port:
        with pytest.raises(DeliveryError) as caught:
            await send_email(config(port, "starttls"), outbound())
    assert caught.value.permanent
    assert "STARTTLS" in str(caught.value)
    assert handler.received == []


async def test_wrong_password_is_permanent_with_the_server_text() -> None:
    handler = RecordingHandler(credentials=("support@acme.example", "right"))
    async with smtp_server(handler) as port:
        with pytest.raises(DeliveryError) as caught:
            await send_email(config(port, username="support@acme.example", password="wrong"), outbound())
    assert caught.value.permanent
    assert str(caught.value).startswith("SMTP 535")


@pytest.mark.parametrize(
    ("rcpt_reply", "data_reply", "permanent", "text"),
    [
        ("550 5.1.1 <max@example.de>: mailbox unavailable", None, True, "550 mailbox unavailable"),
        ("450 4.2.1 mailbox busy, try later", None, False, "450 mailbox busy, try later"),
        (None, "451 4.3.0 local error in processing", False, "451 4.3.0 local error"),
        (None, "554 5.7.1 message rejected as spam", True, "554 5.7.1 message rejected"),
    ],
)
async def test_smtp_reply_codes_are_classified(
    rcpt_reply: str | None, data_reply: str | None, permanent: bool, text: str
) -> None:
    handler = RecordingHandler(rcpt_reply=rcpt_reply, data_reply=data_reply)
    async with smtp_server(handler) as port:
        with pytest.raises(DeliveryError) as caught:
            await send_email(config(port), outbound())
    assert caught.value.permanent is permanent
    code, _, rest = text.partition(" ")
    assert code in str(caught.value)
    assert rest.split()[-1] in str(caught.value)


async def test_connection_refused_is_transient() -> None:
    with pytest.raises(DeliveryError) as caught:
        await send_email(config(free_port()), outbound())
    assert caught.value.permanent is False


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts TCP connections and never says a word (a hung MTA)."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    server.close()


async def test_timeout_is_transient(silent_server: int) -> None:
    with pytest.raises(DeliveryError) as caught:
        await send_email(config(silent_server), outbound(), io_timeout=0.3)
    assert caught.value.permanent is False
    assert "Timeout" in str(caught.value)


async def test_missing_settings_are_permanent() -> None:
    with pytest.raises(DeliveryError) as caught:
        await send_email(EmailConfig(from_address="support@acme.example"), outbound())
    assert caught.value.permanent
    with pytest.raises(DeliveryError) as caught:
        await send_email(config(25), outbound(recipient="not-an-address"))
    assert caught.value.permanent

from __future__ import annotations

from collections.abc import Callable

import pytest

from meridian.channels.email.loops import is_auto_generated, parse_bounce
from meridian.channels.email.parse import parse_email

Eml = Callable[[str], bytes]


def mail(*headers: str, sender: str = "Pat <pat@example.com>") -> bytes:
    lines = [f"From: {sender}", "To: support@acme.example", "Message-ID: <m@example.com>"]
    lines += headers
    return ("\r\n".join(lines) + "\r\n\r\nHello\r\n").encode()


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        (["Auto-Submitted: auto-replied"], None, "Auto-Submitted: auto-replied"),
        (["Auto-Submitted: auto-generated (vacation)"], None, "Auto-Submitted: auto-generated (vacation)"),
        (["Precedence: bulk"], None, "Precedence: bulk"),
        (["Precedence: JUNK"], None, "Precedence: junk"),
        (["Precedence: list"], None, "Precedence: list"),
        (["List-Id: <news.example.com>"], None, "mailing list (List-Id)"),
        (["List-Unsubscribe: <mailto:u@example.com>"], None, "mailing list (List-Unsubscribe)"),
        (["Return-Path: <>"], None, "null Return-Path"),
        ([], "MAILER-DAEMON@mx.example.com", "sender is MAILER-DAEMON@mx.example.com"),
        ([], "Postmaster <postmaster@example.com>", "sender is postmaster@example.com"),
        (["X-Autoreply: yes"], None, "X-Autoreply present"),
        (["X-Autorespond: Out of office"], None, "X-Autorespond present"),
        (["X-Auto-Response-Suppress: All"], None, "X-Auto-Response-Suppress present"),
    ],
)
def test_auto_generated(headers: list[str], sender: str | None, reason: str) -> None:
    raw = mail(*headers, sender=sender) if sender else mail(*headers)
    assert is_auto_generated(parse_email(raw)) == reason


@pytest.mark.parametrize(
    "headers",
    [
        [],
        ["Auto-Submitted: no"],
        ["Auto-Submitted: No (human)"],
        ["Precedence: first-class"],
        ["Return-Path: <pat@example.com>"],
    ],
)
def test_human_mail_may_be_answered(headers: list[str]) -> None:
    assert is_auto_generated(parse_email(mail(*headers))) is None


def test_fixtures(eml: Eml) -> None:
    assert is_auto_generated(parse_email(eml("auto_reply"))) == "Auto-Submitted: auto-replied"
    assert is_auto_generated(parse_email(eml("mailing_list"))) == "Precedence: list"
    assert is_auto_generated(parse_email(eml("dsn_bounce"))) is not None
    for name in ("gb2312", "windows1252", "outlook_german_reply", "inline_and_attachment"):
        assert is_auto_generated(parse_email(eml(name))) is None, name


def test_permanent_bounce(eml: Eml) -> None:
    bounce = parse_bounce(parse_email(eml("dsn_bounce")))
    assert bounce is not None
    assert bounce.failed is True
    assert bounce.original_message_id == (
        "conv-01943a2b-0000-7e1f-8a9b-0c1d2e3f4a5b.01943a2b-1111-7e1f-8a9b-0c1d2e3f4a5b@acme.example"
    )
    (recipient,) = bounce.recipients
    assert recipient.recipient == "no.such.user@example.org"
    assert (recipient.action, recipient.status) == ("failed", "5.1.1")
    assert bounce.diagnostic == (
        "550 5.1.1 <no.such.user@example.org>: Recipient address rejected: User unknown"
    )


def test_delay_notice_is_not_a_failure(eml: Eml) -> None:
    bounce = parse_bounce(parse_email(eml("dsn_delayed")))
    assert bounce is not None
    assert bounce.failed is False
    assert bounce.recipients[0].status == "4.4.1"
    assert bounce.recipients[0].action == "delayed"
    # Taken from the whole message/rfc822 part this time.
    assert bounce.original_message_id == (
        "conv-01943a2b-2222-7e1f-8a9b-0c1d2e3f4a5b.01943a2b-3333-7e1f-8a9b-0c1d2e3f4a5b@acme.example"
    )
    assert "Deferred: Connection timed out" in bounce.diagnostic


def test_failed_action_with_4xx_status_is_not_permanent() -> None:
    raw = (
        b"From: MAILER-DAEMON@x.example\r\nMessage-ID: <d@x>\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nTrouble.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x.example\r\n\r\n"
        b"Final-Recipient: rfc822; a@example.net\r\nAction: failed\r\nStatus: 4.2.2\r\n\r\n"
        b"--B--\r\n"
    )
    bounce = parse_bounce(parse_email(raw))
    assert bounce is not None and bounce.failed is False
    assert bounce.original_message_id is None


def test_ordinary_mail_is_not_a_bounce(eml: Eml) -> None:
    assert parse_bounce(parse_email(eml("auto_reply"))) is None
    assert parse_bounce(parse_email(eml("inline_and_attachment"))) is None

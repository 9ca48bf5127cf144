from __future__ import annotations

import pytest

from meridian.channels.email.threading import (
    conversation_id_from_refs,
    make_message_id,
    number_from_subject,
    parse_our_message_id,
    reply_subject,
)

CONV = "01943a2b-7c4d-7e1f-8a9b-0c1d2e3f4a5b"
MSG = "01943a2b-9999-7e1f-8a9b-0c1d2e3f4a5b"


def test_message_id_round_trip() -> None:
    message_id = make_message_id(CONV, MSG, "Acme.Example")
    assert message_id == f"<conv-{CONV}.{MSG}@acme.example>"
    assert parse_our_message_id(message_id) == (CONV, MSG, "acme.example")


def test_ids_that_would_break_the_format_are_refused() -> None:
    with pytest.raises(ValueError):
        make_message_id("a.b", MSG, "acme.example")
    with pytest.raises(ValueError):
        make_message_id(CONV, "x@y", "acme.example")


def test_conversation_from_refs() -> None:
    ours = f"conv-{CONV}.{MSG}@acme.example"
    refs = ["CAH9x+Q7@mail.gmail.com", ours, "conv-other.1@elsewhere.example"]
    assert conversation_id_from_refs(refs) == CONV
    assert conversation_id_from_refs(refs, domain="acme.example") == CONV
    assert conversation_id_from_refs(refs[2:], domain="acme.example") is None
    assert conversation_id_from_refs(["random@example.com"]) is None
    assert conversation_id_from_refs([]) is None


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("AW: [#1234] Ihre Bestellung", 1234),
        ("Re: Refund [#77]", 77),
        ("回复：[#5] 订单", 5),
        ("Order #1234 question", None),
        ("[#abc] nope", None),
        (None, None),
    ],
)
def test_number_from_subject(subject: str | None, number: int | None) -> None:
    assert number_from_subject(subject) == number


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Where is my order?", "Re: Where is my order? [#42]"),
        ("Re: Where is my order?", "Re: Where is my order? [#42]"),
        ("RE: Re: AW: Where is my order? [#42]", "Re: Where is my order? [#42]"),
        ("AW: [#42] Ihre Bestellung", "Re: Ihre Bestellung [#42]"),
        ("回复：订单问题", "Re: 订单问题 [#42]"),
        ("Fwd: Sv: Antw: Rechnung", "Re: Rechnung [#42]"),
        ("RE[2]: Status", "Re: Status [#42]"),
        ("Reference number", "Re: Reference number [#42]"),
        ("", "Re: [#42]"),
        (None, "Re: [#42]"),
    ],
)
def test_reply_subject(subject: str | None, expected: str) -> None:
    assert reply_subject(subject, 42) == expected
